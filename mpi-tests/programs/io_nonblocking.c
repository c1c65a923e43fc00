/* test: MPI-IO non-blocking (iwrite_at/iread_at, iwrite/iread, iwrite_shared, iwrite_all/iread_at_all) and split collectives (write_all_begin/end, read_at_all_begin/end, write_ordered_begin/end): requests complete, statuses count */
/* ranks: 1 2 4 */
#include "mt.h"
#include <unistd.h>

#define N 256

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    char path[256];
    int id = mt_job_id();
    snprintf(path, sizeof path, "io_nb.%d.dat", id);
    MPI_File fh;
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
    int a[N], b[N], c[N];
    for (int i = 0; i < N; i++) { a[i] = mt_rank * N + i; b[i] = -1; }
    MPI_Offset blk = (MPI_Offset)N * sizeof(int), region = blk * mt_size;
    MPI_Request rq[2]; MPI_Status st[2]; int cnt, flag;
    CHECK_MPI(MPI_File_iwrite_at(fh, mt_rank * blk, a, N, MPI_INT, &rq[0]));
    CHECK_MPI(MPI_Wait(&rq[0], &st[0]));
    MPI_Get_count(&st[0], MPI_INT, &cnt);
    CHECK(cnt == N && rq[0] == MPI_REQUEST_NULL);
    CHECK_MPI(MPI_File_sync(fh)); MPI_Barrier(MPI_COMM_WORLD); CHECK_MPI(MPI_File_sync(fh));
    int peer = (mt_rank + 1) % mt_size;
    CHECK_MPI(MPI_File_iread_at(fh, peer * blk, b, N, MPI_INT, &rq[0]));
    do { CHECK_MPI(MPI_Test(&rq[0], &flag, &st[0])); } while (!flag);
    MPI_Get_count(&st[0], MPI_INT, &cnt);
    CHECK(cnt == N);
    for (int i = 0; i < N; i++) CHECK(b[i] == peer * N + i);
    /* individual pointer forms, two at once */
    CHECK_MPI(MPI_File_seek(fh, region + mt_rank * blk, MPI_SEEK_SET));
    CHECK_MPI(MPI_File_iwrite(fh, a, N / 2, MPI_INT, &rq[0]));
    CHECK_MPI(MPI_File_iwrite(fh, a + N / 2, N / 2, MPI_INT, &rq[1]));
    CHECK_MPI(MPI_Waitall(2, rq, st));
    MPI_Get_count(&st[1], MPI_INT, &cnt);
    CHECK(cnt == N / 2);
    CHECK_MPI(MPI_File_seek(fh, region + mt_rank * blk, MPI_SEEK_SET));
    CHECK_MPI(MPI_File_iread(fh, c, N, MPI_INT, &rq[0]));
    CHECK_MPI(MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
    for (int i = 0; i < N; i++) CHECK(c[i] == a[i]);
    /* MPI-3.1 non-blocking collectives */
    for (int i = 0; i < N; i++) a[i] = 7 * (mt_rank * N + i);
    CHECK_MPI(MPI_File_seek(fh, 2 * region + mt_rank * blk, MPI_SEEK_SET));
    CHECK_MPI(MPI_File_iwrite_all(fh, a, N, MPI_INT, &rq[0]));
    CHECK_MPI(MPI_Wait(&rq[0], &st[0]));
    MPI_Get_count(&st[0], MPI_INT, &cnt);
    CHECK(cnt == N);
    CHECK_MPI(MPI_File_sync(fh)); MPI_Barrier(MPI_COMM_WORLD); CHECK_MPI(MPI_File_sync(fh));
    CHECK_MPI(MPI_File_iread_at_all(fh, 2 * region + peer * blk, b, N, MPI_INT, &rq[0]));
    CHECK_MPI(MPI_Wait(&rq[0], &st[0]));
    for (int i = 0; i < N; i++) CHECK(b[i] == 7 * (peer * N + i));
    /* split collectives */
    for (int i = 0; i < N; i++) a[i] = 11 * (mt_rank * N + i);
    CHECK_MPI(MPI_File_seek(fh, 3 * region + mt_rank * blk, MPI_SEEK_SET));
    CHECK_MPI(MPI_File_write_all_begin(fh, a, N, MPI_INT));
    CHECK_MPI(MPI_File_write_all_end(fh, a, &st[0]));
    MPI_Get_count(&st[0], MPI_INT, &cnt);
    CHECK(cnt == N);
    CHECK_MPI(MPI_File_sync(fh)); MPI_Barrier(MPI_COMM_WORLD); CHECK_MPI(MPI_File_sync(fh));
    CHECK_MPI(MPI_File_read_at_all_begin(fh, 3 * region + peer * blk, b, N, MPI_INT));
    CHECK_MPI(MPI_File_read_at_all_end(fh, b, &st[0]));
    MPI_Get_count(&st[0], MPI_INT, &cnt);
    CHECK(cnt == N);
    for (int i = 0; i < N; i++) CHECK(b[i] == 11 * (peer * N + i));
    CHECK_MPI(MPI_File_seek_shared(fh, 4 * region, MPI_SEEK_SET));
    CHECK_MPI(MPI_File_write_ordered_begin(fh, a, N, MPI_INT));
    CHECK_MPI(MPI_File_write_ordered_end(fh, a, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_File_sync(fh)); MPI_Barrier(MPI_COMM_WORLD); CHECK_MPI(MPI_File_sync(fh));
    CHECK_MPI(MPI_File_read_at(fh, 4 * region + mt_rank * blk, c, N, MPI_INT, &st[0]));
    for (int i = 0; i < N; i++) CHECK(c[i] == a[i]);
    /* a shared-pointer iwrite lands somewhere after the ordered part */
    CHECK_MPI(MPI_File_iwrite_shared(fh, a, 1, MPI_INT, &rq[0]));
    CHECK_MPI(MPI_Wait(&rq[0], &st[0]));
    MPI_Get_count(&st[0], MPI_INT, &cnt);
    CHECK(cnt == 1);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Offset size;
    CHECK_MPI(MPI_File_get_size(fh, &size));
    CHECK(size == 5 * region + mt_size * (MPI_Offset)sizeof(int));
    long s = 0;
    for (int i = 0; i < N; i++) s += b[i] + c[i];
    mt_printf("sum %ld size %lld\n", s, (long long)size);
    CHECK_MPI(MPI_File_close(&fh));
    MPI_Barrier(MPI_COMM_WORLD);
    if (mt_rank == 0) CHECK_MPI(MPI_File_delete(path, MPI_INFO_NULL));
    return mt_finish("io_nonblocking");
}
