/* Generalized requests (MPI_Grequest_start/complete): they exist only in the
 * upper half. The lower half never sees one (completion calls pass
 * MPI_REQUEST_NULL in its place, face_p2p.c completes it in the face), the
 * drain skips it, and its record (callbacks, extra state, whether it is
 * complete) is upper-half memory: a generalized request pending at a
 * checkpoint is pending after the restart, on either MPI, and completes when
 * the application calls MPI_Grequest_complete. Its callbacks run in the
 * thread that completes, tests or cancels it, with the application's handles.
 * One made from Fortran (MPICH's libmpichfort names it to MPII_Grequest_set_lang_f77) has
 * Fortran callbacks: every argument by reference, ierror last, the extra state the address
 * of the application's INTEGER(KIND=MPI_ADDRESS_KIND) (what MPICH passes them). */
#include "face_requests.h"

struct face_greq {
    int state; /* first: face_greq_done reads it. 1 = complete, 2 = freed by MPI_Request_free */
    MPI_Grequest_query_function *query;
    MPI_Grequest_free_function *free_fn;
    MPI_Grequest_cancel_function *cancel;
    void *extra;
    int fortran; /* set once, before the request is handed to the application */
};

/* MPICH's MPIR_Grequest_f77_*_function: the status is MPICH's C status read as INTEGERs
 * (MPI_STATUS_SIZE 5), `complete` a LOGICAL. */
typedef void fortran_query_fn(void *extra, int *status, int *ierr);
typedef void fortran_free_fn(void *extra, int *ierr);
typedef void fortran_cancel_fn(void *extra, int *complete, int *ierr);

CKPT_EXPORT int PMPI_Grequest_start(MPI_Grequest_query_function *query_fn, MPI_Grequest_free_function *free_fn,
                                    MPI_Grequest_cancel_function *cancel_fn, void *extra_state, MPI_Request *request)
{
    CKPT_ENTER();
    struct face_greq *g = calloc(1, sizeof *g);
    if (!g)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_NO_MEM, "MPI_Grequest_start");
    g->query = query_fn;
    g->free_fn = free_fn;
    g->cancel = cancel_fn;
    g->extra = extra_state;
    int32_t v = face_req_new(FACE_REAL_GREQ, FACE_REQ_GREQ, CKPT_MPI_COMM_SELF);
    struct face_req *r = face_req_of(v);
    if (!r) {
        free(g);
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_NO_MEM, "MPI_Grequest_start");
    }
    r->greq = g;
    *request = v;
    return 0;
}
CKPT_EXPORT int MPI_Grequest_start(MPI_Grequest_query_function *, MPI_Grequest_free_function *,
                                   MPI_Grequest_cancel_function *, void *, MPI_Request *)
    __attribute__((alias("PMPI_Grequest_start")));

static struct face_req *greq_of(int32_t request)
{
    struct face_req *r = face_req_of(request);
    return r && r->type == FACE_REQ_GREQ && r->greq && ckpt_to_real(CKPT_KIND_REQUEST, request) == FACE_REAL_GREQ
               ? r
               : NULL;
}

/* Only libmpichfort calls it, right after its MPI_Grequest_start. */
CKPT_EXPORT int MPII_Grequest_set_lang_f77(MPI_Request greq);
CKPT_EXPORT int MPII_Grequest_set_lang_f77(MPI_Request greq)
{
    struct face_req *r = greq_of(greq);
    if (!r)
        return CKPT_MPI_ERR_REQUEST;
    r->greq->fortran = 1;
    return 0;
}

/* The free callback, then the handle and the record's state. */
static int release(int32_t v, struct face_req *r)
{
    struct face_greq *g = r->greq;
    int rc = 0;
    if (g->free_fn && g->fortran)
        ((fortran_free_fn *)(void *)g->free_fn)(g->extra, &rc);
    else if (g->free_fn)
        rc = g->free_fn(g->extra);
    r->greq = NULL;
    free(g);
    ckpt_shadow_free_handle(CKPT_KIND_REQUEST, v);
    return rc;
}

CKPT_EXPORT int PMPI_Grequest_complete(MPI_Request request)
{
    CKPT_ENTER();
    struct face_req *r = greq_of(request);
    if (!r)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_REQUEST, "MPI_Grequest_complete");
    /* freed by MPI_Request_free before it completed: nobody will wait for it */
    if (__atomic_fetch_or(&r->greq->state, 1, __ATOMIC_ACQ_REL) & 2) {
        int rc = release(request, r);
        return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Grequest_complete") : 0;
    }
    return 0;
}
CKPT_EXPORT int MPI_Grequest_complete(MPI_Request) __attribute__((alias("PMPI_Grequest_complete")));

int face_greq_query(struct face_req *r, struct ckpt_status *st)
{
    /* an empty status unless the callback says otherwise */
    st->count_lo = 0;
    st->count_hi_and_cancelled = 0;
    st->source = CKPT_MPI_ANY_SOURCE;
    st->tag = CKPT_MPI_ANY_TAG;
    st->error = 0;
    struct face_greq *g = r->greq;
    int rc = 0;
    if (g->query && g->fortran)
        ((fortran_query_fn *)(void *)g->query)(g->extra, (int *)st, &rc);
    else if (g->query)
        rc = g->query(g->extra, (MPI_Status *)st);
    if (rc)
        st->error = rc;
    return rc;
}

int face_greq_finish(int32_t *request, struct face_req *r, struct ckpt_status *st)
{
    int rc = face_greq_query(r, st);
    int rc2 = release(*request, r);
    *request = CKPT_MPI_REQUEST_NULL;
    return rc ? rc : rc2;
}

int face_greq_cancel(struct face_req *r)
{
    struct face_greq *g = r->greq;
    int rc = 0, complete = face_greq_done(r); /* MPICH's Fortran .TRUE. is 1 */
    if (g->cancel && g->fortran)
        ((fortran_cancel_fn *)(void *)g->cancel)(g->extra, &complete, &rc);
    else if (g->cancel)
        rc = g->cancel(g->extra, complete);
    return rc;
}

int face_greq_free(int32_t *request, struct face_req *r)
{
    int32_t v = *request;
    *request = CKPT_MPI_REQUEST_NULL;
    if (__atomic_fetch_or(&r->greq->state, 2, __ATOMIC_ACQ_REL) & 1)
        return release(v, r);
    return 0; /* MPI_Grequest_complete releases it */
}
