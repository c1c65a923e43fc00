/* Rank 0 prints one line per millisecond (block-buffered into a pipe), each
 * line depending on an Allreduce of every rank: any line printed twice or
 * missing after a stop and restart shows in a byte comparison. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, steps = argc > 1 ? atoi(argv[1]) : 3000;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long acc = 0;
    for (int i = 0; i < steps; i++) {
        long v = (long)(rank + 1) * i, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        acc = acc * 31 + s;
        if (rank == 0)
            printf("step %d sum %ld acc %ld\n", i, s, acc);
        usleep(1000);
    }
    if (rank == 0)
        printf("done %ld\n", acc);
    MPI_Finalize();
    return 0;
}
