/* MPI_Comm_idup: a non-blocking collective on the parent, made by the lower
 * half's own MPI_Comm_idup. The application gets its virtual communicator at
 * once (real handle FACE_REAL_IDUP_PENDING); the face binds it when a
 * Wait/Test-family call (or Request_get_status, or the release of a freed
 * request) sees the request complete: the real handle from the lower half's
 * cell, the cut's id from the parent's count when the idup started, members,
 * and a record entry.
 *
 * The record holds two entries: the start (parent, info, new communicator)
 * where the application started it, and the completion where the face bound
 * it. Replay makes the same non-blocking idup at the start entry and waits
 * at the completion entry, so it issues the collectives in the order the
 * application did (a blocking dup at the start would deadlock on idups of
 * overlapping communicators started in different orders). An idup that was
 * pending at a checkpoint has been completed by the drain on every member (it
 * is a collective the cut let every member start); its replay has no
 * completion entry and is waited for at the end of the replay.
 *
 * Attributes and the errhandler are copied when the idup starts, like
 * MPI_Comm_dup copies them: the copy callbacks run in the application's call. */
#include "face_replay.h"
#include "face_requests.h"

/* Lower half: the cell holds a native MPI_Comm. Wait without holding the thread
 * in the lower half forever when a checkpoint is pending (replay runs during a
 * rebind, where none is). */
static int wait_real(uint64_t *req)
{
    struct ckpt_status st;
    int rc;
    do
        CKPT_CROSS(rc = ckpt_T->Wait(req, &st));
    while (rc == CKPT_PENDING);
    return rc;
}

static int idup_start(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm, MPI_Request *request, const char *fn)
{
    struct face_comm *p = face_comm_of(comm);
    (void)face_coll_begin(comm);
    uint64_t r_info = 0;
    int rc = 0;
    if (info != CKPT_MPI_INFO_NULL) {
        /* the application may free its info before the idup completes */
        CKPT_CROSS(rc = ckpt_T->Info_dup(ckpt_to_real(CKPT_KIND_INFO, info), &r_info));
        if (rc)
            return ckpt_face_error(comm, rc, fn);
    }
    int32_t v = ckpt_virtual_new(CKPT_KIND_COMM, FACE_REAL_IDUP_PENDING);
    rc = ckpt_object_derived(CKPT_KIND_COMM, comm, v, 1);
    if (rc) {
        (void)ckpt_shadow_freeing(CKPT_KIND_COMM, v);
        ckpt_shadow_release(CKPT_KIND_COMM, v);
        if (r_info)
            CKPT_CROSS((void)ckpt_T->Info_free(&r_info));
        return ckpt_face_error(comm, rc, fn);
    }
    int32_t req = face_req_new(FACE_REAL_IDUP_PENDING, FACE_REQ_IDUP, comm);
    struct face_req *q = face_req_of(req);
    if (!q) {
        ckpt_shadow_free_handle(CKPT_KIND_REQUEST, req);
        (void)ckpt_shadow_freeing(CKPT_KIND_COMM, v);
        ckpt_shadow_release(CKPT_KIND_COMM, v);
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, fn);
    }
    q->idup_comm = v;
    q->idup_parent_id = p ? p->id : 0;
    q->idup_ordinal = p ? p->started : 0;
    q->idup_info = r_info;
    q->idup_cell = 0;
    uint64_t real = 0;
    CKPT_CROSS(rc = ckpt_T->Comm_idup_start(ckpt_to_real(CKPT_KIND_COMM, comm), &q->idup_cell, &real));
    if (rc) {
        q->idup_comm = 0;
        ckpt_shadow_free_handle(CKPT_KIND_REQUEST, req);
        (void)ckpt_shadow_freeing(CKPT_KIND_COMM, v);
        ckpt_shadow_release(CKPT_KIND_COMM, v);
        if (r_info)
            CKPT_CROSS((void)ckpt_T->Info_free(&r_info));
        return ckpt_face_error(comm, rc, fn);
    }
    ckpt_shadow_set_real(CKPT_KIND_REQUEST, req, real);
    uint64_t words[3] = {(uint64_t)(int64_t)comm, (uint64_t)(int64_t)info, (uint64_t)(int64_t)v};
    ckpt_record(CKPT_FN_Comm_idup, words, 3);
    *newcomm = v;
    *request = req;
    return 0;
}

CKPT_EXPORT int PMPI_Comm_idup(MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request)
{
    CKPT_ENTER();
    return idup_start(comm, CKPT_MPI_INFO_NULL, newcomm, request, "MPI_Comm_idup");
}
CKPT_EXPORT int MPI_Comm_idup(MPI_Comm, MPI_Comm *, MPI_Request *) __attribute__((alias("PMPI_Comm_idup")));

