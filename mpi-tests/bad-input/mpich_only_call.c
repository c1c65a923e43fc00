/* MPICH-built binaries may call names outside the spec the face is generated from: the
 * large-count forms of MPI-4 (MPI_Send_c) and MPICH's extensions (MPIX_Comm_revoke).
 * Before the face exported them the dynamic linker refused such a binary with
 * "undefined symbol"; now the call stops the job with one line naming itself.
 * argv[1] picks the call, so that one binary checks both. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int buf[4] = {0};
    if (argc > 1 && strcmp(argv[1], "revoke") == 0)
        MPIX_Comm_revoke(MPI_COMM_WORLD);
    else
        MPI_Send_c(buf, (MPI_Count)4, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
    printf("unreachable\n");
    MPI_Finalize();
    return 0;
}
