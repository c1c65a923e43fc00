/* Point-to-point receives, probes, persistent requests and request completion
 * (DESIGN §4.2). What they add to a plain translation: they count received
 * messages per peer (the drain's receive side), they take drained messages
 * first, and their wait loops stop at a safe point when a checkpoint is pending
 * and translate their requests again afterwards (the drain may have completed,
 * cancelled or re-made them). */
#include <sched.h>
#include <string.h>

#include "face_cut.h"
#include "face_mpi4.h"
#include "face_requests.h"

#define ST(s) ((struct ckpt_status *)(s))
#define IGNORED(s) ((uintptr_t)(s) <= 1)

static inline uint64_t rdt(MPI_Datatype t) { return ckpt_to_real(CKPT_KIND_DATATYPE, t); }
static inline uint64_t rcomm(MPI_Comm c) { return ckpt_to_real(CKPT_KIND_COMM, c); }
static inline uint64_t rreq(MPI_Request r) { return ckpt_to_real(CKPT_KIND_REQUEST, r); }

static void keep_args(int32_t v, void *buf, int count, MPI_Datatype datatype, int peer, int tag)
{
    struct face_req *q = face_req_of(v);
    if (q) {
        q->buf = buf;
        q->count = count;
        q->datatype = datatype;
        q->peer = peer;
        q->tag = tag;
    }
}

/* Status arrays: the application's, or ours when it passed MPI_STATUSES_IGNORE
 * (receives are counted by their source). */
struct statuses {
    struct ckpt_status stack[CKPT_STACK_ARRAY];
    struct ckpt_status *s;
};

static struct ckpt_status *statuses_for(struct statuses *t, MPI_Status *app, int n)
{
    if (!IGNORED(app))
        return t->s = ST(app);
    t->s = n <= CKPT_STACK_ARRAY ? t->stack : malloc(sizeof(struct ckpt_status) * (size_t)(n > 0 ? n : 1));
    return t->s;
}

/* ------------------------------------------------------------------ receives */

/* A receive matched by a drained message: complete at once. */
static int irecv_drained(struct face_drained *m, void *buf, int count, MPI_Datatype datatype, MPI_Comm comm,
                         MPI_Request *request)
{
    struct ckpt_status st;
    int rc = face_drained_deliver(m, buf, count, datatype, (MPI_Status *)&st);
    uint64_t real = 0;
    int rc2;
    CKPT_CROSS(rc2 = ckpt_T->Done_request(&st, &real));
    if (rc2)
        return ckpt_face_error(comm, rc2, "MPI_Irecv");
    int32_t v = face_req_new(real, FACE_REQ_RECV, comm);
    struct face_req *q = face_req_of(v);
    if (q)
        q->counted = 1;
    *request = v;
    return rc ? ckpt_face_error(comm, rc, "MPI_Irecv") : 0;
}

CKPT_EXPORT int PMPI_Irecv(void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
                           MPI_Request *request)
{
    CKPT_ENTER();
    if (__builtin_expect(face_drained_head != NULL, 0)) {
        struct face_drained *m = face_drained_find(comm, source, tag);
        if (m)
            return irecv_drained(m, buf, count, datatype, comm, request);
    }
    uint64_t real = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Irecv(buf, count, rdt(datatype), source, tag, rcomm(comm), &real));
    if (__builtin_expect(rc != 0, 0))
        return ckpt_face_error(comm, rc, "MPI_Irecv");
    *request = face_req_new(real, FACE_REQ_RECV, comm);
    keep_args(*request, buf, count, datatype, source, tag);
    return 0;
}
CKPT_EXPORT int MPI_Irecv(void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *)
    __attribute__((alias("PMPI_Irecv")));

CKPT_EXPORT int PMPI_Recv(void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
                          MPI_Status *status)
{
    CKPT_ENTER();
    if (__builtin_expect(face_drained_head != NULL, 0)) {
        struct face_drained *m = face_drained_find(comm, source, tag);
        if (m) {
            int rc = face_drained_deliver(m, buf, count, datatype, status);
            return rc ? ckpt_face_error(comm, rc, "MPI_Recv") : 0;
        }
    }
    struct ckpt_status st;
    uint64_t pending = 0;
    int rc;
    face_p2p_enter(comm, source);
    CKPT_CROSS(rc = ckpt_T->Recv(buf, count, rdt(datatype), source, tag, rcomm(comm), &st, &pending));
    face_p2p_leave();
    if (rc == CKPT_PENDING) {
        int32_t v = face_req_new(pending, FACE_REQ_RECV, comm);
        keep_args(v, buf, count, datatype, source, tag);
        return face_wait_one(&v, status);
    }
    if (__builtin_expect(rc != 0, 0))
        return ckpt_face_error(comm, rc, "MPI_Recv");
    face_count_recv(comm, st.source);
    if (!IGNORED(status))
        *ST(status) = st;
    return 0;
}
CKPT_EXPORT int MPI_Recv(void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Status *)
    __attribute__((alias("PMPI_Recv")));

/* The communicator a message handle came from (Mprobe/Improbe keep it). */
static MPI_Comm message_comm(MPI_Message m)
{
    struct face_req *q = face_req_of(m);
    return q ? q->comm : CKPT_MPI_COMM_NULL;
}

