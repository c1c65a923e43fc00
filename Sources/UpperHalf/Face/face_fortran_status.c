/* Answers that need no lower half (Annotations.faceOnly). In the MPICH ABI a C status,
 * a Fortran status (MPI_STATUS_SIZE = 5 integers) and an MPI_F08_status are the same five
 * ints in the same order, hidden count and cancelled flag included, so each conversion is
 * a copy; converting MPI_STATUS_IGNORE is erroneous (MPI-4.0 §19.3.5). */
#include <string.h>
#include "face_runtime.h"

_Static_assert(sizeof(MPI_Status) == 5 * sizeof(MPI_Fint) && sizeof(MPI_F08_status) == sizeof(MPI_Status),
               "the MPICH ABI's three statuses are five ints");

static int copy_status(const void *from, void *to, const char *fn)
{
    if (from == CKPT_MPI_STATUS_IGNORE || from == NULL || to == CKPT_MPI_STATUS_IGNORE || to == NULL)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_ARG, fn);
    memmove(to, from, sizeof(MPI_Status));
    return 0;
}

#define CKPT_STATUS_COPY(Name, From, To, from, to)                                              \
    CKPT_EXPORT int PMPI_Status_##Name(const From *from, To *to)                                \
    {                                                                                           \
        return copy_status(from, to, "MPI_Status_" #Name);                                     \
    }                                                                                           \
    CKPT_EXPORT int MPI_Status_##Name(const From *, To *) __attribute__((alias("PMPI_Status_" #Name)));

CKPT_STATUS_COPY(c2f, MPI_Status, MPI_Fint, c_status, f_status)
CKPT_STATUS_COPY(f2c, MPI_Fint, MPI_Status, f_status, c_status)
CKPT_STATUS_COPY(c2f08, MPI_Status, MPI_F08_status, c_status, f08_status)
CKPT_STATUS_COPY(f082c, MPI_F08_status, MPI_Status, f08_status, c_status)
CKPT_STATUS_COPY(f2f08, MPI_Fint, MPI_F08_status, f_status, f08_status)
CKPT_STATUS_COPY(f082f, MPI_F08_status, MPI_Fint, f08_status, f_status)

/* No process of a ckpt-mpi job was spawned (MPI_Comm_spawn is unsupported). */
CKPT_EXPORT int PMPI_Comm_get_parent(MPI_Comm *parent)
{
    CKPT_ENTER();
    *parent = CKPT_MPI_COMM_NULL;
    return 0;
}
CKPT_EXPORT int MPI_Comm_get_parent(MPI_Comm *) __attribute__((alias("PMPI_Comm_get_parent")));
