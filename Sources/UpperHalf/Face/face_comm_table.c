/* The table of what the cut knows of each communicator (struct face_comm,
 * face_cut.h): world, self, the chunks indexed by handle, the
 * pseudo-communicators, and the per-peer message counts. Data and walks only:
 * the cut and the drain read it, face_comms.c fills it. */
#include "face_comm_table.h"

struct face_comm face_world, face_self;
struct face_comm *face_comm_chunks[FACE_COMM_CHUNKS];
struct face_pseudo *face_pseudo_head;
int64_t *face_sent, *face_recvd;
int32_t face_nranks;
int32_t face_my_world_rank;

/* Every live communicator the cut reports (world first, pseudo-communicators
 * last), for face_cut.c and the drain. */
int face_comm_each(int (*fn)(int32_t handle, struct face_comm *c, void *arg), void *arg)
{
    if (face_world.live && fn(CKPT_MPI_COMM_WORLD, &face_world, arg))
        return 1;
    if (face_self.live && fn(CKPT_MPI_COMM_SELF, &face_self, arg))
        return 1;
    for (uint32_t k = 0; k < FACE_COMM_CHUNKS; k++) {
        struct face_comm *chunk = face_comm_chunks[k];
        if (!chunk)
            continue;
        for (uint32_t i = 0; i < (1u << FACE_COMM_CHUNK_BITS); i++) {
            if (!chunk[i].live)
                continue;
            int32_t h = (int32_t)(0x80000000u | (CKPT_KIND_COMM << 26) | (k << FACE_COMM_CHUNK_BITS) | i);
            if (fn(h, &chunk[i], arg))
                return 1;
        }
    }
    /* No handle: nothing to probe on, only counts to report. */
    for (struct face_pseudo *p = __atomic_load_n(&face_pseudo_head, __ATOMIC_ACQUIRE); p; p = p->next)
        if (fn(CKPT_MPI_COMM_NULL, &p->c, arg))
            return 1;
    return 0;
}

int32_t face_world_rank(void) { return face_my_world_rank; }
