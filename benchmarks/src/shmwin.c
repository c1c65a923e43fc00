/* A 64 MiB window over the ranks, shared (MPI_Win_allocate_shared) or not
 * (MPI_Win_allocate), argv[1] = "shared"|"alloc", filled with non-zero data,
 * then idle in barriers for argv[2] seconds (benchmarks/run-shmwin.sh). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int r, n;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Aint per = (64L << 20) / n;
    unsigned long *p;
    MPI_Win w;
    if (!strcmp(argv[1], "shared"))
        MPI_Win_allocate_shared(per, 8, MPI_INFO_NULL, MPI_COMM_WORLD, &p, &w);
    else
        MPI_Win_allocate(per, 8, MPI_INFO_NULL, MPI_COMM_WORLD, &p, &w);
    for (long i = 0; i < per / 8; i++) p[i] = i * 2654435761UL + r + 1;
    MPI_Win_lock_all(0, w);
    int secs = atoi(argv[2]);
    for (int s = 0; s < secs * 10; s++) { MPI_Barrier(MPI_COMM_WORLD); usleep(100000); }
    unsigned long sum = 0;
    MPI_Win_sync(w);
    for (long i = 0; i < per / 8; i++) sum += p[i];
    MPI_Win_unlock_all(w);
    MPI_Win_free(&w);
    if (r == 0) printf("done sum=%lu\n", sum);
    MPI_Finalize();
    return 0;
}
