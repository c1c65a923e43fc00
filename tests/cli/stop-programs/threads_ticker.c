/* A second thread prints one line per millisecond while the main thread
 * runs collectives (MPI_THREAD_FUNNELED): a stop must freeze both threads
 * at the image, so no tick is printed by the stopped job that the restarted
 * one prints again. */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static int ticks = 3000;
static void *ticker(void *arg)
{
    (void)arg;
    unsigned long x = 88172645463325252UL;
    for (int i = 0; i < ticks; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        printf("tick %d %lx\n", i, x);
        usleep(1000);
    }
    return NULL;
}
int main(int argc, char **argv)
{
    int provided, rank;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc > 1)
        ticks = atoi(argv[1]);
    pthread_t t;
    if (rank == 0)
        pthread_create(&t, NULL, ticker, NULL);
    long acc = 0;
    for (int i = 0; i < ticks / 2; i++) {
        long v = rank + i, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        acc += s;
        usleep(2000);
    }
    if (rank == 0) {
        pthread_join(t, NULL);
        printf("done %ld\n", acc);
    }
    MPI_Finalize();
    return 0;
}
