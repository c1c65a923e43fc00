/* test: every non-blocking collective (Ibarrier..Iexscan) matches its blocking result, with overlapping requests */
/* ranks: 1 2 4 */
#include "mt.h"
#define NR 18

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    MPI_Request q[NR];
    int k = 0;
    int bc = (r == 0) ? 4242 : 0, one = r + 1, *g = calloc(n, sizeof(int)), *gv = calloc(n, sizeof(int));
    int *sg = malloc(sizeof(int) * n), sct = -1, sctv = -1, *ag = calloc(n, sizeof(int)), *agv = calloc(n, sizeof(int));
    int *a2s = malloc(sizeof(int) * n), *a2r = calloc(n, sizeof(int)), *a2vr = calloc(n, sizeof(int)), *a2wr = calloc(n, sizeof(int));
    int *c1 = malloc(sizeof(int) * n), *d1 = malloc(sizeof(int) * n), *wd = malloc(sizeof(int) * n);
    MPI_Datatype *wt = malloc(sizeof(MPI_Datatype) * n);
    int red = 0, ared = 0, rsb = 0, rs = 0, sc = 0, ex = 0, *rsin = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        sg[i] = 50 + i; a2s[i] = r * 100 + i; c1[i] = 1; d1[i] = i; wd[i] = i * (int)sizeof(int);
        wt[i] = MPI_INT; rsin[i] = i + r;
    }
    MPI_Ibarrier(MPI_COMM_WORLD, &q[k++]);
    MPI_Ibcast(&bc, 1, MPI_INT, 0, MPI_COMM_WORLD, &q[k++]);
    MPI_Igather(&one, 1, MPI_INT, g, 1, MPI_INT, 0, MPI_COMM_WORLD, &q[k++]);
    MPI_Igatherv(&one, 1, MPI_INT, gv, c1, d1, MPI_INT, n - 1, MPI_COMM_WORLD, &q[k++]);
    MPI_Iscatter(sg, 1, MPI_INT, &sct, 1, MPI_INT, 0, MPI_COMM_WORLD, &q[k++]);
    MPI_Iscatterv(sg, c1, d1, MPI_INT, &sctv, 1, MPI_INT, n - 1, MPI_COMM_WORLD, &q[k++]);
    MPI_Iallgather(&one, 1, MPI_INT, ag, 1, MPI_INT, MPI_COMM_WORLD, &q[k++]);
    MPI_Iallgatherv(&one, 1, MPI_INT, agv, c1, d1, MPI_INT, MPI_COMM_WORLD, &q[k++]);
    MPI_Ialltoall(a2s, 1, MPI_INT, a2r, 1, MPI_INT, MPI_COMM_WORLD, &q[k++]);
    MPI_Ialltoallv(a2s, c1, d1, MPI_INT, a2vr, c1, d1, MPI_INT, MPI_COMM_WORLD, &q[k++]);
    MPI_Ialltoallw(a2s, c1, wd, wt, a2wr, c1, wd, wt, MPI_COMM_WORLD, &q[k++]);
    MPI_Ireduce(&one, &red, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD, &q[k++]);
    MPI_Iallreduce(&one, &ared, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &q[k++]);
    MPI_Ireduce_scatter_block(rsin, &rsb, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[k++]);
    MPI_Ireduce_scatter(rsin, &rs, c1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &q[k++]);
    MPI_Iscan(&one, &sc, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[k++]);
    MPI_Iexscan(&one, &ex, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[k++]);
    CHECK(k == NR - 1);
    /* overlap: a point-to-point ring exchange while collectives are in flight */
    int tok = r, got = -1;
    MPI_Irecv(&got, 1, MPI_INT, (r + n - 1) % n, 77, MPI_COMM_WORLD, &q[k++]);
    MPI_Send(&tok, 1, MPI_INT, (r + 1) % n, 77, MPI_COMM_WORLD);
    CHECK_MPI(MPI_Waitall(k, q, MPI_STATUSES_IGNORE));
    CHECK(got == (r + n - 1) % n && bc == 4242 && sct == 50 + r && sctv == 50 + r);
    for (int i = 0; i < n; i++) {
        if (r == 0) CHECK(g[i] == i + 1);
        if (r == n - 1) CHECK(gv[i] == i + 1);
        CHECK(ag[i] == i + 1 && agv[i] == i + 1);
        CHECK(a2r[i] == i * 100 + r && a2vr[i] == i * 100 + r && a2wr[i] == i * 100 + r);
    }
    int tri = n * (n + 1) / 2;
    if (r == 0) CHECK(red == tri);
    CHECK(ared == n && rsb == n * r + n * (n - 1) / 2 && rs == r && sc == (r + 1) * (r + 2) / 2);
    if (r > 0) CHECK(ex == r * (r + 1) / 2);
    mt_printf("bc %d sct %d allred %d rsb %d rs %d scan %d\n", bc, sct, ared, rsb, rs, sc);
    if (r == 0) printf("reduce %d\n", red);
    /* Test-polling completion of an Ibarrier */
    MPI_Request b; int flag = 0;
    MPI_Ibarrier(MPI_COMM_WORLD, &b);
    while (!flag) MPI_Test(&b, &flag, MPI_STATUS_IGNORE);
    free(g); free(gv); free(sg); free(ag); free(agv); free(a2s); free(a2r); free(a2vr); free(a2wr);
    free(c1); free(d1); free(wd); free(wt); free(rsin);
    return mt_finish("coll_nonblocking");
}
