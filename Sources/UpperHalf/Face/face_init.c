/* The lifecycle, the top of the face: binding to the lower half that loaded
 * this process, registration with the engine, MPI_Init/Finalize, and the
 * rebind after a restart. Nothing else in the face calls into this file; the
 * crossing (face_crossing.c) reaches the rebind through face_rebind_once. */
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "ckpt_raw.h"
#include "face_replay.h"
#include "face_engine.h"
#include "face_kinds.h"
#include "face_win.h"
#include "face_parked.h"

static void bind_boot(struct ckpt_boot *b);
static void rebind_mpi_once(void);

/* Runs on the engine thread after a restore, every other thread parked. */
static void on_restore(struct ckpt_boot *b, void *arg)
{
    (void)arg;
    bind_boot(b);
    face_needs_rebind = 1;
}

/* Runs in each restored thread: its lower-half TLS belonged to the old process. */
static void on_thread_restore(void *arg)
{
    (void)arg;
    ckpt_lower_fs = 0;
}


/* Inside a face call, or inside a per-target lock or PSCW epoch (face_win.c):
 * such an epoch ends by itself, and no RMA operation may span the image. */
static int in_critical(void) { return face_crit != 0 || face_win_epochs != 0; }

/* The end of a checkpoint: the kinds resume in the same lower half (requests
 * posted again), then the cut lets application threads go on. */
static void checkpoint_finish(int restored)
{
    face_drain_finish(restored);
    face_cut_finish(restored);
}

/* What the engine's thread asks of MPI at a checkpoint. */
static const struct ckpt_mpi_ops engine_ops = {
    .version = CKPT_MPI_OPS_VERSION,
    .in_critical = in_critical,
    .cut_begin = face_cut_begin,
    .cut_targets = face_cut_targets,
    .drain_sent = face_drain_sent,
    .drain = face_drain,
    .progress = face_drain_progress,
    .finish = checkpoint_finish,
    .stop = ckpt_face_stop,
};

/* Runs before main (ld.so runs DT_NEEDED constructors first): binds the face to
 * the lower half that loaded this process. A program that finds this library
 * without ckpt-mpi gets one clear line instead of a crash at its first call. */
__attribute__((constructor)) static void ckpt_face_init(void)
{
    /* Set by the lower half only for libswiftCore's start-up (its backtracer
     * off); the application's environment is its own (launch_stack.c). */
    const char *un = getenv("CKPT_MPI_ENGINE_UNSET");
    if (un && !strcmp(un, "SWIFT_BACKTRACE")) {
        unsetenv("SWIFT_BACKTRACE");
        unsetenv("CKPT_MPI_ENGINE_UNSET");
    }
    const char *s = getenv(CKPT_BOOT_ENV);
    if (!s) {
        ckpt_face_log("ckpt-mpi: this libmpi.so.12 belongs to ckpt-mpi; start the program with `ckpt-mpi run`", "", "");
        _exit(127);
    }
    struct ckpt_boot *b = (struct ckpt_boot *)(uintptr_t)ckpt_parse_hex(s);
    /* Children of the application must not inherit a pointer into this process. */
    unsetenv(CKPT_BOOT_ENV);
    if (!b || b->magic != CKPT_BOOT_MAGIC || b->version != CKPT_BOOT_VERSION) {
        ckpt_face_log("ckpt-mpi: ", CKPT_BOOT_ENV, " does not point at a ckpt-mpi lower half of this version");
        _exit(127);
    }
    if (b->table && b->table->version != CKPT_CALLTABLE_VERSION) {
        ckpt_face_log("ckpt-mpi: the lower half was built from another MPI spec than this face; rebuild ckpt-mpi", "", "");
        _exit(127);
    }
    bind_boot(b);
    face_rebind_once = rebind_mpi_once;
    if (ckpt_engine_on_restore)
        ckpt_engine_on_restore(on_restore, NULL);
    if (ckpt_engine_on_thread_restore)
        ckpt_engine_on_thread_restore(on_thread_restore, NULL);
    /* The engine is preloaded, so its constructor has run before this one. */
    if (ckpt_engine_set_mpi_ops)
        ckpt_engine_set_mpi_ops(&engine_ops);
}

static void bind_boot(struct ckpt_boot *b)
{
    ckpt_boot_info = b;
    ckpt_T = b->table;
    ckpt_has_fsgsbase = (b->flags & CKPT_BOOT_FSGSBASE) != 0;
    if (b->pending)
        ckpt_pending = b->pending;
    b->upcall = (void *)ckpt_face_op_upcall;
}

/* Fills the shadow tables' predefined entries with this lower half's real handles. */
static void bind_predefined(void)
{
    for (unsigned i = 0; i < ckpt_predefined_count; i++) {
        int32_t h = ckpt_predefined_handles[i];
        uint64_t real;
        CKPT_CROSS(real = ckpt_T->predefined(h));
        ckpt_shadow_set_predefined(((uint32_t)h >> 26) & 0xf, h, real);
    }
    ckpt_shadow_set_predefined(CKPT_KIND_REQUEST, CKPT_MPI_MESSAGE_NO_PROC, CKPT_REAL_MESSAGE_NO_PROC);
}

static int no_mpi(const char *fn)
{
    ckpt_face_log("ckpt-mpi: ", fn, " called in a job started with --no-mpi; run it without --no-mpi");
    _exit(1);
}

