/* The request table: one record per virtual request handle (struct face_req,
 * face_cut.h), and how requests are made again in a lower half once the image
 * is written or after a restart (DESIGN §4.2). */
#include "face_requests.h"

struct face_req *face_req_chunks[FACE_REQ_CHUNKS];

struct face_req *face_req_chunk_new(uint32_t chunk)
{
    if (chunk >= FACE_REQ_CHUNKS)
        return NULL;
    struct face_req *c = calloc(1u << FACE_REQ_CHUNK_BITS, sizeof(struct face_req));
    struct face_req *expected = NULL;
    if (c && !__atomic_compare_exchange_n(&face_req_chunks[chunk], &expected, c, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE)) {
        free(c);
        c = expected;
    }
    return c ? c : face_req_chunks[chunk];
}

/* Calls fn for every request handle the application holds. */
int face_req_each(int (*fn)(int32_t v, struct face_req *r, uint64_t real, void *arg), void *arg)
{
    struct ckpt_slot_table *t = &ckpt_slots[CKPT_KIND_REQUEST];
    for (uint32_t i = CKPT_FIRST_USER_SLOT; i < t->capacity; i++) {
        uint64_t real = t->real[i];
        if (!real)
            continue;
        int32_t v = (int32_t)(0x80000000u | (CKPT_KIND_REQUEST << 26) | i);
        struct face_req *r = face_req_of(v);
        if (r && fn(v, r, real, arg))
            return 1;
    }
    return 0;
}

/* Makes a persistent request again in this lower half (after a restart). */
int face_persistent_remake(struct face_req *q, uint64_t *real)
{
    uint64_t dt = ckpt_to_real(CKPT_KIND_DATATYPE, q->datatype), c = ckpt_to_real(CKPT_KIND_COMM, q->comm);
    int rc;
    if (q->type == FACE_REQ_PRECV) {
        CKPT_CROSS(rc = ckpt_T->Recv_init(q->buf, q->count, dt, q->peer, q->tag, c, real));
        return rc;
    }
    switch (q->mode) {
    case 1: CKPT_CROSS(rc = ckpt_T->Ssend_init(q->buf, q->count, dt, q->peer, q->tag, c, real)); break;
    case 2: CKPT_CROSS(rc = ckpt_T->Bsend_init(q->buf, q->count, dt, q->peer, q->tag, c, real)); break;
    case 3: CKPT_CROSS(rc = ckpt_T->Rsend_init(q->buf, q->count, dt, q->peer, q->tag, c, real)); break;
    default: CKPT_CROSS(rc = ckpt_T->Send_init(q->buf, q->count, dt, q->peer, q->tag, c, real)); break;
    }
    return rc;
}

static int bring_back(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    int remake = *(int *)arg;
    int rc = 0;
    if (remake && face_req_persistent(r)) {
        uint64_t fresh = 0;
        rc = face_persistent_remake(r, &fresh);
        if (rc)
            return 0;
        ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, fresh);
        real = fresh;
    }
    if (r->state == FACE_REQ_DONE) {
        uint64_t standin = 0;
        CKPT_CROSS(rc = ckpt_T->Done_request(&r->status, &standin));
        if (!rc) {
            ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, standin);
            r->state = FACE_REQ_LIVE;
        }
    } else if (r->state == FACE_REQ_REPOST) {
        if (face_req_persistent(r)) {
            CKPT_CROSS(rc = ckpt_T->Start(&real));
            ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, real);
        } else {
            uint64_t fresh = 0;
            CKPT_CROSS(rc = ckpt_T->Irecv(r->buf, r->count, ckpt_to_real(CKPT_KIND_DATATYPE, r->datatype), r->peer,
                                          r->tag, ckpt_to_real(CKPT_KIND_COMM, r->comm), &fresh));
            if (!rc)
                ckpt_shadow_set_real(CKPT_KIND_REQUEST, v, fresh);
        }
        if (!rc)
            r->state = FACE_REQ_LIVE;
    }
    if (rc)
        ckpt_face_log("ckpt-mpi: could not make a request again after the checkpoint", "", "");
    return 0;
}

/* In the same lower half, once the image is written. */
void face_requests_resume(void)
{
    int remake = 0;
    face_req_each(bring_back, &remake);
}

int face_requests_rebind(void)
{
    int remake = 1;
    face_req_each(bring_back, &remake);
    return 0;
}
