/*
 * nbpingpong.c - non-blocking point-to-point cost between ranks 0 and 1.
 *
 *   nbpingpong_lat_8B : per exchange each side posts an MPI_Irecv and an
 *                       MPI_Isend of 8 bytes to the other and completes both
 *                       with one MPI_Waitall; time per exchange, in us.
 *   msgrate_8B        : a window of 64 MPI_Isend (rank 0) / MPI_Irecv
 *                       (rank 1), one MPI_Waitall each, a zero-byte ack;
 *                       time per message in us.
 *
 * Every message allocates and frees request handles, so under ckpt-mpi this is
 * the cost of request handle bookkeeping on top of the crossing. Median of
 * `reps` repetitions after a warm-up. Needs >= 2 ranks.
 *
 * Usage: nbpingpong [-n|--iters N] [-r|--reps N]
 *        BENCH_QUICK=1 -> ~10x fewer iterations (CI smoke test)
 */
#include <mpi.h>
#include "bench_common.h"

#define BYTES 8
#define WINDOW 64
#define MAX_REPS 101

/* Rank 0's time for `iters` exchanges: both ranks post an MPI_Irecv and an
 * MPI_Isend to each other and complete them with one MPI_Waitall. */
static double exchanges(int rank, char *buf, long iters)
{
    MPI_Request rq[2];
    MPI_Status st[2];
    int peer = 1 - rank;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long i = 0; i < iters && rank < 2; i++) {
        MPI_Irecv(buf + BYTES, BYTES, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &rq[0]);
        MPI_Isend(buf, BYTES, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &rq[1]);
        MPI_Waitall(2, rq, st);
    }
    double dt = MPI_Wtime() - t0;
    MPI_Bcast(&dt, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return dt;
}

/* Rank 0's time for `windows` windows of WINDOW messages. */
static double windows(int rank, char *buf, long windows)
{
    MPI_Request rq[WINDOW];
    MPI_Status st[WINDOW];
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long w = 0; w < windows && rank < 2; w++) {
        for (int i = 0; i < WINDOW; i++) {
            if (rank == 0)
                MPI_Isend(buf + i * BYTES, BYTES, MPI_BYTE, 1, 2, MPI_COMM_WORLD, &rq[i]);
            else
                MPI_Irecv(buf + i * BYTES, BYTES, MPI_BYTE, 0, 2, MPI_COMM_WORLD, &rq[i]);
        }
        MPI_Waitall(WINDOW, rq, st);
        if (rank == 0)
            MPI_Recv(NULL, 0, MPI_BYTE, 1, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        else
            MPI_Send(NULL, 0, MPI_BYTE, 0, 3, MPI_COMM_WORLD);
    }
    double dt = MPI_Wtime() - t0;
    MPI_Bcast(&dt, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return dt;
}

int main(int argc, char **argv)
{
    int rank, size, reps = 7;
    long iters = 100000;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (bench_iters_reps(argc, argv, rank, &iters, &reps, MAX_REPS, 100,
                         "usage: %s [-n|--iters N] [-r|--reps N]\n"
                         "  -n  exchanges (and 4/64 as many windows) per repetition (default 100000)\n"
                         "  -r  repetitions, median reported (default 7, max 101)\n"
                         "  env BENCH_QUICK=1 divides iteration counts by ~10\n")) {
        MPI_Finalize();
        return 2;
    }
    if (size < 2) {
        if (rank == 0)
            fprintf(stderr, "nbpingpong: needs at least 2 ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }

    char buf[WINDOW * BYTES];
    memset(buf, rank + 1, sizeof buf);
    long nwin = iters / WINDOW * 4 + 1;
    double lat[MAX_REPS], rate[MAX_REPS];
    exchanges(rank, buf, iters / 10 + 10);
    for (int r = 0; r < reps; r++)
        lat[r] = exchanges(rank, buf, iters) / (double)iters * 1e6;
    windows(rank, buf, nwin / 10 + 2);
    for (int r = 0; r < reps; r++)
        rate[r] = windows(rank, buf, nwin) / ((double)nwin * WINDOW) * 1e6;

    if (rank == 0) {
        printf("# nbpingpong: ranks=%d iters=%ld windows=%ld reps=%d quick=%d\n", size, iters, nwin, reps,
               bench_quick());
        printf("RESULT name=nbpingpong_lat_8B value=%.3f unit=us\n", median(lat, reps));
        printf("RESULT name=msgrate_8B value=%.4f unit=us\n", median(rate, reps));
        fflush(stdout);
    }
    MPI_Finalize();
    return 0;
}
