/*
 * allreduce.c - 8-byte MPI_Allreduce latency (one double, MPI_SUM), all ranks.
 *
 * Per repetition: barrier, `iters` back-to-back allreduces, per-call time on
 * each rank; the slowest rank's per-call time (MPI_MAX) is the repetition's
 * value.  The median over repetitions is reported in us.
 *
 * Usage: allreduce [-n|--iters N] [-r|--reps N]
 *        BENCH_QUICK=1 -> ~10x fewer iterations (CI smoke test)
 */
#include <mpi.h>
#include "bench_common.h"

#define MAX_REPS 101

int main(int argc, char **argv)
{
    int rank, size;
    long iters = 100000;
    int reps = 7;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (bench_iters_reps(argc, argv, rank, &iters, &reps, MAX_REPS, 100,
                         "usage: %s [-n|--iters N (default 100000)] [-r|--reps N (default 7)]\n"
                         "  env BENCH_QUICK=1 divides iterations by ~10\n")) {
        MPI_Finalize();
        return 2;
    }

    double in = (double)(rank + 1), out = 0.0, lat[MAX_REPS];
    const double expect = (double)size * (size + 1) / 2.0;
    int bad = 0;

    for (long i = 0; i < iters / 10 + 10; i++)              /* warm-up */
        MPI_Allreduce(&in, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);

    for (int r = 0; r < reps; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (long i = 0; i < iters; i++)
            MPI_Allreduce(&in, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        double per = (MPI_Wtime() - t0) / (double)iters * 1e6, worst;
        if (out != expect)
            bad = 1;
        MPI_Allreduce(&per, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        lat[r] = worst;
    }

    int anybad = 0;
    MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);

    if (rank == 0) {
        double med = median(lat, reps);
        printf("# allreduce: ranks=%d iters=%ld reps=%d quick=%d min=%.3f us max=%.3f us\n",
               size, iters, reps, bench_quick(), lat[0], lat[reps - 1]);
        if (anybad)
            printf("# allreduce: WRONG RESULT (expected %.1f)\n", expect);
        printf("CHECK name=allreduce_ok value=%d\n", anybad ? 0 : 1);
        printf("RESULT name=allreduce_lat_8B value=%.3f unit=us\n", med);
        fflush(stdout);
    }

    MPI_Finalize();
    return anybad ? 1 : 0;
}
