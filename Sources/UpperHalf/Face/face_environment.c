/* Environment queries answered by the face: time without a crossing, versions,
 * processor name, addresses. */
#include <string.h>
#include <time.h>

#include "face_runtime.h"

#define CKPT_MPI_VERSION_STRING "ckpt-mpi 0.1.0 (MPICH ABI face)"

CKPT_EXPORT double PMPI_Wtime(void)
{
    CKPT_ENTER();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
CKPT_EXPORT double MPI_Wtime(void) __attribute__((alias("PMPI_Wtime")));

CKPT_EXPORT double PMPI_Wtick(void) { return 1e-9; }
CKPT_EXPORT double MPI_Wtick(void) __attribute__((alias("PMPI_Wtick")));

/* The ABI the application was compiled against, not the lower half's. */
CKPT_EXPORT int PMPI_Get_version(int *version, int *subversion)
{
    CKPT_ENTER();
    *version = CKPT_MPI_VERSION;
    *subversion = CKPT_MPI_SUBVERSION;
    return 0;
}
CKPT_EXPORT int MPI_Get_version(int *, int *) __attribute__((alias("PMPI_Get_version")));

CKPT_EXPORT int PMPI_Get_library_version(char *version, int *resultlen)
{
    CKPT_ENTER();
    char lower[CKPT_MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0, rc = 0;
    lower[0] = 0;
    if (ckpt_T)
        CKPT_CROSS(rc = ckpt_T->Get_library_version(lower, &len));
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Get_library_version");
    const char *flavour = ckpt_boot_info && ckpt_boot_info->flavour ? ckpt_boot_info->flavour : "none";
    size_t cap = CKPT_MPI_MAX_LIBRARY_VERSION_STRING, n = 0;
    const char *parts[] = {CKPT_MPI_VERSION_STRING " over ", flavour, ": ", lower};
    for (unsigned i = 0; i < 4; i++)
        for (const char *s = parts[i]; *s && n < cap - 1; s++)
            version[n++] = *s;
    version[n] = 0;
    *resultlen = (int)n;
    return 0;
}
CKPT_EXPORT int MPI_Get_library_version(char *, int *) __attribute__((alias("PMPI_Get_library_version")));

CKPT_EXPORT int PMPI_Get_processor_name(char *name, int *resultlen)
{
    CKPT_ENTER();
    int rc;
    CKPT_CROSS(rc = ckpt_T->Get_processor_name(name, resultlen));
    return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Get_processor_name") : 0;
}
CKPT_EXPORT int MPI_Get_processor_name(char *, int *) __attribute__((alias("PMPI_Get_processor_name")));

CKPT_EXPORT int PMPI_Pcontrol(const int level, ...)
{
    CKPT_ENTER();
    (void)level;
    return 0;
}
CKPT_EXPORT int MPI_Pcontrol(const int, ...) __attribute__((alias("PMPI_Pcontrol")));

CKPT_EXPORT int PMPI_Get_address(const void *location, MPI_Aint *address)
{
    CKPT_ENTER();
    *address = (MPI_Aint)(uintptr_t)location;
    return 0;
}
CKPT_EXPORT int MPI_Get_address(const void *, MPI_Aint *) __attribute__((alias("PMPI_Get_address")));

CKPT_EXPORT MPI_Aint PMPI_Aint_add(MPI_Aint base, MPI_Aint disp) { return base + disp; }
CKPT_EXPORT MPI_Aint MPI_Aint_add(MPI_Aint, MPI_Aint) __attribute__((alias("PMPI_Aint_add")));
CKPT_EXPORT MPI_Aint PMPI_Aint_diff(MPI_Aint a, MPI_Aint b) { return a - b; }
CKPT_EXPORT MPI_Aint MPI_Aint_diff(MPI_Aint, MPI_Aint) __attribute__((alias("PMPI_Aint_diff")));

/* Symbols MPICH's mpi.h refers to as data. */
int ckpt_unweighted_marker, ckpt_weights_empty_marker;
CKPT_EXPORT int *const MPI_UNWEIGHTED = &ckpt_unweighted_marker;
CKPT_EXPORT int *const MPI_WEIGHTS_EMPTY = &ckpt_weights_empty_marker;
static MPI_Fint f_status_ignore[6], f_statuses_ignore[6];
CKPT_EXPORT MPI_Fint *MPI_F_STATUS_IGNORE = f_status_ignore;
CKPT_EXPORT MPI_Fint *MPI_F_STATUSES_IGNORE = f_statuses_ignore;
/* Defined by libmpi.so.12 too (spec/mpich-exports.txt): the Fortran 2008 sentinels and the tools
 * interface's all-handles marker, whose users fail naming the call (MPI_T_ is unsupported). */
static MPI_F08_status f08_status_ignore, f08_statuses_ignore;
CKPT_EXPORT MPI_F08_status *MPI_F08_STATUS_IGNORE = &f08_status_ignore;
CKPT_EXPORT MPI_F08_status *MPI_F08_STATUSES_IGNORE = &f08_statuses_ignore;
static char t_pvar_all_handles;
CKPT_EXPORT MPI_T_pvar_handle const MPI_T_PVAR_ALL_HANDLES = (MPI_T_pvar_handle)&t_pvar_all_handles;
