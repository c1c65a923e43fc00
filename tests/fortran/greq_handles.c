/* C half of greq_handles.f90: Fortran handles through MPI_*_f2c and back (MPI_Fint in,
 * the same MPI_Fint out), and the C object they name (the communicator's size). */
#include <mpi.h>

int roundtrip_c(MPI_Fint *comm, MPI_Fint *type, MPI_Fint *op, MPI_Fint *req, MPI_Fint *size);

int roundtrip_c(MPI_Fint *comm, MPI_Fint *type, MPI_Fint *op, MPI_Fint *req, MPI_Fint *size)
{
    MPI_Comm c = MPI_Comm_f2c(*comm);
    int n = -1, bytes = -1;
    if (c == MPI_COMM_NULL || MPI_Comm_size(c, &n) != MPI_SUCCESS || n != *size) return 0;
    MPI_Datatype t = MPI_Type_f2c(*type);
    if (MPI_Type_size(t, &bytes) != MPI_SUCCESS || bytes != 2 * (int)sizeof(int)) return 0;
    return MPI_Comm_c2f(c) == *comm && MPI_Type_c2f(t) == *type && MPI_Op_c2f(MPI_Op_f2c(*op)) == *op
           && MPI_Request_c2f(MPI_Request_f2c(*req)) == *req;
}
