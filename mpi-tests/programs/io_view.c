/* test: MPI-IO views: a derived filetype interleaving the ranks' blocks, collective write/read through it, get_view (displacement, etype, a new filetype handle), byte offsets, the default view seen by a reader */
/* ranks: 1 2 3 4 */
#include "mt.h"
#include <unistd.h>

#define B 16
#define K 20

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    char path[256];
    int id = mt_job_id();
    snprintf(path, sizeof path, "io_view.%d.dat", id);
    MPI_File fh;
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
    /* default view */
    MPI_Offset disp = -1; MPI_Datatype et, ft; char rep[MPI_MAX_DATAREP_STRING];
    CHECK_MPI(MPI_File_get_view(fh, &disp, &et, &ft, rep));
    CHECK(disp == 0 && et == MPI_BYTE && ft == MPI_BYTE && strcmp(rep, "native") == 0);
    /* rank r owns blocks r, r+P, r+2P ... of B ints after a 64-byte header */
    MPI_Datatype vec, filetype;
    MPI_Type_vector(1, B, B * mt_size, MPI_INT, &vec);
    MPI_Type_create_resized(vec, 0, (MPI_Aint)B * mt_size * sizeof(int), &filetype);
    MPI_Type_commit(&filetype);
    MPI_Type_free(&vec);
    MPI_Offset hdr = 64;
    CHECK_MPI(MPI_File_set_view(fh, hdr + (MPI_Offset)mt_rank * B * sizeof(int), MPI_INT, filetype, "native", MPI_INFO_NULL));
    MPI_Type_free(&filetype); /* the file keeps its own */
    CHECK_MPI(MPI_File_get_view(fh, &disp, &et, &ft, rep));
    CHECK(disp == hdr + (MPI_Offset)mt_rank * B * sizeof(int) && et == MPI_INT && strcmp(rep, "native") == 0);
    /* Only its type map is fixed: ROMIO gives back a contiguous type, OMPIO a dup. */
    MPI_Aint lb, extent;
    MPI_Type_get_extent(ft, &lb, &extent);
    CHECK(extent == (MPI_Aint)B * mt_size * sizeof(int));
    MPI_Type_free(&ft);
    int data[B * K];
    for (int i = 0; i < B * K; i++) data[i] = mt_rank * 1000000 + i;
    MPI_Status st; int cnt;
    CHECK_MPI(MPI_File_write_all(fh, data, B * K, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == B * K);
    MPI_Offset pos, bo;
    MPI_File_get_position(fh, &pos);
    CHECK(pos == B * K);
    MPI_File_get_byte_offset(fh, B, &bo);
    CHECK(bo == hdr + (MPI_Offset)mt_rank * B * sizeof(int) + (MPI_Offset)B * mt_size * sizeof(int));
    CHECK_MPI(MPI_File_sync(fh));
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_MPI(MPI_File_sync(fh));
    /* read back through the view */
    int back[B * K];
    CHECK_MPI(MPI_File_seek(fh, 0, MPI_SEEK_SET));
    CHECK_MPI(MPI_File_read_all(fh, back, B * K, MPI_INT, &st));
    for (int i = 0; i < B * K; i++) CHECK(back[i] == data[i]);
    /* and the plain byte layout, on rank 0 */
    CHECK_MPI(MPI_File_set_view(fh, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
    long sum = 0; int ok = 1;
    if (mt_rank == 0) {
        int *all = malloc(sizeof(int) * B * K * mt_size);
        CHECK_MPI(MPI_File_read_at(fh, hdr, all, B * K * mt_size, MPI_INT, &st));
        for (int k = 0; k < K; k++)
            for (int r = 0; r < mt_size; r++)
                for (int i = 0; i < B; i++) {
                    int v = all[(k * mt_size + r) * B + i];
                    if (v != r * 1000000 + k * B + i) ok = 0;
                    sum += v;
                }
        free(all);
        printf("interleaved ok %d sum %ld\n", ok, sum);
    }
    MPI_Offset size;
    MPI_File_get_size(fh, &size);
    mt_printf("size %lld\n", (long long)size);
    CHECK_MPI(MPI_File_close(&fh));
    MPI_Barrier(MPI_COMM_WORLD);
    if (mt_rank == 0) CHECK_MPI(MPI_File_delete(path, MPI_INFO_NULL));
    return mt_finish("io_view");
}
