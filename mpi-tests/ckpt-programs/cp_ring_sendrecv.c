/* Desc: ring exchange with MPI_Sendrecv. Every lap a token goes one step right and
 *       another one step left (Sendrecv, different counts), every fifth lap a
 *       Sendrecv_replace shifts a block by two; ranks pause unevenly between laps
 *       so a rank often waits for a slower neighbour.
 * Survives: Sendrecv and Sendrecv_replace in progress, an ANY_TAG status with
 *           Get_count
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define LAPS 48

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    int r2 = (rank + 2) % size, l2 = (rank + 2 * size - 2) % size;
    uint64_t tokr[2] = {(uint64_t)rank, 1}, tokl[3] = {(uint64_t)rank, 2, 3}, inr[2], inl[3];
    uint64_t v[3] = {0, 0, 0};
    for (int lap = 0; lap < LAPS; lap++) {
        MPI_Status st;
        MPICHK(MPI_Sendrecv(tokr, 2, MPI_UINT64_T, right, lap, inr, 2, MPI_UINT64_T, left, lap,
                            MPI_COMM_WORLD, &st));
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == lap);
        tokr[0] = h64(inr[0] + (uint64_t)rank);
        tokr[1] = inr[1] + 1;
        nap(10 + 20 * ((rank * 3 + lap) % 4));
        MPICHK(MPI_Sendrecv(tokl, 3, MPI_UINT64_T, left, 1000 + lap, inl, 3, MPI_UINT64_T, right,
                            MPI_ANY_TAG, MPI_COMM_WORLD, &st));
        CHECK(st.MPI_SOURCE == right && st.MPI_TAG == 1000 + lap);
        int cnt;
        MPI_Get_count(&st, MPI_UINT64_T, &cnt);
        CHECK(cnt == 3);
        tokl[0] = h64(inl[0] * 3 + (uint64_t)rank);
        tokl[1] = inl[1] + 1;
        tokl[2] = inl[2] ^ tokl[0];
        if (lap % 5 == 4) {
            uint64_t blk[6];
            for (int i = 0; i < 6; i++) blk[i] = h64((uint64_t)(rank * 64 + lap + i));
            MPICHK(MPI_Sendrecv_replace(blk, 6, MPI_UINT64_T, r2, 2000 + lap, l2, 2000 + lap,
                                        MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int i = 0; i < 6; i++) {
                CHECK(blk[i] == h64((uint64_t)(l2 * 64 + lap + i)));
                v[2] = fold(v[2], blk[i]);
            }
        }
        nap(20 + 15 * ((rank + lap) % 3));
    }
    CHECK(tokr[1] == (uint64_t)LAPS + 1 && tokl[1] == (uint64_t)LAPS + 2);
    v[0] = fold(tokr[0], tokr[1]);
    v[1] = fold(fold(tokl[0], tokl[1]), tokl[2]);
    return cp_finish("cp_ring_sendrecv", v, 3);
}
