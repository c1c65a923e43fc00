/* test: lock_all epoch with Rput/Rget, flush, flush_local, flush_all, flush_local_all and Win_sync */
/* ranks: 2 4 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size, right = (r + 1) % n, left = (r + n - 1) % n;
    int *mem;
    MPI_Win win;
    /* Win_create over Alloc_mem memory: MPICH 4.0.2 (ch4:ucx) loses passive-target Puts to Win_allocate memory natively */
    CHECK_MPI(MPI_Alloc_mem(n * sizeof(int), MPI_INFO_NULL, &mem));
    CHECK_MPI(MPI_Win_create(mem, n * sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    CHECK_MPI(MPI_Win_lock_all(0, win));
    for (int i = 0; i < n; i++) mem[i] = -1;
    CHECK_MPI(MPI_Win_sync(win));
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Request rq[2];
    int v = 1000 + r;
    CHECK_MPI(MPI_Rput(&v, 1, MPI_INT, right, r, 1, MPI_INT, win, &rq[0]));
    CHECK_MPI(MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Win_flush(right, win));
    CHECK_MPI(MPI_Win_flush_local(right, win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_sync(win));
    CHECK(mem[left] == 1000 + left);
    int got = -5;
    CHECK_MPI(MPI_Rget(&got, 1, MPI_INT, left, (left + n - 1) % n, 1, MPI_INT, win, &rq[1]));
    CHECK_MPI(MPI_Wait(&rq[1], MPI_STATUS_IGNORE));
    CHECK(got == 1000 + (left + n - 1) % n);
    int add = 1;
    MPI_Request ra;
    CHECK_MPI(MPI_Raccumulate(&add, 1, MPI_INT, 0, 0, 1, MPI_INT, MPI_SUM, win, &ra));
    CHECK_MPI(MPI_Wait(&ra, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Win_flush_all(win));
    CHECK_MPI(MPI_Win_flush_local_all(win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_sync(win));
    int base0 = -9, fetched = 0, zero = 0;
    MPI_Request rg;
    CHECK_MPI(MPI_Rget_accumulate(&zero, 1, MPI_INT, &fetched, 1, MPI_INT, 0, 0, 1, MPI_INT, MPI_NO_OP, win, &rg));
    CHECK_MPI(MPI_Wait(&rg, MPI_STATUS_IGNORE));
    base0 = fetched;
    CHECK(base0 == (n == 1 ? 1000 : -1) + n);
    CHECK_MPI(MPI_Win_unlock_all(win));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_free(&win));
    MPI_Free_mem(mem);
    mt_printf("got=%d base0=%d", got, base0);
    return mt_finish("rma_passive");
}