CKPT_EXPORT int PMPI_Mrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message, MPI_Status *status)
{
    CKPT_ENTER();
    struct face_req *q = face_req_of(*message);
    if (q && rreq(*message) == FACE_REAL_DRAINED) {
        struct face_drained *m = q->message;
        q->message = NULL;
        ckpt_shadow_free_handle(CKPT_KIND_REQUEST, *message);
        *message = CKPT_MPI_MESSAGE_NULL;
        int rc = face_drained_deliver(m, buf, count, datatype, status);
        return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Mrecv") : 0;
    }
    MPI_Comm comm = message_comm(*message);
    uint64_t rmsg = rreq(*message), pending = 0;
    struct ckpt_status st;
    int rc;
    face_p2p_enter(comm, q ? q->status.source : -1);
    CKPT_CROSS(rc = ckpt_T->Mrecv(buf, count, rdt(datatype), &rmsg, &st, &pending));
    face_p2p_leave();
    ckpt_inout_update(CKPT_KIND_REQUEST, message, rmsg, CKPT_MPI_MESSAGE_NULL);
    if (rc == CKPT_PENDING) {
        /* counted when it was probed */
        int32_t v = face_req_new(pending, FACE_REQ_MRECV, comm);
        struct face_req *r = face_req_of(v);
        if (r)
            r->counted = 1;
        return face_wait_one(&v, status);
    }
    if (__builtin_expect(rc != 0, 0))
        return ckpt_face_error(comm, rc, "MPI_Mrecv");
    if (!IGNORED(status))
        *ST(status) = st;
    return 0;
}
CKPT_EXPORT int MPI_Mrecv(void *, int, MPI_Datatype, MPI_Message *, MPI_Status *)
    __attribute__((alias("PMPI_Mrecv")));

CKPT_EXPORT int PMPI_Imrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message, MPI_Request *request)
{
    CKPT_ENTER();
    struct face_req *q = face_req_of(*message);
    MPI_Comm comm = message_comm(*message);
    if (q && rreq(*message) == FACE_REAL_DRAINED) {
        struct face_drained *m = q->message;
        q->message = NULL;
        ckpt_shadow_free_handle(CKPT_KIND_REQUEST, *message);
        *message = CKPT_MPI_MESSAGE_NULL;
        return irecv_drained(m, buf, count, datatype, comm, request);
    }
    uint64_t rmsg = rreq(*message), real = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Imrecv(buf, count, rdt(datatype), &rmsg, &real));
    if (__builtin_expect(rc != 0, 0))
        return ckpt_face_error(comm, rc, "MPI_Imrecv");
    ckpt_inout_update(CKPT_KIND_REQUEST, message, rmsg, CKPT_MPI_MESSAGE_NULL);
    *request = face_req_new(real, FACE_REQ_MRECV, comm);
    struct face_req *r = face_req_of(*request);
    if (r)
        r->counted = 1;
    return 0;
}
CKPT_EXPORT int MPI_Imrecv(void *, int, MPI_Datatype, MPI_Message *, MPI_Request *)
    __attribute__((alias("PMPI_Imrecv")));

/* -------------------------------------------------------------------- probes */

CKPT_EXPORT int PMPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    CKPT_ENTER();
    if (__builtin_expect(face_drained_head != NULL, 0)) {
        struct face_drained *m = face_drained_find(comm, source, tag);
        if (m) {
            *flag = 1;
            face_drained_status(m, status);
            return 0;
        }
    }
    int rc;
    CKPT_CROSS(rc = ckpt_T->Iprobe(source, tag, rcomm(comm), flag, IGNORED(status) ? NULL : ST(status)));
    return rc ? ckpt_face_error(comm, rc, "MPI_Iprobe") : 0;
}
CKPT_EXPORT int MPI_Iprobe(int, int, MPI_Comm, int *, MPI_Status *) __attribute__((alias("PMPI_Iprobe")));

CKPT_EXPORT int PMPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    CKPT_ENTER();
    for (;;) {
        if (__builtin_expect(face_drained_head != NULL, 0)) {
            struct face_drained *m = face_drained_find(comm, source, tag);
            if (m) {
                face_drained_status(m, status);
                return 0;
            }
        }
        int rc;
        face_p2p_enter(comm, source);
        CKPT_CROSS(rc = ckpt_T->Probe(source, tag, rcomm(comm), IGNORED(status) ? NULL : ST(status)));
        face_p2p_leave();
        if (rc != CKPT_PENDING)
            return rc ? ckpt_face_error(comm, rc, "MPI_Probe") : 0;
        ckpt_safepoint();
        ckpt_reenter();
    }
}
CKPT_EXPORT int MPI_Probe(int, int, MPI_Comm, MPI_Status *) __attribute__((alias("PMPI_Probe")));

/* A matched message: counted now (it has left the queue the drain looks at). */
static int32_t new_message(uint64_t real, MPI_Comm comm, const struct ckpt_status *st, struct face_drained *m)
{
    int32_t v = face_req_new(real, FACE_REQ_MESSAGE, comm);
    struct face_req *q = face_req_of(v);
    if (q) {
        q->message = m;
        q->status = *st;
        q->counted = 1;
    }
    if (!m)
        face_count_recv(comm, st->source);
    return v;
}

static int drained_message(struct face_drained *m, MPI_Comm comm, MPI_Message *message, MPI_Status *status)
{
    struct ckpt_status st;
    face_drained_status(m, (MPI_Status *)&st);
    face_drained_unlink(m);
    *message = new_message(FACE_REAL_DRAINED, comm, &st, m);
    if (!IGNORED(status))
        *ST(status) = st;
    return 0;
}

CKPT_EXPORT int PMPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message, MPI_Status *status)
{
    CKPT_ENTER();
    if (__builtin_expect(face_drained_head != NULL, 0)) {
        struct face_drained *m = face_drained_find(comm, source, tag);
        if (m) {
            *flag = 1;
            return drained_message(m, comm, message, status);
        }
    }
    uint64_t rmsg = 0;
    struct ckpt_status st;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Improbe(source, tag, rcomm(comm), flag, &rmsg, &st));
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Improbe");
    if (*flag) {
        *message = rmsg == CKPT_REAL_MESSAGE_NO_PROC ? CKPT_MPI_MESSAGE_NO_PROC : new_message(rmsg, comm, &st, NULL);
        if (!IGNORED(status))
            *ST(status) = st;
    }
    return 0;
}
CKPT_EXPORT int MPI_Improbe(int, int, MPI_Comm, int *, MPI_Message *, MPI_Status *)
    __attribute__((alias("PMPI_Improbe")));

