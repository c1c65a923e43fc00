/* test: Wait/Waitany/Waitsome/Test/Testall/Testany/Testsome complete every request exactly once */
/* ranks: 2 4 */
#include "mt.h"
#define K 6

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int peer = mt_rank ^ 1;                 /* pairs (0,1),(2,3) */
    int sv[K], rv[K];
    MPI_Request r[K], s[K];
    MPI_Status st;
    long sum = 0;
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < K; k++) {
            sv[k] = mt_rank * 1000 + round * 100 + k;
            rv[k] = -1;
            MPI_Irecv(&rv[k], 1, MPI_INT, peer, k, MPI_COMM_WORLD, &r[k]);
        }
        for (int k = K - 1; k >= 0; k--) MPI_Isend(&sv[k], 1, MPI_INT, peer, k, MPI_COMM_WORLD, &s[k]);
        int done[K] = {0}, ndone = 0;
        if (round == 0) {                   /* Wait one by one */
            for (int k = 0; k < K; k++) { MPI_Wait(&r[k], &st); CHECK(st.MPI_TAG == k); done[k] = 1; }
            ndone = K;
        } else if (round == 1) {            /* Waitany */
            while (ndone < K) {
                int idx; MPI_Waitany(K, r, &idx, &st);
                CHECK(idx >= 0 && !done[idx] && st.MPI_TAG == idx && r[idx] == MPI_REQUEST_NULL);
                done[idx] = 1; ndone++;
            }
            int idx; MPI_Waitany(K, r, &idx, &st);   /* all null -> MPI_UNDEFINED */
            CHECK(idx == MPI_UNDEFINED);
        } else if (round == 2) {            /* Waitsome */
            while (ndone < K) {
                int outc, idx[K]; MPI_Status sts[K];
                MPI_Waitsome(K, r, &outc, idx, sts);
                CHECK(outc >= 1);
                for (int j = 0; j < outc; j++) { CHECK(!done[idx[j]] && sts[j].MPI_TAG == idx[j]); done[idx[j]] = 1; ndone++; }
            }
            int outc; int idx[K]; MPI_Waitsome(K, r, &outc, idx, MPI_STATUSES_IGNORE);
            CHECK(outc == MPI_UNDEFINED);
        } else if (round == 3) {            /* Test + Testany */
            while (ndone < K) {
                int flag = 0, idx;
                MPI_Testany(K, r, &idx, &flag, &st);
                if (flag && idx != MPI_UNDEFINED) { CHECK(!done[idx] && st.MPI_TAG == idx); done[idx] = 1; ndone++; }
            }
            int flag = 0; MPI_Request nul = MPI_REQUEST_NULL;
            MPI_Test(&nul, &flag, &st);
            CHECK(flag == 1);
        } else {                            /* Testsome then Testall */
            int outc = 0, idx[K];
            MPI_Testsome(K, r, &outc, idx, MPI_STATUSES_IGNORE);
            CHECK(outc >= 0 && outc <= K);
            for (int j = 0; j < outc; j++) { done[idx[j]] = 1; ndone++; }
            int flag = 0;
            while (!flag) MPI_Testall(K, r, &flag, MPI_STATUSES_IGNORE);
            ndone = K;
        }
        CHECK(ndone == K);
        int flag = 0;
        while (!flag) MPI_Testall(K, s, &flag, MPI_STATUSES_IGNORE);
        for (int k = 0; k < K; k++) {
            CHECK(r[k] == MPI_REQUEST_NULL && s[k] == MPI_REQUEST_NULL);
            CHECK(rv[k] == peer * 1000 + round * 100 + k);
            sum += rv[k];
        }
        /* single Test on a request */
        int x = mt_rank, y = -1; MPI_Request q[2];
        MPI_Irecv(&y, 1, MPI_INT, peer, 99, MPI_COMM_WORLD, &q[0]);
        MPI_Isend(&x, 1, MPI_INT, peer, 99, MPI_COMM_WORLD, &q[1]);
        flag = 0;
        while (!flag) MPI_Test(&q[0], &flag, &st);
        CHECK(y == peer && st.MPI_SOURCE == peer && q[0] == MPI_REQUEST_NULL);
        MPI_Wait(&q[1], MPI_STATUS_IGNORE);
    }
    mt_printf("sum %ld\n", sum);
    return mt_finish("req_wait_test");
}
