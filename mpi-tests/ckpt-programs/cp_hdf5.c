/* Desc: HDF5 over MPI-IO (Debian's libhdf5-mpich): a chunked 2-D dataset,
 *       one row per step written collectively (each rank its part of the row,
 *       H5FD_MPIO_COLLECTIVE), an attribute updated every step, uneven compute
 *       between steps; at the end the file is closed, reopened and read back
 *       and checksummed, then deleted (kept when CP_HDF5_KEEP is set, for h5dump).
 * Survives: an HDF5 file open across checkpoints (its MPI-IO file, communicator
 *           duplicates, derived types and info objects made by HDF5)
 * Ranks: 2 3 4
 * Runtime: 6 s
 * Faces: mpich
 * Libs: -I/usr/include/hdf5/mpich -L/usr/lib/x86_64-linux-gnu/hdf5/mpich -lhdf5
 */
#include "cplib.h"
#include <hdf5.h>
#include <unistd.h>
#define STEPS 24
#define B 256

static int64_t val(int s, int r, int i) { return (int64_t)(h64((uint64_t)(s * 65537 + r * 257 + i)) >> 3); }

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    char path[512];
    const char *keep = getenv("CP_HDF5_KEEP");
    if (keep && *keep)
        snprintf(path, sizeof path, "%s", keep);
    else
        cp_scratch_path(path, sizeof path, "cp_hdf5", "h5");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    CHECK(H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL) >= 0);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    CHECK(file >= 0);
    hsize_t dims[2] = {STEPS, (hsize_t)size * B}, chunk[2] = {1, B};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t dset = H5Dcreate2(file, "field", H5T_NATIVE_INT64, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(dset >= 0);
    hsize_t adims[1] = {1};
    hid_t aspace = H5Screate_simple(1, adims, NULL);
    hid_t attr = H5Acreate2(dset, "steps_done", H5T_NATIVE_INT, aspace, H5P_DEFAULT, H5P_DEFAULT);
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
    uint64_t v[4] = {0, 0, 0, 0};
    int64_t row[B];
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < B; i++) row[i] = val(s, rank, i);
        v[3] = fold(v[3], spin(1500000u * (uint64_t)(1 + (rank + s) % 3), (uint64_t)s));
        nap(10 + 20 * ((rank + s) % 3));
        hsize_t start[2] = {(hsize_t)s, (hsize_t)rank * B}, count[2] = {1, B};
        hid_t fs = H5Dget_space(dset);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t ms = H5Screate_simple(2, count, NULL);
        CHECK(H5Dwrite(dset, H5T_NATIVE_INT64, ms, fs, xfer, row) >= 0);
        H5Sclose(ms);
        H5Sclose(fs);
        int done = s + 1;
        CHECK(H5Awrite(attr, H5T_NATIVE_INT, &done) >= 0);
        if (s % 6 == 5) CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0);
    }
    H5Aclose(attr);
    H5Sclose(aspace);
    H5Pclose(xfer);
    H5Dclose(dset);
    H5Pclose(dcpl);
    H5Sclose(space);
    CHECK(H5Fclose(file) >= 0);
    /* read back, every rank the whole dataset */
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    CHECK(file >= 0);
    dset = H5Dopen2(file, "field", H5P_DEFAULT);
    int64_t *all = malloc(sizeof(int64_t) * STEPS * size * B);
    CHECK(H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) >= 0);
    for (int s = 0; s < STEPS; s++)
        for (int r = 0; r < size; r++)
            for (int i = 0; i < B; i++) {
                int64_t x = all[((size_t)s * size + r) * B + i];
                CHECK(x == val(s, r, i));
                v[0] = fold(v[0], (uint64_t)x);
            }
    free(all);
    attr = H5Aopen(dset, "steps_done", H5P_DEFAULT);
    int done = 0;
    H5Aread(attr, H5T_NATIVE_INT, &done);
    CHECK(done == STEPS);
    v[1] = (uint64_t)done;
    H5Aclose(attr);
    H5Dclose(dset);
    CHECK(H5Fclose(file) >= 0);
    H5Pclose(fapl);
    MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    if (rank == 0 && !(keep && *keep)) CHECK(unlink(path) == 0);
    return cp_finish("cp_hdf5", v, 4);
}
