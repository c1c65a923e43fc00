/* What MPICH's libmpichfort.so.12 calls instead of the C attribute procedures (MPICH's
 * MPII_ names, exported by its libmpi.so.12): a Fortran attribute is an INTEGER value, not
 * a pointer, so the Fortran bindings pass the kind of value they hold or want. Without
 * these a Fortran MPI_COMM_GET_ATTR died in the dynamic linker ("undefined symbol"). */
#include <stdint.h>
#include "face_runtime.h"

/* MPICH's MPIR_Attr_type: what the caller's attribute_val holds or points to. */
enum { ATTR_PTR = 0, ATTR_AINT = 1, ATTR_INT = 3 };

/* Only libmpichfort calls these; no file of the face does. */
CKPT_EXPORT int MPII_Comm_get_attr(MPI_Comm comm, int keyval, void *attribute_val, int *flag, int type);
CKPT_EXPORT int MPII_Comm_set_attr(MPI_Comm comm, int keyval, void *attribute_val, int type);
CKPT_EXPORT int MPII_Type_get_attr(MPI_Datatype dtype, int keyval, void *attribute_val, int *flag, int type);
CKPT_EXPORT int MPII_Type_set_attr(MPI_Datatype dtype, int keyval, void *attribute_val, int type);
CKPT_EXPORT int MPII_Win_get_attr(MPI_Win win, int keyval, void *attribute_val, int *flag, int type);
CKPT_EXPORT int MPII_Win_set_attr(MPI_Win win, int keyval, void *attribute_val, int type);
CKPT_EXPORT int MPII_Keyval_set_proxy(int keyval, void *copy_proxy, void *delete_proxy);
CKPT_EXPORT int MPII_Grequest_set_lang_f77(MPI_Request greq);

/* MPICH's Fortran names of the predefined keyvals are the C ones + 1 (mpif.h's MPI_TAG_UB
 * is 0x64400002, mpi.h's 0x64400001). */
static int c_keyval(int keyval)
{
    return (uint32_t)keyval >> 30 == 1 && !(keyval & 1) ? keyval - 1 : keyval;
}

/* The C answer `got` as the caller asked for it. A predefined attribute's C value points
 * to its integer (MPI_WIN_BASE is the base itself, MPI_WIN_SIZE points to an MPI_Aint);
 * a user attribute's value is what was stored, pointer or integer. `keyval` is C's. */
static void fortran_value(void *out, void *got, int type, int keyval)
{
    if (type == ATTR_PTR) {
        *(void **)out = got;
        return;
    }
    MPI_Aint v;
    if ((uint32_t)keyval >> 30 != 1)
        v = (MPI_Aint)(intptr_t)got;
    else if (keyval == CKPT_MPI_WIN_BASE)
        v = (MPI_Aint)(intptr_t)got;
    else if (keyval == CKPT_MPI_WIN_SIZE)
        v = *(MPI_Aint *)got;
    else
        v = *(int *)got;
    if (type == ATTR_INT)
        *(int *)out = (int)v;
    else
        *(MPI_Aint *)out = v;
}

#define CKPT_FORTRAN_ATTR(Kind, Handle)                                                          \
    CKPT_EXPORT int MPII_##Kind##_get_attr(Handle h, int keyval, void *attribute_val, int *flag, int type) \
    {                                                                                             \
        void *got = NULL;                                                                         \
        int rc = PMPI_##Kind##_get_attr(h, c_keyval(keyval), &got, flag);                         \
        if (rc == 0 && *flag)                                                                     \
            fortran_value(attribute_val, got, type, c_keyval(keyval));                            \
        return rc;                                                                                \
    }                                                                                             \
    CKPT_EXPORT int MPII_##Kind##_set_attr(Handle h, int keyval, void *attribute_val, int type)  \
    {                                                                                             \
        (void)type;                                                                               \
        return PMPI_##Kind##_set_attr(h, keyval, attribute_val);                                  \
    }

CKPT_FORTRAN_ATTR(Comm, MPI_Comm)
CKPT_FORTRAN_ATTR(Type, MPI_Datatype)
CKPT_FORTRAN_ATTR(Win, MPI_Win)

/* A keyval made from Fortran: its copy and delete functions take every argument by
 * reference, which the face's C calls of them do not do. */
CKPT_EXPORT int MPII_Keyval_set_proxy(int keyval, void *copy_proxy, void *delete_proxy)
{
    (void)keyval, (void)copy_proxy, (void)delete_proxy;
    return ckpt_unsupported("MPI_Comm/Type/Win_create_keyval from Fortran");
}

/* A generalized request made from Fortran: its callbacks take arguments by reference. */
CKPT_EXPORT int MPII_Grequest_set_lang_f77(MPI_Request greq)
{
    (void)greq;
    return ckpt_unsupported("MPI_Grequest_start from Fortran");
}
