/* An MPI call ckpt-mpi does not support (dynamic processes): the job must stop
 * with one line naming the call and a non-zero exit, never crash or hang. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm children;
    char *args[] = {NULL};
    MPI_Comm_spawn("true", args, 1, MPI_INFO_NULL, 0, MPI_COMM_WORLD, &children, MPI_ERRCODES_IGNORE);
    printf("unreachable\n");
    MPI_Finalize();
    return 0;
}
