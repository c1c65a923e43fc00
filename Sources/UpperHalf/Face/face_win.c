/* One-sided communication (docs/one-sided.md). Window memory is always
 * upper-half memory (the application's for Win_create and attach, the face's
 * heap for Win_allocate), so it is in the image at the same address; the
 * lower-half window is only a registration of it, recorded and made again by
 * the replay after a restart, on either MPI.
 *
 * No RMA operation may be in flight at the cut. Fences count as collectives on
 * the window's communicator, so every member is in the same fence epoch at the
 * cut and the drain's extra fence (invisible to a correct program: nothing may
 * read a target's window before the next fence anyway) completes the epoch's
 * operations. Per-target lock and PSCW epochs are short: the engine does not
 * stop a thread inside one (in_critical), so they end before the image. A
 * lock_all epoch usually lasts the whole run: the drain flushes it and the
 * restart takes the lock again. */
#include <stdlib.h>
#include <string.h>

#include "face_replay.h"
#include "face_win.h"
#include "face_win_shared.h"

__thread int face_win_epochs __attribute__((tls_model("initial-exec")));

#define WIN_MAX_LOCKS 16

struct face_win {
    int32_t live, handle;
    int32_t comm; /* the face's own split of the application's communicator: never freed under the window */
    int32_t flavor, disp_unit, model;
    int32_t fence_open; /* the last synchronisation was a fence without MPI_MODE_NOSUCCEED */
    int32_t lock_all, lock_all_assert, nlocks;
    int32_t lock_type[WIN_MAX_LOCKS], lock_rank[WIN_MAX_LOCKS];
    uint64_t seq; /* creation order on this rank: the same relative order on every member */
    void *base;
    MPI_Aint size;
    void *allocated; /* Win_allocate's memory, freed with the window */
    struct face_shm *shm; /* Win_allocate_shared's memory (face_win_shared.c) */
};

/* Upper-half memory: the image keeps every window's state. */
static struct face_win *wins;
static uint32_t nwins;
static uint64_t win_seq;

static struct face_win *win_of(MPI_Win h)
{
    uint32_t u = (uint32_t)h;
    if (u >> 30 != 2 || ((u >> 26) & 0xf) != CKPT_KIND_WIN)
        return NULL;
    uint32_t i = u & CKPT_SLOT_MASK;
    return i < nwins && wins[i].live && wins[i].handle == h ? &wins[i] : NULL;
}

static struct face_win *win_slot(MPI_Win h)
{
    uint32_t i = (uint32_t)h & CKPT_SLOT_MASK;
    if (i >= nwins) {
        uint32_t n = nwins ? nwins : 16;
        while (n <= i)
            n *= 2;
        struct face_win *t = realloc(wins, n * sizeof *t);
        if (!t)
            return NULL;
        memset(t + nwins, 0, (n - nwins) * sizeof *t);
        wins = t;
        nwins = n;
    }
    memset(&wins[i], 0, sizeof wins[i]);
    return &wins[i];
}

/* The application's errhandler decides; the lower half's windows always return errors. */
static void lower_errors_return(uint64_t real)
{
    uint64_t eh = ckpt_to_real(CKPT_KIND_ERRHANDLER, CKPT_MPI_ERRORS_RETURN);
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_set_errhandler(real, eh));
    (void)rc;
}

static int bad_win(const char *fn) { return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_WIN, fn); }

/* Win_create, Win_allocate, Win_create_dynamic: a private split of `comm`
 * (counted in the cut like the application's collectives, recorded and
 * replayed), then the lower-half window over upper-half memory. */
