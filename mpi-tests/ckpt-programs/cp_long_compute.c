/* Desc: a rank computes for a long time without calling MPI while the others wait.
 *       Phase p: rank w computes (no MPI at all), its right neighbour waits in
 *       MPI_Recv for w's result, everybody else waits in MPI_Barrier (which w and
 *       the receiver join afterwards); then the result is broadcast. Between
 *       phases a short Sendrecv ring. The compute length is a fixed number of
 *       iterations, so the results do not depend on timing.
 * Survives: a rank computing outside MPI while its neighbour blocks in Recv and
 *           the others in Barrier
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define PHASES 3
#ifndef WORK
#define WORK 450000000ULL   /* about 0.75 s of one core per phase (1-2 s natively when oversubscribed) */
#endif

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[3] = {0, 0, 0};
    for (int p = 0; p < PHASES; p++) {
        int w = (size - 1 + 2 * p) % size, recv = (w + 1) % size;
        uint64_t res = 0;
        if (rank == w) {
            nap(50);
            /* several chunks of pure computation, no MPI in between */
            for (int k = 0; k < 4; k++) res = fold(res, spin(WORK / 4, (uint64_t)(p * 10 + k + 1)));
            MPICHK(MPI_Send(&res, 1, MPI_UINT64_T, recv, 7, MPI_COMM_WORLD));
        } else if (rank == recv) {
            MPI_Status st;
            MPICHK(MPI_Recv(&res, 1, MPI_UINT64_T, w, 7, MPI_COMM_WORLD, &st));
            CHECK(st.MPI_SOURCE == w);
            v[0] = fold(v[0], res);
        }
        MPICHK(MPI_Barrier(MPI_COMM_WORLD));
        MPICHK(MPI_Bcast(&res, 1, MPI_UINT64_T, recv, MPI_COMM_WORLD));
        v[1] = fold(v[1], res);
        for (int s = 0; s < 5; s++) {
            uint64_t x = h64((uint64_t)(rank * 10 + s + p * 100)), y;
            MPICHK(MPI_Sendrecv(&x, 1, MPI_UINT64_T, (rank + 1) % size, 3, &y, 1, MPI_UINT64_T,
                                (rank + size - 1) % size, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            CHECK(y == h64((uint64_t)(((rank + size - 1) % size) * 10 + s + p * 100)));
            v[2] = fold(v[2], y);
            nap(20);
        }
    }
    return cp_finish("cp_long_compute", v, 3);
}