CKPT_EXPORT int PMPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    CKPT_ENTER();
    (void)argc;
    (void)argv;
    if (!ckpt_T)
        return no_mpi("MPI_Init_thread");
    int rc, prov = CKPT_MPI_THREAD_SINGLE;
    face_life.required_level = required;
    CKPT_CROSS(rc = ckpt_T->Init_thread(required, &prov));
    if (rc != 0)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Init_thread");
    ckpt_shadow_threaded = prov == CKPT_MPI_THREAD_MULTIPLE;
    bind_predefined();
    face_comms_init();
    rc = face_info_early_init();
    if (rc != 0)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Init_thread (info objects made before it)");
    face_life.initialized = 1;
    if (provided)
        *provided = prov;
    return 0;
}
CKPT_EXPORT int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
    __attribute__((alias("PMPI_Init_thread")));

CKPT_EXPORT int PMPI_Init(int *argc, char ***argv)
{
    CKPT_ENTER();
    int provided;
    return PMPI_Init_thread(argc, argv, CKPT_MPI_THREAD_SINGLE, &provided);
}
CKPT_EXPORT int MPI_Init(int *argc, char ***argv) __attribute__((alias("PMPI_Init")));

static void mark_finalized(void) { face_life.finalized = 1; }

CKPT_EXPORT int PMPI_Finalize(void)
{
    CKPT_ENTER();
    if (!ckpt_T)
        return no_mpi("MPI_Finalize");
    /* MPI-3.1 §8.7.1: MPI_Finalize first frees MPI_COMM_SELF's attributes, callbacks included. */
    (void)ckpt_shadow_freeing(CKPT_KIND_COMM, CKPT_MPI_COMM_SELF);
    /* Inside the lower half's MPI_Finalize a thread cannot be parked, so no rank
     * goes there while another may still be cut before it: first a counted
     * barrier on the world (a checkpoint requested while ranks arrive is cut
     * at it), then, past it, finalising waits for a checkpoint in progress (its
     * image resumes here, and a restarted job finalises its new lower half). */
    face_life.finalizing = 1; /* the test hook counts the application's barriers only */
    int rc = PMPI_Barrier(CKPT_MPI_COMM_WORLD);
    if (rc)
        return rc;
    face_cut_outside(mark_finalized);
    CKPT_CROSS(rc = ckpt_T->Finalize());
    return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Finalize") : 0;
}
CKPT_EXPORT int MPI_Finalize(void) __attribute__((alias("PMPI_Finalize")));

CKPT_EXPORT int PMPI_Initialized(int *flag)
{
    CKPT_ENTER();
    *flag = face_life.initialized;
    return 0;
}
CKPT_EXPORT int MPI_Initialized(int *flag) __attribute__((alias("PMPI_Initialized")));

CKPT_EXPORT int PMPI_Finalized(int *flag)
{
    CKPT_ENTER();
    *flag = face_life.finalized;
    return 0;
}
CKPT_EXPORT int MPI_Finalized(int *flag) __attribute__((alias("PMPI_Finalized")));

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* After a restart the upper half runs on a new lower half (possibly another
 * MPI): initialise MPI there as the application did, bind the predefined
 * handles, and replay every recorded constructor in program order so each
 * virtual handle the application holds maps to an equivalent new object. */
int ckpt_face_rebind(struct ckpt_boot *b)
{
    if (b)
        bind_boot(b);
    if (!ckpt_T || !face_life.initialized || face_life.finalized)
        return 0;
    int rc, prov = 0;
    struct timespec t0, t1, t2, t3;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CKPT_CROSS(rc = ckpt_T->Init_thread(face_life.required_level, &prov));
    if (rc)
        return rc;
    bind_predefined();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rc = ckpt_face_replay_all();
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (!rc)
        rc = face_kinds_rebind(0);
    clock_gettime(CLOCK_MONOTONIC, &t3);
    if (getenv("CKPT_MPI_RESTORE_STATS") || (ckpt_boot_info->flags & CKPT_BOOT_DEBUG)) {
        char line[200];
        int n = snprintf(line, sizeof line, "ckpt-mpi: rebind: MPI_Init_thread %.1f ms, replay of %llu calls %.1f ms, "
                         "files, requests, windows %.1f ms\n", ms_between(&t0, &t1), (unsigned long long)ckpt_shadow_record_count(),
                         ms_between(&t1, &t2), ms_between(&t2, &t3));
        (void)!write(2, line, (size_t)n);
    }
    return rc;
}

/* The flag is cleared only once the rebind is complete: a thread (or the
 * engine) arriving meanwhile waits for it rather than translating handles the
 * replay has not made yet (a receive reposted with the old MPI's handles). */
static void rebind_mpi_once(void)
{
    static volatile int lock;
    static volatile long owner;
    long self = syscall(SYS_gettid);
    if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == self)
        return; /* a call the rebind itself makes */
    while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
        sched_yield(); /* a rebind takes milliseconds: MPI_Init and the replay */
    if (face_needs_rebind) {
        __atomic_store_n(&owner, self, __ATOMIC_RELEASE);
        int rc = ckpt_face_rebind(NULL);
        __atomic_store_n(&face_needs_rebind, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
        if (rc) {
            ckpt_face_log("ckpt-mpi: restart: rebuilding the MPI state on the new lower half failed", "", "");
            ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "restart");
        }
    }
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}
