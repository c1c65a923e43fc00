/* MIB MiB of pseudo-random memory (dense, holey, read-only, as restore_data.c)
 * that the program keeps touching: "ready", then STEPS steps 20 ms apart, each
 * printing a hash of every word, writing one word, and now and then dropping
 * a MiB (madvise DONTNEED: reads as zero after) or moving the holey mapping
 * (mremap to a new address). After a lazy restart the first step touches every
 * page while the streamer still runs: a page served from the wrong place, too
 * late, twice or over a dropped one prints another hash than an uninterrupted
 * run. With a third argument "fork" the steps only sleep ("step N idle"),
 * except the first one in a restored process (its pid changed): it moves the holey mapping (mremap) and forks a child that
 * hashes the memory nothing touched since the restart and prints "forked
 * HASH", which must be the final hash. Built
 * with -DLAZY_MPI (mpicc.mpich) each rank has its own memory, rank 0 sends
 * 8 MiB of it to rank 1 every step, rank 0 prints the XOR of the ranks'
 * hashes (an MPI_Allreduce every step) and none forks. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef LAZY_MPI
#include <mpi.h>
#endif

#include "fill_pattern.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t hash(const uint64_t *p, size_t bytes, uint64_t h)
{
    for (size_t i = 0; i < bytes / 8; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

int main(int argc, char **argv)
{
    int rank = 0;
#ifdef LAZY_MPI
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    x += (uint64_t)rank * 0x9e3779b97f4a7c15ULL;
#endif
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 64, steps = argc > 2 ? (size_t)atol(argv[2]) : 40;
    int forks = argc > 3 && !strcmp(argv[3], "fork");
    size_t dense = mib / 2 << 20, holey = mib / 4 << 20, ro = (mib - mib / 2 - mib / 4) << 20;
    uint64_t *a = fill(dense, 0), *b = fill(holey, 1), *c = fill(ro, 0);
    mprotect(c, ro, PROT_READ);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (rank == 0)
        printf("ready\n");
    uint64_t h = 0;
    pid_t started_as = getpid();
    double last = now_s();
    (void)last;
    for (size_t s = 0; s < steps; s++) {
        usleep(20000);
#ifndef LAZY_MPI
        if (forks) {
            /* A restored process is a new one: its pid tells (a pause of the steps
             * was the sign before, and a quick restart made less than one). */
            if (getpid() != started_as) {
                started_as = getpid();
                /* moved before any of it is back: its pages must follow it */
                void *spare = mmap(NULL, holey, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                void *moved = mremap(b, holey, holey, MREMAP_MAYMOVE | MREMAP_FIXED, spare);
                if (moved == MAP_FAILED) { perror("mremap"); exit(1); }
                b = moved;
                pid_t child = fork();
                if (child == 0) {
                    printf("forked %016llx\n",
                           (unsigned long long)hash(c, ro, hash(b, holey, hash(a, dense, 14695981039346656037ULL))));
                    _exit(0);
                }
                waitpid(child, NULL, 0);
            }
            last = now_s();
            printf("step %zu idle\n", s);
            continue;
        }
#endif
        h = hash(c, ro, hash(b, holey, hash(a, dense, 14695981039346656037ULL)));
#ifdef LAZY_MPI
        /* 8 MiB of lazily restored memory from rank 0 into rank 1's: a large
         * message, which the MPI may copy across processes in the kernel
         * (process_vm_readv), faulting on pages of either that are not in yet */
        static uint64_t *in;
        size_t slice = (size_t)8 << 20;
        if (!in)
            in = fill(slice, 0);
        if (dense >= 2 * slice && rank < 2) {
            uint64_t *out = a + (s * slice / 8) % (dense / 8 - slice / 8);
            if (rank == 0)
                MPI_Send(out, (int)(slice / 8), MPI_UINT64_T, 1, 7, MPI_COMM_WORLD);
            else
                MPI_Recv(in, (int)(slice / 8), MPI_UINT64_T, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (rank == 1)
                h = hash(in, slice, h);
        }
        uint64_t all = 0;
        MPI_Allreduce(&h, &all, 1, MPI_UINT64_T, MPI_BXOR, MPI_COMM_WORLD);
        h = all;
#endif
        if (rank == 0)
            printf("step %zu %016llx\n", s, (unsigned long long)h);
        a[(s * 7919 * 512 + 3) % (dense / 8)] ^= s + 1;
        if (s % 5 == 4 && dense >= 4 << 20) {
            size_t at = (s * 977 % (dense / (1 << 20) - 1)) << 20;
            madvise((char *)a + at, 1 << 20, MADV_DONTNEED);
        }
        if (s % 5 == 2) {
            void *spare = mmap(NULL, holey, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            void *moved = mremap(b, holey, holey, MREMAP_MAYMOVE | MREMAP_FIXED, spare);
            if (moved == MAP_FAILED) { perror("mremap"); exit(1); }
            b = moved;
        }
    }
    if (forks)
        h = hash(c, ro, hash(b, holey, hash(a, dense, 14695981039346656037ULL)));
    if (rank == 0)
        printf("hash %016llx\n", (unsigned long long)h);
#ifdef LAZY_MPI
    MPI_Finalize();
#endif
    return 0;
}
