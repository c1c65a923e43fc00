/* In the MPICH ABI Fortran and C handles are the same integers; an MPI_File
 * (a pointer in ROMIO's ABI) holds its handle's int in its low 32 bits. MPICH's
 * own Fortran library calls MPI_File_c2f/f2c for every MPI_FILE_* call. */
#include "face_files.h"

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
CKPT_F2C_C2F(MPI_Win, Win)

CKPT_EXPORT MPI_File PMPI_File_f2c(MPI_Fint h) { return face_file_h((int32_t)h); }
CKPT_EXPORT MPI_File MPI_File_f2c(MPI_Fint h) __attribute__((alias("PMPI_File_f2c")));
CKPT_EXPORT MPI_Fint PMPI_File_c2f(MPI_File fh) { return (MPI_Fint)face_file_v(fh); }
CKPT_EXPORT MPI_Fint MPI_File_c2f(MPI_File fh) __attribute__((alias("PMPI_File_c2f")));
