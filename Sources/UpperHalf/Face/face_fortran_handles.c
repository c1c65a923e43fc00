/* In the MPICH ABI Fortran and C handles are the same integers. */
#include "face_runtime.h"

#define CKPT_F2C_C2F(Type, Name)                                                          \
    CKPT_EXPORT Type PMPI_##Name##_f2c(MPI_Fint h) { return (Type)h; }                    \
    CKPT_EXPORT Type MPI_##Name##_f2c(MPI_Fint h) __attribute__((alias("PMPI_" #Name "_f2c"))); \
    CKPT_EXPORT MPI_Fint PMPI_##Name##_c2f(Type h) { return (MPI_Fint)h; }                \
    CKPT_EXPORT MPI_Fint MPI_##Name##_c2f(Type h) __attribute__((alias("PMPI_" #Name "_c2f")));

CKPT_F2C_C2F(MPI_Comm, Comm)
CKPT_F2C_C2F(MPI_Datatype, Type)
CKPT_F2C_C2F(MPI_Group, Group)
CKPT_F2C_C2F(MPI_Op, Op)
CKPT_F2C_C2F(MPI_Request, Request)
CKPT_F2C_C2F(MPI_Info, Info)
CKPT_F2C_C2F(MPI_Errhandler, Errhandler)
CKPT_F2C_C2F(MPI_Message, Message)
