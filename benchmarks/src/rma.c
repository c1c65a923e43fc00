/* One-sided latency between ranks 0 and 1: 8-byte MPI_Put + MPI_Win_flush in a
 * lock_all epoch (put_lat_8B), and a whole fence epoch with one 8-byte Put per
 * rank (fence_epoch). Median of the repetitions; only rank 0 prints. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int quick = getenv("BENCH_QUICK") != NULL;
    int iters = quick ? 2000 : 20000, reps = 7;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "-n")) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r")) reps = atoi(argv[++i]);
    double *buf;
    MPI_Win win;
    MPI_Alloc_mem(64, MPI_INFO_NULL, &buf);
    MPI_Win_create(buf, 64, sizeof(double), MPI_INFO_NULL, MPI_COMM_WORLD, &win);
    double t[64], v = 1.0;
    MPI_Win_lock_all(0, win);
    for (int r = 0; r < reps && r < 64; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        if (rank == 0)
            for (int i = 0; i < iters; i++) {
                MPI_Put(&v, 1, MPI_DOUBLE, 1 % size, 0, 1, MPI_DOUBLE, win);
                MPI_Win_flush(1 % size, win);
            }
        t[r] = (MPI_Wtime() - t0) / iters * 1e6;
        MPI_Barrier(MPI_COMM_WORLD);
    }
    MPI_Win_unlock_all(win);
    qsort(t, (size_t)reps, sizeof t[0], cmp);
    if (rank == 0)
        printf("RESULT name=put_lat_8B value=%.3f unit=us\n", t[reps / 2]);
    int fiters = iters / 4;
    MPI_Win_fence(0, win);
    for (int r = 0; r < reps && r < 64; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < fiters; i++) {
            MPI_Put(&v, 1, MPI_DOUBLE, (rank + 1) % size, rank % 8, 1, MPI_DOUBLE, win);
            MPI_Win_fence(0, win);
        }
        double mine = (MPI_Wtime() - t0) / fiters * 1e6, slowest = 0;
        MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        t[r] = slowest;
    }
    MPI_Win_fence(MPI_MODE_NOSUCCEED, win);
    qsort(t, (size_t)reps, sizeof t[0], cmp);
    if (rank == 0)
        printf("RESULT name=fence_epoch value=%.3f unit=us\n", t[reps / 2]);
    MPI_Win_free(&win);
    MPI_Free_mem(buf);
    MPI_Finalize();
    return 0;
}
