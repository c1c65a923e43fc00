/* Desc: a shared-memory window (MPI_Win_allocate_shared) in a lock_all epoch for
 *       the whole run: every round each rank reads its left neighbour's segment
 *       through the MPI_Win_shared_query pointer, folds it into its own segment
 *       (so each round's contents depend on every earlier one), stores a word
 *       straight into its right neighbour's mailbox, MPI_Puts another and
 *       MPI_Accumulates one into a counter on rank 0; Win_sync and barriers
 *       order it all; long computations read the neighbour's segment with no
 *       MPI call in between. A second shared window, on a split of the world
 *       in reverse rank order (its first member's segment empty), is made and
 *       freed every few rounds.
 * Survives: the shared pages (every rank maps the same pages again, at the same
 *           address), once (the counter is neither short nor doubled), the
 *           lock_all epoch, loads and stores made with the application's own
 *           pointers, windows on a sub-communicator, windows freed before the image
 * Ranks: 2 3 4
 * Runtime: 6 s
 * Faces: mpich openmpi
 * Scenarios: ompi-ompi mpich-mpich ompi-mpich mpich-ompi (Open MPI 4.1 has no window over btl tcp,self)
 */
#include "cplib.h"
#define ROUNDS 30
#define WORDS 4096 /* per rank: 32 KiB, over several pages */
#define BOX (WORDS - 2) /* the mailbox words: a store at BOX, a Put at BOX + 1 */

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t *mine = NULL, *seg[64];
    MPI_Win win;
    MPICHK(MPI_Win_allocate_shared(WORDS * sizeof(uint64_t), sizeof(uint64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &mine,
                                   &win));
    for (int q = 0; q < size; q++) {
        MPI_Aint sz = 0;
        int du = 0;
        MPICHK(MPI_Win_shared_query(win, q, &sz, &du, &seg[q]));
        CHECK(sz == WORDS * sizeof(uint64_t) && du == sizeof(uint64_t));
    }
    CHECK(seg[rank] == mine);
    MPICHK(MPI_Win_lock_all(0, win));
    for (int i = 0; i < WORDS; i++) mine[i] = h64((uint64_t)(rank * WORDS + i));
    mine[BOX] = mine[BOX + 1] = 0;
    if (rank == 0) mine[0] = 0; /* the counter */
    MPICHK(MPI_Win_sync(win));
    MPI_Barrier(MPI_COMM_WORLD);
    /* Not two halves: Open MPI 4.1 names its osc/rdma backing file by job and
     * communicator id, so windows made at once on disjoint communicators with
     * the same id collide (natively too: docs/one-sided.md). */
    MPI_Comm half;
    MPICHK(MPI_Comm_split(MPI_COMM_WORLD, 0, size - rank, &half));
    int hr = 0, hn = 0;
    MPI_Comm_rank(half, &hr);
    MPI_Comm_size(half, &hn);
    MPI_Win hw = MPI_WIN_NULL;
    uint64_t *hmine = NULL;
    static uint64_t from_left[WORDS];
    uint64_t v[3] = {0, 0, 0}, one = 1;
    for (int round = 0; round < ROUNDS; round++) {
        MPICHK(MPI_Win_sync(win));
        /* read the left neighbour's segment with plain loads, computing between them */
        uint64_t acc = 0;
        for (int i = 1; i < BOX; i++) {
            from_left[i] = seg[left][i];
            if (i % 1024 == 0) acc ^= spin(1500000 + 500000 * (uint64_t)((rank + round) % 3), from_left[i]);
        }
        v[2] = fold(v[2], acc);
        MPI_Barrier(MPI_COMM_WORLD); /* everyone has read before anyone writes */
        for (int i = 1; i < BOX; i++) mine[i] = h64(mine[i] ^ from_left[i] ^ (uint64_t)round);
        uint64_t token = h64((uint64_t)(rank * 1000 + round));
        seg[right][BOX] = token; /* a store into the neighbour's segment */
        uint64_t put = token ^ 0x5555;
        MPICHK(MPI_Put(&put, 1, MPI_UINT64_T, right, BOX + 1, 1, MPI_UINT64_T, win));
        MPICHK(MPI_Accumulate(&one, 1, MPI_UINT64_T, 0, 0, 1, MPI_UINT64_T, MPI_SUM, win));
        nap(10 + 15 * ((rank + round) % 3));
        MPICHK(MPI_Win_flush_all(win));
        MPICHK(MPI_Win_sync(win));
        MPI_Barrier(MPI_COMM_WORLD);
        MPICHK(MPI_Win_sync(win));
        uint64_t expect = h64((uint64_t)(left * 1000 + round));
        CHECK(mine[BOX] == expect && mine[BOX + 1] == (expect ^ 0x5555));
        v[0] = fold(v[0], mine[BOX]);
        nap(5 + 10 * ((rank * 2 + round) % 3));
        if (round % 6 == 0) {
            MPICHK(MPI_Win_allocate_shared(hr == 0 ? 0 : 512 * sizeof(uint64_t), sizeof(uint64_t), MPI_INFO_NULL, half,
                                           &hmine, &hw));
            MPICHK(MPI_Win_lock_all(MPI_MODE_NOCHECK, hw)); /* Win_sync needs a passive-target epoch */
            for (int i = 0; hr > 0 && i < 512; i++) hmine[i] = h64((uint64_t)(round * 100 + hr) + (uint64_t)i);
            MPICHK(MPI_Win_sync(hw));
            MPI_Barrier(half);
        } else if (round % 6 == 5 && hw != MPI_WIN_NULL) {
            uint64_t *first = NULL;
            MPI_Aint fsz = 0;
            int fdu = 0;
            MPICHK(MPI_Win_sync(hw));
            MPICHK(MPI_Win_shared_query(hw, MPI_PROC_NULL, &fsz, &fdu, &first)); /* member 1: member 0's is empty */
            CHECK(fsz == 512 * sizeof(uint64_t));
            int made = round - 5;
            for (int q = 1; q < hn; q++) {
                uint64_t *p = NULL;
                MPI_Aint sz = 0;
                int du = 0;
                MPICHK(MPI_Win_shared_query(hw, q, &sz, &du, &p));
                CHECK(q != 1 || p == first);
                for (int i = 0; i < 512; i++) CHECK(p[i] == h64((uint64_t)(made * 100 + q) + (uint64_t)i));
                v[2] = fold(v[2], p[511]);
            }
            MPI_Barrier(half);
            MPICHK(MPI_Win_unlock_all(hw));
            MPICHK(MPI_Win_free(&hw));
        }
    }
    if (hw != MPI_WIN_NULL) {
        MPICHK(MPI_Win_unlock_all(hw));
        MPICHK(MPI_Win_free(&hw));
    }
    MPICHK(MPI_Comm_free(&half));
    MPICHK(MPI_Win_sync(win));
    MPI_Barrier(MPI_COMM_WORLD);
    MPICHK(MPI_Win_sync(win));
    uint64_t all = 0;
    for (int q = 0; q < size; q++)
        for (int i = 1; i < BOX; i++) all = fold(all, seg[q][i]);
    CHECK(seg[0][0] == (uint64_t)ROUNDS * size);
    v[1] = fold(all, seg[0][0]);
    MPICHK(MPI_Win_unlock_all(win));
    MPI_Barrier(MPI_COMM_WORLD);
    MPICHK(MPI_Win_free(&win));
    return cp_finish("cp_rma_shared", v, 3);
}
