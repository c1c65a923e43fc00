/*
 * pingpong.c - point-to-point latency and bandwidth between ranks 0 and 1.
 *
 *   latency   : 8-byte ping-pong, one-way latency = round-trip / 2, in us
 *   bandwidth : 4 MiB ping-pong, MB/s (1 MB = 1e6 bytes) counting both
 *               directions' messages: 2 * iters * bytes / elapsed
 *
 * Each metric is measured `reps` times after a warm-up; the median of the
 * repetitions is reported.  Needs >= 2 ranks (ranks >= 2 only join barriers).
 *
 * Usage: pingpong [-n|--iters N] [-b|--bw-iters N] [-r|--reps N]
 *        BENCH_QUICK=1 -> ~10x fewer iterations (CI smoke test)
 */
#include <mpi.h>
#include "bench_common.h"

#define LAT_BYTES 8
#define BW_BYTES (4L * 1024 * 1024)
#define MAX_REPS 101

static void usage(const char *p)
{
    fprintf(stderr,
            "usage: %s [-n|--iters N] [-b|--bw-iters N] [-r|--reps N]\n"
            "  -n  8-byte round trips per repetition (default 100000)\n"
            "  -b  4 MiB round trips per repetition (default 100)\n"
            "  -r  repetitions, median reported (default 7, max %d)\n"
            "  env BENCH_QUICK=1 divides iteration counts by ~10\n",
            p, MAX_REPS);
}

/* One timed ping-pong phase: `iters` round trips of `bytes` bytes. */
static double pingpong(int rank, char *buf, int bytes, long iters)
{
    double t0, t1;
    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    if (rank == 0) {
        for (long i = 0; i < iters; i++) {
            MPI_Send(buf, bytes, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, bytes, MPI_BYTE, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
    } else if (rank == 1) {
        for (long i = 0; i < iters; i++) {
            MPI_Recv(buf, bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, bytes, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        }
    }
    t1 = MPI_Wtime();
    /* rank 0's clock is authoritative; it saw every round trip complete */
    double dt = t1 - t0;
    MPI_Bcast(&dt, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return dt;
}

int main(int argc, char **argv)
{
    int rank, size;
    long lat_iters = 100000, bw_iters = 100;
    int reps = 7;
    int explicit_lat = 0, explicit_bw = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-n") || !strcmp(a, "--iters")) {
            lat_iters = parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
            explicit_lat = 1;
        } else if (!strcmp(a, "-b") || !strcmp(a, "--bw-iters")) {
            bw_iters = parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
            explicit_bw = 1;
        } else if (!strcmp(a, "-r") || !strcmp(a, "--reps")) {
            reps = (int)parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
        } else {
            if (rank == 0)
                usage(argv[0]);
            MPI_Finalize();
            return 2;
        }
    }
    if (reps > MAX_REPS)
        reps = MAX_REPS;
    if (!explicit_lat)
        lat_iters = bench_scale(lat_iters, 100);
    if (!explicit_bw)
        bw_iters = bench_scale(bw_iters, 5);

    if (size < 2) {
        if (rank == 0)
            fprintf(stderr, "pingpong: needs at least 2 ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }

    char *buf = malloc(BW_BYTES);
    if (buf == NULL) {
        fprintf(stderr, "pingpong: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(buf, rank + 1, BW_BYTES);

    double lat[MAX_REPS], bw[MAX_REPS];

    /* ---- 8-byte latency ---- */
    pingpong(rank, buf, LAT_BYTES, lat_iters / 10 + 10);   /* warm-up */
    for (int r = 0; r < reps; r++) {
        double dt = pingpong(rank, buf, LAT_BYTES, lat_iters);
        lat[r] = dt / (2.0 * (double)lat_iters) * 1e6;
    }

    /* ---- 4 MiB bandwidth ---- */
    pingpong(rank, buf, (int)BW_BYTES, bw_iters / 10 + 2);  /* warm-up */
    for (int r = 0; r < reps; r++) {
        double dt = pingpong(rank, buf, (int)BW_BYTES, bw_iters);
        bw[r] = 2.0 * (double)bw_iters * (double)BW_BYTES / dt / 1e6;
    }

    if (rank == 0) {
        double lat_med = median(lat, reps), bw_med = median(bw, reps);
        printf("# pingpong: ranks=%d lat_iters=%ld bw_iters=%ld reps=%d quick=%d\n",
               size, lat_iters, bw_iters, reps, bench_quick());
        printf("# pingpong: latency min=%.3f us max=%.3f us; bandwidth min=%.1f max=%.1f MB/s\n",
               lat[0], lat[reps - 1], bw[0], bw[reps - 1]);
        printf("RESULT name=pingpong_lat_8B value=%.3f unit=us\n", lat_med);
        printf("RESULT name=pingpong_bw_4MiB value=%.1f unit=MBps\n", bw_med);
        fflush(stdout);
    }

    free(buf);
    MPI_Finalize();
    return 0;
}
