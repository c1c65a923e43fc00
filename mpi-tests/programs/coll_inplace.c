/* test: MPI_IN_PLACE variants of Reduce/Allreduce/Gather(v)/Scatter(v)/Allgather(v)/Alltoall/Reduce_scatter(_block)/Scan/Exscan */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, root = n - 1;
    int *a = malloc(sizeof(int) * 4 * n), *cnt = malloc(sizeof(int) * n), *dsp = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) { cnt[i] = 2; dsp[i] = 2 * i; }
    int x[2] = {r + 1, 2 * (r + 1)}, tri = n * (n + 1) / 2;
    /* Allreduce in place */
    CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, x, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    CHECK(x[0] == tri && x[1] == 2 * tri);
    /* Reduce in place at root */
    int y = r + 1, yy = r + 1;
    if (r == root) MPI_Reduce(MPI_IN_PLACE, &y, 1, MPI_INT, MPI_SUM, root, MPI_COMM_WORLD);
    else MPI_Reduce(&y, NULL, 1, MPI_INT, MPI_SUM, root, MPI_COMM_WORLD);
    if (r == root) CHECK(y == tri); else CHECK(y == yy);
    /* Gather in place: root's own block already in recvbuf */
    for (int i = 0; i < 2 * n; i++) a[i] = (r == root && i / 2 == root) ? 7 * i : -1;
    int g[2] = {7 * 2 * r, 7 * (2 * r + 1)};
    if (r == root) MPI_Gather(MPI_IN_PLACE, 2, MPI_INT, a, 2, MPI_INT, root, MPI_COMM_WORLD);
    else MPI_Gather(g, 2, MPI_INT, NULL, 2, MPI_INT, root, MPI_COMM_WORLD);
    if (r == root) for (int i = 0; i < 2 * n; i++) CHECK(a[i] == 7 * i);
    if (r == root) MPI_Gatherv(MPI_IN_PLACE, 2, MPI_INT, a, cnt, dsp, MPI_INT, root, MPI_COMM_WORLD);
    else MPI_Gatherv(g, 2, MPI_INT, NULL, cnt, dsp, MPI_INT, root, MPI_COMM_WORLD);
    if (r == root) for (int i = 0; i < 2 * n; i++) CHECK(a[i] == 7 * i);
    /* Scatter in place: root keeps its block in sendbuf */
    int sc[2] = {-1, -1};
    if (r == root) { for (int i = 0; i < 2 * n; i++) a[i] = 3 * i; MPI_Scatter(a, 2, MPI_INT, MPI_IN_PLACE, 2, MPI_INT, root, MPI_COMM_WORLD); sc[0] = a[2 * r]; sc[1] = a[2 * r + 1]; }
    else MPI_Scatter(NULL, 2, MPI_INT, sc, 2, MPI_INT, root, MPI_COMM_WORLD);
    CHECK(sc[0] == 6 * r && sc[1] == 6 * r + 3);
    if (r == root) MPI_Scatterv(a, cnt, dsp, MPI_INT, MPI_IN_PLACE, 2, MPI_INT, root, MPI_COMM_WORLD);
    else { sc[0] = sc[1] = -1; MPI_Scatterv(NULL, cnt, dsp, MPI_INT, sc, 2, MPI_INT, root, MPI_COMM_WORLD); }
    CHECK(sc[0] == 6 * r && sc[1] == 6 * r + 3);
    /* Allgather(v) in place */
    for (int i = 0; i < 2 * n; i++) a[i] = (i / 2 == r) ? 11 * i : -1;
    MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, a, 2, MPI_INT, MPI_COMM_WORLD);
    for (int i = 0; i < 2 * n; i++) CHECK(a[i] == 11 * i);
    for (int i = 0; i < 2 * n; i++) a[i] = (i / 2 == r) ? 13 * i : -1;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, a, cnt, dsp, MPI_INT, MPI_COMM_WORLD);
    for (int i = 0; i < 2 * n; i++) CHECK(a[i] == 13 * i);
    /* Alltoall in place */
    for (int j = 0; j < n; j++) a[j] = r * 100 + j;
    MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, a, 1, MPI_INT, MPI_COMM_WORLD);
    for (int j = 0; j < n; j++) CHECK(a[j] == j * 100 + r);
    /* Reduce_scatter_block / Reduce_scatter in place */
    for (int i = 0; i < 2 * n; i++) a[i] = i + r;
    MPI_Reduce_scatter_block(MPI_IN_PLACE, a, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(a[0] == 2 * r * n + n * (n - 1) / 2 && a[1] == (2 * r + 1) * n + n * (n - 1) / 2);
    for (int i = 0; i < 2 * n; i++) a[i] = i * (r + 1);
    MPI_Reduce_scatter(MPI_IN_PLACE, a, cnt, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(a[0] == 2 * r * tri && a[1] == (2 * r + 1) * tri);
    /* Scan / Exscan in place */
    int s = r + 1, e = r + 1;
    MPI_Scan(MPI_IN_PLACE, &s, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Exscan(MPI_IN_PLACE, &e, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(s == (r + 1) * (r + 2) / 2);
    if (r > 0) CHECK(e == r * (r + 1) / 2);
    mt_printf("allreduce %d %d scan %d rs %d %d\n", x[0], x[1], s, a[0], a[1]);
    free(a); free(cnt); free(dsp);
    return mt_finish("coll_inplace");
}