static int win_make(void *base, MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm, MPI_Win *win, int flavor,
                    const char *fn, struct face_shm *shm)
{
    int rank = 0, rc;
    if ((rc = PMPI_Comm_rank(comm, &rank)) != 0)
        return rc;
    MPI_Comm own = CKPT_MPI_COMM_NULL;
    if ((rc = PMPI_Comm_split(comm, 0, rank, &own)) != 0)
        return rc;
    struct face_comm *c = face_coll_enter(own);
    uint64_t r_info = ckpt_to_real(CKPT_KIND_INFO, info), r_comm = ckpt_to_real(CKPT_KIND_COMM, own), real = 0;
    char why[400] = "";
    if (shm) {
        /* One counted collective on the private split: the file and the lower window together. */
        rc = face_shm_create(shm, size, disp_unit, r_comm, why, sizeof why);
        if (!rc)
            base = shm->map + shm->seg[3 * shm->me + 2];
    }
    if (!rc && flavor == CKPT_MPI_WIN_FLAVOR_DYNAMIC)
        CKPT_CROSS(rc = ckpt_T->Win_create_dynamic(r_info, r_comm, &real));
    else if (!rc)
        CKPT_CROSS(rc = ckpt_T->Win_create(base, size, disp_unit, r_info, r_comm, &real));
    face_coll_leave(c);
    if (rc && shm && shm->map)
        face_shm_release(shm);
    if (rc) {
        (void)PMPI_Comm_free(&own);
        if (why[0])
            ckpt_face_log("ckpt-mpi: MPI_Win_allocate_shared: ", why, "");
        return ckpt_face_error(comm, rc, fn);
    }
    lower_errors_return(real);
    int32_t v = ckpt_virtual_new(CKPT_KIND_WIN, real);
    struct face_win *w = win_slot(v);
    if (!w) {
        CKPT_CROSS(rc = ckpt_T->Win_free(&real));
        if (shm)
            face_shm_release(shm);
        (void)PMPI_Comm_free(&own);
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, fn);
    }
    w->live = 1;
    w->handle = v;
    w->comm = own;
    w->flavor = flavor;
    w->disp_unit = flavor == CKPT_MPI_WIN_FLAVOR_DYNAMIC ? 1 : disp_unit;
    w->model = CKPT_MPI_WIN_UNIFIED;
    w->base = base;
    w->size = flavor == CKPT_MPI_WIN_FLAVOR_DYNAMIC ? 0 : size;
    w->seq = ++win_seq;
    w->shm = shm;
    /* A slot used before must not lend its errhandler or name to the new window. */
    ckpt_shadow_set_errhandler(v, CKPT_MPI_ERRORS_ARE_FATAL);
    ckpt_shadow_set_name(CKPT_KIND_WIN, v, "", CKPT_MPI_MAX_OBJECT_NAME - 1);
    if (flavor == CKPT_MPI_WIN_FLAVOR_DYNAMIC) {
        const uint64_t words[] = {(uint64_t)(int64_t)info, (uint64_t)(int64_t)own, (uint64_t)(int64_t)v, w->seq};
        ckpt_shadow_record(CKPT_FN_Win_create_dynamic, words, 4);
    } else {
        /* The eighth word marks a shared window: its file is made again before the lower window. */
        const uint64_t words[] = {(uint64_t)(uintptr_t)base, (uint64_t)size,         (uint64_t)(int64_t)disp_unit,
                                  (uint64_t)(int64_t)info,  (uint64_t)(int64_t)own, (uint64_t)(int64_t)v,
                                  w->seq,                   shm != NULL};
        ckpt_shadow_record(CKPT_FN_Win_create, words, shm ? 8 : 7);
    }
    *win = v;
    return 0;
}

CKPT_EXPORT int PMPI_Win_create(void *base, MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm, MPI_Win *win)
{
    CKPT_ENTER();
    return win_make(base, size, disp_unit, info, comm, win, CKPT_MPI_WIN_FLAVOR_CREATE, "MPI_Win_create", NULL);
}
CKPT_EXPORT int MPI_Win_create(void *, MPI_Aint, int, MPI_Info, MPI_Comm, MPI_Win *)
    __attribute__((alias("PMPI_Win_create")));

CKPT_EXPORT int PMPI_Win_allocate(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm, void *baseptr,
                                  MPI_Win *win)
{
    CKPT_ENTER();
    if (size < 0)
        return ckpt_face_error(comm, CKPT_MPI_ERR_SIZE, "MPI_Win_allocate");
    void *p = NULL;
    if (posix_memalign(&p, 64, size > 0 ? (size_t)size : 1) != 0)
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, "MPI_Win_allocate");
    int rc = win_make(p, size, disp_unit, info, comm, win, CKPT_MPI_WIN_FLAVOR_ALLOCATE, "MPI_Win_allocate", NULL);
    if (rc) {
        free(p);
        return rc;
    }
    win_of(*win)->allocated = p;
    *(void **)baseptr = p;
    return 0;
}
CKPT_EXPORT int MPI_Win_allocate(MPI_Aint, int, MPI_Info, MPI_Comm, void *, MPI_Win *)
    __attribute__((alias("PMPI_Win_allocate")));

