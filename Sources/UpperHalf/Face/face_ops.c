/* User reduction operations: the lower half calls one of a fixed set of
 * trampolines, which crosses back here with the slot of the op. */
#include "face_replay.h"
#include "face_win.h"

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
    CKPT_ENTER();
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
    const uint64_t words[] = {(uint64_t)slot, (uint64_t)commute, (uint64_t)(int64_t)*op};
    ckpt_shadow_record(CKPT_FN_Op_create, words, 3);
    return 0;
}

int ckpt_replay_custom(uint32_t fn, const uint64_t *words, uint32_t count)
{
    if (fn == CKPT_FN_Comm_idup || fn == FACE_FN_COMM_IDUP_DONE)
        return face_idup_replay(fn, words, count);
    if (fn != CKPT_FN_Op_create)
        return face_win_replay(fn, words, count); /* the other hand-written records: windows */
    if (count != 3)
        return CKPT_MPI_ERR_INTERN;
    uint64_t real = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Op_create_slot((int)words[0], (int)words[1], &real));
    if (!rc)
        ckpt_shadow_set_real(CKPT_KIND_OP, (int32_t)words[2], real);
    return rc;
}
CKPT_EXPORT int MPI_Op_create(MPI_User_function *, int, MPI_Op *) __attribute__((alias("PMPI_Op_create")));
