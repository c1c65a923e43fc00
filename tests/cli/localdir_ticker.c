/* Rank 0 prints one line every 20 ms, line-buffered so that a test sees the
 * application run on while a checkpoint is copied; each line depends on an
 * Allreduce of every rank, so a step lost or repeated across a restart shows. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, steps = argc > 1 ? atoi(argv[1]) : 300;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    setvbuf(stdout, NULL, _IOLBF, 0);
    long acc = 0;
    for (int i = 0; i < steps; i++) {
        long v = (long)(rank + 1) * i, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        acc = acc * 31 + s;
        if (rank == 0)
            printf("step %d sum %ld acc %ld\n", i, s, acc);
        usleep(20000);
    }
    if (rank == 0)
        printf("done %ld\n", acc);
    MPI_Finalize();
    return 0;
}
