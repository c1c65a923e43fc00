/* The point-to-point drain (DESIGN §4.2), run by the engine's checkpoint thread
 * while every application thread is parked outside the lower half:
 *
 * 1. Complete what can complete: Test every request the lower half holds; a
 *    completed one keeps its status in the upper half (FACE_REQ_DONE).
 * 2. Receive, with Iprobe + Irecv into upper-half buffers, until this rank has
 *    received from every peer as many messages as the peer sent to it (EXPECT):
 *    nothing is in flight any more.
 * 3. Cancel the receives nothing matched (FACE_REQ_REPOST) and turn unreceived
 *    matched messages (Mprobe) into drained ones.
 *
 * After the image: completed requests become completed stand-ins in the lower
 * half (Done_request), cancelled receives are posted again, persistent requests
 * are made again after a restart. Drained messages are delivered before anything
 * the lower half has, to the first matching receive or probe. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ckpt_mpi_ops.h"
#include "face_win.h"
#include "face_comm_table.h"
#include "face_parked.h"
#include "face_files.h"
#include "face_requests.h"

/* Real handles that are not the lower half's while a request waits for its stand-in. */
#define FACE_REAL_DONE 0xd7a1ed0000000002ull
#define FACE_REAL_REPOST 0xd7a1ed0000000003ull

/* ----------------------------------------------------- text without stdio */

/* snprintf may allocate and takes stdio's locks, which a parked thread may
 * hold: the drain's few lines are written by hand into a bounded buffer. */
struct text {
    char *p;
    int n, cap;
};

static void text_add(struct text *t, const char *s)
{
    for (; *s && t->n < t->cap - 1; s++)
        t->p[t->n++] = *s;
    if (t->cap > 0)
        t->p[t->n] = 0;
}

static void text_int(struct text *t, int64_t v)
{
    char digits[21], *d = digits + sizeof digits;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    *--d = 0;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--d = '-';
    text_add(t, d);
}

/* A decimal number at *s (strtoll without its locale), leaving *s after it. */
static int64_t parse_int(const char **s)
{
    const char *p = *s;
    int neg = *p == '-';
    p += neg;
    uint64_t u = 0;
    while (*p >= '0' && *p <= '9')
        u = u * 10 + (uint64_t)(*p++ - '0');
    *s = p;
    return neg ? -(int64_t)u : (int64_t)u;
}

/* ------------------------------------------------------------- the requests */

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

struct pass {
    int progressed, outstanding;
};

