/* test: MPI-IO basics: open/close/delete, individual and explicit-offset writes and reads, collective _at_all, size/preallocate/set_size/sync, amode/group/atomicity/position/byte offset/type extent, MPI_Get_count on I/O statuses */
/* ranks: 1 2 4 */
#include "mt.h"
#include <unistd.h>

#define N 1000

static unsigned sum(const int *a, int n) { unsigned s = 0; for (int i = 0; i < n; i++) s = s * 31u + (unsigned)a[i]; return s; }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    char path[256];
    int id = mt_job_id();
    snprintf(path, sizeof path, "io_basic.%d.dat", id);
    MPI_File fh;
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
    CHECK(fh != MPI_FILE_NULL);
    int amode = 0;
    MPI_File_get_amode(fh, &amode);
    CHECK(amode == (MPI_MODE_CREATE | MPI_MODE_RDWR));
    MPI_Group g, wg; int cmp = -1;
    MPI_File_get_group(fh, &g);
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    MPI_Group_compare(g, wg, &cmp);
    CHECK(cmp == MPI_IDENT);
    MPI_Group_free(&g); MPI_Group_free(&wg);
    MPI_Aint ext = 0;
    MPI_File_get_type_extent(fh, MPI_INT, &ext);
    CHECK(ext == sizeof(int));

    /* individual pointer: each rank writes its block */
    int buf[N], back[N];
    for (int i = 0; i < N; i++) buf[i] = mt_rank * 100000 + i;
    MPI_Status st; int cnt = -1;
    CHECK_MPI(MPI_File_seek(fh, (MPI_Offset)mt_rank * N * sizeof(int), MPI_SEEK_SET));
    CHECK_MPI(MPI_File_write(fh, buf, N, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == N);
    MPI_Offset pos = -1, bo = -1;
    MPI_File_get_position(fh, &pos);
    CHECK(pos == (MPI_Offset)(mt_rank + 1) * N * sizeof(int));
    MPI_File_get_byte_offset(fh, pos, &bo);
    CHECK(bo == pos);
    CHECK_MPI(MPI_File_sync(fh));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_File_sync(fh));
    MPI_Offset size = -1;
    MPI_File_get_size(fh, &size);
    CHECK(size == (MPI_Offset)mt_size * N * sizeof(int));
    MPI_Barrier(MPI_COMM_WORLD); /* before a faster rank writes the next region */
    /* explicit offsets: read the next rank's block */
    int peer = (mt_rank + 1) % mt_size;
    CHECK_MPI(MPI_File_read_at(fh, (MPI_Offset)peer * N * sizeof(int), back, N, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == N);
    for (int i = 0; i < N; i++) CHECK(back[i] == peer * 100000 + i);
    mt_printf("read peer %d checksum %u count %d\n", peer, sum(back, N), cnt);

    /* collective with explicit offsets, after the first region */
    MPI_Offset base = (MPI_Offset)mt_size * N * sizeof(int);
    for (int i = 0; i < N; i++) buf[i] = -(mt_rank * 1000 + i);
    CHECK_MPI(MPI_File_write_at_all(fh, base + (MPI_Offset)mt_rank * N * sizeof(int), buf, N, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == N);
    CHECK_MPI(MPI_File_sync(fh));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_File_sync(fh));
    CHECK_MPI(MPI_File_read_at_all(fh, base + (MPI_Offset)peer * N * sizeof(int), back, N, MPI_INT, &st));
    for (int i = 0; i < N; i++) CHECK(back[i] == -(peer * 1000 + i));
    /* reading past the end: a short count */
    CHECK_MPI(MPI_File_read_at(fh, 2 * base - 8, back, 10, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == 2);
    MPI_Get_count(&st, MPI_BYTE, &cnt);
    CHECK(cnt == 8);
    mt_printf("collective checksum %u short-read bytes %d\n", sum(back, 2), cnt);

    /* atomicity, preallocate, set_size */
    int flag = -1;
    MPI_File_get_atomicity(fh, &flag);
    CHECK(flag == 0);
    CHECK_MPI(MPI_File_set_atomicity(fh, 1));
    MPI_File_get_atomicity(fh, &flag);
    CHECK(flag == 1);
    CHECK_MPI(MPI_File_set_atomicity(fh, 0));
    CHECK_MPI(MPI_File_preallocate(fh, 3 * base));
    MPI_File_get_size(fh, &size);
    CHECK(size == 3 * base);
    MPI_Barrier(MPI_COMM_WORLD); /* a faster rank's set_size may truncate before a slower one looked */
    CHECK_MPI(MPI_File_set_size(fh, base + 16));
    MPI_File_get_size(fh, &size);
    CHECK(size == base + 16);
    MPI_Info info;
    CHECK_MPI(MPI_File_get_info(fh, &info));
    int nkeys = -1;
    MPI_Info_get_nkeys(info, &nkeys);
    CHECK(nkeys >= 0);
    MPI_Info_free(&info);
    CHECK_MPI(MPI_File_close(&fh));
    CHECK(fh == MPI_FILE_NULL);

    /* reopen read-only and check the whole first region on rank 0 */
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_RDONLY, MPI_INFO_NULL, &fh));
    long total = 0;
    for (int r = 0; r < mt_size; r++) {
        CHECK_MPI(MPI_File_read(fh, back, N, MPI_INT, &st));
        for (int i = 0; i < N; i++) CHECK(back[i] == r * 100000 + i);
        total += back[N - 1];
    }
    MPI_File_get_position(fh, &pos);
    CHECK(pos == base);
#ifdef OPEN_MPI
    /* Fortran handles of files: the MPICH face has no MPI_File_c2f yet, the Open MPI face has */
    CHECK(MPI_File_f2c(MPI_File_c2f(fh)) == fh && MPI_File_f2c(MPI_File_c2f(MPI_FILE_NULL)) == MPI_FILE_NULL);
#endif
    CHECK_MPI(MPI_File_close(&fh));
    mt_printf("reread total %ld\n", total);
    MPI_Barrier(MPI_COMM_WORLD);
    if (mt_rank == 0) CHECK_MPI(MPI_File_delete(path, MPI_INFO_NULL));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK(access(path, F_OK) != 0);
    return mt_finish("io_basic");
}
