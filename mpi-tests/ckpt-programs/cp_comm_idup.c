/* Desc: non-blocking communicator duplication left outstanding. Every round: Comm_idup of a
 *       dup of the world and of a half of it, started in a parity-dependent order with an
 *       Iallreduce on the world between them, then a rank-dependent nap with all three
 *       pending; odd ranks complete the world dup first and at once send on it (the
 *       neighbour may not have bound it yet), even ranks wait for everything together;
 *       then messages and collectives on the new communicators, which are freed, except a
 *       chain communicator re-made by idup of itself every fourth round.
 * Survives: idups pending at the checkpoint (completed by the drain, bound by a later Wait),
 *           a message in flight on an idup'd communicator a member has not bound yet,
 *           idups of overlapping communicators started in different orders, a chain of
 *           idups whose parents were freed
 * Ranks: 2 3 4
 * Runtime: 5 s
 */
#include "cplib.h"
#define ROUNDS 24

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[4] = {0, 0, 0, 0};
    MPI_Comm w, half, chain;
    MPICHK(MPI_Comm_dup(MPI_COMM_WORLD, &w));
    MPICHK(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &half));
    MPICHK(MPI_Comm_dup(MPI_COMM_WORLD, &chain));
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    for (int r = 0; r < ROUNDS; r++) {
        MPI_Comm dw = MPI_COMM_NULL, dh = MPI_COMM_NULL;
        MPI_Request q[3];
        int64_t x = rank * 10 + r, s = 0;
        if (rank % 2) {
            MPICHK(MPI_Comm_idup(half, &dh, &q[1]));
            MPICHK(MPI_Iallreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &q[2]));
            MPICHK(MPI_Comm_idup(w, &dw, &q[0]));
        } else {
            MPICHK(MPI_Comm_idup(w, &dw, &q[0]));
            MPICHK(MPI_Iallreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &q[2]));
            MPICHK(MPI_Comm_idup(half, &dh, &q[1]));
        }
        nap(20 + 40 * ((rank + r) % 3));
        int64_t tok = (int64_t)h64((uint64_t)(rank * 1000 + r)) >> 8, got = -1;
        MPI_Request sq = MPI_REQUEST_NULL;
        if (rank % 2) {
            MPICHK(MPI_Wait(&q[0], MPI_STATUS_IGNORE));
            MPICHK(MPI_Isend(&tok, 1, MPI_INT64_T, right, r, dw, &sq));
            nap(10 + 20 * (r % 2));
            int flag = 0;
            while (!flag) {
                MPICHK(MPI_Testall(3, q, &flag, MPI_STATUSES_IGNORE));
                if (!flag) nap(2);
            }
        } else {
            MPICHK(MPI_Waitall(3, q, MPI_STATUSES_IGNORE));
            MPICHK(MPI_Isend(&tok, 1, MPI_INT64_T, right, r, dw, &sq));
        }
        MPICHK(MPI_Recv(&got, 1, MPI_INT64_T, left, r, dw, MPI_STATUS_IGNORE));
        CHECK(got == (int64_t)h64((uint64_t)(left * 1000 + r)) >> 8);
        MPICHK(MPI_Wait(&sq, MPI_STATUS_IGNORE));
        v[0] = fold(v[0], (uint64_t)got);
        v[1] = fold(v[1], (uint64_t)s);
        int64_t hs = 0, me = rank + r;
        MPICHK(MPI_Allreduce(&me, &hs, 1, MPI_INT64_T, MPI_SUM, dh));
        v[2] = fold(v[2], (uint64_t)hs);
        /* the chain: an idup of itself, the old one freed once it completed */
        if (r % 4 == 1) {
            MPI_Comm next;
            MPI_Request cq;
            MPICHK(MPI_Comm_idup(chain, &next, &cq));
            nap(15);
            MPICHK(MPI_Wait(&cq, MPI_STATUS_IGNORE));
            MPI_Comm_free(&chain);
            chain = next;
        }
        int64_t cm = 0, cx = (int64_t)h64((uint64_t)(rank + 7 * r)) >> 4;
        MPICHK(MPI_Allreduce(&cx, &cm, 1, MPI_INT64_T, MPI_MAX, chain));
        v[3] = fold(v[3], (uint64_t)cm);
        if (r % 2) {
            MPI_Comm_free(&dw);
            MPI_Comm_free(&dh);
        } else {
            MPI_Comm_free(&dh);
            MPI_Comm_free(&dw);
        }
    }
    MPI_Comm_free(&chain);
    MPI_Comm_free(&half);
    MPI_Comm_free(&w);
    return cp_finish("cp_comm_idup", v, 4);
}
