/* The request table and drained messages, shared by point-to-point, the drain
 * and the lifecycle (face_requests.c, face_drained.c). The record itself and
 * the hot-path inlines are in face_cut.h. */
#ifndef CKPT_FACE_REQUESTS_H
#define CKPT_FACE_REQUESTS_H

#include "face_cut.h"

static inline int face_req_persistent(const struct face_req *r)
{
    return r->type == FACE_REQ_PSEND || r->type == FACE_REQ_PRECV;
}

/* Calls fn for every request handle the application holds; stops at the first that returns nonzero. */
int face_req_each(int (*fn)(int32_t v, struct face_req *r, uint64_t real, void *arg), void *arg);
/* Makes a persistent request again in this lower half (after a restart). */
int face_persistent_remake(struct face_req *q, uint64_t *real);
/* Once the image is written, in the same lower half: stand-ins for completed requests, reposted receives. */
void face_requests_resume(void);

/* MPI_Comm_idup (face_idup.c): binds the new communicator of a completed idup
 * request (once; nothing when it is bound already). */
void face_idup_finish(struct face_req *r);
/* The lower half's handle of the communicator an idup request made, before the
 * face bound it (the drain probes it: a member that bound it may have sent on it). */
uint64_t face_idup_unbound_real(const struct face_req *r);

/* Generalized requests (face_greq.c): MPI_Grequest_complete was called. */
static inline int face_greq_done(const struct face_req *r)
{
    return (__atomic_load_n((const int *)r->greq, __ATOMIC_ACQUIRE) & 1) != 0;
}
/* A complete one: its query callback fills `st`, its free callback runs, the
 * handle goes (*request = MPI_REQUEST_NULL). Returns the first callback error. */
int face_greq_finish(int32_t *request, struct face_req *r, struct ckpt_status *st);
/* MPI_Request_get_status of a complete one: the query callback only. */
int face_greq_query(struct face_req *r, struct ckpt_status *st);
int face_greq_cancel(struct face_req *r);
int face_greq_free(int32_t *request, struct face_req *r);

/* Appends a message the drain received to the queue of drained messages. */
void face_drained_append(struct face_drained *m);

#endif
