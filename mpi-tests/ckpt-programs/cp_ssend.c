/* Desc: synchronous sends. Every round: an Issend to a partner whose receive is
 *       posted late (the send stays unmatched for a while), a blocking Ssend ring
 *       ordered by parity, and a fan-in of blocking Ssends to a rotating root that
 *       receives them in rank order (the last sender blocks longest).
 * Survives: an unmatched Issend, a blocking Ssend waiting for its receiver
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 30

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[3] = {0, 0, 0};
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    for (int r = 0; r < ROUNDS; r++) {
        /* 1. Issend to a shifting partner, receive posted late */
        int s = 1 + r % (size - 1);
        int dest = (rank + s) % size, src = (rank + size - s) % size;
        uint64_t out[4], in[4];
        for (int i = 0; i < 4; i++) out[i] = h64((uint64_t)(rank * 4096 + r * 4 + i));
        MPI_Request rq;
        MPICHK(MPI_Issend(out, 4, MPI_UINT64_T, dest, r, MPI_COMM_WORLD, &rq));
        nap(20 + 20 * ((rank * 3 + r) % 4));
        MPICHK(MPI_Recv(in, 4, MPI_UINT64_T, src, r, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        MPICHK(MPI_Wait(&rq, MPI_STATUS_IGNORE));
        for (int i = 0; i < 4; i++) {
            CHECK(in[i] == h64((uint64_t)(src * 4096 + r * 4 + i)));
            v[0] = fold(v[0], in[i]);
        }
        /* 2. blocking Ssend ring: even ranks send first, odd ranks receive first */
        uint64_t t = h64((uint64_t)(rank + 17 * r)), u = 0;
        if (rank % 2 == 0) {
            MPICHK(MPI_Ssend(&t, 1, MPI_UINT64_T, right, 300 + r, MPI_COMM_WORLD));
            MPICHK(MPI_Recv(&u, 1, MPI_UINT64_T, left, 300 + r, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        } else {
            nap(10);
            MPICHK(MPI_Recv(&u, 1, MPI_UINT64_T, left, 300 + r, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            MPICHK(MPI_Ssend(&t, 1, MPI_UINT64_T, right, 300 + r, MPI_COMM_WORLD));
        }
        CHECK(u == h64((uint64_t)(left + 17 * r)));
        v[1] = fold(v[1], u);
        /* 3. fan-in of Ssends, received in rank order */
        int root = r % size;
        if (rank == root) {
            nap(30);
            for (int k = 1; k < size; k++) {
                int from = (root + k) % size;
                uint64_t w;
                MPICHK(MPI_Recv(&w, 1, MPI_UINT64_T, from, 500 + r, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
                CHECK(w == h64((uint64_t)(from * 31 + r)));
                v[2] = fold(v[2], w);
                nap(10);
            }
        } else {
            uint64_t w = h64((uint64_t)(rank * 31 + r));
            nap(5 * ((rank + r) % 3));
            MPICHK(MPI_Ssend(&w, 1, MPI_UINT64_T, root, 500 + r, MPI_COMM_WORLD));
        }
    }
    return cp_finish("cp_ssend", v, 3);
}