/* Memory the face maps shared among the members (face_win_shared.c); the lower
 * half sees a Win_create over this rank's segment. */
CKPT_EXPORT int PMPI_Win_allocate_shared(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm, void *baseptr,
                                         MPI_Win *win)
{
    CKPT_ENTER();
    if (size < 0)
        return ckpt_face_error(comm, CKPT_MPI_ERR_SIZE, "MPI_Win_allocate_shared");
    if (disp_unit <= 0)
        return ckpt_face_error(comm, CKPT_MPI_ERR_DISP, "MPI_Win_allocate_shared");
    struct face_shm *shm = calloc(1, sizeof *shm);
    if (!shm)
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, "MPI_Win_allocate_shared");
    int rc = win_make(NULL, size, disp_unit, info, comm, win, CKPT_MPI_WIN_FLAVOR_SHARED, "MPI_Win_allocate_shared",
                      shm);
    if (rc) {
        free(shm);
        return rc;
    }
    *(void **)baseptr = win_of(*win)->base;
    return 0;
}
CKPT_EXPORT int MPI_Win_allocate_shared(MPI_Aint, int, MPI_Info, MPI_Comm, void *, MPI_Win *)
    __attribute__((alias("PMPI_Win_allocate_shared")));

/* Answered from the face's table: the same on every lower half, and after a restart. */
CKPT_EXPORT int PMPI_Win_shared_query(MPI_Win win, int rank, MPI_Aint *size, int *disp_unit, void *baseptr)
{
    CKPT_ENTER();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_shared_query");
    struct face_shm *s = w->shm;
    if (!s)
        return ckpt_face_error(win, CKPT_MPI_ERR_RMA_FLAVOR, "MPI_Win_shared_query");
    if (rank == CKPT_MPI_PROC_NULL) { /* the lowest rank with a non-empty segment */
        rank = 0;
        while (rank < s->n - 1 && s->seg[3 * rank] == 0)
            rank++;
    }
    if (rank < 0 || rank >= s->n)
        return ckpt_face_error(win, CKPT_MPI_ERR_RANK, "MPI_Win_shared_query");
    *size = (MPI_Aint)s->seg[3 * rank];
    *disp_unit = (int)s->seg[3 * rank + 1];
    *(void **)baseptr = s->map + s->seg[3 * rank + 2];
    return 0;
}
CKPT_EXPORT int MPI_Win_shared_query(MPI_Win, int, MPI_Aint *, int *, void *)
    __attribute__((alias("PMPI_Win_shared_query")));

CKPT_EXPORT int PMPI_Win_create_dynamic(MPI_Info info, MPI_Comm comm, MPI_Win *win)
{
    CKPT_ENTER();
    return win_make(NULL, 0, 1, info, comm, win, CKPT_MPI_WIN_FLAVOR_DYNAMIC, "MPI_Win_create_dynamic", NULL);
}
CKPT_EXPORT int MPI_Win_create_dynamic(MPI_Info, MPI_Comm, MPI_Win *) __attribute__((alias("PMPI_Win_create_dynamic")));

CKPT_EXPORT int PMPI_Win_attach(MPI_Win win, void *base, MPI_Aint size)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_attach");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_attach(ckpt_to_real(CKPT_KIND_WIN, win), base, size));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_attach");
    const uint64_t words[] = {(uint64_t)(int64_t)win, (uint64_t)(uintptr_t)base, (uint64_t)size, win_of(win)->seq};
    ckpt_shadow_record(CKPT_FN_Win_attach, words, 4);
    return 0;
}
CKPT_EXPORT int MPI_Win_attach(MPI_Win, void *, MPI_Aint) __attribute__((alias("PMPI_Win_attach")));

CKPT_EXPORT int PMPI_Win_detach(MPI_Win win, const void *base)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_detach");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_detach(ckpt_to_real(CKPT_KIND_WIN, win), base));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_detach");
    const uint64_t words[] = {(uint64_t)(int64_t)win, (uint64_t)(uintptr_t)base, win_of(win)->seq};
    ckpt_shadow_record(CKPT_FN_Win_detach, words, 3);
    return 0;
}
CKPT_EXPORT int MPI_Win_detach(MPI_Win, const void *) __attribute__((alias("PMPI_Win_detach")));

