/* Desc: matched probes. Every round each rank sends two messages of varying length
 *       to its right neighbour; the first is taken by MPI_Mprobe(ANY_SOURCE) +
 *       Get_count, the message handle is held across a pause, then MPI_Mrecv; the
 *       second by polling MPI_Improbe + MPI_Imrecv + Wait. Every fourth round both
 *       are taken by Mprobe(ANY_SOURCE, ANY_TAG).
 * Survives: matched messages (MPI_Message) held across a pause, Improbe polling,
 *           Imrecv requests
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 38

static int len1(int r, int who) { return 1 + (r * 7 + who) % 13; }
static int len2(int r, int who) { return 1 + (r * 5 + who * 3) % 17; }
static void fill(uint64_t *b, int n, int r, int who, int tag) {
    for (int i = 0; i < n; i++) b[i] = h64((uint64_t)(who * 100000 + r * 100 + tag * 50 + i));
}
static void check_msg(const uint64_t *b, int n, int r, int who, int tag, uint64_t *acc) {
    uint64_t e[32];
    fill(e, n, r, who, tag);
    for (int i = 0; i < n; i++) { CHECK(b[i] == e[i]); *acc = fold(*acc, b[i]); }
}

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t v[3] = {0, 0, 0};
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t s1[32], s2[32], b[32];
        MPI_Request sr[2];
        nap(15 + 20 * ((rank * 5 + r) % 4));
        fill(s1, len1(r, rank), r, rank, 1);
        fill(s2, len2(r, rank), r, rank, 2);
        MPICHK(MPI_Isend(s1, len1(r, rank), MPI_UINT64_T, right, 1, MPI_COMM_WORLD, &sr[0]));
        nap(10 * (r % 3));
        MPICHK(MPI_Isend(s2, len2(r, rank), MPI_UINT64_T, right, 2, MPI_COMM_WORLD, &sr[1]));
        MPI_Message msg;
        MPI_Status st;
        int n;
        if (r % 4 == 3) {                       /* both by Mprobe(ANY_SOURCE, ANY_TAG) */
            for (int k = 1; k <= 2; k++) {
                MPICHK(MPI_Mprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &msg, &st));
                CHECK(st.MPI_SOURCE == left && st.MPI_TAG == k);   /* non-overtaking */
                MPICHK(MPI_Get_count(&st, MPI_UINT64_T, &n));
                CHECK(n == (k == 1 ? len1(r, left) : len2(r, left)));
                MPICHK(MPI_Mrecv(b, n, MPI_UINT64_T, &msg, &st));
                CHECK(msg == MPI_MESSAGE_NULL);
                check_msg(b, n, r, left, k, &v[0]);
            }
        } else {
            MPICHK(MPI_Mprobe(MPI_ANY_SOURCE, 1, MPI_COMM_WORLD, &msg, &st));
            CHECK(st.MPI_SOURCE == left);
            MPICHK(MPI_Get_count(&st, MPI_UINT64_T, &n));
            CHECK(n == len1(r, left));
            nap(20);                             /* hold the matched message */
            MPICHK(MPI_Mrecv(b, n, MPI_UINT64_T, &msg, &st));
            CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 1);
            check_msg(b, n, r, left, 1, &v[0]);
            int flag = 0, polls = 0;
            while (!flag) {
                MPICHK(MPI_Improbe(left, 2, MPI_COMM_WORLD, &flag, &msg, &st));
                if (!flag) { nap(3); polls++; }
                CHECK(polls < 5000);
            }
            MPICHK(MPI_Get_count(&st, MPI_UINT64_T, &n));
            CHECK(n == len2(r, left));
            MPI_Request rr;
            MPICHK(MPI_Imrecv(b, n, MPI_UINT64_T, &msg, &rr));
            MPICHK(MPI_Wait(&rr, &st));
            CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 2);
            check_msg(b, n, r, left, 2, &v[1]);
        }
        MPICHK(MPI_Waitall(2, sr, MPI_STATUSES_IGNORE));
        v[2] += (uint64_t)(len1(r, left) + len2(r, left));
    }
    return cp_finish("cp_mprobe", v, 3);
}
