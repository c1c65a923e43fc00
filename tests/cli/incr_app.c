/* incr_app MIB STEPS PERCENT [MS]: MIB MiB of pages; at each step PERCENT %
 * of them (chosen by a fixed pseudo-random sequence) get the step's number and
 * a pattern derived from it, and one page in 64 of those is zapped instead
 * (MADV_DONTNEED: zero without a write). Every step checks every page against
 * the sequence number the program expects (kept in a separate array), so a
 * restored page of the wrong generation prints BAD. Sleeps MS ms per step
 * (default 40) so checkpoints land between steps. Last line: "done hash H bad N".
 * Built with -DWITH_MPI (mpicc.mpich) every rank does this with its own pages
 * and rank 0 prints the hashes and BAD counts of all, combined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#ifdef WITH_MPI
#include <mpi.h>
#endif

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int rank = 0;
#ifdef WITH_MPI
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
#endif
    size_t npages = (size_t)atoi(argv[1]) * 256, steps = (size_t)atoi(argv[2]), pct = (size_t)atoi(argv[3]);
    long ms = argc > 4 ? atol(argv[4]) : 40;
    uint64_t *mem = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t *want = calloc(npages, sizeof *want);
    if (mem == MAP_FAILED || !want)
        return 3;
    uint64_t bad = 0;
    for (size_t s = 1; s <= steps; s++) {
        size_t n = npages * pct / 100;
        for (size_t k = 0; k < n; k++) {
            size_t p = mix(s * 1000003 + k + (uint64_t)rank * 77777) % npages;
            uint64_t *pg = mem + p * 512;
            if (mix(s + 7 * k) % 64 == 0) {
                madvise(pg, 4096, MADV_DONTNEED);
                want[p] = 0;
                continue;
            }
            want[p] = s;
            for (int w = 0; w < 512; w += 8)
                pg[w] = mix(p * 65536 + s + (uint64_t)w);
            pg[1] = s;
        }
        uint64_t h = 0;
        for (size_t p = 0; p < npages; p++) {
            uint64_t *pg = mem + p * 512;
            uint64_t seq = pg[1];
            int okp = seq == want[p] && (seq == 0 ? pg[0] == 0 : pg[0] == mix(p * 65536 + seq));
            if (!okp && bad++ < 5)
                printf("BAD step %zu page %zu seq %llu want %llu\n", s, p, (unsigned long long)seq,
                       (unsigned long long)want[p]);
            h = mix(h ^ (seq + p * 131));
        }
#ifdef WITH_MPI
        uint64_t all = 0;
        MPI_Allreduce(&h, &all, 1, MPI_UINT64_T, MPI_BXOR, MPI_COMM_WORLD);
        h = all;
#endif
        if (rank == 0) {
            printf("step %zu hash %016llx\n", s, (unsigned long long)h);
            fflush(stdout);
        }
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    uint64_t h = 0;
    for (size_t p = 0; p < npages; p++)
        h = mix(h ^ (mem[p * 512 + 1] + p * 131));
#ifdef WITH_MPI
    uint64_t v[2] = {h, bad}, r[2] = {0, 0};
    MPI_Reduce(&v[0], &r[0], 1, MPI_UINT64_T, MPI_BXOR, 0, MPI_COMM_WORLD);
    MPI_Reduce(&v[1], &r[1], 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    h = r[0], bad = r[1];
    MPI_Finalize();
#endif
    if (rank == 0)
        printf("done hash %016llx bad %llu\n", (unsigned long long)h, (unsigned long long)bad);
    return 0;
}