CKPT_EXPORT int PMPI_Win_free(MPI_Win *win)
{
    CKPT_ENTER();
    int32_t v = *win;
    struct face_win *w = win_of(v);
    if (!w)
        return bad_win("MPI_Win_free");
    int rc = ckpt_shadow_freeing(CKPT_KIND_WIN, v); /* attribute delete callbacks (MPI-3.1 §6.7.3) */
    if (rc)
        return ckpt_face_error(v, rc, "MPI_Win_free");
    struct face_comm *c = face_coll_enter(w->comm);
    uint64_t real = ckpt_to_real(CKPT_KIND_WIN, v);
    CKPT_CROSS(rc = ckpt_T->Win_free(&real));
    face_coll_leave(c);
    if (rc)
        return ckpt_face_error(v, rc, "MPI_Win_free");
    const uint64_t words[] = {(uint64_t)(int64_t)v};
    ckpt_shadow_record(CKPT_FN_Win_free, words, 1);
    w = win_of(v); /* a callback may have made windows: the table may have moved */
    MPI_Comm own = w->comm;
    free(w->allocated);
    if (w->shm) {
        face_shm_release(w->shm);
        free(w->shm);
        w->shm = NULL;
    }
    w->live = 0;
    ckpt_shadow_release(CKPT_KIND_WIN, v);
    *win = CKPT_MPI_WIN_NULL;
    return PMPI_Comm_free(&own);
}
CKPT_EXPORT int MPI_Win_free(MPI_Win *) __attribute__((alias("PMPI_Win_free")));

/* ------------------------------------------------------------- epochs */

CKPT_EXPORT int PMPI_Win_fence(int assert, MPI_Win win)
{
    CKPT_ENTER();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_fence");
    /* The gate may hold the thread across a restart: translate after it. */
    struct face_comm *c = face_coll_enter(w->comm);
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_fence(assert, ckpt_to_real(CKPT_KIND_WIN, win)));
    face_coll_leave(c);
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_fence");
    w = win_of(win);
    w->fence_open = !(assert & CKPT_MPI_MODE_NOSUCCEED);
    return 0;
}
CKPT_EXPORT int MPI_Win_fence(int, MPI_Win) __attribute__((alias("PMPI_Win_fence")));

/* A checkpoint being taken: let this thread be stopped before it opens an epoch
 * the engine would have to wait for. */
static void epoch_gate(void)
{
    if (face_win_epochs == 0 && ckpt_pending && __atomic_load_n(ckpt_pending, __ATOMIC_ACQUIRE))
        ckpt_safepoint();
}

CKPT_EXPORT int PMPI_Win_lock(int lock_type, int rank, int assert, MPI_Win win)
{
    CKPT_ENTER();
    epoch_gate();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_lock");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_lock(lock_type, rank, assert, ckpt_to_real(CKPT_KIND_WIN, win)));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_lock");
    w->fence_open = 0;
    if (w->nlocks < WIN_MAX_LOCKS) {
        w->lock_type[w->nlocks] = lock_type;
        w->lock_rank[w->nlocks] = rank;
    }
    w->nlocks++;
    face_win_epochs++;
    return 0;
}
CKPT_EXPORT int MPI_Win_lock(int, int, int, MPI_Win) __attribute__((alias("PMPI_Win_lock")));

CKPT_EXPORT int PMPI_Win_unlock(int rank, MPI_Win win)
{
    CKPT_ENTER();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_unlock");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_unlock(rank, ckpt_to_real(CKPT_KIND_WIN, win)));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_unlock");
    int n = w->nlocks < WIN_MAX_LOCKS ? w->nlocks : WIN_MAX_LOCKS;
    for (int i = 0; i < n; i++)
        if (w->lock_rank[i] == rank) {
            w->lock_rank[i] = w->lock_rank[n - 1];
            w->lock_type[i] = w->lock_type[n - 1];
            break;
        }
    if (w->nlocks > 0)
        w->nlocks--;
    if (face_win_epochs > 0)
        face_win_epochs--;
    return 0;
}
CKPT_EXPORT int MPI_Win_unlock(int, MPI_Win) __attribute__((alias("PMPI_Win_unlock")));

CKPT_EXPORT int PMPI_Win_lock_all(int assert, MPI_Win win)
{
    CKPT_ENTER();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_lock_all");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_lock_all(assert, ckpt_to_real(CKPT_KIND_WIN, win)));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_lock_all");
    w->fence_open = 0;
    w->lock_all = 1;
    w->lock_all_assert = assert;
    return 0;
}
CKPT_EXPORT int MPI_Win_lock_all(int, MPI_Win) __attribute__((alias("PMPI_Win_lock_all")));

