/* Desc: non-blocking collectives in flight. Every round an Iallreduce on
 *       MPI_COMM_WORLD and an Ibcast on a duplicate are started, the ranks compute
 *       or sleep for different times, then Wait (one by one, or Waitall); then an
 *       Ibarrier with uneven arrival; every fourth round an Iallgather and an
 *       Ireduce(MAX) are in flight together on the two communicators.
 * Survives: non-blocking collectives in flight (Iallreduce, Ibcast, Ibarrier,
 *           Iallgather, Ireduce) on the world and on a dup
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 36

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    MPI_Comm dup;
    MPICHK(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    uint64_t v[4] = {0, 0, 0, 0};
    for (int r = 0; r < ROUNDS; r++) {
        int64_t vec[8], sum[8], bc[4];
        MPI_Request rq[2];
        for (int i = 0; i < 8; i++) vec[i] = (int64_t)(rank + 1) * (r + 1) * (i + 3);
        int root = r % size;
        for (int i = 0; i < 4; i++) bc[i] = rank == root ? (int64_t)h64((uint64_t)(r * 4 + i)) >> 2 : -1;
        MPICHK(MPI_Iallreduce(vec, sum, 8, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &rq[0]));
        MPICHK(MPI_Ibcast(bc, 4, MPI_INT64_T, root, dup, &rq[1]));
        int work = (rank + r) % 3;
        v[3] = fold(v[3], spin(2000000u * (uint64_t)(work + 1), (uint64_t)(r + rank)));
        nap(15 + 25 * work);
        if (r % 3 == 0) {
            MPICHK(MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
            nap(10 * ((rank + 1) % 2));
            MPICHK(MPI_Wait(&rq[1], MPI_STATUS_IGNORE));
        } else {
            MPICHK(MPI_Waitall(2, rq, MPI_STATUSES_IGNORE));
        }
        int64_t tri = (int64_t)size * (size + 1) / 2;
        for (int i = 0; i < 8; i++) { CHECK(sum[i] == tri * (r + 1) * (i + 3)); v[0] = fold(v[0], (uint64_t)sum[i]); }
        for (int i = 0; i < 4; i++) { CHECK(bc[i] == (int64_t)h64((uint64_t)(r * 4 + i)) >> 2); v[1] = fold(v[1], (uint64_t)bc[i]); }
        MPI_Request b;
        MPICHK(MPI_Ibarrier(MPI_COMM_WORLD, &b));
        nap(10 + 15 * ((rank * 3 + r) % 3));
        MPICHK(MPI_Wait(&b, MPI_STATUS_IGNORE));
        if (r % 4 == 1) {
            int64_t mine = (int64_t)h64((uint64_t)(rank * 97 + r)) >> 3, all[64], mx = 0;
            MPICHK(MPI_Iallgather(&mine, 1, MPI_INT64_T, all, 1, MPI_INT64_T, MPI_COMM_WORLD, &rq[0]));
            MPICHK(MPI_Ireduce(&mine, &mx, 1, MPI_INT64_T, MPI_MAX, root, dup, &rq[1]));
            nap(20 + 10 * rank);
            MPICHK(MPI_Waitall(2, rq, MPI_STATUSES_IGNORE));
            int64_t m = INT64_MIN;
            for (int i = 0; i < size; i++) {
                CHECK(all[i] == (int64_t)h64((uint64_t)(i * 97 + r)) >> 3);
                if (all[i] > m) m = all[i];
                v[2] = fold(v[2], (uint64_t)all[i]);
            }
            if (rank == root) CHECK(mx == m);
        }
    }
    MPICHK(MPI_Comm_free(&dup));
    return cp_finish("cp_nbcoll", v, 4);
}
