/* test: Accumulate with MPI_SUM and MPI_REPLACE, Get_accumulate with MPI_SUM and MPI_NO_OP, in fence epochs */
/* ranks: 2 3 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size;
    long acc[4] = {0, 0, 0, 0};
    MPI_Win win;
    CHECK_MPI(MPI_Win_create(acc, sizeof acc, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    CHECK_MPI(MPI_Win_fence(0, win));
    long one[2] = {r + 1, 10 * (r + 1)};
    for (int t = 0; t < n; t++) CHECK_MPI(MPI_Accumulate(one, 2, MPI_LONG, t, 0, 2, MPI_LONG, MPI_SUM, win));
    CHECK_MPI(MPI_Win_fence(0, win));
    long tri = (long)n * (n + 1) / 2;
    CHECK(acc[0] == tri && acc[1] == 10 * tri);
    if (r == 0) { long seven = 7; CHECK_MPI(MPI_Accumulate(&seven, 1, MPI_LONG, n - 1, 2, 1, MPI_LONG, MPI_REPLACE, win)); }
    CHECK_MPI(MPI_Win_fence(0, win));
    if (r == n - 1) CHECK(acc[2] == 7);
    long old = -1, add = 1;
    CHECK_MPI(MPI_Get_accumulate(&add, 1, MPI_LONG, &old, 1, MPI_LONG, 0, 3, 1, MPI_LONG, MPI_SUM, win));
    CHECK_MPI(MPI_Win_fence(0, win));
    CHECK(old >= 0 && old < n);
    long seen = -1;
    CHECK_MPI(MPI_Get_accumulate(NULL, 0, MPI_LONG, &seen, 1, MPI_LONG, 0, 3, 1, MPI_LONG, MPI_NO_OP, win));
    CHECK_MPI(MPI_Win_fence(0, win));
    CHECK(seen == n);
    long oldsum = 0;
    MPI_Reduce(&old, &oldsum, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    CHECK_MPI(MPI_Win_free(&win));
    mt_printf("acc0=%ld acc1=%ld seen=%ld", acc[0], acc[1], seen);
    if (r == 0) printf("oldsum %ld\n", oldsum);
    return mt_finish("rma_accumulate");
}
