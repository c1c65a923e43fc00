/* MPI_Alloc_mem memory belongs to the application: it comes from the upper
 * half's heap so it is saved and restored with everything else. */
#include "face_runtime.h"

CKPT_EXPORT int PMPI_Alloc_mem(MPI_Aint size, MPI_Info info, void *baseptr)
{
    CKPT_ENTER();
    (void)info;
    void *p = malloc(size > 0 ? (size_t)size : 1);
    if (!p)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_NO_MEM, "MPI_Alloc_mem");
    *(void **)baseptr = p;
    return 0;
}
CKPT_EXPORT int MPI_Alloc_mem(MPI_Aint, MPI_Info, void *) __attribute__((alias("PMPI_Alloc_mem")));

CKPT_EXPORT int PMPI_Free_mem(void *base)
{
    CKPT_ENTER();
    free(base);
    return 0;
}
CKPT_EXPORT int MPI_Free_mem(void *) __attribute__((alias("PMPI_Free_mem")));