CKPT_EXPORT int PMPI_Win_unlock_all(MPI_Win win)
{
    CKPT_ENTER();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_unlock_all");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_unlock_all(ckpt_to_real(CKPT_KIND_WIN, win)));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_unlock_all");
    w->lock_all = 0;
    return 0;
}
CKPT_EXPORT int MPI_Win_unlock_all(MPI_Win) __attribute__((alias("PMPI_Win_unlock_all")));

/* PSCW: both sides' epochs keep the thread from being stopped until they end. */
static int pscw_open(MPI_Group group, int assert, MPI_Win win, int post)
{
    struct face_win *w = win_of(win);
    const char *fn = post ? "MPI_Win_post" : "MPI_Win_start";
    if (!w)
        return bad_win(fn);
    uint64_t g = ckpt_to_real(CKPT_KIND_GROUP, group), r = ckpt_to_real(CKPT_KIND_WIN, win);
    int rc;
    if (post)
        CKPT_CROSS(rc = ckpt_T->Win_post(g, assert, r));
    else
        CKPT_CROSS(rc = ckpt_T->Win_start(g, assert, r));
    if (rc)
        return ckpt_face_error(win, rc, fn);
    w->fence_open = 0;
    face_win_epochs++;
    return 0;
}

CKPT_EXPORT int PMPI_Win_post(MPI_Group group, int assert, MPI_Win win)
{
    CKPT_ENTER();
    return pscw_open(group, assert, win, 1);
}
CKPT_EXPORT int MPI_Win_post(MPI_Group, int, MPI_Win) __attribute__((alias("PMPI_Win_post")));

CKPT_EXPORT int PMPI_Win_start(MPI_Group group, int assert, MPI_Win win)
{
    CKPT_ENTER();
    return pscw_open(group, assert, win, 0);
}
CKPT_EXPORT int MPI_Win_start(MPI_Group, int, MPI_Win) __attribute__((alias("PMPI_Win_start")));

CKPT_EXPORT int PMPI_Win_complete(MPI_Win win)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_complete");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_complete(ckpt_to_real(CKPT_KIND_WIN, win)));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_complete");
    if (face_win_epochs > 0)
        face_win_epochs--;
    return 0;
}
CKPT_EXPORT int MPI_Win_complete(MPI_Win) __attribute__((alias("PMPI_Win_complete")));

CKPT_EXPORT int PMPI_Win_wait(MPI_Win win)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_wait");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_wait(ckpt_to_real(CKPT_KIND_WIN, win)));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_wait");
    if (face_win_epochs > 0)
        face_win_epochs--;
    return 0;
}
CKPT_EXPORT int MPI_Win_wait(MPI_Win) __attribute__((alias("PMPI_Win_wait")));

CKPT_EXPORT int PMPI_Win_test(MPI_Win win, int *flag)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_test");
    int rc;
    CKPT_CROSS(rc = ckpt_T->Win_test(ckpt_to_real(CKPT_KIND_WIN, win), flag));
    if (rc)
        return ckpt_face_error(win, rc, "MPI_Win_test");
    if (*flag && face_win_epochs > 0)
        face_win_epochs--;
    return 0;
}
CKPT_EXPORT int MPI_Win_test(MPI_Win, int *) __attribute__((alias("PMPI_Win_test")));

/* ------------------------------------------------ the cut and the restart */

/* The live window created next after `after` on this rank, NULL when none. */
static struct face_win *next_by_seq(uint64_t after)
{
    struct face_win *best = NULL;
    for (uint32_t i = 0; i < nwins; i++)
        if (wins[i].live && wins[i].seq > after && (!best || wins[i].seq < best->seq))
            best = &wins[i];
    return best;
}

/* Creation order: every member meets the windows it shares with others in
 * the same order, so the drain's fences cannot wait for each other in a cycle. */
static int copy_failed;

