/* test: persistent Send_init/Ssend_init/Bsend_init/Rsend_init/Recv_init restarted with Start/Startall over many iterations */
/* ranks: 1 2 4 */
#include "mt.h"
#define N 32
#define ITERS 20

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size;
    int sb[N], rb[N], sb2[N], rb2[N];
    MPI_Request rq[4];
    MPI_Status st[4];
    int bsz; MPI_Pack_size(N, MPI_INT, MPI_COMM_WORLD, &bsz);
    bsz = 4 * (bsz + MPI_BSEND_OVERHEAD);
    void *bb = malloc(bsz);
    MPI_Buffer_attach(bb, bsz);
    MPI_Recv_init(rb, N, MPI_INT, left, 5, MPI_COMM_WORLD, &rq[0]);
    MPI_Send_init(sb, N, MPI_INT, right, 5, MPI_COMM_WORLD, &rq[2]);
    MPI_Recv_init(rb2, N, MPI_INT, left, 6, MPI_COMM_WORLD, &rq[1]);
    long chk = 0;
    for (int it = 0; it < ITERS; it++) {
        for (int i = 0; i < N; i++) { sb[i] = it * 1000 + mt_rank * 10 + i; sb2[i] = -sb[i]; }
        MPI_Request s2;
        int kind = it % 3;
        if (kind == 0) MPI_Ssend_init(sb2, N, MPI_INT, right, 6, MPI_COMM_WORLD, &s2);
        else if (kind == 1) MPI_Bsend_init(sb2, N, MPI_INT, right, 6, MPI_COMM_WORLD, &s2);
        else MPI_Rsend_init(sb2, N, MPI_INT, right, 6, MPI_COMM_WORLD, &s2);
        rq[3] = s2;
        CHECK_MPI(MPI_Startall(2, &rq[0]));    /* both receives */
        MPI_Barrier(MPI_COMM_WORLD);      /* receives posted everywhere -> Rsend legal */
        CHECK_MPI(MPI_Start(&rq[2]));
        CHECK_MPI(MPI_Start(&rq[3]));
        CHECK_MPI(MPI_Waitall(4, rq, st));
        CHECK(rq[0] != MPI_REQUEST_NULL && rq[2] != MPI_REQUEST_NULL); /* persistent stay valid */
        for (int i = 0; i < N; i++) {
            int e = it * 1000 + left * 10 + i;
            CHECK(rb[i] == e && rb2[i] == -e);
            chk += rb[i];
        }
        CHECK(st[0].MPI_SOURCE == left && st[0].MPI_TAG == 5 && st[1].MPI_TAG == 6);
        MPI_Request_free(&rq[3]);
        CHECK(rq[3] == MPI_REQUEST_NULL);
    }
    MPI_Request_free(&rq[0]);
    MPI_Request_free(&rq[1]);
    MPI_Request_free(&rq[2]);
    void *d; int ds; MPI_Buffer_detach(&d, &ds); free(bb);
    mt_printf("persistent checksum %ld\n", chk);
    return mt_finish("p2p_persistent");
}
