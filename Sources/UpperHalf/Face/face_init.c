/* Start-up of the face: find the lower half, attach threads, MPI_Init/Finalize. */
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "ckpt_raw.h"
#include "face_replay.h"
#include "face_cut.h"

const struct ckpt_calltable *ckpt_T;
struct ckpt_boot *ckpt_boot_info;
int ckpt_has_fsgsbase;
__thread uint64_t ckpt_lower_fs __attribute__((tls_model("initial-exec")));

static int face_initialized, face_finalized;
/* The thread level the application asked for: a new lower half is initialised with it. */
static int face_required_level;
int ckpt_face_replay_all(void);
uint64_t ckpt_shadow_record_count(void);
static volatile int attach_lock;

void ckpt_face_op_upcall(int slot, void *in, void *inout, int *len, uint64_t real_type);
static void bind_boot(struct ckpt_boot *b);
static void rebind_mpi_once(void);

/* Set when the process was restored into a new lower half and MPI there is not
 * initialised yet: the first thread that calls into it does that (lazily, so
 * MPI sees an application thread, not the engine's, as its first caller). */
static volatile int needs_rebind;

/* The engine (libckpt-engine.so) is optional: weak references. */
typedef void (*ckpt_engine_restore_fn)(struct ckpt_boot *new_boot, void *arg);
typedef void (*ckpt_engine_thread_fn)(void *arg);
int ckpt_engine_on_restore(ckpt_engine_restore_fn fn, void *arg) __attribute__((weak));
int ckpt_engine_on_thread_restore(ckpt_engine_thread_fn fn, void *arg) __attribute__((weak));

/* Runs on the engine thread after a restore, every other thread parked. */
static void on_restore(struct ckpt_boot *b, void *arg)
{
    (void)arg;
    bind_boot(b);
    needs_rebind = 1;
}

/* Runs in each restored thread: its lower-half TLS belonged to the old process. */
static void on_thread_restore(void *arg)
{
    (void)arg;
    ckpt_lower_fs = 0;
}


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
    if (ckpt_engine_on_restore)
        ckpt_engine_on_restore(on_restore, NULL);
    if (ckpt_engine_on_thread_restore)
        ckpt_engine_on_thread_restore(on_thread_restore, NULL);
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

/* First call of an upper thread into the lower half: pick its lower FS base and
 * tell the lower half which upper FS base to restore for callbacks. */
uint64_t ckpt_thread_attach(void)
{
    uint64_t ufs, lfs;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(ufs));
    if (syscall(SYS_gettid) == getpid()) {
        lfs = ckpt_boot_info->lower_fs;
    } else {
        /* thread_fs runs on the main thread's lower TLS: one thread at a time. */
        while (__atomic_exchange_n(&attach_lock, 1, __ATOMIC_ACQUIRE))
            __builtin_ia32_pause();
        ckpt_set_fs(ckpt_boot_info->lower_fs);
        lfs = ckpt_boot_info->thread_fs();
        ckpt_set_fs(ufs);
        __atomic_store_n(&attach_lock, 0, __ATOMIC_RELEASE);
    }
    ckpt_lower_fs = lfs;
    if (ckpt_T) {
        ckpt_set_fs(lfs);
        ckpt_T->attach_thread(ufs);
        ckpt_set_fs(ufs);
    }
    if (__builtin_expect(needs_rebind, 0))
        rebind_mpi_once();
    return lfs;
}

/* Before the face is bound, and in processes without a lower half, nothing is pending. */
static const uint32_t never_pending;
volatile uint32_t *ckpt_pending = (volatile uint32_t *)&never_pending;


__thread int face_crit __attribute__((tls_model("initial-exec")));

