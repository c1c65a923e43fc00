/*
 * bench_common.h - tiny helpers shared by the ckpt-mpi overhead benchmarks.
 *
 * Only plain MPI-1/MPI-2 calls are used by the benchmarks so that the
 * MPICH-ABI build runs unmodified under ckpt-mpi's face library.
 *
 * Output convention (parsed by ../run-overhead.sh):
 *   RESULT name=<metric> value=<number> unit=<us|MBps|s>
 *   CHECK  name=<what>   value=<number>            (correctness, not perf)
 * Everything else printed is informational ("# ..." lines).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* BENCH_QUICK=1 (any value other than "" / "0") -> ~10x fewer iterations. */
static inline int bench_quick(void)
{
    const char *q = getenv("BENCH_QUICK");
    return q != NULL && q[0] != '\0' && strcmp(q, "0") != 0;
}

/* Scale a default iteration count for quick mode (never below `floor`). */
static inline long bench_scale(long n, long floor)
{
    if (bench_quick()) {
        n /= 10;
        if (n < floor)
            n = floor;
    }
    return n;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1]; sorts v in place. */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (n % 2)
        return v[n / 2];
    return 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Parse a positive long from an option argument or die. */
static inline long parse_pos(const char *prog, const char *opt, const char *s)
{
    char *end = NULL;
    long v = strtol(s ? s : "", &end, 10);
    if (s == NULL || *s == '\0' || *end != '\0' || v <= 0) {
        fprintf(stderr, "%s: option %s needs a positive integer (got '%s')\n",
                prog, opt, s ? s : "");
        exit(2);
    }
    return v;
}

/* The options of a benchmark with one iteration count: -n|--iters N and
 * -r|--reps N (capped at max_reps). An unscaled default count is cut for quick
 * mode (never below `floor`). Returns 0, or 2 after printing `usage` (rank 0)
 * for an unknown option: the caller finalises MPI and exits with it. */
static inline int bench_iters_reps(int argc, char **argv, int rank, long *iters, int *reps, int max_reps,
                                   long floor, const char *usage)
{
    int explicit_iters = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-n") || !strcmp(a, "--iters")) {
            *iters = parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
            explicit_iters = 1;
        } else if (!strcmp(a, "-r") || !strcmp(a, "--reps")) {
            *reps = (int)parse_pos(argv[0], a, i + 1 < argc ? argv[++i] : NULL);
        } else {
            if (rank == 0)
                fprintf(stderr, usage, argv[0]);
            return 2;
        }
    }
    if (*reps > max_reps)
        *reps = max_reps;
    if (!explicit_iters)
        *iters = bench_scale(*iters, floor);
    return 0;
}

#endif