void face_wins_quiesce(void)
{
    copy_failed = 0;
    for (struct face_win *w = next_by_seq(0); w; w = next_by_seq(w->seq)) {
        uint64_t r = ckpt_to_real(CKPT_KIND_WIN, w->handle);
        int rc;
        if (w->lock_all || w->nlocks)
            CKPT_CROSS(rc = ckpt_T->Win_flush_all(r));
        if (w->fence_open)
            CKPT_CROSS(rc = ckpt_T->Win_fence(0, r));
        (void)rc;
        if (w->shm && face_shm_snapshot(w->shm, ckpt_to_real(CKPT_KIND_COMM, w->comm)) != 0)
            copy_failed = 1; /* go on: the other members wait in this window's barrier */
    }
}

int face_wins_drained(void) { return copy_failed; }

void face_wins_image_done(int restored)
{
    int shared = 0;
    for (uint32_t i = 0; i < nwins; i++)
        if (wins[i].live && wins[i].shm) {
            shared = 1;
            if (!restored)
                face_shm_drop_snapshot(wins[i].shm);
        }
    /* Restored: the shared windows' ranges are reservations until the replay
     * maps their files again, and an application thread may touch them as
     * soon as it runs: rebuild the MPI state now, before any thread resumes.
     * This (engine) thread's lower TLS is the old process's until its restore
     * hook clears it, after the resume. */
    if (restored && shared) {
        ckpt_lower_fs = 0;
        ckpt_face_ensure_bound();
    }
}

void face_wins_release_lower(void)
{
    for (struct face_win *w = next_by_seq(0); w; w = next_by_seq(w->seq)) {
        uint64_t r = ckpt_to_real(CKPT_KIND_WIN, w->handle);
        int rc;
        if (w->lock_all)
            CKPT_CROSS(rc = ckpt_T->Win_unlock_all(r));
        int n = w->nlocks < WIN_MAX_LOCKS ? w->nlocks : WIN_MAX_LOCKS;
        for (int i = 0; i < n; i++)
            CKPT_CROSS(rc = ckpt_T->Win_unlock(w->lock_rank[i], r));
        if (w->fence_open)
            CKPT_CROSS(rc = ckpt_T->Win_fence(CKPT_MPI_MODE_NOSUCCEED, r));
        CKPT_CROSS(rc = ckpt_T->Win_free(&r));
        (void)rc;
    }
}

int face_wins_rebind(void)
{
    for (struct face_win *w = next_by_seq(0); w; w = next_by_seq(w->seq)) {
        uint64_t r = ckpt_to_real(CKPT_KIND_WIN, w->handle);
        int rc = 0;
        if (w->fence_open)
            CKPT_CROSS(rc = ckpt_T->Win_fence(0, r));
        if (!rc && w->lock_all)
            CKPT_CROSS(rc = ckpt_T->Win_lock_all(w->lock_all_assert, r));
        int n = w->nlocks < WIN_MAX_LOCKS ? w->nlocks : WIN_MAX_LOCKS;
        for (int i = 0; i < n && !rc; i++)
            CKPT_CROSS(rc = ckpt_T->Win_lock(w->lock_type[i], w->lock_rank[i], 0, r));
        if (rc)
            return rc;
    }
    return 0;
}

/* Whether the window made as number `seq` on this rank was still alive at the
 * image. A window freed before it is replayed all the same (groups and info the
 * program took from it may be alive), but over no memory: Win_allocate memory
 * went with it, and memory attached to it may be gone. */
static int alive_at_image(uint64_t seq)
{
    for (uint32_t i = 0; i < nwins; i++)
        if (wins[i].live && wins[i].seq == seq)
            return 1;
    return 0;
}

