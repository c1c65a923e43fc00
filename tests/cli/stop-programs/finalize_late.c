/* Rank 0 has printed everything (still in its stdio buffer) and waits inside
 * MPI_Finalize while the last rank computes for SECONDS more: a checkpoint
 * lands in MPI_Finalize, and the buffered output must appear exactly once. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, seconds = argc > 1 ? atoi(argv[1]) : 3;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long s = 0, v = rank + 1;
    MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        for (int i = 0; i < 500; i++)
            printf("line %d sum %ld\n", i, s * i);
    if (rank == size - 1)
        sleep((unsigned)seconds);
    MPI_Finalize();
    if (rank == 0)
        printf("after MPI_Finalize\n");
    return 0;
}
