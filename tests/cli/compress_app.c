/* compress_app MIB STEPS: each rank keeps MIB MiB of structured (compressible)
 * integers, and every step changes some of them, combines a hash of all of them
 * over the ranks and rank 0 prints "step S hash H"; 100 ms per step, so a run
 * lasts about STEPS/10 s whatever the load. A restore that lost or mixed up a
 * page prints another hash from then on. With -DCAPP_NO_MPI: the same
 * program as one process without MPI (for ckpt-mpi run --no-mpi). */
#ifdef CAPP_NO_MPI
#define MPI_Init(argc, argv) ((void)0)
#define MPI_Comm_rank(comm, r) (*(r) = 0)
#define MPI_Allreduce(in, out, n, type, op, comm) (*(out) = *(in))
#define MPI_Abort(comm, code) exit(code)
#define MPI_Finalize() ((void)0)
#else
#include <mpi.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 32) << 17; /* 8-byte words */
    int steps = argc > 2 ? atoi(argv[2]) : 60;
    uint64_t *a = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        MPI_Abort(MPI_COMM_WORLD, 1);
    for (size_t i = 0; i < n; i++)
        a[i] = (i / 512) % 1000 + (uint64_t)rank * 7 + (i % 3 == 0 ? i % 17 : 0);
    for (int s = 1; s <= steps; s++) {
        for (size_t i = (size_t)s % 61; i < n; i += 61)
            a[i] += (uint64_t)s * (i % 5);
        uint64_t h = 1469598103934665603ULL, all;
        for (size_t i = 0; i < n; i++)
            h = (h ^ a[i]) * 1099511628211ULL;
        MPI_Allreduce(&h, &all, 1, MPI_UINT64_T, MPI_BXOR, MPI_COMM_WORLD);
        if (rank == 0) {
            printf("step %d hash %016llx\n", s, (unsigned long long)all);
            fflush(stdout);
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    MPI_Finalize();
    return 0;
}
