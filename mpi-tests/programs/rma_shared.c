/* test: Win_allocate_shared (segments contiguous in rank order, MPI_WIN_CREATE_FLAVOR), Win_shared_query of every rank and of MPI_PROC_NULL, loads and stores through the queried pointers (own and neighbour segments) with Win_sync and barriers in a lock_all epoch, MPI_Put/MPI_Get/MPI_Accumulate on the shared window, a fence epoch */
/* ranks: 2 4 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

#define PER 4 /* ints per rank, times (rank + 1) */

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size, right = (r + 1) % n, left = (r + n - 1) % n;
    int *mine = NULL;
    MPI_Win win;
    MPI_Aint mysize = (MPI_Aint)((r + 1) * PER * sizeof(int));
    CHECK_MPI(MPI_Win_allocate_shared(mysize, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &mine, &win));
    int *flavor = NULL, flag = 0;
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_CREATE_FLAVOR, &flavor, &flag));
    CHECK(flag && *flavor == MPI_WIN_FLAVOR_SHARED);
    int *seg[16];
    char *expect = NULL;
    for (int q = 0; q < n; q++) {
        MPI_Aint sz = -1;
        int du = -1;
        CHECK_MPI(MPI_Win_shared_query(win, q, &sz, &du, &seg[q]));
        CHECK(sz == (MPI_Aint)((q + 1) * PER * sizeof(int)) && du == (int)sizeof(int));
        if (q > 0) CHECK((char *)seg[q] == expect); /* contiguous: alloc_shared_noncontig not given */
        expect = (char *)seg[q] + sz;
    }
    CHECK(seg[r] == mine);
    MPI_Aint sz0 = -1;
    int du0 = -1, *any = NULL;
    CHECK_MPI(MPI_Win_shared_query(win, MPI_PROC_NULL, &sz0, &du0, &any));
    CHECK(any == seg[0] && sz0 == (MPI_Aint)(PER * sizeof(int)));

    CHECK_MPI(MPI_Win_lock_all(0, win));
    for (int i = 0; i < (r + 1) * PER; i++) mine[i] = 100 * r + i;
    CHECK_MPI(MPI_Win_sync(win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_sync(win));
    long sum = 0;
    for (int i = 0; i < (left + 1) * PER; i++) {
        CHECK(seg[left][i] == 100 * left + i);
        sum += seg[left][i];
    }
    MPI_Barrier(MPI_COMM_WORLD);
    seg[right][1] = 7000 + r; /* a store into the neighbour's segment */
    CHECK_MPI(MPI_Win_sync(win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_sync(win));
    CHECK(mine[1] == 7000 + left);
    int v = 9000 + r, got = -1, one = 1;
    CHECK_MPI(MPI_Put(&v, 1, MPI_INT, right, 2, 1, MPI_INT, win));
    CHECK_MPI(MPI_Win_flush(right, win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_sync(win));
    CHECK(mine[2] == 9000 + left);
    CHECK_MPI(MPI_Get(&got, 1, MPI_INT, left, 3, 1, MPI_INT, win));
    CHECK_MPI(MPI_Win_flush(left, win));
    CHECK(got == 100 * left + 3);
    MPI_Barrier(MPI_COMM_WORLD); /* every Get done before the Accumulates change disp 3 */
    CHECK_MPI(MPI_Accumulate(&one, 1, MPI_INT, right, 3, 1, MPI_INT, MPI_SUM, win));
    CHECK_MPI(MPI_Win_flush_all(win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_sync(win));
    CHECK(mine[3] == 100 * r + 3 + 1);
    CHECK_MPI(MPI_Win_unlock_all(win));

    /* A fence epoch on the same memory: Put into the left neighbour, read by loads after the fence. */
    CHECK_MPI(MPI_Win_fence(0, win));
    int w = 500 + r;
    CHECK_MPI(MPI_Put(&w, 1, MPI_INT, left, 0, 1, MPI_INT, win));
    CHECK_MPI(MPI_Win_fence(0, win));
    CHECK(mine[0] == 500 + right);
    CHECK(seg[right][0] == 500 + (right + 1) % n);
    CHECK_MPI(MPI_Win_fence(MPI_MODE_NOSUCCEED, win));
    long total = 0;
    for (int q = 0; q < n; q++)
        for (int i = 0; i < (q + 1) * PER; i++) total += seg[q][i];
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_free(&win));
    mt_printf("left_sum=%ld total=%ld got=%d", sum, total, got);
    return mt_finish("rma_shared");
}
