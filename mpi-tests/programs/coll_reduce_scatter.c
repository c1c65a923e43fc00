/* test: Reduce_scatter and Reduce_scatter_block deliver the reduced block owned by each rank */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* block version: 3 per rank */
    int *in = malloc(sizeof(int) * 3 * n), out[3];
    for (int i = 0; i < 3 * n; i++) in[i] = i * (r + 1);
    CHECK_MPI(MPI_Reduce_scatter_block(in, out, 3, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    int tri = n * (n + 1) / 2;
    for (int k = 0; k < 3; k++) CHECK(out[k] == (3 * r + k) * tri);
    /* irregular counts: rank i gets i+1 elements */
    int *cnt = malloc(sizeof(int) * n), tot = 0;
    for (int i = 0; i < n; i++) { cnt[i] = i + 1; tot += i + 1; }
    long *lin = malloc(sizeof(long) * tot), lout[8];
    for (int i = 0; i < tot; i++) lin[i] = (long)(i + 1) * (r + 2);
    CHECK_MPI(MPI_Reduce_scatter(lin, lout, cnt, MPI_LONG, MPI_MAX, MPI_COMM_WORLD));
    int off = r * (r + 1) / 2;
    long s = 0;
    for (int k = 0; k < r + 1; k++) { CHECK(lout[k] == (long)(off + k + 1) * (n + 1)); s += lout[k]; }
    mt_printf("block %d %d %d rs-sum %ld\n", out[0], out[1], out[2], s);
    free(in); free(cnt); free(lin);
    return mt_finish("coll_reduce_scatter");
}
