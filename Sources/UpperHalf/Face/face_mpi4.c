/* MPI-4 procedures that Open MPI 4.1 lacks, emulated here on every lower half
 * (one code path, so a checkpoint looks the same whichever MPI runs below):
 * MPI_Isendrecv(_replace) as a face Irecv plus a hidden face Isend, so the drain
 * treats the parts like any other (DESIGN §4.2); persistent collectives as an
 * upper-half record that MPI_Start turns into the non-blocking collective (no
 * lower-half object while inactive, so a restart has nothing to remake);
 * MPI_Info_get_string from Info_get_valuelen + Info_get (before MPI_Init, the
 * upper half's: face_info_early.c). */
#include <string.h>

#include "face_info_early.h"
#include "face_mpi4.h"

/* ------------------------------------------------------------ Isendrecv */

/* The receive is the request the application holds (its status is the answer);
 * the send rides along as its companion and is finished when the receive is. */
static int isendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                     void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm,
                     MPI_Request *request, void *tmp)
{
    MPI_Request send = CKPT_MPI_REQUEST_NULL, recv = CKPT_MPI_REQUEST_NULL;
    int rc = PMPI_Isend(sendbuf, sendcount, sendtype, dest, sendtag, comm, &send);
    if (rc) {
        free(tmp);
        return rc;
    }
    rc = PMPI_Irecv(recvbuf, recvcount, recvtype, source, recvtag, comm, &recv);
    if (rc) {
        (void)PMPI_Wait(&send, CKPT_MPI_STATUS_IGNORE);
        free(tmp);
        return rc;
    }
    struct face_req *q = face_req_of(recv);
    struct face_req *sq = face_req_of(send);
    if (sq)
        sq->peer = dest; /* uncounted if MPI_Cancel takes it */
    if (q) {
        q->companion = send;
        q->tmp = tmp;
    }
    *request = recv;
    return 0;
}

CKPT_EXPORT int PMPI_Isendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                               void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag,
                               MPI_Comm comm, MPI_Request *request)
{
    CKPT_ENTER();
    return isendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag, comm,
                     request, NULL);
}
CKPT_EXPORT int MPI_Isendrecv(const void *, int, MPI_Datatype, int, int, void *, int, MPI_Datatype, int, int, MPI_Comm,
                              MPI_Request *) __attribute__((alias("PMPI_Isendrecv")));

/* The send goes from a packed copy, so the receive may land in buf at once. */
CKPT_EXPORT int PMPI_Isendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest, int sendtag, int source,
                                       int recvtag, MPI_Comm comm, MPI_Request *request)
{
    CKPT_ENTER();
    uint64_t rdt = ckpt_to_real(CKPT_KIND_DATATYPE, datatype), rcomm = ckpt_to_real(CKPT_KIND_COMM, comm);
    int size = 0, position = 0, rc;
    CKPT_CROSS(rc = ckpt_T->Pack_size(count, rdt, rcomm, &size));
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Isendrecv_replace");
    void *tmp = malloc((size_t)(size > 0 ? size : 1));
    if (!tmp)
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, "MPI_Isendrecv_replace");
    CKPT_CROSS(rc = ckpt_T->Pack(buf, count, rdt, tmp, size, &position, rcomm));
    if (rc) {
        free(tmp);
        return ckpt_face_error(comm, rc, "MPI_Isendrecv_replace");
    }
    return isendrecv(tmp, position, CKPT_MPI_PACKED, dest, sendtag, buf, count, datatype, source, recvtag, comm,
                     request, tmp);
}
CKPT_EXPORT int MPI_Isendrecv_replace(void *, int, MPI_Datatype, int, int, int, int, MPI_Comm, MPI_Request *)
    __attribute__((alias("PMPI_Isendrecv_replace")));

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

/* ------------------------------------------------- persistent collectives */

int32_t face_pcoll_new(int which, void *args, MPI_Comm comm)
{
    int32_t v = face_req_new(FACE_REAL_PCOLL_IDLE, FACE_REQ_PCOLL, comm);
    struct face_req *q = face_req_of(v);
    if (q) {
        q->mode = (uint8_t)which;
        q->buf = args;
    }
    return v;
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

/* ------------------------------------------------------- Info_get_string */

CKPT_EXPORT int PMPI_Info_get_string(MPI_Info info, const char *key, int *buflen, char *value, int *flag)
{
    CKPT_ENTER();
    uint64_t rinfo = ckpt_to_real(CKPT_KIND_INFO, info);
    int len = 0, rc;
    int early = !face_life.initialized; /* face_info_early.c answers */
    if (__builtin_expect(early, 0))
        rc = face_info_early_get_valuelen(info, key, &len, flag);
    else
        CKPT_CROSS(rc = ckpt_T->Info_get_valuelen(rinfo, key, &len, flag));
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Info_get_string");
    if (!*flag)
        return 0;
    int room = *buflen;
    *buflen = len + 1; /* MPI-4: the length it needs, its NUL included */
    if (room <= 0)
        return 0;
    char stack[256], *whole = len < (int)sizeof stack ? stack : malloc((size_t)len + 1);
    if (!whole)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_NO_MEM, "MPI_Info_get_string");
    if (__builtin_expect(early, 0))
        rc = face_info_early_get(info, key, len, whole, flag);
    else
        CKPT_CROSS(rc = ckpt_T->Info_get(rinfo, key, len, whole, flag));
    if (!rc) {
        whole[len] = 0;
        int n = len < room - 1 ? len : room - 1;
        memcpy(value, whole, (size_t)n);
        value[n] = 0;
    }
    if (whole != stack)
        free(whole);
    return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Info_get_string") : 0;
}
CKPT_EXPORT int MPI_Info_get_string(MPI_Info, const char *, int *, char *, int *)
    __attribute__((alias("PMPI_Info_get_string")));
