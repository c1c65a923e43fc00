/* What the drain still expects from each peer, and how it receives what is in
 * flight into drained messages (parked memory): the services the kinds' drain
 * hooks share (parked/requests.c, parked/comms.c). Run with application
 * threads parked: allocates only through face_parked_alloc. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "face_parked.h"
#include "face_requests.h"

int64_t *face_drain_expected;

int face_drain_short_of_messages(void)
{
    for (int i = 0; i < face_nranks; i++)
        if (face_recvd[i] < face_drain_expected[i])
            return 1;
    return 0;
}

void face_drain_wait(uint64_t *real, struct ckpt_status *st)
{
    for (;;) {
        int flag = 0, rc;
        CKPT_CROSS(rc = ckpt_T->Test(real, &flag, st));
        if (rc || flag)
            return;
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

int64_t face_status_bytes(const struct ckpt_status *st)
{
    return (int64_t)(uint32_t)st->count_lo | ((int64_t)((uint32_t)st->count_hi_and_cancelled >> 1) << 32);
}

/* A drained message of `bytes` bytes in parked memory, or NULL. */
struct face_drained *face_drained_new(int64_t bytes)
{
    struct face_drained *m = face_parked_alloc(sizeof *m);
    if (m && !(m->data = face_parked_alloc((size_t)(bytes > 0 ? bytes : 1)))) {
        face_parked_free(m);
        return NULL;
    }
    if (m)
        m->bytes = bytes;
    return m;
}

/* Completes the receive into `m` that returned `rc`; 1 (and `m` gone) if it failed. */
int face_drained_wait(struct face_drained *m, int rc, uint64_t *req, struct ckpt_status *got)
{
    if (rc) {
        face_parked_free(m->data);
        face_parked_free(m);
        return 1;
    }
    face_drain_wait(req, got);
    return 0;
}

/* Receives what is in flight on `rc_` (the lower half's `handle`), counted on
 * `counted_on` (whose ranks are the same). */
int face_drain_receive_all(int32_t handle, uint64_t rc_, int32_t counted_on, struct face_drain_pass *p)
{
    for (;;) {
        int flag = 0, rc;
        struct ckpt_status st;
        CKPT_CROSS(rc = ckpt_T->Iprobe(CKPT_MPI_ANY_SOURCE, CKPT_MPI_ANY_TAG, rc_, &flag, &st));
        if (rc || !flag)
            return 0;
        int64_t bytes = face_status_bytes(&st);
        struct face_drained *m = face_drained_new(bytes);
        if (!m)
            return 1;
        uint64_t req = 0;
        struct ckpt_status got;
        CKPT_CROSS(rc = ckpt_T->Irecv(m->data, (int)bytes, ckpt_to_real(CKPT_KIND_DATATYPE, CKPT_MPI_BYTE), st.source,
                                      st.tag, rc_, &req));
        if (face_drained_wait(m, rc, &req, &got))
            return 1;
        m->comm = handle;
        m->source = got.source;
        m->tag = got.tag;
        face_drained_append(m);
        face_count_recv(counted_on, got.source);
        p->progressed = 1;
    }
}
