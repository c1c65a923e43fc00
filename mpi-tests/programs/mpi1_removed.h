/* Prototypes of the MPI-1 procedures that MPI-3 removed, for headers that hide them
 * (Open MPI 4.1 without --enable-mpi1-compatibility turns each into a compile-time
 * error; MPICH 4.0 still declares them). The libraries export them all. */
#ifndef MPI1_REMOVED_H
#define MPI1_REMOVED_H
#include <mpi.h>
#if defined(OPEN_MPI) && !OMPI_ENABLE_MPI1_COMPAT
#undef MPI_Address
#undef MPI_Errhandler_create
#undef MPI_Errhandler_get
#undef MPI_Errhandler_set
#undef MPI_Type_extent
#undef MPI_Type_hindexed
#undef MPI_Type_hvector
#undef MPI_Type_lb
#undef MPI_Type_struct
#undef MPI_Type_ub
/* Open MPI's own declarations carry an error attribute: call the exported symbols under other names. */
int mpi1_Address(void *location, MPI_Aint *address) __asm__("MPI_Address");
#define MPI_Address mpi1_Address
int mpi1_Errhandler_create(MPI_Comm_errhandler_function *function, MPI_Errhandler *errhandler) __asm__("MPI_Errhandler_create");
#define MPI_Errhandler_create mpi1_Errhandler_create
int mpi1_Errhandler_get(MPI_Comm comm, MPI_Errhandler *errhandler) __asm__("MPI_Errhandler_get");
#define MPI_Errhandler_get mpi1_Errhandler_get
int mpi1_Errhandler_set(MPI_Comm comm, MPI_Errhandler errhandler) __asm__("MPI_Errhandler_set");
#define MPI_Errhandler_set mpi1_Errhandler_set
int mpi1_Type_extent(MPI_Datatype type, MPI_Aint *extent) __asm__("MPI_Type_extent");
#define MPI_Type_extent mpi1_Type_extent
int mpi1_Type_hindexed(int count, int array_of_blocklengths[], MPI_Aint array_of_displacements[],
                      MPI_Datatype oldtype, MPI_Datatype *newtype) __asm__("MPI_Type_hindexed");
#define MPI_Type_hindexed mpi1_Type_hindexed
int mpi1_Type_hvector(int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype, MPI_Datatype *newtype) __asm__("MPI_Type_hvector");
#define MPI_Type_hvector mpi1_Type_hvector
int mpi1_Type_lb(MPI_Datatype type, MPI_Aint *lb) __asm__("MPI_Type_lb");
#define MPI_Type_lb mpi1_Type_lb
int mpi1_Type_struct(int count, int array_of_blocklengths[], MPI_Aint array_of_displacements[],
                    MPI_Datatype array_of_types[], MPI_Datatype *newtype) __asm__("MPI_Type_struct");
#define MPI_Type_struct mpi1_Type_struct
int mpi1_Type_ub(MPI_Datatype type, MPI_Aint *ub) __asm__("MPI_Type_ub");
#define MPI_Type_ub mpi1_Type_ub
#endif
/* The MPI-1 names are what these programs test: their deprecation warnings are expected. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
