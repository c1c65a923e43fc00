/* Object names are kept in the upper half so they survive a restart. */
#include <string.h>

#include "face_runtime.h"

static void copy_out(char *out, const char *s, int *len)
{
    size_t n = strlen(s);
    if (n >= (size_t)CKPT_MPI_MAX_OBJECT_NAME)
        n = CKPT_MPI_MAX_OBJECT_NAME - 1;
    memcpy(out, s, n);
    out[n] = 0;
    *len = (int)n;
}

static const char *predefined_name(int32_t h)
{
    for (unsigned i = 0; i < ckpt_predefined_count; i++)
        if (ckpt_predefined_handles[i] == h)
            return ckpt_predefined_names[i];
    return "";
}

static int set_name(unsigned kind, int32_t h, const char *name, const char *fn)
{
    if (!ckpt_to_real(kind, h))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, kind == CKPT_KIND_COMM ? CKPT_MPI_ERR_COMM : CKPT_MPI_ERR_TYPE, fn);
    ckpt_shadow_set_name(kind, h, name, CKPT_MPI_MAX_OBJECT_NAME - 1);
    return 0;
}

static int get_name(unsigned kind, int32_t h, char *name, int *len, const char *fn)
{
    if (!ckpt_to_real(kind, h))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, kind == CKPT_KIND_COMM ? CKPT_MPI_ERR_COMM : CKPT_MPI_ERR_TYPE, fn);
    int32_t n = ckpt_shadow_get_name(kind, h, name, CKPT_MPI_MAX_OBJECT_NAME);
    if (n < 0)
        copy_out(name, (uint32_t)h >> 30 == 2 && kind == CKPT_KIND_COMM ? "" : predefined_name(h), len);
    else
        *len = n;
    return 0;
}

CKPT_EXPORT int PMPI_Comm_set_name(MPI_Comm comm, const char *name)
{
    CKPT_ENTER();
    return set_name(CKPT_KIND_COMM, comm, name, "MPI_Comm_set_name");
}
CKPT_EXPORT int MPI_Comm_set_name(MPI_Comm, const char *) __attribute__((alias("PMPI_Comm_set_name")));

CKPT_EXPORT int PMPI_Comm_get_name(MPI_Comm comm, char *name, int *resultlen)
{
    CKPT_ENTER();
    return get_name(CKPT_KIND_COMM, comm, name, resultlen, "MPI_Comm_get_name");
}
CKPT_EXPORT int MPI_Comm_get_name(MPI_Comm, char *, int *) __attribute__((alias("PMPI_Comm_get_name")));

CKPT_EXPORT int PMPI_Type_set_name(MPI_Datatype type, const char *name)
{
    CKPT_ENTER();
    return set_name(CKPT_KIND_DATATYPE, type, name, "MPI_Type_set_name");
}
CKPT_EXPORT int MPI_Type_set_name(MPI_Datatype, const char *) __attribute__((alias("PMPI_Type_set_name")));

CKPT_EXPORT int PMPI_Type_get_name(MPI_Datatype type, char *name, int *resultlen)
{
    CKPT_ENTER();
    return get_name(CKPT_KIND_DATATYPE, type, name, resultlen, "MPI_Type_get_name");
}
CKPT_EXPORT int MPI_Type_get_name(MPI_Datatype, char *, int *) __attribute__((alias("PMPI_Type_get_name")));
