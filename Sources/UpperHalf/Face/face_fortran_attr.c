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
 * reference (values as INTEGER(KIND=MPI_ADDRESS_KIND), the flag a LOGICAL, ierr last),
 * which the face's C calls of them do not do. MPICH's binding registers them as they are
 * and then names the keyval here: they give way to C trampolines from a pool, each
 * calling its Fortran function the Fortran way. The pools are fixed code and upper-half
 * data, so a restored job's keyvals keep working. */
#define FORTRAN_KEYVALS 32
typedef void fortran_copy_fn(int *, int *, MPI_Aint *, MPI_Aint *, MPI_Aint *, int *, int *);
typedef void fortran_delete_fn(int *, int *, MPI_Aint *, MPI_Aint *, int *);
static fortran_copy_fn *fortran_copy[FORTRAN_KEYVALS];
static fortran_delete_fn *fortran_delete[FORTRAN_KEYVALS];

/* MPICH's binding keeps the address of the Fortran extra_state as the C one. */
static MPI_Aint *fortran_extra(void *extra)
{
    static MPI_Aint none;
    return extra ? (MPI_Aint *)extra : &none;
}

static int copy_call(int k, int object, int keyval, void *extra, void *in, void *out, int *flag)
{
    MPI_Aint vin = (MPI_Aint)(intptr_t)in, vout = 0;
    int fl = 0, ierr = 0;
    fortran_copy[k](&object, &keyval, fortran_extra(extra), &vin, &vout, &fl, &ierr);
    *flag = fl != 0;
    if (fl)
        *(void **)out = (void *)(intptr_t)vout;
    return ierr;
}

static int delete_call(int k, int object, int keyval, void *value, void *extra)
{
    MPI_Aint v = (MPI_Aint)(intptr_t)value;
    int ierr = 0;
    fortran_delete[k](&object, &keyval, &v, fortran_extra(extra), &ierr);
    return ierr;
}

#define TRAMPOLINES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) \
    X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
#define COPY_T(k)                                                                            \
    static int copy_t##k(int o, int kv, void *e, void *in, void *out, int *flag) { return copy_call(k, o, kv, e, in, out, flag); }
#define DELETE_T(k)                                                                          \
    static int delete_t##k(int o, int kv, void *v, void *e) { return delete_call(k, o, kv, v, e); }
#define COPY_REF(k) (const void *)copy_t##k,
#define DELETE_REF(k) (const void *)delete_t##k,
TRAMPOLINES(COPY_T)
TRAMPOLINES(DELETE_T)
static const void *const copy_trampolines[FORTRAN_KEYVALS] = {TRAMPOLINES(COPY_REF)};
static const void *const delete_trampolines[FORTRAN_KEYVALS] = {TRAMPOLINES(DELETE_REF)};

/* The slot of `fn` in `fns`, or a free one for it; -1 when the pool is full. */
static int slot_for(void **fns, void *fn)
{
    for (int k = 0; k < FORTRAN_KEYVALS; k++)
        if (!fns[k] || fns[k] == fn) {
            fns[k] = fn;
            return k;
        }
    return -1;
}

CKPT_EXPORT int MPII_Keyval_set_proxy(int keyval, void *copy_proxy, void *delete_proxy)
{
    (void)copy_proxy, (void)delete_proxy;
    static volatile int lock;
    while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
        ;
    const void *copy = NULL, *del = NULL;
    int rc = ckpt_shadow_keyval_swap_fns(keyval, NULL, NULL, &copy, &del);
    int c = copy ? slot_for((void **)fortran_copy, (void *)copy) : -2;
    int d = del ? slot_for((void **)fortran_delete, (void *)del) : -2;
    if (rc == 0)
        (void)ckpt_shadow_keyval_swap_fns(keyval, c >= 0 ? copy_trampolines[c] : NULL,
                                          d >= 0 ? delete_trampolines[d] : NULL, &copy, &del);
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    if (rc != 0)
        return CKPT_MPI_ERR_KEYVAL;
    if (c == -1 || d == -1)
        return ckpt_unsupported("MPI_Comm/Type/Win_create_keyval from Fortran beyond 32 keyvals");
    return 0;
}
