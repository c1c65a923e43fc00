/*
 * bigmem.c - a large-memory program for the checkpoint/restart benchmark
 * (../run-checkpoint.sh).  Plain C, no MPI.
 *
 *   bigmem MIB [SECONDS] [SEED]
 *
 * Allocates MIB MiB on the heap and fills every word with xorshift64*
 * output (non-zero, incompressible), so every page is resident and must be
 * stored by a checkpoint.  Prints "ready" (flushed) once the buffer is
 * filled, then for SECONDS seconds (default 30) does light work: every
 * 50 ms it updates a few words at pseudo-random places (a deterministic
 * function of the step number) and sleeps.  The number of steps is fixed
 * (SECONDS * 20), not time-based, so the final contents do not depend on how
 * long a checkpoint paused the program or how much time passed between a
 * checkpoint and a restart.  When two steps are more than 0.5 s apart on the
 * wall clock (the process was stopped: a checkpoint pause, or a kill and a
 * restart) it prints
 *
 *   resumed at=<epoch seconds> gap=<seconds> step=<done>/<steps>
 *
 * so a script can tell when a restarted program runs again and how much work
 * was left.  Finally it hashes the whole buffer and prints
 *
 *   HASH <16 hex digits> mib=<MIB> steps=<n> seed=<SEED>
 *
 * An uninterrupted run and a checkpoint/kill/restart run with the same
 * arguments must print the same HASH line.
 *
 * Exit status: 0 ok, 1 allocation failed, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bigmem_common.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bigmem MIB [SECONDS] [SEED]\n");
        return 2;
    }
    long mib = strtol(argv[1], NULL, 10);
    long secs = argc > 2 ? strtol(argv[2], NULL, 10) : 30;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (mib <= 0 || secs < 0) {
        fprintf(stderr, "bigmem: MIB must be > 0 and SECONDS >= 0\n");
        return 2;
    }
    size_t bytes = (size_t)mib << 20;
    size_t nw = bytes / sizeof(uint64_t);
    uint64_t *buf = malloc(bytes);
    if (buf == NULL) {
        fprintf(stderr, "bigmem: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    xs_state = 0x853C49E6748FEA9BULL ^ (seed * 0x9E3779B97F4A7C15ULL);
    if (xs_state == 0)
        xs_state = 1;
    for (size_t i = 0; i < nw; i++) {
        uint64_t v = xorshift64s();
        buf[i] = v ? v : 1;                 /* never a zero word */
    }
    printf("ready mib=%ld buf=%p\n", mib, (void *)buf);
    fflush(stdout);

    long steps = secs * 20;
    struct timespec nap = { 0, 50 * 1000 * 1000 };
    double last = now_s();
    for (long s = 0; s < steps; s++) {
        double t = now_s();
        if (t - last > GAP_S) {
            /* the process was stopped (checkpoint pause, or killed and
             * restarted): say when it ran again, on the wall clock */
            printf("resumed at=%.6f gap=%.3f step=%ld/%ld\n", t, t - last, s, steps);
            fflush(stdout);
        }
        last = t;
        for (int k = 0; k < 8; k++) {
            uint64_t i = ((uint64_t)s * 8 + (uint64_t)k) * 0x9E3779B97F4A7C15ULL;
            buf[(i >> 11) % nw] += (uint64_t)s * 2 + 1;    /* odd: stays odd-ish, rarely 0 */
        }
        nanosleep(&nap, NULL);
    }

    printf("HASH %016llx mib=%ld steps=%ld seed=%llu\n",
           (unsigned long long)hash_buf(buf, nw), mib, steps, seed);
    fflush(stdout);
    free(buf);
    return 0;
}