int face_win_replay(uint32_t fn, const uint64_t *words, uint32_t count)
{
    static uint64_t no_memory;
    uint64_t real = 0;
    int32_t v;
    int rc;
    switch (fn) {
    case CKPT_FN_Win_create: {
        if (count != 7 && count != 8)
            return CKPT_MPI_ERR_INTERN;
        int alive = alive_at_image(words[6]);
        if (alive && count == 8 && words[7]) {
            struct face_win *w = next_by_seq(words[6] - 1);
            if (!w || w->seq != words[6] || !w->shm)
                return CKPT_MPI_ERR_INTERN;
            if ((rc = face_shm_remake(w->shm, ckpt_to_real(CKPT_KIND_COMM, (int32_t)words[4]))) != 0)
                return rc;
        }
        CKPT_CROSS(rc = ckpt_T->Win_create(alive ? (void *)(uintptr_t)words[0] : &no_memory,
                                           alive ? (ckpt_aint_t)words[1] : 0, (int)words[2],
                                           ckpt_to_real(CKPT_KIND_INFO, (int32_t)words[3]),
                                           ckpt_to_real(CKPT_KIND_COMM, (int32_t)words[4]), &real));
        v = (int32_t)words[5];
        break;
    }
    case CKPT_FN_Win_create_dynamic:
        if (count != 4)
            return CKPT_MPI_ERR_INTERN;
        CKPT_CROSS(rc = ckpt_T->Win_create_dynamic(ckpt_to_real(CKPT_KIND_INFO, (int32_t)words[0]),
                                                   ckpt_to_real(CKPT_KIND_COMM, (int32_t)words[1]), &real));
        v = (int32_t)words[2];
        break;
    case CKPT_FN_Win_attach:
        if (count != 4)
            return CKPT_MPI_ERR_INTERN;
        if (!alive_at_image(words[3]))
            return 0;
        CKPT_CROSS(rc = ckpt_T->Win_attach(ckpt_to_real(CKPT_KIND_WIN, (int32_t)words[0]),
                                           (void *)(uintptr_t)words[1], (ckpt_aint_t)words[2]));
        return rc;
    case CKPT_FN_Win_detach:
        if (count != 3)
            return CKPT_MPI_ERR_INTERN;
        if (!alive_at_image(words[2]))
            return 0;
        CKPT_CROSS(rc = ckpt_T->Win_detach(ckpt_to_real(CKPT_KIND_WIN, (int32_t)words[0]),
                                           (const void *)(uintptr_t)words[1]));
        return rc;
    case CKPT_FN_Win_free:
        if (count != 1)
            return CKPT_MPI_ERR_INTERN;
        real = ckpt_to_real(CKPT_KIND_WIN, (int32_t)words[0]);
        CKPT_CROSS(rc = ckpt_T->Win_free(&real));
        if (!rc)
            ckpt_shadow_set_real(CKPT_KIND_WIN, (int32_t)words[0], 0);
        return rc;
    default:
        return CKPT_MPI_ERR_INTERN;
    }
    if (rc)
        return rc;
    lower_errors_return(real);
    ckpt_shadow_set_real(CKPT_KIND_WIN, v, real);
    return 0;
}

/* --------------------------------------- attributes, names, errhandlers */

static int keyval_error(int32_t rc, MPI_Win win, const char *fn)
{
    return rc == 0 ? 0 : ckpt_face_error(win, rc < 0 ? CKPT_MPI_ERR_KEYVAL : rc, fn);
}

CKPT_EXPORT int PMPI_Win_create_keyval(MPI_Win_copy_attr_function *copy, MPI_Win_delete_attr_function *del,
                                       int *keyval, void *extra_state)
{
    CKPT_ENTER();
    *keyval = ckpt_shadow_keyval_create(CKPT_KIND_WIN, (const void *)copy, (const void *)del, extra_state);
    return 0;
}
CKPT_EXPORT int MPI_Win_create_keyval(MPI_Win_copy_attr_function *, MPI_Win_delete_attr_function *, int *, void *)
    __attribute__((alias("PMPI_Win_create_keyval")));

CKPT_EXPORT int PMPI_Win_free_keyval(int *keyval)
{
    CKPT_ENTER();
    int rc = keyval_error(ckpt_shadow_keyval_free(CKPT_KIND_WIN, *keyval), CKPT_MPI_COMM_WORLD, "MPI_Win_free_keyval");
    if (!rc)
        *keyval = CKPT_MPI_KEYVAL_INVALID;
    return rc;
}
CKPT_EXPORT int MPI_Win_free_keyval(int *) __attribute__((alias("PMPI_Win_free_keyval")));

CKPT_EXPORT int PMPI_Win_set_attr(MPI_Win win, int keyval, void *attribute_val)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_set_attr");
    return keyval_error(ckpt_shadow_attr_set(CKPT_KIND_WIN, win, keyval, (uintptr_t)attribute_val), win,
                        "MPI_Win_set_attr");
}
CKPT_EXPORT int MPI_Win_set_attr(MPI_Win, int, void *) __attribute__((alias("PMPI_Win_set_attr")));

