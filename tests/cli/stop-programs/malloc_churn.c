/* Every rank runs a thread that allocates and frees blocks too big for the
 * thread cache in a tight loop (with MALLOC_ARENA_MAX=1 every thread shares one
 * arena lock), while rank 0 keeps messages in flight to rank 1 that rank 1
 * receives late: each checkpoint parks the churning thread, often inside
 * malloc holding that lock, and must still drain the messages. */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define BURST 64
#define LEN 2048
static volatile int stop;
static volatile unsigned long churned;
static void *churn(void *arg)
{
    (void)arg;
    while (!stop) {
        char *p = malloc(100000);
        p[0] = (char)churned;
        free(p);
        churned++;
    }
    return NULL;
}
int main(int argc, char **argv)
{
    int provided, rank, rounds = argc > 1 ? atoi(argv[1]) : 40;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    pthread_t t;
    pthread_create(&t, NULL, churn, NULL);
    static char buf[BURST][LEN];
    unsigned long sum = 0;
    for (int r = 0; r < rounds; r++) {
        MPI_Request req[BURST];
        for (int i = 0; i < BURST; i++) {
            if (rank == 0) {
                memset(buf[i], (r * BURST + i) & 0xff, LEN);
                MPI_Isend(buf[i], LEN, MPI_CHAR, 1, i, MPI_COMM_WORLD, &req[i]);
            }
        }
        if (rank == 1) {
            usleep(100000); /* the burst stays in flight meanwhile */
            for (int i = 0; i < BURST; i++) {
                MPI_Recv(buf[i], LEN, MPI_CHAR, 0, i, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                sum = sum * 131 + (unsigned char)buf[i][LEN - 1];
            }
        } else if (rank == 0) {
            MPI_Status st[BURST];
            MPI_Waitall(BURST, req, st);
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    stop = 1;
    pthread_join(t, NULL);
    if (rank == 1)
        printf("sum %lu\n", sum);
    MPI_Finalize();
    return 0;
}
