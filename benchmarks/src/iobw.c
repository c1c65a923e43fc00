/* Collective MPI-IO write bandwidth: every rank writes its contiguous share of
 * a file with MPI_File_write_at_all in 4 MiB pieces, then MPI_File_sync; the
 * slowest rank's time, barrier to barrier, gives the bandwidth (1 MB = 10^6
 * bytes); the median of the repetitions is reported.
 * Options: -m MiB (total per repetition, default 1024), -r reps (default 5). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long mib = getenv("BENCH_QUICK") ? 64 : 1024;
    int reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-m")) mib = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-r")) reps = atoi(argv[i + 1]);
    }
    const size_t piece = 4u << 20;
    long share = mib * (1L << 20) / size / (long)piece * (long)piece;
    char *buf = malloc(piece);
    for (size_t i = 0; i < piece; i++) buf[i] = (char)(i * 7 + rank);
    char path[512];
    int id = (int)getpid();
    MPI_Bcast(&id, 1, MPI_INT, 0, MPI_COMM_WORLD);
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/iobw.%d.dat", dir && *dir ? dir : ".", id);
    MPI_File fh;
    if (MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_WRONLY | MPI_MODE_DELETE_ON_CLOSE, MPI_INFO_NULL, &fh)) {
        if (rank == 0) fprintf(stderr, "iobw: cannot open %s\n", path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double *t = malloc(sizeof(double) * (size_t)(reps + 1));
    for (int r = 0; r <= reps; r++) { /* repetition 0 warms up */
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (long off = 0; off < share; off += (long)piece)
            MPI_File_write_at_all(fh, (MPI_Offset)rank * share + off, buf, (int)piece, MPI_BYTE, MPI_STATUS_IGNORE);
        MPI_File_sync(fh);
        double dt = MPI_Wtime() - t0, mx;
        MPI_Allreduce(&dt, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        t[r] = mx;
    }
    MPI_File_close(&fh);
    qsort(t + 1, (size_t)reps, sizeof(double), cmp);
    if (rank == 0) {
        double bytes = (double)share * size;
        printf("# %d ranks, %.0f MiB per repetition, %d repetitions\n", size, bytes / (1 << 20), reps);
        printf("RESULT name=io_write_all_bw value=%.1f unit=MBps\n", bytes / t[1 + reps / 2] / 1e6);
    }
    free(t);
    free(buf);
    MPI_Finalize();
    return 0;
}
