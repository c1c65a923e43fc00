/* test: MPI-IO shared file pointer: write_shared (any order), write_ordered (rank order), seek_shared, get_position_shared, read_ordered, read_shared */
/* ranks: 1 2 4 */
#include "mt.h"
#include <unistd.h>

#define R 8

/* The shared pointer as every rank sees it between two collective points: the
 * next shared-pointer call of a faster rank may move it before a slower one looks. */
static void check_shared(MPI_File fh, MPI_Offset expect) {
    MPI_Offset sp = -1;
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_File_get_position_shared(fh, &sp));
    CHECK(sp == expect);
    MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    char path[256];
    int id = mt_job_id();
    snprintf(path, sizeof path, "io_shared.%d.dat", id);
    MPI_File fh;
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR | MPI_MODE_DELETE_ON_CLOSE, MPI_INFO_NULL, &fh));
    check_shared(fh, 0);
    int rec[R];
    for (int i = 0; i < R; i++) rec[i] = mt_rank * 100 + i;
    MPI_Status st; int cnt;
    /* each rank appends one record through the shared pointer, in any order */
    CHECK_MPI(MPI_File_write_shared(fh, rec, R, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == R);
    CHECK_MPI(MPI_File_sync(fh));
    check_shared(fh, (MPI_Offset)mt_size * R * sizeof(int));
    /* then in rank order */
    for (int i = 0; i < R; i++) rec[i] = 10000 + mt_rank * 100 + i;
    CHECK_MPI(MPI_File_write_ordered(fh, rec, R, MPI_INT, &st));
    check_shared(fh, 2 * (MPI_Offset)mt_size * R * sizeof(int));
    CHECK_MPI(MPI_File_sync(fh));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_File_sync(fh));
    /* every record of the first part exactly once */
    int *all = malloc(sizeof(int) * R * mt_size);
    CHECK_MPI(MPI_File_read_at(fh, 0, all, R * mt_size, MPI_INT, &st));
    int seen = 0;
    for (int k = 0; k < mt_size; k++) {
        int r = all[k * R] / 100;
        CHECK(r >= 0 && r < mt_size);
        for (int i = 0; i < R; i++) CHECK(all[k * R + i] == r * 100 + i);
        seen |= 1 << r;
    }
    CHECK(seen == (1 << mt_size) - 1);
    free(all);
    /* back to the ordered part, read it in rank order */
    CHECK_MPI(MPI_File_seek_shared(fh, (MPI_Offset)mt_size * R * sizeof(int), MPI_SEEK_SET));
    int back[R];
    CHECK_MPI(MPI_File_read_ordered(fh, back, R, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == R);
    for (int i = 0; i < R; i++) CHECK(back[i] == 10000 + mt_rank * 100 + i);
    check_shared(fh, 2 * (MPI_Offset)mt_size * R * sizeof(int));
    /* seek_shared relative to the end, then one rank reads the last record */
    CHECK_MPI(MPI_File_seek_shared(fh, -(MPI_Offset)R * sizeof(int), MPI_SEEK_END));
    if (mt_rank == 0) {
        CHECK_MPI(MPI_File_read_shared(fh, back, R, MPI_INT, &st));
        for (int i = 0; i < R; i++) CHECK(back[i] == 10000 + (mt_size - 1) * 100 + i);
        printf("last record from rank %d\n", back[0] / 100 - 100);
    }
    mt_printf("ordered %d..%d\n", back[0], back[R - 1]);
    CHECK_MPI(MPI_File_close(&fh));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK(access(path, F_OK) != 0); /* MPI_MODE_DELETE_ON_CLOSE */
    return mt_finish("io_shared");
}
