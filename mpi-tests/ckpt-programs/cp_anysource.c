/* Desc: ANY_SOURCE (and ANY_TAG) receives. Every round a rotating root receives
 *       two messages from every other rank with MPI_ANY_SOURCE: the first batch by
 *       blocking Recv (tag given), the second by Irecv(ANY_SOURCE, ANY_TAG) posted
 *       all at once and completed by Waitall. Arrival order varies with timing;
 *       results are combined order-independently (sums).
 * Survives: blocking Recv(ANY_SOURCE) waiting, Irecv(ANY_SOURCE, ANY_TAG) batches
 *           in flight, sends not yet received
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 36

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[4] = {0, 0, 0, 0};   /* recv hash sum, recv count, ack fold, tag checks */
    for (int r = 0; r < ROUNDS; r++) {
        int root = r % size;
        if (rank == root) {
            nap(20 + 15 * ((r * 7 + rank) % 4));
            int seen[64] = {0};
            for (int k = 0; k < size - 1; k++) {            /* batch 1: tag 2r */
                uint64_t buf[3];
                MPI_Status st;
                MPICHK(MPI_Recv(buf, 3, MPI_UINT64_T, MPI_ANY_SOURCE, 2 * r, MPI_COMM_WORLD, &st));
                CHECK(st.MPI_TAG == 2 * r && (int)buf[0] == st.MPI_SOURCE && buf[1] == (uint64_t)r);
                CHECK(!seen[st.MPI_SOURCE]);
                seen[st.MPI_SOURCE] = 1;
                v[0] += h64(buf[2] + 1); v[1]++;
            }
            uint64_t bufs[64][3];
            MPI_Request rq[64];
            MPI_Status sts[64];
            for (int k = 0; k < size - 1; k++)            /* batch 2: ANY_SOURCE, ANY_TAG */
                MPICHK(MPI_Irecv(bufs[k], 3, MPI_UINT64_T, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &rq[k]));
            nap(10 + 10 * (r % 3));
            MPICHK(MPI_Waitall(size - 1, rq, sts));
            for (int k = 0; k < size - 1; k++) {
                CHECK(sts[k].MPI_TAG == 2 * r + 1 && (int)bufs[k][0] == sts[k].MPI_SOURCE);
                CHECK(seen[sts[k].MPI_SOURCE] == 1);
                seen[sts[k].MPI_SOURCE] = 2;
                v[0] += h64(bufs[k][2] + 2); v[1]++;
                v[3] += (uint64_t)sts[k].MPI_TAG * 1000 + (uint64_t)sts[k].MPI_SOURCE;
            }
            for (int d = 0; d < size; d++) {               /* acks, in rank order */
                if (d == root) continue;
                uint64_t a = h64((uint64_t)r * 31 + (uint64_t)d);
                MPICHK(MPI_Send(&a, 1, MPI_UINT64_T, d, 1000 + r, MPI_COMM_WORLD));
            }
        } else {
            uint64_t m[3] = {(uint64_t)rank, (uint64_t)r, h64((uint64_t)rank * 1000003 + (uint64_t)r)};
            nap(10 + 25 * ((r * 3 + rank * 5) % 5));
            MPICHK(MPI_Send(m, 3, MPI_UINT64_T, root, 2 * r, MPI_COMM_WORLD));
            nap(5 + 10 * ((r + rank) % 3));
            m[2] = h64(m[2]);
            MPICHK(MPI_Send(m, 3, MPI_UINT64_T, root, 2 * r + 1, MPI_COMM_WORLD));
            uint64_t a;
            MPI_Status st;
            MPICHK(MPI_Recv(&a, 1, MPI_UINT64_T, MPI_ANY_SOURCE, 1000 + r, MPI_COMM_WORLD, &st));
            CHECK(st.MPI_SOURCE == root && a == h64((uint64_t)r * 31 + (uint64_t)rank));
            v[2] = fold(v[2], a);
        }
    }
    return cp_finish("cp_anysource", v, 4);
}
