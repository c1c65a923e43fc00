/* test: a global counter with Fetch_and_op under exclusive locks, and a Compare_and_swap election under lock */
/* ranks: 2 4 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size;
    long ctr[2] = {0, -1};
    MPI_Win win;
    CHECK_MPI(MPI_Win_create(ctr, sizeof ctr, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    MPI_Barrier(MPI_COMM_WORLD);
    long one = 1, prev = 0, maxprev = -1;
    for (int i = 0; i < 20; i++) {
        CHECK_MPI(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win));
        CHECK_MPI(MPI_Fetch_and_op(&one, &prev, MPI_LONG, 0, 0, MPI_SUM, win));
        CHECK_MPI(MPI_Win_unlock(0, win));
        CHECK(prev > maxprev);
        maxprev = prev;
    }
    /* Rank 0 holds the slot and does not compete: Open MPI 4.1's emulated compare-and-swap on
     * vader crashes natively when the target is the caller itself. */
    long me = r, cmp = -1, got = 0;
    if (r != 0) {
        CHECK_MPI(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win));
        CHECK_MPI(MPI_Compare_and_swap(&me, &cmp, &got, MPI_LONG, 0, 1, win));
        CHECK_MPI(MPI_Win_unlock(0, win));
    }
    int won = r != 0 && got == -1;
    MPI_Barrier(MPI_COMM_WORLD);
    long total = 0, winner = -2;
    CHECK_MPI(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win));
    CHECK_MPI(MPI_Get(&total, 1, MPI_LONG, 0, 0, 1, MPI_LONG, win));
    CHECK_MPI(MPI_Get(&winner, 1, MPI_LONG, 0, 1, 1, MPI_LONG, win));
    CHECK_MPI(MPI_Win_unlock(0, win));
    CHECK(total == 20L * n && (n == 1 ? winner == -1 : winner >= 1 && winner < n));
    int winners = 0;
    MPI_Allreduce(&won, &winners, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(winners == (n > 1));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_free(&win));
    mt_printf("total=%ld winners=%d", total, winners);
    return mt_finish("rma_atomics");
}
