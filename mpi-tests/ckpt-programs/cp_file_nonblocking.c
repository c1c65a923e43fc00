/* Desc: non-blocking and split-collective I/O held across uneven compute:
 *       every step an MPI_File_iwrite_at and an MPI_File_iread_at of the
 *       previous step's block of the next rank are started, the ranks compute
 *       or sleep, then Waitall (or a Test loop); every other step a
 *       write_all_begin ... compute ... write_all_end, and every fourth an
 *       iwrite_all waited on after a pause. At the end the file is read back
 *       collectively and checksummed, then deleted.
 * Survives: requests of non-blocking I/O not yet waited on, a split collective
 *           between _begin and _end, the individual file pointer
 * Ranks: 2 3 4
 * Runtime: 6 s
 * Faces: mpich openmpi
 */
#include "cplib.h"
#include <unistd.h>
#define STEPS 24
#define B 128

static int64_t val(int s, int r, int i) { return (int64_t)(h64((uint64_t)(s * 7919 + r * 104729 + i)) >> 5); }

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    char path[512];
    cp_scratch_path(path, sizeof path, "cp_file_nonblocking", "dat");
    MPI_File fh;
    MPICHK(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
    /* region A: explicit offsets, one block per rank per step; region B: the
     * individual pointer (collective writes), after A */
    MPI_Offset blk = (MPI_Offset)B * 8, regA = blk * size * STEPS;
    MPICHK(MPI_File_seek(fh, regA + (MPI_Offset)rank * blk * STEPS, MPI_SEEK_SET));
    uint64_t v[4] = {0, 0, 0, 0};
    int64_t w[B], r[B], c[B];
    int next = (rank + 1) % size;
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < B; i++) w[i] = val(s, rank, i);
        MPI_Request rq[2];
        MPI_Status st[2];
        MPICHK(MPI_File_iwrite_at(fh, ((MPI_Offset)s * size + rank) * blk, w, B, MPI_INT64_T, &rq[0]));
        int have_prev = s > 0;
        if (have_prev)
            MPICHK(MPI_File_iread_at(fh, ((MPI_Offset)(s - 1) * size + next) * blk, r, B, MPI_INT64_T, &rq[1]));
        else
            rq[1] = MPI_REQUEST_NULL;
        v[3] = fold(v[3], spin(1000000u * (uint64_t)(1 + (rank + s) % 3), (uint64_t)s));
        nap(10 + 15 * ((rank + s) % 3));
        if (s % 2) {
            MPICHK(MPI_Waitall(2, rq, st));
        } else {
            int flag = 0;
            while (!flag) { MPICHK(MPI_Testall(2, rq, &flag, st)); if (!flag) nap(1); }
        }
        int cnt = -1;
        MPICHK(MPI_Get_count(&st[0], MPI_INT64_T, &cnt));
        CHECK(cnt == B);
        if (have_prev) {
            MPICHK(MPI_Get_count(&st[1], MPI_INT64_T, &cnt));
            CHECK(cnt == B);
            for (int i = 0; i < B; i++) { CHECK(r[i] == val(s - 1, next, i)); v[0] = fold(v[0], (uint64_t)r[i]); }
        }
        for (int i = 0; i < B; i++) c[i] = val(s, rank, i) ^ 0x5555;
        if (s % 4 == 3) {
            MPI_Request q;
            MPICHK(MPI_File_iwrite_all(fh, c, B, MPI_INT64_T, &q));
            nap(5 + 10 * rank);
            MPICHK(MPI_Wait(&q, &st[0]));
        } else if (s % 2) {
            MPICHK(MPI_File_write_all_begin(fh, c, B, MPI_INT64_T));
            v[2] = fold(v[2], spin(800000u * (uint64_t)(1 + rank), (uint64_t)s));
            nap(10 + 10 * ((rank + s) % 2));
            MPICHK(MPI_File_write_all_end(fh, c, &st[0]));
        } else {
            MPICHK(MPI_File_write_all(fh, c, B, MPI_INT64_T, &st[0]));
        }
        MPICHK(MPI_Get_count(&st[0], MPI_INT64_T, &cnt));
        CHECK(cnt == B);
        /* a collective write need not synchronise: the next step reads what `next` wrote in this one */
        MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    }
    MPI_Offset pos;
    MPICHK(MPI_File_get_position(fh, &pos));
    CHECK(pos == regA + (MPI_Offset)rank * blk * STEPS + blk * STEPS);
    MPICHK(MPI_File_sync(fh));
    MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    MPICHK(MPI_File_sync(fh));
    MPI_Offset sz;
    MPICHK(MPI_File_get_size(fh, &sz));
    CHECK(sz == 2 * regA);
    int64_t *all = malloc((size_t)sz);
    CHECK(all);
    MPICHK(MPI_File_read_at_all(fh, 0, all, (int)(sz / 8), MPI_INT64_T, MPI_STATUS_IGNORE));
    for (int s = 0; s < STEPS; s++)
        for (int q = 0; q < size; q++)
            for (int i = 0; i < B; i++) {
                CHECK(all[((size_t)s * size + q) * B + i] == val(s, q, i));
                CHECK(all[(size_t)STEPS * size * B + ((size_t)q * STEPS + s) * B + i] == (val(s, q, i) ^ 0x5555));
                v[1] = fold(v[1], (uint64_t)all[(size_t)STEPS * size * B + ((size_t)q * STEPS + s) * B + i]);
            }
    free(all);
    MPICHK(MPI_File_close(&fh));
    MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    if (rank == 0) MPICHK(MPI_File_delete(path, MPI_INFO_NULL));
    return cp_finish("cp_file_nonblocking", v, 4);
}
