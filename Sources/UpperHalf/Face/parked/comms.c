/* The communicator's part of the drain (include/face_kinds.h): while this rank
 * is short of messages, receive whatever is in flight on each communicator. */
#include "face_comm_table.h"
#include "face_kinds.h"
#include "face_parked.h"

static int probe_comm(int32_t handle, struct face_comm *c, void *arg)
{
    (void)c;
    if (handle == CKPT_MPI_COMM_NULL)
        return 0; /* a pseudo-communicator: no messages of its own */
    return face_drain_receive_all(handle, ckpt_to_real(CKPT_KIND_COMM, handle), handle, arg);
}

int face_comms_drain_step(struct face_drain_pass *pass)
{
    return face_drain_short_of_messages() ? face_comm_each(probe_comm, pass) : 0;
}
