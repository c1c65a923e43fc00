/* test: blocking Send/Ssend/Bsend(Buffer_attach/detach)/Rsend deliver exact data around a ring */
/* ranks: 2 4 */
#include "mt.h"
#define N 1000

static long fill(int *b, int src, int mode) {
    long s = 0;
    for (int i = 0; i < N; i++) { b[i] = src * 100000 + mode * 10000 + i; s += b[i]; }
    return s;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size;
    int sbuf[N], rbuf[N];
    long total = 0;
    MPI_Status st;

    /* attach a buffered-send buffer big enough for one message */
    int bsz = 0;
    MPI_Pack_size(N, MPI_INT, MPI_COMM_WORLD, &bsz);
    bsz += MPI_BSEND_OVERHEAD;
    char *bbuf = malloc(bsz);
    CHECK_MPI(MPI_Buffer_attach(bbuf, bsz));

    for (int mode = 0; mode < 4; mode++) {
        fill(sbuf, mt_rank, mode);
        MPI_Request rr;
        if (mode == 3) {                   /* Rsend: receive must be posted first */
            MPI_Irecv(rbuf, N, MPI_INT, left, mode, MPI_COMM_WORLD, &rr);
            MPI_Barrier(MPI_COMM_WORLD);
            CHECK_MPI(MPI_Rsend(sbuf, N, MPI_INT, right, mode, MPI_COMM_WORLD));
            MPI_Wait(&rr, &st);
        } else if (mode == 1) {            /* Ssend: even ranks send first */
            if (mt_rank % 2 == 0) {
                CHECK_MPI(MPI_Ssend(sbuf, N, MPI_INT, right, mode, MPI_COMM_WORLD));
                MPI_Recv(rbuf, N, MPI_INT, left, mode, MPI_COMM_WORLD, &st);
            } else {
                MPI_Recv(rbuf, N, MPI_INT, left, mode, MPI_COMM_WORLD, &st);
                CHECK_MPI(MPI_Ssend(sbuf, N, MPI_INT, right, mode, MPI_COMM_WORLD));
            }
        } else if (mode == 2) {            /* Bsend never blocks on the receiver */
            CHECK_MPI(MPI_Bsend(sbuf, N, MPI_INT, right, mode, MPI_COMM_WORLD));
            MPI_Recv(rbuf, N, MPI_INT, left, mode, MPI_COMM_WORLD, &st);
        } else {                           /* standard Send with ordering */
            if (mt_rank % 2 == 0) {
                MPI_Send(sbuf, N, MPI_INT, right, mode, MPI_COMM_WORLD);
                MPI_Recv(rbuf, N, MPI_INT, left, mode, MPI_COMM_WORLD, &st);
            } else {
                MPI_Recv(rbuf, N, MPI_INT, left, mode, MPI_COMM_WORLD, &st);
                MPI_Send(sbuf, N, MPI_INT, right, mode, MPI_COMM_WORLD);
            }
        }
        int cnt = -1;
        MPI_Get_count(&st, MPI_INT, &cnt);
        CHECK(cnt == N && st.MPI_SOURCE == left && st.MPI_TAG == mode);
        int exp[N];
        long s = fill(exp, left, mode);
        CHECK(memcmp(exp, rbuf, sizeof exp) == 0);
        total += s;
        mt_printf("mode %d from %d sum %ld\n", mode, left, s);
    }
    void *det; int detsz;
    CHECK_MPI(MPI_Buffer_detach(&det, &detsz));
    CHECK(det == bbuf && detsz == bsz);
    free(bbuf);
    mt_report_sum("total", total);
    return mt_finish("p2p_modes");
}
