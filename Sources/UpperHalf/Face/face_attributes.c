/* Keyvals and attributes live in the upper half (MPIShadow): their callbacks are
 * user code, and their values must survive a change of lower half. Only the
 * predefined attributes (MPI_TAG_UB ...) are asked of the lower half. */
#include "face_runtime.h"
#include "face_errors.h"

/* MPI_COMM_DUP_FN / MPI_TYPE_DUP_FN are this symbol in the MPICH ABI. */
CKPT_EXPORT int MPIR_Dup_fn(MPI_Comm oldcomm, int keyval, void *extra_state, void *attr_in, void *attr_out, int *flag)
{
    (void)oldcomm;
    (void)keyval;
    (void)extra_state;
    *(void **)attr_out = attr_in;
    *flag = 1;
    return 0;
}

int ckpt_dup_failed(unsigned kind, int32_t parent, int32_t *child, uint64_t real, int rc, const char *fn)
{
    (void)ckpt_shadow_freeing(kind, *child); /* the attributes copied before the failing one */
    int frc;
    if (kind == CKPT_KIND_COMM) {
        CKPT_CROSS(frc = ckpt_T->Comm_free(&real));
    } else {
        CKPT_CROSS(frc = ckpt_T->Type_free(&real));
    }
    (void)frc;
    ckpt_shadow_release(kind, *child);
    *child = kind == CKPT_KIND_COMM ? CKPT_MPI_COMM_NULL : CKPT_MPI_DATATYPE_NULL;
    return ckpt_face_error(kind == CKPT_KIND_COMM ? parent : CKPT_MPI_COMM_WORLD, rc, fn);
}

static int keyval_error(int32_t rc, MPI_Comm comm, const char *fn)
{
    return rc == 0 ? 0 : ckpt_face_error(comm, rc < 0 ? CKPT_MPI_ERR_KEYVAL : rc, fn);
}

/* Values of predefined attributes, copied into the face so the pointers the
 * application keeps stay valid across a change of lower half; one slot per
 * keyval (their low four bits differ), so reading one attribute never changes
 * the value another pointer shows. */
static int predefined_values[16];
#define PREDEFINED_SLOT(keyval) ((keyval) & 0xf)
_Static_assert(PREDEFINED_SLOT(CKPT_MPI_LASTUSEDCODE) != PREDEFINED_SLOT(CKPT_MPI_TAG_UB) &&
                   PREDEFINED_SLOT(CKPT_MPI_WTIME_IS_GLOBAL) != PREDEFINED_SLOT(CKPT_MPI_TAG_UB),
               "predefined attribute slots collide");


static int predefined_attr(MPI_Comm comm, int keyval, void *attribute_val, int *flag)
{
    /* The face's codes, not the lower half's: user codes start above MPI_ERR_LASTCODE. */
    if (keyval == CKPT_MPI_LASTUSEDCODE) {
        int *v = &predefined_values[PREDEFINED_SLOT(keyval)];
        *v = ckpt_last_user_code() >= 0 ? ckpt_last_user_code() : CKPT_MPI_ERR_LASTCODE;
        *(void **)attribute_val = v;
        *flag = 1;
        return 0;
    }
    uint64_t real = ckpt_to_real(CKPT_KIND_COMM, comm);
    void *p = NULL;
    int rc;
    if (keyval == CKPT_MPI_WTIME_IS_GLOBAL) {
        /* The face answers MPI_Wtime itself from CLOCK_MONOTONIC: not synchronised. */
        predefined_values[PREDEFINED_SLOT(keyval)] = 0;
        *(void **)attribute_val = &predefined_values[PREDEFINED_SLOT(keyval)];
        *flag = 1;
        return 0;
    }
    CKPT_CROSS(rc = ckpt_T->Comm_get_attr(real, keyval, &p, flag));
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Comm_get_attr");
    if (*flag && p) {
        int slot = PREDEFINED_SLOT(keyval);
        predefined_values[slot] = *(int *)p;
        /* MPI-3.1 §10.5.1: the universe holds at least the processes already started
         * (Open MPI 4.1 answers with the slots of one node). */
        int size = 0;
        if (keyval == CKPT_MPI_UNIVERSE_SIZE && PMPI_Comm_size(CKPT_MPI_COMM_WORLD, &size) == 0 &&
            predefined_values[slot] < size)
            predefined_values[slot] = size;
        *(void **)attribute_val = &predefined_values[slot];
    }
    return 0;
}

CKPT_EXPORT int PMPI_Comm_create_keyval(MPI_Comm_copy_attr_function *copy, MPI_Comm_delete_attr_function *del,
                                        int *keyval, void *extra_state)
{
    CKPT_ENTER();
    *keyval = ckpt_shadow_keyval_create(CKPT_KIND_COMM, (const void *)copy, (const void *)del, extra_state);
    return 0;
}
CKPT_EXPORT int MPI_Comm_create_keyval(MPI_Comm_copy_attr_function *, MPI_Comm_delete_attr_function *, int *, void *)
    __attribute__((alias("PMPI_Comm_create_keyval")));

