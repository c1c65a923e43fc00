/* The request's part of the drain (include/face_kinds.h), application threads
 * parked: each pass tests every request the lower half holds (a completed one
 * keeps its status in the upper half, FACE_REQ_DONE) and receives what is in
 * flight on the communicators of idups not bound yet; after the fixpoint,
 * matched but unreceived messages (Mprobe) become drained ones and the receives
 * nothing matched are cancelled (FACE_REQ_REPOST), to be posted again after the
 * image (face_requests.c). */
#include "face_kinds.h"
#include "face_parked.h"
#include "face_requests.h"

/* Real handles that are not the lower half's while a request waits for its stand-in. */
#define FACE_REAL_DONE 0xd7a1ed0000000002ull
#define FACE_REAL_REPOST 0xd7a1ed0000000003ull

static int is_marker(uint64_t real) { return (real >> 16) == (FACE_REAL_DRAINED >> 16); }

static int is_receive(const struct face_req *r) { return r->type == FACE_REQ_RECV || r->type == FACE_REQ_PRECV; }

/* A request the drain saw complete. */
static void completed(int32_t v, struct face_req *r, const struct ckpt_status *st)
{
    if (!r->counted && is_receive(r) && !(st->count_hi_and_cancelled & 1))
        face_count_recv(r->comm, st->source);
    r->counted = 1;
    r->status = *st;
    if (face_req_persistent(r)) {
        r->has_status = 1;
        r->active = 0;
    } else {
        r->state = FACE_REQ_DONE;
        ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, FACE_REAL_DONE);
    }
}

static int test_one(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    struct face_drain_pass *p = arg;
    if (is_marker(real) || r->state != FACE_REQ_LIVE || r->type == FACE_REQ_MESSAGE)
        return 0;
    if (face_req_persistent(r) && !r->active)
        return 0;
    int flag = 0, rc;
    struct ckpt_status st;
    CKPT_CROSS(rc = ckpt_T->Test(&real, &flag, &st));
    if (rc == 0 && flag) {
        completed(v, r, &st);
        p->progressed = 1;
    } else if (!is_receive(r)) {
        p->outstanding++; /* sends and collectives must finish before the image */
    }
    return 0;
}

/* The communicator of an idup the drain (or the lower half) completed but the
 * face has not bound: a member that bound it already may have sent on it. Its
 * ranks are its parent's. */
static int probe_idup(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    (void)v;
    (void)real;
    if (r->type != FACE_REQ_IDUP || !r->idup_comm || r->state != FACE_REQ_DONE)
        return 0;
    uint64_t c = face_idup_unbound_real(r);
    return c && c != FACE_REAL_IDUP_PENDING ? face_drain_receive_all(r->idup_comm, c, r->comm, arg) : 0;
}

/* Mprobe'd but not received: receive it now, it cannot outlive the lower half. */
static int drain_message(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    (void)arg;
    if (r->type != FACE_REQ_MESSAGE || is_marker(real))
        return 0;
    int64_t bytes = face_status_bytes(&r->status);
    struct face_drained *m = face_drained_new(bytes);
    if (!m)
        return 1;
    uint64_t req = 0;
    int rc;
    struct ckpt_status got;
    CKPT_CROSS(rc = ckpt_T->Imrecv(m->data, (int)bytes, ckpt_to_real(CKPT_KIND_DATATYPE, CKPT_MPI_BYTE), &real, &req));
    if (face_drained_wait(m, rc, &req, &got))
        return 1;
    m->comm = r->comm;
    m->source = r->status.source;
    m->tag = r->status.tag;
    r->message = m;
    ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, FACE_REAL_DRAINED);
    return 0;
}

/* Unmatched receives: cancel (a message may still have matched: then it completed). */
static int cancel_one(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    (void)arg;
    if (is_marker(real) || r->state != FACE_REQ_LIVE || !is_receive(r) || (face_req_persistent(r) && !r->active))
        return 0;
    CKPT_CROSS((void)ckpt_T->Cancel(&real));
    struct ckpt_status st;
    uint64_t keep = real;
    face_drain_wait(&real, &st);
    if (!(st.count_hi_and_cancelled & 1)) {
        completed(v, r, &st);
        return 0;
    }
    r->state = FACE_REQ_REPOST;
    if (face_req_persistent(r))
        real = keep; /* still the same (inactive) persistent request */
    ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, face_req_persistent(r) ? real : FACE_REAL_REPOST);
    return 0;
}

int face_requests_drain_step(struct face_drain_pass *pass)
{
    face_req_each(test_one, pass);
    return face_drain_short_of_messages() ? face_req_each(probe_idup, pass) : 0;
}

int face_requests_drained(void)
{
    int rc = face_req_each(drain_message, NULL);
    face_req_each(cancel_one, NULL);
    return rc;
}