CKPT_EXPORT int PMPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status)
{
    CKPT_ENTER();
    for (;;) {
        if (__builtin_expect(face_drained_head != NULL, 0)) {
            struct face_drained *m = face_drained_find(comm, source, tag);
            if (m)
                return drained_message(m, comm, message, status);
        }
        uint64_t rmsg = 0;
        struct ckpt_status st;
        int rc;
        face_p2p_enter(comm, source);
        CKPT_CROSS(rc = ckpt_T->Mprobe(source, tag, rcomm(comm), &rmsg, &st));
        face_p2p_leave();
        if (rc == CKPT_PENDING) {
            ckpt_safepoint();
            ckpt_reenter();
            continue;
        }
        if (rc)
            return ckpt_face_error(comm, rc, "MPI_Mprobe");
        *message = rmsg == CKPT_REAL_MESSAGE_NO_PROC ? CKPT_MPI_MESSAGE_NO_PROC : new_message(rmsg, comm, &st, NULL);
        if (!IGNORED(status))
            *ST(status) = st;
        return 0;
    }
}
CKPT_EXPORT int MPI_Mprobe(int, int, MPI_Comm, MPI_Message *, MPI_Status *) __attribute__((alias("PMPI_Mprobe")));

/* ------------------------------------------------------- combined send+receive */


CKPT_EXPORT int PMPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                              void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag,
                              MPI_Comm comm, MPI_Status *status)
{
    CKPT_ENTER();
    face_count_send(comm, dest);
    if (__builtin_expect(face_drained_head != NULL, 0)) {
        struct face_drained *m = face_drained_find(comm, source, recvtag);
        if (m) {
            struct ckpt_status st;
            int rc = face_drained_deliver(m, recvbuf, recvcount, recvtype, (MPI_Status *)&st);
            uint64_t pending = 0;
            int rc2;
            CKPT_CROSS(rc2 = ckpt_T->Send(sendbuf, sendcount, rdt(sendtype), dest, sendtag, rcomm(comm), &pending));
            if (rc2 == CKPT_PENDING) {
                int32_t v = face_req_new(pending, FACE_REQ_OTHER, comm);
                rc2 = face_wait_one(&v, CKPT_MPI_STATUS_IGNORE);
            }
            if (!IGNORED(status))
                *ST(status) = st;
            rc = rc ? rc : rc2;
            return rc ? ckpt_face_error(comm, rc, "MPI_Sendrecv") : 0;
        }
    }
    struct ckpt_status st;
    uint64_t pending[2] = {0, 0};
    int rc;
    face_p2p_enter(comm, CKPT_MPI_ANY_SOURCE);
    CKPT_CROSS(rc = ckpt_T->Sendrecv(sendbuf, sendcount, rdt(sendtype), dest, sendtag, recvbuf, recvcount,
                                     rdt(recvtype), source, recvtag, rcomm(comm), &st, pending));
    face_p2p_leave();
    if (rc == CKPT_PENDING) {
        MPI_Request both[2] = {face_req_new(pending[0], FACE_REQ_OTHER, comm),
                               face_req_new(pending[1], FACE_REQ_RECV, comm)};
        keep_args(both[1], recvbuf, recvcount, recvtype, source, recvtag);
        struct ckpt_status sts[2];
        rc = PMPI_Waitall(2, both, (MPI_Status *)sts);
        if (!rc && !IGNORED(status))
            *ST(status) = sts[1];
        return rc;
    }
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Sendrecv");
    face_count_recv(comm, st.source);
    if (!IGNORED(status))
        *ST(status) = st;
    return 0;
}
CKPT_EXPORT int MPI_Sendrecv(const void *, int, MPI_Datatype, int, int, void *, int, MPI_Datatype, int, int, MPI_Comm,
                             MPI_Status *) __attribute__((alias("PMPI_Sendrecv")));

/* Packed copy of the buffer, then a Sendrecv into it: one path for the drain. */
CKPT_EXPORT int PMPI_Sendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest, int sendtag, int source,
                                      int recvtag, MPI_Comm comm, MPI_Status *status)
{
    CKPT_ENTER();
    int size = 0, position = 0, rc;
    CKPT_CROSS(rc = ckpt_T->Pack_size(count, rdt(datatype), rcomm(comm), &size));
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Sendrecv_replace");
    void *tmp = malloc((size_t)(size > 0 ? size : 1));
    if (!tmp)
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, "MPI_Sendrecv_replace");
    CKPT_CROSS(rc = ckpt_T->Pack(buf, count, rdt(datatype), tmp, size, &position, rcomm(comm)));
    if (!rc)
        rc = PMPI_Sendrecv(tmp, position, CKPT_MPI_PACKED, dest, sendtag, buf, count, datatype, source, recvtag, comm,
                           status);
    else
        rc = ckpt_face_error(comm, rc, "MPI_Sendrecv_replace");
    free(tmp);
    return rc;
}
CKPT_EXPORT int MPI_Sendrecv_replace(void *, int, MPI_Datatype, int, int, int, int, MPI_Comm, MPI_Status *)
    __attribute__((alias("PMPI_Sendrecv_replace")));

/* --------------------------------------------------------- persistent requests */

