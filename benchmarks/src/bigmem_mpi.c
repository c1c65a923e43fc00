/*
 * bigmem_mpi.c - MPI version of bigmem.c for the checkpoint/restart
 * benchmark (../run-checkpoint.sh).  Build with mpicc.mpich (MPICH ABI).
 *
 *   mpirun -np N bigmem_mpi MIB [SECONDS] [SEED]
 *
 * Every rank allocates MIB MiB on the heap and fills it with xorshift64*
 * output seeded by SEED and the rank (non-zero, incompressible), then all
 * ranks meet in an MPI_Barrier and rank 0 prints "ready".  Each rank then
 * does light work for SECONDS seconds (default 30): every 50 ms it updates a
 * few words and sleeps; a fixed number of steps (SECONDS * 20), so the result
 * does not depend on timing.  A rank whose steps are more than 0.5 s apart
 * prints "resumed rank=<r> at=<epoch s> gap=<s> step=<done>/<steps>" (see
 * bigmem.c).  Finally each rank hashes its buffer, the hashes are combined
 * with MPI_Allreduce (MPI_BXOR of the per-rank hashes mixed with the rank,
 * as unsigned long long) and rank 0 prints
 *
 *   HASH <16 hex digits> mib=<MIB> ranks=<N> steps=<n> seed=<SEED>
 *
 * Only plain MPI-1 calls are used.
 */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bigmem_common.h"

/* Folds a rank's hash with its rank so the XOR over ranks depends on placement. */
static uint64_t mix(uint64_t h, uint64_t r)
{
    h ^= (r + 1) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 31;
    h *= 0xD6E8FEB86659FD93ULL;
    h ^= h >> 32;
    return h;
}

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 2 || argc > 4) {
        if (rank == 0)
            fprintf(stderr, "usage: bigmem_mpi MIB [SECONDS] [SEED]\n");
        MPI_Finalize();
        return 2;
    }
    long mib = strtol(argv[1], NULL, 10);
    long secs = argc > 2 ? strtol(argv[2], NULL, 10) : 30;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (mib <= 0 || secs < 0) {
        if (rank == 0)
            fprintf(stderr, "bigmem_mpi: MIB must be > 0 and SECONDS >= 0\n");
        MPI_Finalize();
        return 2;
    }
    size_t bytes = (size_t)mib << 20;
    size_t nw = bytes / sizeof(uint64_t);
    uint64_t *buf = malloc(bytes);
    if (buf == NULL) {
        fprintf(stderr, "bigmem_mpi: rank %d cannot allocate %ld MiB\n", rank, mib);
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
    }
    xs_state = 0x853C49E6748FEA9BULL ^ ((seed * 1000003ULL + (uint64_t)rank) * 0x9E3779B97F4A7C15ULL);
    if (xs_state == 0)
        xs_state = 1;
    for (size_t i = 0; i < nw; i++) {
        uint64_t v = xorshift64s();
        buf[i] = v ? v : 1;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        printf("ready mib=%ld ranks=%d\n", mib, size);
        fflush(stdout);
    }

    long steps = secs * 20;
    struct timespec nap = { 0, 50 * 1000 * 1000 };
    double last = now_s();
    for (long s = 0; s < steps; s++) {
        double t = now_s();
        if (t - last > GAP_S) {
            /* the process was stopped (checkpoint pause, or killed and
             * restarted): say when it ran again, on the wall clock */
            printf("resumed rank=%d at=%.6f gap=%.3f step=%ld/%ld\n", rank, t, t - last, s, steps);
            fflush(stdout);
        }
        last = t;
        for (int k = 0; k < 8; k++) {
            uint64_t i = ((uint64_t)s * 8 + (uint64_t)k + (uint64_t)rank * 7919) * 0x9E3779B97F4A7C15ULL;
            buf[(i >> 11) % nw] += (uint64_t)s * 2 + 1;
        }
        nanosleep(&nap, NULL);
    }

    unsigned long long mine = (unsigned long long)mix(hash_buf(buf, nw), (uint64_t)rank), all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_UNSIGNED_LONG_LONG, MPI_BXOR, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("HASH %016llx mib=%ld ranks=%d steps=%ld seed=%llu\n", all, mib, size, steps, seed);
        fflush(stdout);
    }
    free(buf);
    MPI_Finalize();
    return 0;
}
