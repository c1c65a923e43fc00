/* test: Alltoall/Alltoallv/Alltoallw transpose data blocks exactly (incl. mixed datatypes in w) */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    int *sb = malloc(sizeof(int) * 2 * n), *rb = malloc(sizeof(int) * 2 * n);
    for (int i = 0; i < n; i++) { sb[2 * i] = r * 100 + i; sb[2 * i + 1] = -(r * 100 + i); }
    CHECK_MPI(MPI_Alltoall(sb, 2, MPI_INT, rb, 2, MPI_INT, MPI_COMM_WORLD));
    for (int i = 0; i < n; i++) CHECK(rb[2 * i] == i * 100 + r && rb[2 * i + 1] == -(i * 100 + r));
    /* Alltoallv: rank r sends j+1 ints to rank j, values encode (src,dst,k) */
    int *sc = malloc(sizeof(int) * n), *sd = malloc(sizeof(int) * n);
    int *rc = malloc(sizeof(int) * n), *rd = malloc(sizeof(int) * n);
    int st = 0, rt = 0;
    for (int j = 0; j < n; j++) { sc[j] = j + 1; sd[j] = st; st += sc[j]; rc[j] = r + 1; rd[j] = rt; rt += rc[j]; }
    int *svb = malloc(sizeof(int) * st), *rvb = malloc(sizeof(int) * rt);
    for (int j = 0; j < n; j++) for (int k = 0; k < sc[j]; k++) svb[sd[j] + k] = r * 10000 + j * 100 + k;
    CHECK_MPI(MPI_Alltoallv(svb, sc, sd, MPI_INT, rvb, rc, rd, MPI_INT, MPI_COMM_WORLD));
    long vs = 0;
    for (int j = 0; j < n; j++) for (int k = 0; k < rc[j]; k++) {
        CHECK(rvb[rd[j] + k] == j * 10000 + r * 100 + k);
        vs += rvb[rd[j] + k];
    }
    /* Alltoallw: to even ranks send 1 double, to odd ranks send 2 shorts; byte displacements */
    double sdbl[64], rdbl[64]; short ssh[128], rsh[128];
    int *wsc = malloc(sizeof(int) * n), *wrc = malloc(sizeof(int) * n);
    int *wsd = malloc(sizeof(int) * n), *wrd = malloc(sizeof(int) * n);
    MPI_Datatype *wst = malloc(sizeof(MPI_Datatype) * n), *wrt = malloc(sizeof(MPI_Datatype) * n);
    char *sbytes = malloc(64 * 8), *rbytes = malloc(64 * 8);
    for (int j = 0; j < n; j++) {
        if (r % 2 == 0) { wrc[j] = 1; wrt[j] = MPI_DOUBLE; } else { wrc[j] = 2; wrt[j] = MPI_SHORT; }
        if (j % 2 == 0) { wsc[j] = 1; wst[j] = MPI_DOUBLE; } else { wsc[j] = 2; wst[j] = MPI_SHORT; }
        wsd[j] = j * 8; wrd[j] = j * 8;
        sdbl[j] = r + j / 8.0; ssh[2 * j] = (short)(r * 10 + j); ssh[2 * j + 1] = (short)-(r * 10 + j);
        if (j % 2 == 0) memcpy(sbytes + j * 8, &sdbl[j], 8); else memcpy(sbytes + j * 8, &ssh[2 * j], 4);
    }
    CHECK_MPI(MPI_Alltoallw(sbytes, wsc, wsd, wst, rbytes, wrc, wrd, wrt, MPI_COMM_WORLD));
    double ws = 0;
    for (int j = 0; j < n; j++) {
        if (r % 2 == 0) { memcpy(&rdbl[j], rbytes + j * 8, 8); CHECK(rdbl[j] == j + r / 8.0); ws += rdbl[j]; }
        else { memcpy(&rsh[2 * j], rbytes + j * 8, 4); CHECK(rsh[2 * j] == j * 10 + r && rsh[2 * j + 1] == -(j * 10 + r)); ws += rsh[2 * j]; }
    }
    mt_printf("alltoallv-sum %ld alltoallw-sum %.3f\n", vs, ws);
    free(sb); free(rb); free(sc); free(sd); free(rc); free(rd); free(svb); free(rvb);
    free(wsc); free(wrc); free(wsd); free(wrd); free(wst); free(wrt); free(sbytes); free(rbytes);
    return mt_finish("coll_alltoall");
}