#define PERSISTENT(Name, Type, Mode, Const)                                                                   \
    CKPT_EXPORT int PMPI_##Name(Const void *buf, int count, MPI_Datatype datatype, int peer, int tag,          \
                                MPI_Comm comm, MPI_Request *request)                                          \
    {                                                                                                         \
        CKPT_ENTER();                                                                                         \
        uint64_t real = 0;                                                                                    \
        int rc;                                                                                               \
        CKPT_CROSS(rc = ckpt_T->Name(buf, count, rdt(datatype), peer, tag, rcomm(comm), &real));              \
        if (rc)                                                                                               \
            return ckpt_face_error(comm, rc, "MPI_" #Name);                                                   \
        *request = face_req_new(real, Type, comm);                                                            \
        keep_args(*request, (void *)buf, count, datatype, peer, tag);                                         \
        struct face_req *q = face_req_of(*request);                                                           \
        if (q)                                                                                                \
            q->mode = Mode;                                                                                   \
        return 0;                                                                                             \
    }                                                                                                         \
    CKPT_EXPORT int MPI_##Name(Const void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *)            \
        __attribute__((alias("PMPI_" #Name)));

PERSISTENT(Send_init, FACE_REQ_PSEND, 0, const)
PERSISTENT(Ssend_init, FACE_REQ_PSEND, 1, const)
PERSISTENT(Bsend_init, FACE_REQ_PSEND, 2, const)
PERSISTENT(Rsend_init, FACE_REQ_PSEND, 3, const)
PERSISTENT(Recv_init, FACE_REQ_PRECV, 0, )

CKPT_EXPORT int PMPI_Start(MPI_Request *request)
{
    CKPT_ENTER();
    struct face_req *q = face_req_of(*request);
    if (q && q->type == FACE_REQ_PCOLL)
        return face_pcoll_activate(request, q);
    if (q && q->type == FACE_REQ_PRECV && __builtin_expect(face_drained_head != NULL, 0)) {
        struct face_drained *m = face_drained_find(q->comm, q->peer, q->tag);
        if (m) {
            /* Complete at once: the lower request stays inactive, its wait returns this status. */
            int rc = face_drained_deliver(m, q->buf, q->count, q->datatype, (MPI_Status *)&q->status);
            q->has_status = 1;
            q->counted = 1;
            q->active = 0;
            return rc ? ckpt_face_error(q->comm, rc, "MPI_Start") : 0;
        }
    }
    uint64_t real = rreq(*request);
    int rc;
    CKPT_CROSS(rc = ckpt_T->Start(&real));
    if (rc)
        return ckpt_face_error(q ? q->comm : CKPT_MPI_COMM_WORLD, rc, "MPI_Start");
    if (q) {
        q->active = 1;
        q->counted = 0;
        q->has_status = 0;
        if (q->type == FACE_REQ_PSEND)
            face_count_send(q->comm, q->peer);
    }
    return 0;
}
CKPT_EXPORT int MPI_Start(MPI_Request *) __attribute__((alias("PMPI_Start")));

CKPT_EXPORT int PMPI_Startall(int count, MPI_Request *requests)
{
    CKPT_ENTER();
    for (int i = 0; i < count; i++) {
        int rc = PMPI_Start(&requests[i]);
        if (rc)
            return rc;
    }
    return 0;
}
CKPT_EXPORT int MPI_Startall(int, MPI_Request *) __attribute__((alias("PMPI_Startall")));

/* ---------------------------------------------------------------- completion */

void face_req_completed(int32_t v, struct face_req *r, struct ckpt_status *st)
{
    (void)v;
    if (!r)
        return;
    if (r->has_status) {
        *st = r->status;
        r->has_status = 0;
    } else if (!r->counted && (r->type == FACE_REQ_RECV || r->type == FACE_REQ_PRECV)
               && !(st->count_hi_and_cancelled & 1)) {
        face_count_recv(r->comm, st->source);
    }
    r->counted = 1;
    r->active = 0;
    if (__builtin_expect(r->companion != 0, 0))
        face_companion_finish(r);
    if (__builtin_expect(r->type == FACE_REQ_IDUP, 0))
        face_idup_finish(r);
}

/* The lower half's handle for a completion call: an inactive persistent
 * collective has none, so it is MPI_REQUEST_NULL there (which MPI treats alike). */
static inline uint64_t rreq_wait(MPI_Request v)
{
    uint64_t real = rreq(v);
    return __builtin_expect(real == FACE_REAL_PCOLL_IDLE || real == FACE_REAL_GREQ, 0) ? 0 : real;
}

static inline int is_greq(const struct face_req *r) { return r && r->type == FACE_REQ_GREQ && r->greq; }

/* Generalized requests in an array (the lower half sees MPI_REQUEST_NULL for
 * them): how many, and in *incomplete how many have not been completed. */
static int greqs_in(int n, const MPI_Request *requests, int *incomplete)
{
    int all = 0, open = 0;
    for (int i = 0; i < n; i++) {
        struct face_req *q = face_req_of(requests[i]);
        if (__builtin_expect(is_greq(q), 0) && rreq(requests[i]) == FACE_REAL_GREQ) {
            all++;
            open += !face_greq_done(q);
        }
    }
    if (incomplete)
        *incomplete = open;
    return all;
}

/* After a completion call: a persistent collective that completed stays, inactive. */
static inline uint64_t kept_real(const struct face_req *r, uint64_t real)
{
    if (__builtin_expect(real == 0 && r != NULL, 0)) {
        if (r->type == FACE_REQ_PCOLL)
            return FACE_REAL_PCOLL_IDLE;
        if (is_greq(r))
            return FACE_REAL_GREQ; /* the face completes it (finish_greqs) */
    }
    return real;
}

/* The records of the requests, before the call frees their handles. */
static struct face_req **records(struct face_req **stack, const MPI_Request *requests, int n)
{
    struct face_req **r = n <= CKPT_STACK_ARRAY ? stack : malloc(sizeof *r * (size_t)(n > 0 ? n : 1));
    for (int i = 0; r && i < n; i++)
        r[i] = face_req_of(requests[i]);
    return r;
}

/* Translate, call, and on CKPT_PENDING stop at the safe point and start over.
 * MASKED: an MPI_Isendrecv whose send is still pending (face_companion_poll said
 * so just before) goes down as MPI_REQUEST_NULL, so the call cannot complete its
 * receive and then have to wait for the send; COMPLETION_END gives it back. */
#define COMPLETION_LOOP(n, requests, call) COMPLETION_LOOP_M(n, requests, call, 0)
#define COMPLETION_LOOP_M(n, requests, call, masked)                                              \
    uint64_t s_real_[CKPT_STACK_ARRAY];                                                           \
    struct face_req *s_rec_[CKPT_STACK_ARRAY];                                                    \
    int n_ = (n) > 0 ? (n) : 0;                                                                   \
    uint64_t *real = ckpt_array(s_real_, n_);                                                     \
    struct face_req **rec = records(s_rec_, (requests), n_);                                      \
    int rc, masked_ = (masked);                                                                   \
    if (!real || !rec)                                                                            \
        rc = CKPT_MPI_ERR_NO_MEM;                                                                 \
    else                                                                                          \
        for (;;) {                                                                                \
            for (int i = 0; i < n_; i++)                                                          \
                real[i] = masked_ && rec[i] && rec[i]->companion ? 0 : rreq_wait((requests)[i]);  \
            CKPT_CROSS(rc = (call));                                                              \
            if (rc != CKPT_PENDING)                                                               \
                break;                                                                            \
            ckpt_safepoint();                                                                     \
            ckpt_reenter();                                                                       \
        }

#define COMPLETION_END(requests)                                                                  \
    for (int i = 0; masked_ && real && rec && i < n_; i++)                                        \
        if (rec[i] && rec[i]->companion && real[i] == 0)                                          \
            real[i] = rreq((requests)[i]);                                                        \
    for (int i = 0; real && i < n_; i++)                                                          \
        ckpt_inout_update(CKPT_KIND_REQUEST, &(requests)[i], kept_real(rec[i], real[i]),          \
                          CKPT_MPI_REQUEST_NULL);                                                 \
    ckpt_array_free(real, s_real_);                                                               \
    if (rec != s_rec_)                                                                            \
        free(rec);

static int finish(int rc, const char *fn) { return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, fn) : 0; }

static void poll_pause(void);

/* After the lower half's part of a whole-array call: waits for (wait) or takes
 * the complete generalized requests, their statuses in st[i]. */
static int finish_greqs(int n, MPI_Request *requests, struct ckpt_status *st, int wait)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        struct face_req *q = face_req_of(requests[i]);
        if (!is_greq(q) || rreq(requests[i]) != FACE_REAL_GREQ)
            continue;
        while (wait && !face_greq_done(q))
            poll_pause();
        if (face_greq_done(q) && face_greq_finish(&requests[i], q, &st[i]))
            rc = CKPT_MPI_ERR_IN_STATUS;
    }
    return rc;
}

int face_wait_one(int32_t *request, MPI_Status *status)
{
    struct face_req *g = face_req_of(*request);
    if (__builtin_expect(is_greq(g), 0) && rreq(*request) == FACE_REAL_GREQ) {
        while (!face_greq_done(g))
            poll_pause();
        struct ckpt_status gs;
        int rc = face_greq_finish(request, g, &gs);
        if (!IGNORED(status))
            *ST(status) = gs;
        return finish(rc, "MPI_Wait");
    }
    struct ckpt_status st;
    face_p2p_enter(CKPT_MPI_COMM_NULL, -1);
    COMPLETION_LOOP(1, request, ckpt_T->Wait(&real[0], &st))
    face_p2p_leave();
    if (!rc) {
        face_req_completed(*request, rec[0], &st);
        if (!IGNORED(status))
            *ST(status) = st;
    }
    COMPLETION_END(request)
    return finish(rc, "MPI_Wait");
}

CKPT_EXPORT int PMPI_Wait(MPI_Request *request, MPI_Status *status)
{
    CKPT_ENTER();
    return face_wait_one(request, status);
}
CKPT_EXPORT int MPI_Wait(MPI_Request *, MPI_Status *) __attribute__((alias("PMPI_Wait")));

/* MPI_Isendrecv requests among these whose send is still pending (each send is
 * tested once, which also progresses it; a finished one is released). */
static int poll_companions(int n, const MPI_Request *requests)
{
    int pending = 0;
    for (int i = 0; i < n; i++) {
        struct face_req *q = face_req_of(requests[i]);
        if (__builtin_expect(q && q->companion, 0))
            pending += face_companion_poll(q);
    }
    return pending;
}

/* Between polls of a wait that cannot block (an Isendrecv's send is pending):
 * a checkpoint may stop the rank here, and the other ranks get the core. */
static void poll_pause(void)
{
    ckpt_safepoint();
    ckpt_reenter();
    sched_yield();
}

CKPT_EXPORT int PMPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    CKPT_ENTER();
    return face_test_one(request, flag, status);
}
CKPT_EXPORT int MPI_Test(MPI_Request *, int *, MPI_Status *) __attribute__((alias("PMPI_Test")));