static int test_one(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    struct pass *p = arg;
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

static int64_t *expected;

static int short_of_messages(void)
{
    for (int i = 0; i < face_nranks; i++)
        if (face_recvd[i] < expected[i])
            return 1;
    return 0;
}

static void wait_for(uint64_t *real, struct ckpt_status *st)
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

static int64_t status_bytes(const struct ckpt_status *st)
{
    return (int64_t)(uint32_t)st->count_lo | ((int64_t)((uint32_t)st->count_hi_and_cancelled >> 1) << 32);
}

/* A drained message of `bytes` bytes in parked memory, or NULL. */
static struct face_drained *drained_new(int64_t bytes)
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
static int drained_wait(struct face_drained *m, int rc, uint64_t *req, struct ckpt_status *got)
{
    if (rc) {
        face_parked_free(m->data);
        face_parked_free(m);
        return 1;
    }
    wait_for(req, got);
    return 0;
}

/* Receives what is in flight on `rc_` (the lower half's `handle`), counted on
 * `counted_on` (whose ranks are the same). */
static int probe_real(int32_t handle, uint64_t rc_, int32_t counted_on, struct pass *p)
{
    for (;;) {
        int flag = 0, rc;
        struct ckpt_status st;
        CKPT_CROSS(rc = ckpt_T->Iprobe(CKPT_MPI_ANY_SOURCE, CKPT_MPI_ANY_TAG, rc_, &flag, &st));
        if (rc || !flag)
            return 0;
        int64_t bytes = status_bytes(&st);
        struct face_drained *m = drained_new(bytes);
        if (!m)
            return 1;
        uint64_t req = 0;
        struct ckpt_status got;
        CKPT_CROSS(rc = ckpt_T->Irecv(m->data, (int)bytes, ckpt_to_real(CKPT_KIND_DATATYPE, CKPT_MPI_BYTE), st.source,
                                      st.tag, rc_, &req));
        if (drained_wait(m, rc, &req, &got))
            return 1;
        m->comm = handle;
        m->source = got.source;
        m->tag = got.tag;
        face_drained_append(m);
        face_count_recv(counted_on, got.source);
        p->progressed = 1;
    }
}

static int probe_comm(int32_t handle, struct face_comm *c, void *arg)
{
    (void)c;
    if (handle == CKPT_MPI_COMM_NULL)
        return 0; /* a pseudo-communicator: no messages of its own */
    return probe_real(handle, ckpt_to_real(CKPT_KIND_COMM, handle), handle, arg);
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
    return c && c != FACE_REAL_IDUP_PENDING ? probe_real(r->idup_comm, c, r->comm, arg) : 0;
}

/* Mprobe'd but not received: receive it now, it cannot outlive the lower half. */
static int drain_message(int32_t v, struct face_req *r, uint64_t real, void *arg)
{
    (void)arg;
    if (r->type != FACE_REQ_MESSAGE || is_marker(real))
        return 0;
    int64_t bytes = status_bytes(&r->status);
    struct face_drained *m = drained_new(bytes);
    if (!m)
        return 1;
    uint64_t req = 0;
    int rc;
    struct ckpt_status got;
    CKPT_CROSS(rc = ckpt_T->Imrecv(m->data, (int)bytes, ckpt_to_real(CKPT_KIND_DATATYPE, CKPT_MPI_BYTE), &real, &req));
    if (drained_wait(m, rc, &req, &got))
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
    wait_for(&real, &st);
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

int face_drain_sent(char *buf, int cap)
{
    struct text t = {buf, 0, cap};
    buf[0] = 0;
    for (int i = 0; i < face_nranks && t.n < cap - 24; i++) {
        text_add(&t, i ? "," : "");
        text_int(&t, face_sent ? face_sent[i] : 0);
    }
    if (face_nranks == 0)
        text_add(&t, "0");
    return t.n;
}

int face_drain(const char *expect, char *err, int errlen)
{
    int n = face_nranks > 0 ? face_nranks : 1;
    face_parked_free(expected);
    expected = face_parked_alloc((size_t)n * sizeof(int64_t));
    struct text e = {err, 0, errlen};
    if (!expected) {
        text_add(&e, "drain: out of memory");
        return -1;
    }
    const char *p = expect;
    for (int i = 0; i < n && *p; i++) {
        expected[i] = parse_int(&p);
        p += *p == ',';
    }
    if (ckpt_face_state() == 1)
        ckpt_face_ensure_bound();
    if (ckpt_face_state() != 1) {
        for (int i = 0; i < n; i++)
            if (expected[i] > 0 && (!face_recvd || face_recvd[i] < expected[i])) {
                text_add(&e, "drain: rank ");
                text_int(&e, i);
                text_add(&e, " was sent messages but MPI is not running on this rank");
                return -1;
            }
        return 0;
    }
    /* First complete every RMA operation: request-based ones too, which the loop below tests. */
    if (face_wins_quiesce() != 0) {
        text_add(&e, "drain: no memory for the copy of a shared-memory window's segment");
        return -1;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pass pass = {0, 0};
        face_req_each(test_one, &pass);
        if (short_of_messages()) {
            face_comm_each(probe_comm, &pass);
            face_req_each(probe_idup, &pass);
        }
        if (!short_of_messages() && pass.outstanding == 0)
            break;
        if (!pass.progressed) {
            struct timespec ts = {0, 50000}, now;
            nanosleep(&ts, NULL);
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec > 120) {
                int who = 0;
                while (who < n - 1 && face_recvd[who] >= expected[who])
                    who++;
                text_add(&e, "drain: after 120 s still ");
                text_int(&e, expected[who] - face_recvd[who]);
                text_add(&e, " message(s) short from rank ");
                text_int(&e, who);
                text_add(&e, " and ");
                text_int(&e, pass.outstanding);
                text_add(&e, " request(s) unfinished");
                return -1;
            }
        }
    }
    face_req_each(drain_message, NULL);
    face_req_each(cancel_one, NULL);
    face_files_save_positions();
    return 0;
}

void face_drain_progress(void)
{
    if (ckpt_face_state() != 1)
        return;
    ckpt_face_ensure_bound();
    int flag = 0;
    CKPT_CROSS(ckpt_T->Iprobe(CKPT_MPI_ANY_SOURCE, CKPT_MPI_ANY_TAG, ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_WORLD),
                              &flag, NULL));
}

/* In the same lower half, once the image is written (restored: on the first call). */
void face_drain_finish(int restored)
{
    face_wins_image_done(restored);
    if (restored || ckpt_face_state() != 1)
        return;
    ckpt_face_ensure_bound();
    face_requests_resume();
}
