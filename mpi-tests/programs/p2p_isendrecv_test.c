/* test: an MPI_Isendrecv whose receive completed but whose (rendezvous) send waits for the peer:
 * Test/Testany/Testsome/Testall must say "not yet" without blocking, Waitany/Waitsome must return
 * another request that completes meanwhile (a blocking test here would deadlock: the peer receives
 * the large send only after a "go" sent once the test returned) */
/* ranks: 2 4 */
#include "mt.h"
#include <unistd.h>
#define BIG (4 * 1024 * 1024 / (int)sizeof(int)) /* 4 MiB: past every eager limit */

enum { T_TEST, T_TESTANY, T_TESTSOME, T_TESTALL, T_REPLACE, T_WAITANY, T_WAITSOME, ROUNDS };
static const char *names[ROUNDS] = {"test", "testany", "testsome", "testall", "replace", "waitany", "waitsome"};

static int done(int round, MPI_Request *r) {
    int flag = 0, idx = -5, out = -5, ind[1];
    MPI_Request two[2] = {*r, MPI_REQUEST_NULL};
    switch (round) {
    case T_TESTANY:
        CHECK_MPI(MPI_Testany(2, two, &idx, &flag, MPI_STATUS_IGNORE));
        CHECK(flag ? idx == 0 : idx == MPI_UNDEFINED);
        break;
    case T_TESTSOME:
        CHECK_MPI(MPI_Testsome(2, two, &out, ind, MPI_STATUSES_IGNORE));
        CHECK(out == 0 || (out == 1 && ind[0] == 0));
        flag = out == 1;
        break;
    case T_TESTALL:
        CHECK_MPI(MPI_Testall(2, two, &flag, MPI_STATUSES_IGNORE));
        break;
    default:
        CHECK_MPI(MPI_Test(&two[0], &flag, MPI_STATUS_IGNORE));
    }
    *r = two[0];
    CHECK(flag == (*r == MPI_REQUEST_NULL));
    return flag;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int peer = mt_rank ^ 1, even = mt_rank % 2 == 0;
    int *big = malloc(sizeof(int) * BIG);
    CHECK(big != NULL);
    long chk = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int small = -1, go = 1, early = 0, got = -1;
        if (even) {
            for (int i = 0; i < BIG; i++) big[i] = round * 7 + i % 1000 + mt_rank;
            MPI_Request r, other = MPI_REQUEST_NULL;
            if (round == T_REPLACE) {
                /* the receive (one int) lands in big[0]; the packed copy goes out */
                CHECK_MPI(MPI_Isendrecv_replace(big, BIG, MPI_INT, peer, 1, peer, 1, MPI_COMM_WORLD, &r));
            } else {
                CHECK_MPI(MPI_Isendrecv(big, BIG, MPI_INT, peer, 1, &small, 1, MPI_INT, peer, 1, MPI_COMM_WORLD, &r));
            }
            if (round >= T_WAITANY) {
                /* the peer sends this some time after the Isendrecv's receive part */
                CHECK_MPI(MPI_Irecv(&got, 1, MPI_INT, peer, 3, MPI_COMM_WORLD, &other));
                MPI_Request two[2] = {r, other};
                int idx = -5, out = -5, ind[2];
                if (round == T_WAITANY) {
                    CHECK_MPI(MPI_Waitany(2, two, &idx, MPI_STATUS_IGNORE));
                } else {
                    CHECK_MPI(MPI_Waitsome(2, two, &out, ind, MPI_STATUSES_IGNORE));
                    CHECK(out == 1);
                    idx = ind[0];
                }
                early = idx; /* 1: the other receive, as the Isendrecv cannot finish before "go" */
                r = two[0];
                CHECK(two[1] == MPI_REQUEST_NULL && got == 30 + round);
                CHECK_MPI(MPI_Send(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD));
                CHECK_MPI(MPI_Wait(&r, MPI_STATUS_IGNORE));
            } else {
                /* spin well past the arrival of the receive part, then let the peer take the send */
                double t0 = MPI_Wtime();
                int sent = 0;
                while (!done(round, &r)) {
                    if (!sent && MPI_Wtime() - t0 > 0.2) {
                        CHECK_MPI(MPI_Send(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD));
                        sent = 1;
                    }
                }
                early = !sent;
                if (!sent) CHECK_MPI(MPI_Send(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD));
            }
            if (round == T_REPLACE) small = big[0];
            CHECK(small == 100 + round);
        } else {
            int v = 100 + round;
            CHECK_MPI(MPI_Send(&v, 1, MPI_INT, peer, 1, MPI_COMM_WORLD));
            if (round >= T_WAITANY) {
                usleep(100000);
                int w = 30 + round;
                CHECK_MPI(MPI_Send(&w, 1, MPI_INT, peer, 3, MPI_COMM_WORLD));
            }
            CHECK_MPI(MPI_Recv(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            CHECK_MPI(MPI_Recv(big, BIG, MPI_INT, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int i = 1; i < BIG; i++) CHECK(big[i] == round * 7 + i % 1000 + peer);
            chk += big[BIG - 1];
        }
        mt_printf("%s early=%d", names[round], early);
    }
    free(big);
    mt_report_sum("checksum", chk);
    return mt_finish("p2p_isendrecv_test");
}