int face_test_one(int32_t *request, int *flag, MPI_Status *status)
{
    struct face_req *q = face_req_of(*request);
    if (__builtin_expect(is_greq(q), 0) && rreq(*request) == FACE_REAL_GREQ) {
        *flag = face_greq_done(q);
        if (!*flag)
            return 0;
        struct ckpt_status gs;
        int rc = face_greq_finish(request, q, &gs);
        if (!IGNORED(status))
            *ST(status) = gs;
        return finish(rc, "MPI_Test");
    }
    if (__builtin_expect(q && q->companion, 0) && face_companion_poll(q)) {
        /* MPI_Isendrecv: complete only with its send, which a test must not wait for */
        *flag = 0;
        return 0;
    }
    struct ckpt_status st;
    COMPLETION_LOOP(1, request, ckpt_T->Test(&real[0], flag, &st))
    if (!rc && *flag) {
        face_req_completed(*request, rec[0], &st);
        if (!IGNORED(status))
            *ST(status) = st;
    }
    COMPLETION_END(request)
    return finish(rc, "MPI_Test");
}

/* ------------------------------------- requests made of other requests */

/* MPI-4's emulations (face_mpi4.c makes them): an MPI_Isendrecv's hidden send
 * completes with its receive, a persistent collective starts as the
 * non-blocking one. Here because completion drives them. */

int face_companion_poll(struct face_req *r)
{
    int32_t c = r->companion;
    if (!c)
        return 0;
    int flag = 0;
    struct face_req *cq = face_req_of(c);
    int32_t comm = cq ? cq->comm : 0, peer = cq ? cq->peer : -1;
    struct ckpt_status st;
    /* a failed test ends it as a failed wait would: its error is not the receive's */
    int rc = face_test_one(&c, &flag, (MPI_Status *)&st);
    if (rc == 0 && !flag)
        return 1;
    if (rc == 0 && (st.count_hi_and_cancelled & 1))
        face_uncount_send(comm, peer);
    r->companion = 0;
    free(r->tmp);
    r->tmp = NULL;
    return 0;
}

