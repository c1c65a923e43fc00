/* test: Gather/Gatherv/Scatter/Scatterv/Allgather/Allgatherv place blocks at the right displacements */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    int mine[3] = {r * 10, r * 10 + 1, r * 10 + 2};
    int *all = malloc(sizeof(int) * 3 * n);
    for (int root = 0; root < n; root++) {
        memset(all, 0xff, sizeof(int) * 3 * n);
        CHECK_MPI(MPI_Gather(mine, 3, MPI_INT, all, 3, MPI_INT, root, MPI_COMM_WORLD));
        if (r == root) for (int i = 0; i < 3 * n; i++) CHECK(all[i] == (i / 3) * 10 + i % 3);
    }
    /* Scatter back */
    int back[3] = {-1, -1, -1};
    for (int i = 0; i < 3 * n; i++) all[i] = (i / 3) * 10 + i % 3;
    MPI_Scatter(all, 3, MPI_INT, back, 3, MPI_INT, n - 1, MPI_COMM_WORLD);
    CHECK(back[0] == r * 10 && back[2] == r * 10 + 2);
    /* variable sized: rank i contributes i+1 values, stored with a gap of 2 */
    int *cnt = malloc(sizeof(int) * n), *dsp = malloc(sizeof(int) * n), tot = 0;
    for (int i = 0; i < n; i++) { cnt[i] = i + 1; dsp[i] = tot; tot += i + 1 + 2; }
    int *v = malloc(sizeof(int) * tot), sv[8];
    for (int j = 0; j < r + 1; j++) sv[j] = 100 * r + j;
    for (int root = 0; root < n; root++) {
        for (int i = 0; i < tot; i++) v[i] = -7;
        MPI_Gatherv(sv, r + 1, MPI_INT, v, cnt, dsp, MPI_INT, root, MPI_COMM_WORLD);
        if (r == root)
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < cnt[i]; j++) CHECK(v[dsp[i] + j] == 100 * i + j);
                CHECK(v[dsp[i] + cnt[i]] == -7);
            }
    }
    int rv[8] = {0};
    for (int i = 0; i < n; i++) for (int j = 0; j < cnt[i]; j++) v[dsp[i] + j] = 5000 + 100 * i + j;
    MPI_Scatterv(v, cnt, dsp, MPI_INT, rv, r + 1, MPI_INT, 0, MPI_COMM_WORLD);
    long ssum = 0;
    for (int j = 0; j < r + 1; j++) { CHECK(rv[j] == 5000 + 100 * r + j); ssum += rv[j]; }
    /* Allgather / Allgatherv */
    double dv = r * 1.5, *dall = malloc(sizeof(double) * n);
    MPI_Allgather(&dv, 1, MPI_DOUBLE, dall, 1, MPI_DOUBLE, MPI_COMM_WORLD);
    for (int i = 0; i < n; i++) CHECK(dall[i] == i * 1.5);
    for (int i = 0; i < tot; i++) v[i] = -7;
    MPI_Allgatherv(sv, r + 1, MPI_INT, v, cnt, dsp, MPI_INT, MPI_COMM_WORLD);
    long agsum = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < cnt[i]; j++) { CHECK(v[dsp[i] + j] == 100 * i + j); agsum += v[dsp[i] + j]; }
        CHECK(v[dsp[i] + cnt[i]] == -7);
    }
    mt_printf("scatterv-sum %ld allgatherv-sum %ld\n", ssum, agsum);
    free(all); free(cnt); free(dsp); free(v); free(dall);
    return mt_finish("coll_gather");
}