void ckpt_safepoint(void)
{
    int depth = face_crit;
    face_crit = 0;
    __asm__ volatile("" ::: "memory");
    /* The engine's suspend signal stops the thread here; restored, it finds the
     * new lower half's word clear. */
    while (__atomic_load_n(ckpt_pending, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    __asm__ volatile("" ::: "memory");
    face_crit = depth;
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
    face_required_level = required;
    CKPT_CROSS(rc = ckpt_T->Init_thread(required, &prov));
    if (rc != 0)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Init_thread");
    ckpt_shadow_threaded = prov == CKPT_MPI_THREAD_MULTIPLE;
    bind_predefined();
    face_comms_init();
    face_initialized = 1;
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

static void mark_finalized(void) { face_finalized = 1; }
static int face_finalizing;

/* The job stops after a committed checkpoint (the engine's STOP, application
 * threads parked for good): end MPI in the lower half as a finishing program
 * would, so the launcher sees an ordinary exit. A rank stopped before the
 * application's MPI_Init initialises first: the others' MPI_Finalize may wait
 * for every process of the job. */
void ckpt_face_stop(void)
{
    if (!ckpt_T || face_finalized)
        return;
    ckpt_face_ensure_bound();
    int prov = 0;
    CKPT_CROSS((void)ckpt_T->Init_thread(face_required_level, &prov));
    CKPT_CROSS((void)ckpt_T->Finalize());
}

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
    face_finalizing = 1; /* the test hook counts the application's barriers only */
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
    *flag = face_initialized;
    return 0;
}
CKPT_EXPORT int MPI_Initialized(int *flag) __attribute__((alias("PMPI_Initialized")));

CKPT_EXPORT int PMPI_Finalized(int *flag)
{
    CKPT_ENTER();
    *flag = face_finalized;
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
    if (!ckpt_T || !face_initialized || face_finalized)
        return 0;
    int rc, prov = 0;
    struct timespec t0, t1, t2, t3;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CKPT_CROSS(rc = ckpt_T->Init_thread(face_required_level, &prov));
    if (rc)
        return rc;
    bind_predefined();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rc = ckpt_face_replay_all();
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (!rc)
        rc = face_requests_rebind();
    clock_gettime(CLOCK_MONOTONIC, &t3);
    if (getenv("CKPT_MPI_RESTORE_STATS") || (ckpt_boot_info->flags & CKPT_BOOT_DEBUG)) {
        char line[200];
        int n = snprintf(line, sizeof line, "ckpt-mpi: rebind: MPI_Init_thread %.1f ms, replay of %llu calls %.1f ms, "
                         "requests %.1f ms\n", ms_between(&t0, &t1), (unsigned long long)ckpt_shadow_record_count(),
                         ms_between(&t1, &t2), ms_between(&t2, &t3));
        (void)!write(2, line, (size_t)n);
    }
    return rc;
}

/* For the cut: 0 before MPI_Init, 1 while MPI runs, 2 once MPI_Finalize started. */
int ckpt_face_state(void) { return face_finalized ? 2 : face_initialized ? 1 : 0; }

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
    if (needs_rebind) {
        __atomic_store_n(&owner, self, __ATOMIC_RELEASE);
        int rc = ckpt_face_rebind(NULL);
        __atomic_store_n(&needs_rebind, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
        if (rc) {
            ckpt_face_log("ckpt-mpi: restart: rebuilding the MPI state on the new lower half failed", "", "");
            ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "restart");
        }
    }
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

/* For the engine's thread before the drain: a restored rank that has not made
 * an MPI call yet (it computes) has not rebuilt its MPI state; do it now. */
void ckpt_face_ensure_bound(void)
{
    ckpt_reenter();
    if (__builtin_expect(needs_rebind, 0))
        rebind_mpi_once();
}

/* Test aid: CKPT_MPI_TEST_REPLAY_AT_BARRIER=N replays the whole record into the
 * current lower half at the N-th MPI_Barrier, so every later call runs on
 * objects rebuilt by replay; a program's output must not change. */
static int replay_at_barrier = -1;

void ckpt_test_hook_barrier(void)
{
    if (face_finalizing)
        return;
    if (replay_at_barrier < 0) {
        const char *s = getenv("CKPT_MPI_TEST_REPLAY_AT_BARRIER");
        replay_at_barrier = s ? atoi(s) : 0;
    }
    if (replay_at_barrier > 0 && --replay_at_barrier == 0) {
        int rc = ckpt_face_replay_all();
        if (rc)
            ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "replay of the constructor record");
        else if (ckpt_boot_info->flags & CKPT_BOOT_DEBUG) {
            char n[24];
            int len = 0;
            for (uint64_t v = ckpt_shadow_record_count(); len == 0 || v; v /= 10)
                n[len++] = (char)('0' + v % 10);
            char r[24];
            for (int i = 0; i < len; i++)
                r[i] = n[len - 1 - i];
            r[len] = 0;
            ckpt_face_log("ckpt-mpi: replayed ", r, " recorded calls into the lower half");
        }
    }
}