void face_companion_finish(struct face_req *r)
{
    int32_t c = r->companion;
    if (!c)
        return;
    r->companion = 0;
    struct face_req *cq = face_req_of(c);
    int32_t comm = cq ? cq->comm : 0, peer = cq ? cq->peer : -1;
    struct ckpt_status st;
    if (face_wait_one(&c, (MPI_Status *)&st) == 0 && (st.count_hi_and_cancelled & 1))
        face_uncount_send(comm, peer);
    free(r->tmp);
    r->tmp = NULL;
}

/* The started collective's lower request becomes this handle's; its own
 * temporary handle goes (no safe point in between: one face call). */
int face_pcoll_activate(MPI_Request *request, struct face_req *q)
{
    if (q->active)
        return ckpt_face_error(q->comm, CKPT_MPI_ERR_REQUEST, "MPI_Start");
    MPI_Request started = CKPT_MPI_REQUEST_NULL;
    int rc = face_pcoll_start(q, &started);
    if (rc)
        return rc;
    uint64_t real = ckpt_to_real(CKPT_KIND_REQUEST, started);
    ckpt_shadow_free_handle(CKPT_KIND_REQUEST, started);
    ckpt_shadow_set_real(CKPT_KIND_REQUEST, *request, real);
    q->active = 1;
    q->has_status = 0;
    q->counted = 1;
    q->state = FACE_REQ_LIVE;
    return 0;
}

int face_pcoll_free(MPI_Request *request, struct face_req *q)
{
    int rc = 0;
    if (q->active)
        rc = face_wait_one(request, CKPT_MPI_STATUS_IGNORE);
    free(q->buf);
    q->buf = NULL;
    ckpt_shadow_free_handle(CKPT_KIND_REQUEST, *request);
    *request = CKPT_MPI_REQUEST_NULL;
    return rc;
}

/* Whole arrays: every status is needed to count receives by source. */
static void all_completed(int n, MPI_Request *requests, struct face_req **rec, struct ckpt_status *st)
{
    for (int i = 0; i < n; i++)
        face_req_completed(requests[i], rec[i], &st[i]);
}

CKPT_EXPORT int PMPI_Waitall(int count, MPI_Request *requests, MPI_Status *statuses)
{
    CKPT_ENTER();
    struct statuses t;
    struct ckpt_status *st = statuses_for(&t, statuses, count);
    face_p2p_enter(CKPT_MPI_COMM_NULL, -1);
    COMPLETION_LOOP(count, requests, ckpt_T->Waitall(count, real, st))
    face_p2p_leave();
    if (!rc || rc == CKPT_MPI_ERR_IN_STATUS)
        all_completed(n_, requests, rec, st);
    COMPLETION_END(requests)
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && __builtin_expect(greqs_in(count, requests, NULL) > 0, 0)) {
        int grc = finish_greqs(count, requests, st, 1);
        rc = rc ? rc : grc;
    }
    if (IGNORED(statuses) && t.s != t.stack)
        free(t.s);
    return finish(rc, "MPI_Waitall");
}
CKPT_EXPORT int MPI_Waitall(int, MPI_Request *, MPI_Status *) __attribute__((alias("PMPI_Waitall")));

CKPT_EXPORT int PMPI_Testall(int count, MPI_Request *requests, int *flag, MPI_Status *statuses)
{
    CKPT_ENTER();
    struct statuses t;
    int greqs_open = 0, greqs = greqs_in(count, requests, &greqs_open);
    if (__builtin_expect(greqs_open > 0 || poll_companions(count, requests) > 0, 0)) {
        /* an Isendrecv's send or a generalized request is pending: not all complete, and none may complete alone */
        *flag = 0;
        return 0;
    }
    struct ckpt_status *st = statuses_for(&t, statuses, count);
    COMPLETION_LOOP(count, requests, ckpt_T->Testall(count, real, flag, st))
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && *flag)
        all_completed(n_, requests, rec, st);
    COMPLETION_END(requests)
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && *flag && __builtin_expect(greqs > 0, 0)) {
        int grc = finish_greqs(count, requests, st, 0);
        rc = rc ? rc : grc;
    }
    if (IGNORED(statuses) && t.s != t.stack)
        free(t.s);
    return finish(rc, "MPI_Testall");
}
CKPT_EXPORT int MPI_Testall(int, MPI_Request *, int *, MPI_Status *) __attribute__((alias("PMPI_Testall")));

static int testany(int count, MPI_Request *requests, int *index, int *flag, MPI_Status *status, int pending);

CKPT_EXPORT int PMPI_Waitany(int count, MPI_Request *requests, int *index, MPI_Status *status)
{
    CKPT_ENTER();
    for (int pending; (pending = poll_companions(count, requests) + greqs_in(count, requests, NULL)) > 0;
         poll_pause()) {
        /* the lower Waitany could block on the others while only the send (or a
         * generalized request, which it does not see) would complete */
        int flag = 0, rc = testany(count, requests, index, &flag, status, pending);
        if (rc || flag)
            return rc;
    }
    struct ckpt_status st;
    face_p2p_enter(CKPT_MPI_COMM_NULL, -1);
    COMPLETION_LOOP(count, requests, ckpt_T->Waitany(count, real, index, &st))
    face_p2p_leave();
    if (!rc && *index >= 0 && *index < n_)
        face_req_completed(requests[*index], rec[*index], &st);
    if (!rc && !IGNORED(status))
        *ST(status) = st;
    COMPLETION_END(requests)
    return finish(rc, "MPI_Waitany");
}
CKPT_EXPORT int MPI_Waitany(int, MPI_Request *, int *, MPI_Status *) __attribute__((alias("PMPI_Waitany")));
CKPT_EXPORT int MPI_Testany(int, MPI_Request *, int *, int *, MPI_Status *) __attribute__((alias("PMPI_Testany")));

CKPT_EXPORT int PMPI_Testany(int count, MPI_Request *requests, int *index, int *flag, MPI_Status *status)
{
    CKPT_ENTER();
    return testany(count, requests, index, flag, status, poll_companions(count, requests));
}

