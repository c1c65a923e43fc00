/* test: Barrier/Bcast/Reduce/Allreduce/Scan/Exscan/Reduce_local give exact integer and double results */
/* ranks: 1 2 4 */
#include "mt.h"
#define N 100

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    /* Bcast from every root */
    for (int root = 0; root < n; root++) {
        int a[N];
        for (int i = 0; i < N; i++) a[i] = (r == root) ? root * 7 + i : -1;
        CHECK_MPI(MPI_Bcast(a, N, MPI_INT, root, MPI_COMM_WORLD));
        for (int i = 0; i < N; i++) CHECK(a[i] == root * 7 + i);
    }
    double d = 3.25;
    MPI_Bcast(&d, 1, MPI_DOUBLE, n - 1, MPI_COMM_WORLD);
    CHECK(d == 3.25);
    /* Reduce with several ops, each root */
    long v[4] = {r + 1, r + 1, r + 1, 1L << r}, out[4];
    MPI_Op ops[4] = {MPI_SUM, MPI_MAX, MPI_MIN, MPI_BOR};
    for (int root = 0; root < n; root++) {
        for (int k = 0; k < 4; k++) {
            out[k] = -9;
            CHECK_MPI(MPI_Reduce(&v[k], &out[k], 1, MPI_LONG, ops[k], root, MPI_COMM_WORLD));
        }
        if (r == root) CHECK(out[0] == (long)n * (n + 1) / 2 && out[1] == n && out[2] == 1 && out[3] == (1L << n) - 1);
    }
    /* Allreduce: product of doubles, land/lor, int sum */
    double p = r + 1.0, prod = 0;
    MPI_Allreduce(&p, &prod, 1, MPI_DOUBLE, MPI_PROD, MPI_COMM_WORLD);
    double f = 1; for (int i = 1; i <= n; i++) f *= i;
    CHECK(prod == f);
    int t = (r >= 0), land = 0, lor = 0, isz = r == 0;
    MPI_Allreduce(&t, &land, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    MPI_Allreduce(&isz, &lor, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    CHECK(land == 1 && lor == 1);
    int big[N], bsum[N];
    for (int i = 0; i < N; i++) big[i] = i * (r + 1);
    MPI_Allreduce(big, bsum, N, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) CHECK(bsum[i] == i * n * (n + 1) / 2);
    /* Scan / Exscan */
    int x = r + 1, sc = 0, ex = -12345;
    MPI_Scan(&x, &sc, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(sc == (r + 1) * (r + 2) / 2);
    MPI_Exscan(&x, &ex, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (r > 0) CHECK(ex == r * (r + 1) / 2);   /* undefined on rank 0 */
    /* Reduce_local: inout = in op inout */
    int in[3] = {1, 5, 9}, io[3] = {4, 4, 4};
    CHECK_MPI(MPI_Reduce_local(in, io, 3, MPI_INT, MPI_MAX));
    CHECK(io[0] == 4 && io[1] == 5 && io[2] == 9);
    CHECK_MPI(MPI_Reduce_local(in, io, 3, MPI_INT, MPI_SUM));
    CHECK(io[0] == 5 && io[1] == 10 && io[2] == 18);
    mt_printf("scan %d exscan %d prod %.0f\n", sc, r > 0 ? ex : 0, prod);
    if (r == 0) printf("reduce sum %ld max %ld min %ld bor %ld\n", out[0], out[1], out[2], out[3]);
    return mt_finish("coll_basic");
}
