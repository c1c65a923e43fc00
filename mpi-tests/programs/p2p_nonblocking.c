/* test: Isend/Issend/Ibsend/Irsend with Irecv complete via Waitall with correct data and statuses */
/* ranks: 1 2 4 */
#include "mt.h"
#define N 257

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size;
    double sb[4][N], rb[4][N];
    for (int m = 0; m < 4; m++)
        for (int i = 0; i < N; i++) sb[m][i] = mt_rank * 1000.0 + m * 0.5 + i;
    int bsz = 0;
    MPI_Pack_size(N, MPI_DOUBLE, MPI_COMM_WORLD, &bsz);
    bsz += MPI_BSEND_OVERHEAD;
    void *bb = malloc(bsz);
    MPI_Buffer_attach(bb, bsz);

    MPI_Request r[8];
    MPI_Status st[8];
    /* post all receives (tags 10..13) before anyone may Irsend */
    for (int m = 0; m < 4; m++)
        MPI_Irecv(rb[m], N, MPI_DOUBLE, left, 10 + m, MPI_COMM_WORLD, &r[4 + m]);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Isend(sb[0], N, MPI_DOUBLE, right, 10, MPI_COMM_WORLD, &r[0]);
    MPI_Issend(sb[1], N, MPI_DOUBLE, right, 11, MPI_COMM_WORLD, &r[1]);
    MPI_Ibsend(sb[2], N, MPI_DOUBLE, right, 12, MPI_COMM_WORLD, &r[2]);
    MPI_Irsend(sb[3], N, MPI_DOUBLE, right, 13, MPI_COMM_WORLD, &r[3]);
    CHECK_MPI(MPI_Waitall(8, r, st));
    for (int i = 0; i < 8; i++) CHECK(r[i] == MPI_REQUEST_NULL);
    double tot = 0;
    for (int m = 0; m < 4; m++) {
        int c;
        MPI_Get_count(&st[4 + m], MPI_DOUBLE, &c);
        CHECK(c == N && st[4 + m].MPI_SOURCE == left && st[4 + m].MPI_TAG == 10 + m);
        for (int i = 0; i < N; i++) {
            CHECK(rb[m][i] == left * 1000.0 + m * 0.5 + i);
            tot += rb[m][i];
        }
    }
    mt_printf("got from %d total %.1f\n", left, tot);
    void *d; int ds;
    MPI_Buffer_detach(&d, &ds);
    free(bb);
    return mt_finish("p2p_nonblocking");
}