CKPT_EXPORT int PMPI_Comm_free_keyval(int *keyval)
{
    CKPT_ENTER();
    int rc = keyval_error(ckpt_shadow_keyval_free(CKPT_KIND_COMM, *keyval), CKPT_MPI_COMM_WORLD, "MPI_Comm_free_keyval");
    if (!rc)
        *keyval = CKPT_MPI_KEYVAL_INVALID;
    return rc;
}
CKPT_EXPORT int MPI_Comm_free_keyval(int *) __attribute__((alias("PMPI_Comm_free_keyval")));

CKPT_EXPORT int PMPI_Comm_set_attr(MPI_Comm comm, int keyval, void *attribute_val)
{
    CKPT_ENTER();
    return keyval_error(ckpt_shadow_attr_set(CKPT_KIND_COMM, comm, keyval, (uintptr_t)attribute_val), comm,
                        "MPI_Comm_set_attr");
}
CKPT_EXPORT int MPI_Comm_set_attr(MPI_Comm, int, void *) __attribute__((alias("PMPI_Comm_set_attr")));

CKPT_EXPORT int PMPI_Comm_get_attr(MPI_Comm comm, int keyval, void *attribute_val, int *flag)
{
    CKPT_ENTER();
    if ((uint32_t)keyval >> 30 == 1)
        return predefined_attr(comm, keyval, attribute_val, flag);
    uintptr_t v = 0;
    int32_t r = ckpt_shadow_attr_get(CKPT_KIND_COMM, comm, keyval, &v);
    if (r < 0)
        return ckpt_face_error(comm, CKPT_MPI_ERR_KEYVAL, "MPI_Comm_get_attr");
    *flag = r;
    if (r)
        *(void **)attribute_val = (void *)v;
    return 0;
}
CKPT_EXPORT int MPI_Comm_get_attr(MPI_Comm, int, void *, int *) __attribute__((alias("PMPI_Comm_get_attr")));

CKPT_EXPORT int PMPI_Comm_delete_attr(MPI_Comm comm, int keyval)
{
    CKPT_ENTER();
    return keyval_error(ckpt_shadow_attr_delete(CKPT_KIND_COMM, comm, keyval), comm, "MPI_Comm_delete_attr");
}
CKPT_EXPORT int MPI_Comm_delete_attr(MPI_Comm, int) __attribute__((alias("PMPI_Comm_delete_attr")));

CKPT_EXPORT int PMPI_Type_create_keyval(MPI_Type_copy_attr_function *copy, MPI_Type_delete_attr_function *del,
                                        int *keyval, void *extra_state)
{
    CKPT_ENTER();
    *keyval = ckpt_shadow_keyval_create(CKPT_KIND_DATATYPE, (const void *)copy, (const void *)del, extra_state);
    return 0;
}
CKPT_EXPORT int MPI_Type_create_keyval(MPI_Type_copy_attr_function *, MPI_Type_delete_attr_function *, int *, void *)
    __attribute__((alias("PMPI_Type_create_keyval")));

CKPT_EXPORT int PMPI_Type_free_keyval(int *keyval)
{
    CKPT_ENTER();
    int rc = keyval_error(ckpt_shadow_keyval_free(CKPT_KIND_DATATYPE, *keyval), CKPT_MPI_COMM_WORLD,
                          "MPI_Type_free_keyval");
    if (!rc)
        *keyval = CKPT_MPI_KEYVAL_INVALID;
    return rc;
}
CKPT_EXPORT int MPI_Type_free_keyval(int *) __attribute__((alias("PMPI_Type_free_keyval")));

CKPT_EXPORT int PMPI_Type_set_attr(MPI_Datatype type, int keyval, void *attribute_val)
{
    CKPT_ENTER();
    return keyval_error(ckpt_shadow_attr_set(CKPT_KIND_DATATYPE, type, keyval, (uintptr_t)attribute_val),
                        CKPT_MPI_COMM_WORLD, "MPI_Type_set_attr");
}
CKPT_EXPORT int MPI_Type_set_attr(MPI_Datatype, int, void *) __attribute__((alias("PMPI_Type_set_attr")));

CKPT_EXPORT int PMPI_Type_get_attr(MPI_Datatype type, int keyval, void *attribute_val, int *flag)
{
    CKPT_ENTER();
    uintptr_t v = 0;
    int32_t r = ckpt_shadow_attr_get(CKPT_KIND_DATATYPE, type, keyval, &v);
    if (r < 0)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_KEYVAL, "MPI_Type_get_attr");
    *flag = r;
    if (r)
        *(void **)attribute_val = (void *)v;
    return 0;
}
CKPT_EXPORT int MPI_Type_get_attr(MPI_Datatype, int, void *, int *) __attribute__((alias("PMPI_Type_get_attr")));

CKPT_EXPORT int PMPI_Type_delete_attr(MPI_Datatype type, int keyval)
{
    CKPT_ENTER();
    return keyval_error(ckpt_shadow_attr_delete(CKPT_KIND_DATATYPE, type, keyval), CKPT_MPI_COMM_WORLD,
                        "MPI_Type_delete_attr");
}
CKPT_EXPORT int MPI_Type_delete_attr(MPI_Datatype, int) __attribute__((alias("PMPI_Type_delete_attr")));
