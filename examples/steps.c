/* A small MPI job: every step a ring shift and an Allreduce on a communicator
 * it created (so a restart must rebuild it), then a pause. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    long n = argc > 1 ? atol(argv[1]) : 40;
    long acc = 0;
    for (long i = 1; i <= n; i++) {
        long mine = rank * 1000 + i, got = 0, total = 0;
        MPI_Sendrecv(&mine, 1, MPI_LONG, (rank + 1) % size, 0, &got, 1, MPI_LONG, (rank + size - 1) % size, 0, dup,
                     MPI_STATUS_IGNORE);
        MPI_Allreduce(&got, &total, 1, MPI_LONG, MPI_SUM, dup);
        acc = acc * 7 + total;
        if (rank == 0) {
            printf("step %ld total %ld\n", i, total);
            fflush(stdout);
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (rank == 0)
        printf("done %ld\n", acc);
    MPI_Comm_free(&dup);
    MPI_Finalize();
    return 0;
}
