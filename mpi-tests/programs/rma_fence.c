/* test: Win_create + fence epochs: halo exchange with Put, then Get of the neighbours' cells; Win_allocate answers flavor/base/size */
/* ranks: 2 4 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

#define N 8

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size, left = (r + n - 1) % n, right = (r + 1) % n;
    int cells[N + 2];
    for (int i = 0; i < N + 2; i++) cells[i] = -1;
    for (int i = 1; i <= N; i++) cells[i] = r * 100 + i;
    MPI_Win win;
    CHECK_MPI(MPI_Win_create(cells, sizeof cells, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    long sum = 0;
    for (int step = 0; step < 5; step++) {
        CHECK_MPI(MPI_Win_fence(MPI_MODE_NOPRECEDE, win));
        /* my first cell goes to the left neighbour's right halo, my last to the right's left halo */
        CHECK_MPI(MPI_Put(&cells[1], 1, MPI_INT, left, N + 1, 1, MPI_INT, win));
        CHECK_MPI(MPI_Put(&cells[N], 1, MPI_INT, right, 0, 1, MPI_INT, win));
        CHECK_MPI(MPI_Win_fence(0, win));
        CHECK(cells[0] == left * 100 + N + step && cells[N + 1] == right * 100 + 1 + step);
        int got[2] = {0, 0};
        CHECK_MPI(MPI_Get(&got[0], 1, MPI_INT, left, 1, 1, MPI_INT, win));
        CHECK_MPI(MPI_Get(&got[1], 1, MPI_INT, right, N, 1, MPI_INT, win));
        CHECK_MPI(MPI_Win_fence(MPI_MODE_NOSUCCEED, win));
        CHECK(got[0] == left * 100 + 1 + step && got[1] == right * 100 + N + step);
        sum += cells[0] + cells[N + 1] + got[0] + got[1];
        for (int i = 1; i <= N; i++) cells[i]++;
    }
    int flavor = 0, *fp, flag = 0;
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_CREATE_FLAVOR, &fp, &flag));
    CHECK(flag && *fp == MPI_WIN_FLAVOR_CREATE);
    CHECK_MPI(MPI_Win_free(&win));
    CHECK(win == MPI_WIN_NULL);

    double *mem = NULL;
    CHECK_MPI(MPI_Win_allocate(4 * sizeof(double), sizeof(double), MPI_INFO_NULL, MPI_COMM_WORLD, &mem, &win));
    void *base; MPI_Aint *sz; int *du;
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_BASE, &base, &flag)); CHECK(flag && base == mem);
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_SIZE, &sz, &flag)); CHECK(flag && *sz == 4 * sizeof(double));
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_DISP_UNIT, &du, &flag)); CHECK(flag && *du == sizeof(double));
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_CREATE_FLAVOR, &fp, &flag)); CHECK(flag && *fp == MPI_WIN_FLAVOR_ALLOCATE);
    flavor = *fp;
    for (int i = 0; i < 4; i++) mem[i] = 0;
    CHECK_MPI(MPI_Win_fence(0, win));
    double v = r + 0.5;
    CHECK_MPI(MPI_Put(&v, 1, MPI_DOUBLE, right, r % 4, 1, MPI_DOUBLE, win));
    CHECK_MPI(MPI_Win_fence(0, win));
    CHECK(mem[left % 4] == left + 0.5);
    CHECK_MPI(MPI_Win_free(&win));
    /* A large Win_allocate window (its memory unmapped at free) whose group outlives it: the
     * replay at the first barrier (replay-* modes, as after a restart) makes it again over no memory. */
    char *big;
    MPI_Group g;
    CHECK_MPI(MPI_Win_allocate(1 << 22, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &big, &win));
    big[(1 << 22) - 1] = 1;
    CHECK_MPI(MPI_Win_get_group(win, &g));
    CHECK_MPI(MPI_Win_free(&win));
    MPI_Barrier(MPI_COMM_WORLD);
    int gs = 0;
    CHECK_MPI(MPI_Group_size(g, &gs));
    CHECK(gs == n);
    MPI_Group_free(&g);
    mt_printf("sum=%ld flavor_ok=%d", sum, flavor == MPI_WIN_FLAVOR_ALLOCATE);
    return mt_finish("rma_fence");
}
