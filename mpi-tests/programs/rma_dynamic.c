/* test: Win_create_dynamic, attach, displacement exchange with MPI_Get_address, Put/Get into attached memory, detach */
/* ranks: 2 4 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size, right = (r + 1) % n, left = (r + n - 1) % n;
    MPI_Win win;
    CHECK_MPI(MPI_Win_create_dynamic(MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    int *flavor, flag = 0;
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_CREATE_FLAVOR, &flavor, &flag));
    CHECK(flag && *flavor == MPI_WIN_FLAVOR_DYNAMIC);
    int *buf = calloc(4, sizeof(int));
    CHECK_MPI(MPI_Win_attach(win, buf, 4 * sizeof(int)));
    MPI_Aint mine, *all = malloc(n * sizeof(MPI_Aint));
    MPI_Get_address(buf, &mine);
    MPI_Allgather(&mine, 1, MPI_AINT, all, 1, MPI_AINT, MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_fence(0, win));
    int v[2] = {r, r * r};
    CHECK_MPI(MPI_Put(v, 2, MPI_INT, right, all[right] + sizeof(int), 2, MPI_INT, win));
    CHECK_MPI(MPI_Win_fence(0, win));
    CHECK(buf[1] == left && buf[2] == left * left);
    int g = -1;
    CHECK_MPI(MPI_Win_lock(MPI_LOCK_SHARED, left, 0, win));
    CHECK_MPI(MPI_Get(&g, 1, MPI_INT, left, all[left] + 2 * sizeof(int), 1, MPI_INT, win));
    CHECK_MPI(MPI_Win_unlock(left, win));
    int ll = (left + n - 1) % n;
    CHECK(g == ll * ll);
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_detach(win, buf));
    CHECK_MPI(MPI_Win_free(&win));
    mt_printf("buf=%d,%d g=%d", buf[1], buf[2], g);
    free(buf); free(all);
    return mt_finish("rma_dynamic");
}
