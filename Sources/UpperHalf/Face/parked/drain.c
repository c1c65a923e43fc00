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
#include "face_kinds.h"
#include "face_win.h"
#include "face_parked.h"

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

/* ------------------------------------------------------------- the drain */

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
    face_parked_free(face_drain_expected);
    face_drain_expected = face_parked_alloc((size_t)n * sizeof(int64_t));
    struct text e = {err, 0, errlen};
    if (!face_drain_expected) {
        text_add(&e, "drain: out of memory");
        return -1;
    }
    const char *p = expect;
    for (int i = 0; i < n && *p; i++) {
        face_drain_expected[i] = parse_int(&p);
        p += *p == ',';
    }
    if (ckpt_face_state() == 1)
        ckpt_face_ensure_bound();
    if (ckpt_face_state() != 1) {
        for (int i = 0; i < n; i++)
            if (face_drain_expected[i] > 0 && (!face_recvd || face_recvd[i] < face_drain_expected[i])) {
                text_add(&e, "drain: rank ");
                text_int(&e, i);
                text_add(&e, " was sent messages but MPI is not running on this rank");
                return -1;
            }
        return 0;
    }
    /* First what no image may have in flight (RMA operations: request-based
     * ones too, which the loop below tests). */
    face_kinds_quiesce();
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct face_drain_pass pass = {0, 0};
        if (face_kinds_drain_step(&pass)) {
            text_add(&e, "drain: out of memory for the messages in flight");
            return -1;
        }
        if (!face_drain_short_of_messages() && pass.outstanding == 0)
            break;
        if (!pass.progressed) {
            struct timespec ts = {0, 50000}, now;
            nanosleep(&ts, NULL);
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec > 120) {
                int who = 0;
                while (who < n - 1 && face_recvd[who] >= face_drain_expected[who])
                    who++;
                text_add(&e, "drain: after 120 s still ");
                text_int(&e, face_drain_expected[who] - face_recvd[who]);
                text_add(&e, " message(s) short from rank ");
                text_int(&e, who);
                text_add(&e, " and ");
                text_int(&e, pass.outstanding);
                text_add(&e, " request(s) unfinished");
                return -1;
            }
        }
    }
    if (face_kinds_drained()) {
        text_add(&e, "drain: out of memory for what the image must hold (messages matched but not received, "
                     "a shared-memory window's copy)");
        return -1;
    }
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
    face_kinds_finish();
}
