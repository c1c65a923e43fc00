/* MPI-4 procedures emulated in the upper half on every lower half (face_mpi4.c,
 * face_pcoll.generated.c): Open MPI 4.1 lacks them, and one code path keeps the
 * checkpoint the same on both. */
#ifndef CKPT_FACE_MPI4_H
#define CKPT_FACE_MPI4_H

#include "face_cut.h"

/* A persistent collective request, inactive: `which` is its case in face_pcoll_start. */
static inline int32_t face_pcoll_new(int which, void *args, MPI_Comm comm)
{
    int32_t v = face_req_new(FACE_REAL_PCOLL_IDLE, FACE_REQ_PCOLL, comm);
    struct face_req *q = face_req_of(v);
    if (q) {
        q->mode = (uint8_t)which;
        q->buf = args;
    }
    return v;
}

/* Issues the non-blocking collective of an inactive persistent one (generated). */
int face_pcoll_start(const struct face_req *q, MPI_Request *started);
/* Defined in face_p2p.c, whose completion drives them: */
/* MPI_Start of a persistent collective. */
int face_pcoll_activate(MPI_Request *request, struct face_req *q);
/* MPI_Request_free of a persistent collective (waits for it when active). */
int face_pcoll_free(MPI_Request *request, struct face_req *q);
/* MPI_Isendrecv's send part, tested without waiting: 1 while it is pending, 0 once
 * it completed (then it and a _replace copy are released) or there is none. */
int face_companion_poll(struct face_req *r);
/* MPI_Isendrecv's send part, once its receive completed: waits for it and frees it. */
void face_companion_finish(struct face_req *r);

#endif
