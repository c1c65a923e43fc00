/* Desc: persistent requests. Send_init/Recv_init to both neighbours (and an
 *       Ssend_init to the right) are created once and restarted every iteration:
 *       either the receives are started first, the rank pauses, then the sends are
 *       started and each request waited for in turn, or all are started with
 *       Startall and completed with Waitall. Freed at the end.
 * Survives: persistent requests (Send_init, Ssend_init, Recv_init), inactive and
 *           started
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ITERS 46
#define L 16

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t sr[L], sl[L], ss[2], rl[L], rr[L], rs[2];
    uint64_t v[3] = {0, 0, 0};
    MPI_Request p[6];   /* 0-2: receives, 3-5: sends */
    MPICHK(MPI_Recv_init(rl, L, MPI_UINT64_T, left, 7, MPI_COMM_WORLD, &p[0]));
    MPICHK(MPI_Recv_init(rr, L, MPI_UINT64_T, right, 8, MPI_COMM_WORLD, &p[1]));
    MPICHK(MPI_Recv_init(rs, 2, MPI_UINT64_T, left, 9, MPI_COMM_WORLD, &p[2]));
    MPICHK(MPI_Send_init(sr, L, MPI_UINT64_T, right, 7, MPI_COMM_WORLD, &p[3]));
    MPICHK(MPI_Send_init(sl, L, MPI_UINT64_T, left, 8, MPI_COMM_WORLD, &p[4]));
    MPICHK(MPI_Ssend_init(ss, 2, MPI_UINT64_T, right, 9, MPI_COMM_WORLD, &p[5]));
    for (int it = 0; it < ITERS; it++) {
        for (int i = 0; i < L; i++) {
            sr[i] = h64((uint64_t)(rank * 10000 + it * L + i));
            sl[i] = h64((uint64_t)(rank * 20000 + it * L + i + 7));
        }
        ss[0] = (uint64_t)rank;
        ss[1] = (uint64_t)it;
        if (it % 2) {
            for (int i = 0; i < 3; i++) MPICHK(MPI_Start(&p[i]));
            nap(20 + 25 * ((rank * 3 + it) % 4));
            for (int i = 3; i < 6; i++) MPICHK(MPI_Start(&p[i]));
            for (int i = 5; i >= 0; i--) {
                MPI_Status st;
                MPICHK(MPI_Wait(&p[i], &st));
                CHECK(p[i] != MPI_REQUEST_NULL);        /* persistent: stays allocated */
                if (i < 3) CHECK(st.MPI_SOURCE == (i == 1 ? right : left));
            }
        } else {
            nap(10 + 20 * ((rank + it) % 3));
            MPICHK(MPI_Startall(6, p));
            MPICHK(MPI_Waitall(6, p, MPI_STATUSES_IGNORE));
        }
        for (int i = 0; i < L; i++) {
            CHECK(rl[i] == h64((uint64_t)(left * 10000 + it * L + i)));
            CHECK(rr[i] == h64((uint64_t)(right * 20000 + it * L + i + 7)));
            v[0] = fold(v[0], rl[i]);
            v[1] = fold(v[1], rr[i]);
        }
        CHECK(rs[0] == (uint64_t)left && rs[1] == (uint64_t)it);
        v[2] = fold(v[2], rs[0] * 1000 + rs[1]);
        nap(15);
    }
    for (int i = 0; i < 6; i++) MPICHK(MPI_Request_free(&p[i]));
    return cp_finish("cp_persistent", v, 3);
}
