/* Desc: receives posted long before their message is sent. One Irecv is posted at
 *       MPI_Init and matched only after the last barrier (MPI_Test on it must say
 *       "not yet" all along); every phase posts an Irecv from the left neighbour
 *       and an Irecv(ANY_SOURCE) that are matched about a second later, while
 *       unrelated Sendrecv traffic flows.
 * Survives: an Irecv posted at MPI_Init and pending across every checkpoint; Irecv
 *           and Irecv(ANY_SOURCE) pending for a second
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define PHASES 4
#define STEPS 9

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    int far = (rank + 2) % size, farsrc = (rank + 2 * size - 2) % size;
    uint64_t v[4] = {0, 0, 0, 0};
    uint64_t longbuf[4] = {0, 0, 0, 0};
    MPI_Request longreq;
    MPICHK(MPI_Irecv(longbuf, 4, MPI_UINT64_T, right, 999, MPI_COMM_WORLD, &longreq));
    for (int p = 0; p < PHASES; p++) {
        uint64_t a[8], b[8], sa[8], sb[8];
        MPI_Request rq[4];
        MPI_Status st[4];
        MPICHK(MPI_Irecv(a, 8, MPI_UINT64_T, left, 100 + p, MPI_COMM_WORLD, &rq[0]));
        MPICHK(MPI_Irecv(b, 8, MPI_UINT64_T, MPI_ANY_SOURCE, 200 + p, MPI_COMM_WORLD, &rq[1]));
        for (int s = 0; s < STEPS; s++) {
            nap(70 + 15 * ((rank * 3 + s + p) % 4));
            uint64_t x = h64((uint64_t)(rank * 100 + p * 10 + s)), y = 0;
            MPICHK(MPI_Sendrecv(&x, 1, MPI_UINT64_T, right, 1, &y, 1, MPI_UINT64_T, left, 1,
                                MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            CHECK(y == h64((uint64_t)(left * 100 + p * 10 + s)));
            v[0] = fold(v[0], y);
            int flag = 1;
            MPICHK(MPI_Test(&longreq, &flag, MPI_STATUS_IGNORE));
            CHECK(flag == 0);                  /* its sender sends only at the end */
            if (s == 0 || s == 4) {            /* the phase receives are still pending */
                MPICHK(MPI_Test(&rq[0], &flag, MPI_STATUS_IGNORE));
                CHECK(flag == 0);
            }
        }
        for (int i = 0; i < 8; i++) {
            sa[i] = h64((uint64_t)(rank * 1000 + p * 8 + i));
            sb[i] = h64((uint64_t)(rank * 7777 + p * 8 + i));
        }
        nap(10 * ((rank + p) % 3));
        MPICHK(MPI_Isend(sa, 8, MPI_UINT64_T, right, 100 + p, MPI_COMM_WORLD, &rq[2]));
        MPICHK(MPI_Isend(sb, 8, MPI_UINT64_T, far, 200 + p, MPI_COMM_WORLD, &rq[3]));
        MPICHK(MPI_Waitall(4, rq, st));
        CHECK(st[1].MPI_SOURCE == farsrc && st[1].MPI_TAG == 200 + p);
        for (int i = 0; i < 8; i++) {
            CHECK(a[i] == h64((uint64_t)(left * 1000 + p * 8 + i)));
            CHECK(b[i] == h64((uint64_t)(farsrc * 7777 + p * 8 + i)));
            v[1] += a[i];
            v[2] += b[i];
        }
    }
    MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    uint64_t lb[4] = {(uint64_t)rank, 11, 22, h64((uint64_t)rank)};
    MPI_Request sr;
    MPI_Status st;
    MPICHK(MPI_Isend(lb, 4, MPI_UINT64_T, left, 999, MPI_COMM_WORLD, &sr));
    MPICHK(MPI_Wait(&longreq, &st));
    MPICHK(MPI_Wait(&sr, MPI_STATUS_IGNORE));
    CHECK(st.MPI_SOURCE == right && longbuf[0] == (uint64_t)right && longbuf[3] == h64((uint64_t)right));
    v[3] = fold(longbuf[0], longbuf[3]);
    return cp_finish("cp_early_irecv", v, 4);
}