/* `pending` requests are masked: when only they are active, none completed. */
static int testany(int count, MPI_Request *requests, int *index, int *flag, MPI_Status *status, int pending)
{
    int greqs_open = 0;
    if (__builtin_expect(greqs_in(count, requests, &greqs_open) > 0, 0)) {
        for (int i = 0; i < count; i++) {
            struct face_req *g = face_req_of(requests[i]);
            if (is_greq(g) && rreq(requests[i]) == FACE_REAL_GREQ && face_greq_done(g)) {
                struct ckpt_status gs;
                int rc = face_greq_finish(&requests[i], g, &gs);
                *index = i;
                *flag = 1;
                if (!IGNORED(status))
                    *ST(status) = gs;
                return finish(rc, "MPI_Testany");
            }
        }
        pending += greqs_open;
    }
    struct ckpt_status st;
    COMPLETION_LOOP_M(count, requests, ckpt_T->Testany(count, real, index, flag, &st), pending > 0)
    if (!rc && pending && *flag && *index == CKPT_MPI_UNDEFINED)
        *flag = 0;
    if (!rc && *flag && *index >= 0 && *index < n_)
        face_req_completed(requests[*index], rec[*index], &st);
    if (!rc && *flag && !IGNORED(status))
        *ST(status) = st;
    COMPLETION_END(requests)
    return finish(rc, "MPI_Testany");
}

static void some_completed(int outcount, const int *indices, MPI_Request *requests, struct face_req **rec,
                           struct ckpt_status *st, int n)
{
    for (int k = 0; k < outcount; k++)
        if (indices[k] >= 0 && indices[k] < n)
            face_req_completed(requests[indices[k]], rec[indices[k]], &st[k]);
}

static int testsome(int incount, MPI_Request *requests, int *outcount, int *indices, MPI_Status *statuses,
                    int pending);

CKPT_EXPORT int PMPI_Waitsome(int incount, MPI_Request *requests, int *outcount, int *indices, MPI_Status *statuses)
{
    CKPT_ENTER();
    for (int pending; (pending = poll_companions(incount, requests) + greqs_in(incount, requests, NULL)) > 0;
         poll_pause()) {
        /* as in MPI_Waitany */
        int rc = testsome(incount, requests, outcount, indices, statuses, pending);
        if (rc || *outcount != 0)
            return rc;
    }
    struct statuses t;
    struct ckpt_status *st = statuses_for(&t, statuses, incount);
    face_p2p_enter(CKPT_MPI_COMM_NULL, -1);
    COMPLETION_LOOP(incount, requests, ckpt_T->Waitsome(incount, real, outcount, indices, st))
    face_p2p_leave();
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && *outcount > 0)
        some_completed(*outcount, indices, requests, rec, st, n_);
    COMPLETION_END(requests)
    if (IGNORED(statuses) && t.s != t.stack)
        free(t.s);
    return finish(rc, "MPI_Waitsome");
}
CKPT_EXPORT int MPI_Waitsome(int, MPI_Request *, int *, int *, MPI_Status *) __attribute__((alias("PMPI_Waitsome")));
CKPT_EXPORT int MPI_Testsome(int, MPI_Request *, int *, int *, MPI_Status *) __attribute__((alias("PMPI_Testsome")));

CKPT_EXPORT int PMPI_Testsome(int incount, MPI_Request *requests, int *outcount, int *indices, MPI_Status *statuses)
{
    CKPT_ENTER();
    return testsome(incount, requests, outcount, indices, statuses, poll_companions(incount, requests));
}

/* As testany. */
static int testsome(int incount, MPI_Request *requests, int *outcount, int *indices, MPI_Status *statuses,
                    int pending)
{
    struct statuses t;
    int greqs_open = 0, greqs = greqs_in(incount, requests, &greqs_open);
    pending += greqs_open;
    struct ckpt_status *st = statuses_for(&t, statuses, incount);
    COMPLETION_LOOP_M(incount, requests, ckpt_T->Testsome(incount, real, outcount, indices, st), pending > 0)
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && pending && *outcount == CKPT_MPI_UNDEFINED)
        *outcount = 0;
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && *outcount > 0)
        some_completed(*outcount, indices, requests, rec, st, n_);
    COMPLETION_END(requests)
    if ((!rc || rc == CKPT_MPI_ERR_IN_STATUS) && __builtin_expect(greqs > 0, 0) && st) {
        /* the complete generalized requests after what the lower half completed */
        if (*outcount == CKPT_MPI_UNDEFINED)
            *outcount = 0;
        for (int i = 0; i < incount; i++) {
            struct face_req *g = face_req_of(requests[i]);
            if (is_greq(g) && rreq(requests[i]) == FACE_REAL_GREQ && face_greq_done(g)) {
                indices[*outcount] = i;
                if (face_greq_finish(&requests[i], g, &st[*outcount]))
                    rc = CKPT_MPI_ERR_IN_STATUS;
                (*outcount)++;
            }
        }
    }
    if (IGNORED(statuses) && t.s != t.stack)
        free(t.s);
    return finish(rc, "MPI_Testsome");
}

/* Does not free the request: a receive is counted here once, not again at its wait. */
CKPT_EXPORT int PMPI_Request_get_status(MPI_Request request, int *flag, MPI_Status *status)
{
    CKPT_ENTER();
    struct face_req *q = face_req_of(request);
    struct ckpt_status st;
    int rc;
    if (__builtin_expect(is_greq(q), 0) && rreq(request) == FACE_REAL_GREQ) {
        *flag = face_greq_done(q);
        rc = *flag ? face_greq_query(q, &st) : 0;
        if (*flag && !IGNORED(status))
            *ST(status) = st;
        return finish(rc, "MPI_Request_get_status");
    }
    if (q && q->companion) {
        /* MPI_Isendrecv: complete only once its send is */
        int sent = 0;
        CKPT_CROSS(rc = ckpt_T->Request_get_status(rreq(q->companion), &sent, &st));
        if (rc || !sent) {
            *flag = 0;
            return finish(rc, "MPI_Request_get_status");
        }
    }
    if (q && q->has_status) {
        *flag = 1;
        st = q->status;
        rc = 0;
    } else {
        CKPT_CROSS(rc = ckpt_T->Request_get_status(rreq_wait(request), flag, &st));
        if (!rc && *flag && q && !q->counted && (q->type == FACE_REQ_RECV || q->type == FACE_REQ_PRECV)
            && !(st.count_hi_and_cancelled & 1)) {
            face_count_recv(q->comm, st.source);
            q->counted = 1;
        }
    }
    if (!rc && *flag && q && q->type == FACE_REQ_IDUP)
        face_idup_finish(q); /* complete: its communicator may be used before the request is freed */
    if (!rc && *flag && !IGNORED(status))
        *ST(status) = st;
    return finish(rc, "MPI_Request_get_status");
}
CKPT_EXPORT int MPI_Request_get_status(MPI_Request, int *, MPI_Status *) __attribute__((alias("PMPI_Request_get_status")));

