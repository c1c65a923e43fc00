/* tests/cli/fileref.sh: `fileref_app MIB STEPS LIB`. A few MiB of non-zero data
 * (so the image is mostly modified private memory), a dlopened library whose
 * .data it writes, and a ring of MPI steps; rank 0 prints every step and at
 * the end a hash of all its data, which a restarted run must reproduce. */
#include <dlfcn.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t words = (size_t)atol(argv[1]) << 17;
    long steps = atol(argv[2]);
    void *lib = dlopen(argv[3], RTLD_NOW);
    long (*step)(long) = lib ? (long (*)(long))dlsym(lib, "fileref_step") : NULL;
    if (!step) {
        fprintf(stderr, "dlopen %s: %s\n", argv[3], dlerror());
        return 1;
    }
    uint64_t *buf = malloc(words * 8), x = 88172645463325252ULL + (uint64_t)rank;
    for (size_t i = 0; i < words; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = x;
    }
    if (rank == 0)
        printf("ready pid=%d\n", (int)getpid()), fflush(stdout);
    long acc = 0;
    for (long i = 1; i <= steps; i++) {
        long mine = step(i) + (long)buf[(size_t)i * 4099 % words], total = 0;
        buf[(size_t)i * 7919 % words] += (uint64_t)i;
        MPI_Allreduce(&mine, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        acc = acc * 7 + total;
        if (rank == 0)
            printf("step %ld total %ld\n", i, total), fflush(stdout);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    uint64_t h = (uint64_t)acc;
    for (size_t i = 0; i < words; i++)
        h = (h ^ buf[i]) * 0x100000001b3ULL;
    uint64_t all = 0;
    MPI_Reduce(&h, &all, 1, MPI_UINT64_T, MPI_BXOR, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("done %016llx\n", (unsigned long long)all);
    MPI_Finalize();
    return 0;
}
