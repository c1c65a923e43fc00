/* Desc: requests freed while active (MPI_Request_free), which complete on their
 *       own. In a ring every step sends to the right with Isend + Request_free
 *       (the application never learns when they complete; every send has a buffer
 *       of its own) and receives from the left. Every phase also posts, long
 *       before its message comes, an Irecv from the left, an Irecv(ANY_SOURCE) and
 *       a started Recv_init, frees all three at once, and reads their buffers only
 *       after a later synchronising message from the same sender (non-overtaking:
 *       the freed receives matched first). A checkpoint must count the freed
 *       receives that completed, cancel and repost the unmatched ones, and finish
 *       the freed sends.
 * Survives: freed active requests (Isend, Irecv, Irecv(ANY_SOURCE), a started
 *           Recv_init) and the buffers they fill
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define PHASES 4
#define STEPS 9
#define BURST 3
#define N 8

static uint64_t sendbufs[PHASES][STEPS][BURST];
static uint64_t late[PHASES][3][N]; /* what each phase sends to the freed receives */

static uint64_t val(int from, int p, int k, int i) { return h64((uint64_t)(from * 100000 + p * 1000 + k * 100 + i)); }

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t v[4] = {0, 0, 0, 0};
    for (int p = 0; p < PHASES; p++) {
        uint64_t a[N], b[N], c[N];
        memset(a, 0, sizeof a);
        memset(b, 0, sizeof b);
        memset(c, 0, sizeof c);
        MPI_Request rq[3];
        MPICHK(MPI_Irecv(a, N, MPI_UINT64_T, left, 300 + p, MPI_COMM_WORLD, &rq[0]));
        MPICHK(MPI_Irecv(b, N, MPI_UINT64_T, MPI_ANY_SOURCE, 400 + p, MPI_COMM_WORLD, &rq[1]));
        MPICHK(MPI_Recv_init(c, N, MPI_UINT64_T, left, 500 + p, MPI_COMM_WORLD, &rq[2]));
        MPICHK(MPI_Start(&rq[2]));
        for (int k = 0; k < 3; k++) {
            MPICHK(MPI_Request_free(&rq[k]));
            CHECK(rq[k] == MPI_REQUEST_NULL);
        }
        for (int s = 0; s < STEPS; s++) {
            nap(60 + 15 * ((rank * 3 + s + p) % 4));
            for (int k = 0; k < BURST; k++) {
                MPI_Request r;
                sendbufs[p][s][k] = val(rank, p, s, k);
                MPICHK(MPI_Isend(&sendbufs[p][s][k], 1, MPI_UINT64_T, right, 1 + k, MPI_COMM_WORLD, &r));
                MPICHK(MPI_Request_free(&r));
            }
            for (int k = 0; k < BURST; k++) {
                uint64_t y = 0;
                MPICHK(MPI_Recv(&y, 1, MPI_UINT64_T, left, 1 + k, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
                CHECK(y == val(left, p, s, k));
                v[0] = fold(v[0], y);
            }
        }
        /* The freed receives' messages, then the message that says they are in. */
        nap(10 * ((rank + p) % 3));
        for (int k = 0; k < 3; k++) {
            MPI_Request r;
            for (int i = 0; i < N; i++)
                late[p][k][i] = val(rank, p, 50 + k, i);
            MPICHK(MPI_Isend(late[p][k], N, MPI_UINT64_T, right, 300 + 100 * k + p, MPI_COMM_WORLD, &r));
            MPICHK(MPI_Request_free(&r));
        }
        uint64_t sync = (uint64_t)rank, got = 0;
        MPICHK(MPI_Sendrecv(&sync, 1, MPI_UINT64_T, right, 900 + p, &got, 1, MPI_UINT64_T, left, 900 + p,
                            MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        CHECK(got == (uint64_t)left);
        for (int i = 0; i < N; i++) {
            CHECK(a[i] == val(left, p, 50, i));
            CHECK(b[i] == val(left, p, 51, i));
            CHECK(c[i] == val(left, p, 52, i));
            v[1] += a[i];
            v[2] += b[i];
            v[3] = fold(v[3], c[i]);
        }
        /* The next phase's freed receives must not be matched by this phase's messages. */
        MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    }
    return cp_finish("cp_request_free", v, 4);
}
