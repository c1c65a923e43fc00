/* An MPI call ckpt-mpi does not support yet (one-sided windows): the job must
 * stop with one line naming the call and a non-zero exit, never crash or hang. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int buf[4];
    MPI_Win win;
    MPI_Win_create(buf, sizeof buf, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win);
    printf("unreachable\n");
    MPI_Finalize();
    return 0;
}
