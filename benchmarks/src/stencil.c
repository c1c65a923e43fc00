/*
 * stencil.c - compute-bound 2-D Jacobi mini-app (5-point Laplace stencil).
 *
 * Global grid: N x N interior points plus a fixed (Dirichlet) boundary:
 * top edge = 1.0, left edge = 0.5, right and bottom edges = 0.0.
 * 1-D row decomposition over all ranks; each iteration exchanges one halo
 * row with each neighbour via MPI_Sendrecv, then does a Jacobi sweep.
 * A fixed iteration count is run (no convergence test in the loop, so the
 * communication pattern is the same for every run).
 *
 * Prints the wall time (slowest rank, barrier to barrier, excluding setup)
 * and a checksum (global sum of the final interior values), which must be
 * identical for the same N / iterations / rank count regardless of the MPI
 * library underneath.
 *
 * Usage: stencil [-n|--iters N] [-s|--size N]
 *        defaults: size 1024, iters 8000 (~3 s at 2 ranks)
 *        BENCH_QUICK=1 -> ~10x fewer iterations (CI smoke test)
 */
#include <mpi.h>
#include "bench_common.h"

int main(int argc, char **argv)
{
    int rank, size;
    long n = 1024, iters = 8000;
    int explicit_iters = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-n") || !strcmp(a, "--iters")) {
            iters = parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
            explicit_iters = 1;
        } else if (!strcmp(a, "-s") || !strcmp(a, "--size")) {
            n = parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
        } else {
            if (rank == 0)
                fprintf(stderr, "usage: %s [-n|--iters N (default 8000)] "
                        "[-s|--size N (default 1024)]\n"
                        "  env BENCH_QUICK=1 divides iterations by ~10\n", argv[0]);
            MPI_Finalize();
            return 2;
        }
    }
    if (!explicit_iters)
        iters = bench_scale(iters, 10);
    if (n < size) {
        if (rank == 0)
            fprintf(stderr, "stencil: size %ld smaller than rank count %d\n", n, size);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }

    /* this rank owns nloc consecutive rows of the global interior */
    long base = n / size, rem = n % size;
    long nloc = base + (rank < rem ? 1 : 0);
    long ld = n + 2;                         /* row length incl. boundary cols */
    size_t cells = (size_t)(nloc + 2) * (size_t)ld;

    double *u = malloc(cells * sizeof *u);
    double *v = malloc(cells * sizeof *v);
    if (u == NULL || v == NULL) {
        fprintf(stderr, "stencil: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (size_t k = 0; k < cells; k++)
        u[k] = v[k] = 0.0;
    for (long i = 0; i < nloc + 2; i++) {    /* left boundary column */
        u[i * ld] = v[i * ld] = 0.5;
    }
    if (rank == 0)                           /* global top boundary row */
        for (long j = 0; j < ld; j++)
            u[j] = v[j] = 1.0;

    int up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    int down = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();

    for (long it = 0; it < iters; it++) {
        /* halo exchange: first owned row up / last owned row down */
        MPI_Sendrecv(&u[1 * ld], (int)ld, MPI_DOUBLE, up, 0,
                     &u[(nloc + 1) * ld], (int)ld, MPI_DOUBLE, down, 0,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Sendrecv(&u[nloc * ld], (int)ld, MPI_DOUBLE, down, 1,
                     &u[0], (int)ld, MPI_DOUBLE, up, 1,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);

        for (long i = 1; i <= nloc; i++) {
            const double *restrict un = &u[(i - 1) * ld];
            const double *restrict uc = &u[i * ld];
            const double *restrict us = &u[(i + 1) * ld];
            double *restrict vc = &v[i * ld];
            for (long j = 1; j <= n; j++)
                vc[j] = 0.25 * (un[j] + us[j] + uc[j - 1] + uc[j + 1]);
        }
        double *t = u; u = v; v = t;
    }

    double t1 = MPI_Wtime();
    double local = t1 - t0, wall;
    MPI_Allreduce(&local, &wall, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

    double lsum = 0.0, gsum = 0.0;
    for (long i = 1; i <= nloc; i++)
        for (long j = 1; j <= n; j++)
            lsum += u[i * ld + j];
    MPI_Reduce(&lsum, &gsum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);

    if (rank == 0) {
        printf("# stencil: ranks=%d size=%ld iters=%ld quick=%d rows/rank=%ld..%ld\n",
               size, n, iters, bench_quick(), base, base + (rem ? 1 : 0));
        printf("# stencil: %.1f Mupdates/s\n",
               (double)n * (double)n * (double)iters / wall / 1e6);
        printf("CHECK name=stencil_checksum value=%.12e\n", gsum);
        printf("RESULT name=stencil_time value=%.4f unit=s\n", wall);
        fflush(stdout);
    }

    free(u);
    free(v);
    MPI_Finalize();
    return 0;
}