/* The predefined attributes are the face's: the same answers on every lower half. */
CKPT_EXPORT int PMPI_Win_get_attr(MPI_Win win, int keyval, void *attribute_val, int *flag)
{
    CKPT_ENTER();
    struct face_win *w = win_of(win);
    if (!w)
        return bad_win("MPI_Win_get_attr");
    void *v = NULL;
    switch (keyval) {
    case CKPT_MPI_WIN_BASE: v = w->base; break;
    case CKPT_MPI_WIN_SIZE: v = &w->size; break;
    case CKPT_MPI_WIN_DISP_UNIT: v = &w->disp_unit; break;
    case CKPT_MPI_WIN_CREATE_FLAVOR: v = &w->flavor; break;
    case CKPT_MPI_WIN_MODEL: v = &w->model; break;
    default: {
        uintptr_t u = 0;
        int32_t r = ckpt_shadow_attr_get(CKPT_KIND_WIN, win, keyval, &u);
        if (r < 0)
            return ckpt_face_error(win, CKPT_MPI_ERR_KEYVAL, "MPI_Win_get_attr");
        *flag = r;
        if (r)
            *(void **)attribute_val = (void *)u;
        return 0;
    }
    }
    *flag = 1;
    *(void **)attribute_val = v;
    return 0;
}
CKPT_EXPORT int MPI_Win_get_attr(MPI_Win, int, void *, int *) __attribute__((alias("PMPI_Win_get_attr")));

CKPT_EXPORT int PMPI_Win_delete_attr(MPI_Win win, int keyval)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_delete_attr");
    return keyval_error(ckpt_shadow_attr_delete(CKPT_KIND_WIN, win, keyval), win, "MPI_Win_delete_attr");
}
CKPT_EXPORT int MPI_Win_delete_attr(MPI_Win, int) __attribute__((alias("PMPI_Win_delete_attr")));

CKPT_EXPORT int PMPI_Win_set_name(MPI_Win win, const char *name)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_set_name");
    ckpt_shadow_set_name(CKPT_KIND_WIN, win, name, CKPT_MPI_MAX_OBJECT_NAME - 1);
    return 0;
}
CKPT_EXPORT int MPI_Win_set_name(MPI_Win, const char *) __attribute__((alias("PMPI_Win_set_name")));

CKPT_EXPORT int PMPI_Win_get_name(MPI_Win win, char *name, int *resultlen)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_get_name");
    int32_t n = ckpt_shadow_get_name(CKPT_KIND_WIN, win, name, CKPT_MPI_MAX_OBJECT_NAME);
    if (n < 0) {
        name[0] = 0;
        n = 0;
    }
    *resultlen = n;
    return 0;
}
CKPT_EXPORT int MPI_Win_get_name(MPI_Win, char *, int *) __attribute__((alias("PMPI_Win_get_name")));

CKPT_EXPORT int PMPI_Win_create_errhandler(MPI_Win_errhandler_function *fn, MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    *errhandler = ckpt_shadow_alloc(CKPT_KIND_ERRHANDLER, (uint64_t)(uintptr_t)fn);
    return 0;
}
CKPT_EXPORT int MPI_Win_create_errhandler(MPI_Win_errhandler_function *, MPI_Errhandler *)
    __attribute__((alias("PMPI_Win_create_errhandler")));

/* Errhandlers of windows sit beside those of communicators (a handle names its kind). */
CKPT_EXPORT int PMPI_Win_set_errhandler(MPI_Win win, MPI_Errhandler errhandler)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_set_errhandler");
    ckpt_shadow_set_errhandler(win, errhandler);
    return 0;
}
CKPT_EXPORT int MPI_Win_set_errhandler(MPI_Win, MPI_Errhandler) __attribute__((alias("PMPI_Win_set_errhandler")));

CKPT_EXPORT int PMPI_Win_get_errhandler(MPI_Win win, MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_get_errhandler");
    *errhandler = ckpt_shadow_get_errhandler(win, CKPT_MPI_ERRORS_ARE_FATAL);
    return 0;
}
CKPT_EXPORT int MPI_Win_get_errhandler(MPI_Win, MPI_Errhandler *) __attribute__((alias("PMPI_Win_get_errhandler")));

CKPT_EXPORT int PMPI_Win_call_errhandler(MPI_Win win, int errorcode)
{
    CKPT_ENTER();
    if (!win_of(win))
        return bad_win("MPI_Win_call_errhandler");
    (void)ckpt_face_error(win, errorcode, "MPI_Win_call_errhandler");
    return 0;
}
CKPT_EXPORT int MPI_Win_call_errhandler(MPI_Win, int) __attribute__((alias("PMPI_Win_call_errhandler")));
