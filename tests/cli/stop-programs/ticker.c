/* Rank 0 prints one line per step, each line depending on an Allreduce of
 * every rank: any line printed twice or missing after a stop and restart shows
 * in a byte comparison. Usage: ticker [STEPS] [PERIOD_US] [line]. Block-buffered
 * into a pipe by default (stdio buffers in the image must not print twice);
 * "line" makes each step visible at once, for tests that watch the job run on. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, steps = argc > 1 ? atoi(argv[1]) : 3000;
    useconds_t period = argc > 2 ? (useconds_t)atoi(argv[2]) : 1000;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc > 3 && argv[3][0] == 'l')
        setvbuf(stdout, NULL, _IOLBF, 0);
    long acc = 0;
    for (int i = 0; i < steps; i++) {
        long v = (long)(rank + 1) * i, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        acc = acc * 31 + s;
        if (rank == 0)
            printf("step %d sum %ld acc %ld\n", i, s, acc);
        usleep(period);
    }
    if (rank == 0)
        printf("done %ld\n", acc);
    MPI_Finalize();
    return 0;
}