/* An MPI_Isendrecv is cancelled whole: a Wait on it must return even when the
 * peer never takes the send. (Its status says whether the receive was; a
 * cancelled send is taken off the counts when the face sees it complete.) */
CKPT_EXPORT int PMPI_Cancel(MPI_Request *request)
{
    CKPT_ENTER();
    struct face_req *q = face_req_of(*request);
    int rc;
    if (__builtin_expect(is_greq(q), 0) && rreq(*request) == FACE_REAL_GREQ) {
        rc = face_greq_cancel(q);
        return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Cancel") : 0;
    }
    if (__builtin_expect(q && q->companion, 0)) {
        uint64_t send = rreq(q->companion);
        CKPT_CROSS(rc = ckpt_T->Cancel(&send));
        if (rc)
            return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Cancel");
    }
    uint64_t real = rreq(*request);
    CKPT_CROSS(rc = ckpt_T->Cancel(&real));
    return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Cancel") : 0;
}
CKPT_EXPORT int MPI_Cancel(MPI_Request *) __attribute__((alias("PMPI_Cancel")));

/* ------------------------------------------------------- freed while active */

/* MPI_Request_free on an active request lets its operation complete on its
 * own. The cut still has to see it: a receive is counted only when the face
 * sees it complete (else the drain waits for a message that was received), an
 * unmatched one is cancelled and posted again like any pending receive, and a
 * send must finish before the image. So the face keeps the record and the
 * lower-half handle (the drain visits every slot) and only the application's
 * handle goes. The face releases them when it sees them complete: the oldest
 * few at every MPI_Request_free, so a loop of Isend + Request_free does not
 * pile them up. FIFO of virtual handles through freed_next, 0 = empty. */
static int32_t freed_head, freed_tail;

static void freed_push(int32_t v, struct face_req *q)
{
    q->freed = 1;
    q->freed_next = 0;
    ckpt_shadow_lock();
    struct face_req *t = freed_tail ? face_req_of(freed_tail) : NULL;
    if (t)
        t->freed_next = v;
    else
        freed_head = v;
    freed_tail = v;
    ckpt_shadow_unlock();
}

static int32_t freed_pop(void)
{
    ckpt_shadow_lock();
    int32_t v = freed_head;
    if (v) {
        freed_head = face_req_of(v)->freed_next;
        if (!freed_head)
            freed_tail = 0;
    }
    ckpt_shadow_unlock();
    return v;
}

static int is_persistent(const struct face_req *q) { return q->type == FACE_REQ_PSEND || q->type == FACE_REQ_PRECV; }

/* Completes `v` if it can without waiting: 1 when it is complete and its
 * handle released (counted if a receive), 0 when still active. */
static int free_if_complete(int32_t v, struct face_req *q)
{
    uint64_t real = rreq(v);
    int rc = 0;
    if (real && !(is_persistent(q) && (q->has_status || !q->active))) {
        int flag = 0;
        struct ckpt_status st;
        CKPT_CROSS(rc = ckpt_T->Test(&real, &flag, &st));
        if (!rc && !flag)
            return 0;
        if (!rc)
            face_req_completed(v, q, &st);
    }
    /* A persistent request stays in the lower half inactive; a failed one may too. */
    if (real)
        CKPT_CROSS((void)ckpt_T->Request_free(&real));
    free(q->tmp);
    q->tmp = NULL;
    q->freed = 0;
    ckpt_shadow_free_handle(CKPT_KIND_REQUEST, v);
    return 1;
}

/* The oldest freed requests, up to two: a bounded cost per call that still
 * outpaces one new freed request per call. */
static void freed_reap(void)
{
    for (int i = 0; i < 2 && freed_head; i++) {
        int32_t v = freed_pop();
        if (!v)
            return;
        struct face_req *q = face_req_of(v);
        if (!free_if_complete(v, q))
            freed_push(v, q);
    }
}

CKPT_EXPORT int PMPI_Request_free(MPI_Request *request)
{
    CKPT_ENTER();
    int32_t v = *request;
    struct face_req *q = face_req_of(v);
    uint64_t real = rreq(v);
    if (!q || !real || q->type == FACE_REQ_MESSAGE) {
        /* Not a request the face keeps: the lower half says what is wrong with it. */
        int rc;
        CKPT_CROSS(rc = ckpt_T->Request_free(&real));
        if (rc)
            return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Request_free");
        ckpt_inout_update(CKPT_KIND_REQUEST, request, real, CKPT_MPI_REQUEST_NULL);
        return 0;
    }
    if (q->type == FACE_REQ_PCOLL)
        return face_pcoll_free(request, q);
    if (is_greq(q) && real == FACE_REAL_GREQ) {
        int rc = face_greq_free(request, q);
        return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Request_free") : 0;
    }
    if (freed_head)
        freed_reap();
    if (q->companion) {
        /* MPI_Isendrecv: its send goes the same way, taking a _replace copy along to
         * free when it completes */
        int32_t c = q->companion;
        struct face_req *cq = face_req_of(c);
        q->companion = 0;
        if (cq) {
            cq->tmp = q->tmp;
            q->tmp = NULL;
        }
        if (cq && !free_if_complete(c, cq))
            freed_push(c, cq);
    }
    if (!free_if_complete(v, q))
        freed_push(v, q);
    *request = CKPT_MPI_REQUEST_NULL;
    return 0;
}
CKPT_EXPORT int MPI_Request_free(MPI_Request *) __attribute__((alias("PMPI_Request_free")));
