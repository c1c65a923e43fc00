/* MPI_Status as the application sees it holds only face facts (DESIGN §3): the
 * byte count and cancelled flag are ours, so these answers survive a restart
 * on another MPI. */
#include <limits.h>

#include "face_runtime.h"

static int64_t status_bytes(const MPI_Status *s)
{
    return (int64_t)(uint32_t)s->count_lo | ((int64_t)((uint32_t)s->count_hi_and_cancelled >> 1) << 32);
}

static void set_status_bytes(MPI_Status *s, int64_t bytes)
{
    s->count_lo = (int)(uint32_t)bytes;
    s->count_hi_and_cancelled = (int)(((uint32_t)(bytes >> 32) << 1) | ((uint32_t)s->count_hi_and_cancelled & 1));
}

static int type_size(MPI_Datatype datatype, int64_t *size)
{
    ckpt_count_t sz = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Type_size_x(ckpt_to_real(CKPT_KIND_DATATYPE, datatype), &sz));
    *size = sz;
    return rc;
}

CKPT_EXPORT int PMPI_Get_count(const MPI_Status *status, MPI_Datatype datatype, int *count)
{
    CKPT_ENTER();
    int64_t size, bytes = status_bytes(status);
    int rc = type_size(datatype, &size);
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Get_count");
    if (size == 0)
        *count = bytes == 0 ? 0 : CKPT_MPI_UNDEFINED;
    else if (bytes % size != 0 || bytes / size > INT_MAX)
        *count = CKPT_MPI_UNDEFINED;
    else
        *count = (int)(bytes / size);
    return 0;
}
CKPT_EXPORT int MPI_Get_count(const MPI_Status *, MPI_Datatype, int *) __attribute__((alias("PMPI_Get_count")));

CKPT_EXPORT int PMPI_Get_elements_x(const MPI_Status *status, MPI_Datatype datatype, MPI_Count *count)
{
    CKPT_ENTER();
    ckpt_count_t n = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Get_elements_bytes(status_bytes(status), ckpt_to_real(CKPT_KIND_DATATYPE, datatype), &n));
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Get_elements_x");
    *count = n;
    return 0;
}
CKPT_EXPORT int MPI_Get_elements_x(const MPI_Status *, MPI_Datatype, MPI_Count *) __attribute__((alias("PMPI_Get_elements_x")));

CKPT_EXPORT int PMPI_Get_elements(const MPI_Status *status, MPI_Datatype datatype, int *count)
{
    CKPT_ENTER();
    MPI_Count n = 0;
    int rc = PMPI_Get_elements_x(status, datatype, &n);
    if (!rc)
        *count = n > INT_MAX ? CKPT_MPI_UNDEFINED : (int)n;
    return rc;
}
CKPT_EXPORT int MPI_Get_elements(const MPI_Status *, MPI_Datatype, int *) __attribute__((alias("PMPI_Get_elements")));

CKPT_EXPORT int PMPI_Test_cancelled(const MPI_Status *status, int *flag)
{
    CKPT_ENTER();
    *flag = status->count_hi_and_cancelled & 1;
    return 0;
}
CKPT_EXPORT int MPI_Test_cancelled(const MPI_Status *, int *) __attribute__((alias("PMPI_Test_cancelled")));

CKPT_EXPORT int PMPI_Status_set_cancelled(MPI_Status *status, int flag)
{
    CKPT_ENTER();
    status->count_hi_and_cancelled = (status->count_hi_and_cancelled & ~1) | (flag ? 1 : 0);
    return 0;
}
CKPT_EXPORT int MPI_Status_set_cancelled(MPI_Status *, int) __attribute__((alias("PMPI_Status_set_cancelled")));

/* Elements of a predefined type are whole units of its size; that is the common use. */
CKPT_EXPORT int PMPI_Status_set_elements_x(MPI_Status *status, MPI_Datatype datatype, MPI_Count count)
{
    CKPT_ENTER();
    int64_t size;
    int rc = type_size(datatype, &size);
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Status_set_elements_x");
    set_status_bytes(status, (int64_t)count * size);
    return 0;
}
CKPT_EXPORT int MPI_Status_set_elements_x(MPI_Status *, MPI_Datatype, MPI_Count)
    __attribute__((alias("PMPI_Status_set_elements_x")));

CKPT_EXPORT int PMPI_Status_set_elements(MPI_Status *status, MPI_Datatype datatype, int count)
{
    CKPT_ENTER();
    return PMPI_Status_set_elements_x(status, datatype, count);
}
CKPT_EXPORT int MPI_Status_set_elements(MPI_Status *, MPI_Datatype, int) __attribute__((alias("PMPI_Status_set_elements")));
