/* A deterministic MPI computation that takes its time: STEPS steps of a
 * ring exchange and an Allreduce, each followed by a pause of PAUSE_MS, then
 * one line with the result. The pause only sets the pace (a shortened sleep
 * changes nothing), so the answer depends on STEPS alone and a run that is
 * checkpointed and restarted any number of times must print the same line as
 * an uninterrupted one. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long steps = argc > 1 ? atol(argv[1]) : 100;
    long pause_ms = argc > 2 ? atol(argv[2]) : 100;
    uint64_t state = 0x9e3779b97f4a7c15ull * (uint64_t)(rank + 1), acc = 0;
    for (long i = 1; i <= steps; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull + (uint64_t)i;
        uint64_t got = 0, total = 0;
        MPI_Sendrecv(&state, 1, MPI_UINT64_T, (rank + 1) % size, 0, &got, 1, MPI_UINT64_T, (rank + size - 1) % size,
                     0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        state ^= got >> 7;
        MPI_Allreduce(&state, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        acc = (acc << 5 | acc >> 59) ^ total;
        struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (rank == 0)
        printf("%ld steps on %d ranks: %016llx\n", steps, size, (unsigned long long)acc);
    MPI_Finalize();
    return 0;
}
