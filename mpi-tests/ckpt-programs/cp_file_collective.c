/* Desc: a file written collectively every step through a view (a derived
 *       filetype interleaving the ranks' blocks, so the individual pointer
 *       carries the step), on a communicator the program frees right after the
 *       open; a second file takes one write_ordered record per step and, every
 *       third step, one write_shared record (any order) through the shared
 *       pointer; uneven compute between steps. At the end both files are read
 *       back and checksummed, their sizes checked, and deleted.
 * Survives: open files (path, amode, view, atomicity), the individual and the
 *           shared file pointer, file collectives on a freed communicator
 * Ranks: 2 3 4
 * Runtime: 6 s
 * Faces: mpich openmpi
 */
#include "cplib.h"
#include <unistd.h>
#define STEPS 30
#define B 64

static int64_t val(int s, int r, int i) { return (int64_t)(h64((uint64_t)(s * 1000003 + r * 1009 + i)) >> 4); }

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    char data[512], log[512];
    cp_scratch_path(data, sizeof data, "cp_file_collective", "dat");
    cp_scratch_path(log, sizeof log, "cp_file_collective", "log");
    MPI_Comm fcomm;
    MPICHK(MPI_Comm_dup(MPI_COMM_WORLD, &fcomm));
    MPI_File fd, fl;
    MPICHK(MPI_File_open(fcomm, data, MPI_MODE_CREATE | MPI_MODE_EXCL | MPI_MODE_RDWR, MPI_INFO_NULL, &fd));
    MPICHK(MPI_Comm_free(&fcomm)); /* the file stays open on its own */
    MPICHK(MPI_File_open(MPI_COMM_WORLD, log, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fl));
    MPI_Datatype vec, ft;
    MPICHK(MPI_Type_vector(1, B, B * size, MPI_INT64_T, &vec));
    MPICHK(MPI_Type_create_resized(vec, 0, (MPI_Aint)B * size * 8, &ft));
    MPICHK(MPI_Type_commit(&ft));
    MPICHK(MPI_Type_free(&vec));
    MPICHK(MPI_File_set_view(fd, (MPI_Offset)rank * B * 8, MPI_INT64_T, ft, "native", MPI_INFO_NULL));
    MPICHK(MPI_Type_free(&ft));
    MPICHK(MPI_File_set_atomicity(fl, 1));
    int nshared = 0;
    for (int s = 0; s < STEPS; s++) {
        int64_t blk[B], rec[4];
        for (int i = 0; i < B; i++) blk[i] = val(s, rank, i);
        uint64_t w = spin(1500000u * (uint64_t)(1 + (rank + s) % 3), (uint64_t)s);
        nap(10 + 20 * ((rank + s) % 3));
        MPI_Status st;
        MPICHK(MPI_File_write_all(fd, blk, B, MPI_INT64_T, &st));
        int cnt = -1;
        MPICHK(MPI_Get_count(&st, MPI_INT64_T, &cnt));
        CHECK(cnt == B);
        MPI_Offset pos;
        MPICHK(MPI_File_get_position(fd, &pos));
        CHECK(pos == (MPI_Offset)(s + 1) * B);
        rec[0] = 1; rec[1] = s; rec[2] = rank; rec[3] = (int64_t)(w & 0xffff);
        MPICHK(MPI_File_write_ordered(fl, rec, 4, MPI_INT64_T, MPI_STATUS_IGNORE));
        if (s % 3 == 2) {
            nap(5 * rank);
            rec[0] = 2; rec[3] = val(s, rank, -1);
            MPICHK(MPI_File_write_shared(fl, rec, 4, MPI_INT64_T, MPI_STATUS_IGNORE));
            nshared++;
            MPICHK(MPI_Barrier(MPI_COMM_WORLD)); /* the next write_ordered starts after every shared record */
        }
    }
    MPICHK(MPI_File_close(&fl));
    /* read back: the data file as plain bytes */
    MPICHK(MPI_File_set_view(fd, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
    MPI_Offset sz;
    MPICHK(MPI_File_get_size(fd, &sz));
    CHECK(sz == (MPI_Offset)STEPS * size * B * 8);
    uint64_t v[4] = {0, 0, 0, 0};
    int64_t *all = malloc((size_t)sz);
    CHECK(all);
    MPICHK(MPI_File_read_at_all(fd, 0, all, (int)(sz / 8), MPI_INT64_T, MPI_STATUS_IGNORE));
    for (int s = 0; s < STEPS; s++)
        for (int r = 0; r < size; r++)
            for (int i = 0; i < B; i++) {
                int64_t x = all[((size_t)s * size + r) * B + i];
                CHECK(x == val(s, r, i));
                v[0] = fold(v[0], (uint64_t)x);
            }
    free(all);
    MPICHK(MPI_File_close(&fd));
    MPICHK(MPI_File_open(MPI_COMM_WORLD, log, MPI_MODE_RDONLY, MPI_INFO_NULL, &fl));
    MPICHK(MPI_File_get_size(fl, &sz));
    int nrec = STEPS * size + nshared * size;
    CHECK(sz == (MPI_Offset)nrec * 32);
    int64_t *lg = malloc((size_t)sz);
    MPICHK(MPI_File_read_at(fl, 0, lg, nrec * 4, MPI_INT64_T, MPI_STATUS_IGNORE));
    int k = 0;
    uint64_t shared_sum = 0;
    for (int s = 0; s < STEPS; s++) {
        for (int r = 0; r < size; r++, k++) {
            CHECK(lg[k * 4] == 1 && lg[k * 4 + 1] == s && lg[k * 4 + 2] == r);
            v[1] = fold(v[1], (uint64_t)lg[k * 4 + 3]);
        }
        if (s % 3 == 2) {
            int seen = 0;
            for (int r = 0; r < size; r++, k++) {
                CHECK(lg[k * 4] == 2 && lg[k * 4 + 1] == s);
                int who = (int)lg[k * 4 + 2];
                CHECK(who >= 0 && who < size && !(seen & (1 << who)));
                seen |= 1 << who;
                CHECK(lg[k * 4 + 3] == val(s, who, -1));
                shared_sum += h64((uint64_t)lg[k * 4 + 3]);
            }
        }
    }
    free(lg);
    v[2] = shared_sum;
    v[3] = (uint64_t)nrec;
    MPICHK(MPI_File_close(&fl));
    MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    if (rank == 0) {
        MPICHK(MPI_File_delete(data, MPI_INFO_NULL));
        MPICHK(MPI_File_delete(log, MPI_INFO_NULL));
    }
    return cp_finish("cp_file_collective", v, 4);
}