/* MPI-4.0; Open MPI 4.1 lacks it: an idup whose new communicator gets the info
 * (MPI_Comm_set_info) when it completes. */
CKPT_EXPORT int PMPI_Comm_idup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm, MPI_Request *request)
{
    CKPT_ENTER();
    return idup_start(comm, info, newcomm, request, "MPI_Comm_idup_with_info");
}
CKPT_EXPORT int MPI_Comm_idup_with_info(MPI_Comm, MPI_Info, MPI_Comm *, MPI_Request *)
    __attribute__((alias("PMPI_Comm_idup_with_info")));

static void apply_info(uint64_t comm, uint64_t *info)
{
    if (*info) {
        CKPT_CROSS((void)ckpt_T->Comm_set_info(comm, *info));
        CKPT_CROSS((void)ckpt_T->Info_free(info));
        *info = 0;
    }
}

void face_idup_finish(struct face_req *r)
{
    int32_t v = r->idup_comm;
    if (!v)
        return;
    r->idup_comm = 0;
    uint64_t real = ckpt_to_real(CKPT_KIND_COMM, v);
    if (real == FACE_REAL_IDUP_PENDING) {
        CKPT_CROSS((void)ckpt_T->Comm_idup_result(&r->idup_cell, &real));
        ckpt_shadow_set_real(CKPT_KIND_COMM, v, real);
        apply_info(real, &r->idup_info);
    } else {
        /* a replay made it already (and set its info); after a restart the cell
         * and the info copy belong to the lower half that is gone */
        r->idup_info = 0;
    }
    face_comm_created_at(r->idup_parent_id, r->idup_ordinal, v);
    uint64_t word = (uint64_t)(int64_t)v;
    ckpt_record(FACE_FN_COMM_IDUP_DONE, &word, 1);
}

uint64_t face_idup_unbound_real(const struct face_req *r)
{
    uint64_t real = ckpt_to_real(CKPT_KIND_COMM, r->idup_comm);
    if (real == FACE_REAL_IDUP_PENDING)
        CKPT_CROSS((void)ckpt_T->Comm_idup_result(&r->idup_cell, &real));
    return real;
}

/* ------------------------------------------------------------------ replay */

/* The idups a replay started and has not waited for yet. Each has its own
 * allocation: the lower half may write the cell until the idup completes. */
struct replayed {
    struct replayed *next;
    int32_t comm;
    uint64_t request, cell, info;
};
static struct replayed *replaying;

static int replay_finish(struct replayed *e)
{
    int rc = wait_real(&e->request);
    uint64_t real = 0;
    if (!rc)
        CKPT_CROSS(rc = ckpt_T->Comm_idup_result(&e->cell, &real));
    if (!rc) {
        ckpt_shadow_set_real(CKPT_KIND_COMM, e->comm, real);
        apply_info(real, &e->info);
    }
    free(e);
    return rc;
}

int face_idup_replay(uint32_t fn, const uint64_t *words, uint32_t count)
{
    if (fn == CKPT_FN_Comm_idup && count == 3) {
        struct replayed *e = calloc(1, sizeof *e);
        if (!e)
            return CKPT_MPI_ERR_NO_MEM;
        e->comm = (int32_t)words[2];
        int rc = 0;
        int32_t info = (int32_t)words[1];
        if (info != CKPT_MPI_INFO_NULL)
            CKPT_CROSS(rc = ckpt_T->Info_dup(ckpt_to_real(CKPT_KIND_INFO, info), &e->info));
        if (!rc)
            CKPT_CROSS(rc = ckpt_T->Comm_idup_start(ckpt_to_real(CKPT_KIND_COMM, (int32_t)words[0]), &e->cell,
                                                    &e->request));
        if (rc) {
            free(e);
            return rc;
        }
        e->next = replaying;
        replaying = e;
        return 0;
    }
    if (fn == FACE_FN_COMM_IDUP_DONE && count == 1) {
        for (struct replayed **p = &replaying; *p; p = &(*p)->next)
            if ((*p)->comm == (int32_t)words[0]) {
                struct replayed *e = *p;
                *p = e->next;
                return replay_finish(e);
            }
        return CKPT_MPI_ERR_INTERN;
    }
    return CKPT_MPI_ERR_INTERN;
}

/* Idups pending at the checkpoint: every member started them, so waiting for
 * each in turn completes them all. */
int face_idup_replay_end(void)
{
    int rc = 0;
    while (replaying) {
        struct replayed *e = replaying;
        replaying = e->next;
        int rc1 = replay_finish(e);
        rc = rc ? rc : rc1;
    }
    return rc;
}
