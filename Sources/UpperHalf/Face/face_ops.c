/* User reduction operations: the lower half calls one of a fixed set of
 * trampolines, which crosses back here with the slot of the op. */
#include "face_runtime.h"

#define CKPT_OP_SLOTS 128 /* must match the lower half's trampolines */

static MPI_User_function *op_functions[CKPT_OP_SLOTS];
static int op_slots_used;

/* Runs on the upper FS base (the lower trampoline switched it). */
void ckpt_face_op_upcall(int slot, void *in, void *inout, int *len, uint64_t real_type)
{
    MPI_Datatype t = ckpt_shadow_lookup(CKPT_KIND_DATATYPE, real_type, CKPT_MPI_DATATYPE_NULL);
    op_functions[slot](in, inout, len, &t);
}

CKPT_EXPORT int PMPI_Op_create(MPI_User_function *user_fn, int commute, MPI_Op *op)
{
    int slot = __atomic_fetch_add(&op_slots_used, 1, __ATOMIC_RELAXED);
    if (slot >= CKPT_OP_SLOTS) {
        ckpt_face_log("ckpt-mpi: MPI_Op_create: more than 128 user operations in one job", "", "");
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_INTERN, "MPI_Op_create");
    }
    op_functions[slot] = user_fn;
    uint64_t real = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Op_create_slot(slot, commute, &real));
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Op_create");
    *op = ckpt_virtual_new(CKPT_KIND_OP, real);
    return 0;
}
CKPT_EXPORT int MPI_Op_create(MPI_User_function *, int, MPI_Op *) __attribute__((alias("PMPI_Op_create")));
