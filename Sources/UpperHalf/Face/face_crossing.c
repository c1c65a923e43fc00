/* The crossing runtime, the bottom of the face: the call table of the lower
 * half this process runs on, each thread's lower FS base, the critical-section
 * depth the engine asks about, the safe point, the signals held while a thread
 * is in the lower half, and what the crossing must know of MPI's life (the
 * rebind after a restart, which the lifecycle, face_init.c, installs). Every
 * other file of the face is above this one; it calls none of them. */
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "ckpt_raw.h"
#include "face_signals.h"

const struct ckpt_calltable *ckpt_T;
struct ckpt_boot *ckpt_boot_info;
int ckpt_has_fsgsbase;
__thread uint64_t ckpt_lower_fs __attribute__((tls_model("initial-exec")));
struct face_life face_life;
volatile int face_needs_rebind;
void (*face_rebind_once)(void);
static volatile int attach_lock;

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
    if (__builtin_expect(face_needs_rebind, 0))
        face_rebind_once();
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

/* For the engine's thread before the drain: a restored rank that has not made
 * an MPI call yet (it computes) has not rebuilt its MPI state; do it now. */
void ckpt_face_ensure_bound(void)
{
    ckpt_reenter();
    if (__builtin_expect(face_needs_rebind, 0))
        face_rebind_once();
}

/* For the cut: 0 before MPI_Init, 1 while MPI runs, 2 once MPI_Finalize started. */
int ckpt_face_state(void) { return face_life.finalized ? 2 : face_life.initialized ? 1 : 0; }

/* The job stops after a committed checkpoint (the engine's STOP, application
 * threads parked for good): end MPI in the lower half as a finishing program
 * would, so the launcher sees an ordinary exit. A rank stopped before the
 * application's MPI_Init initialises first: the others' MPI_Finalize may wait
 * for every process of the job. */
void ckpt_face_stop(void)
{
    if (!ckpt_T || face_life.finalized)
        return;
    ckpt_face_ensure_bound();
    int prov = 0;
    CKPT_CROSS((void)ckpt_T->Init_thread(face_life.required_level, &prov));
    CKPT_CROSS((void)ckpt_T->Finalize());
}

/* ------------------------------------------------------ signals held for later */

/* Signals held for threads inside the lower half, one slot per such thread. */
#define DEFER_SLOTS 64
static struct {
    volatile long tid;
    volatile uint64_t pending; /* bit sig-1 */
    siginfo_t info[64];
} deferred[DEFER_SLOTS];
volatile uint32_t face_signals_deferred; /* slots in use: the crossing's one test */

/* In a signal handler on lower-half TLS: raw system calls only, no errno. */
void face_signal_defer(int sig, const siginfo_t *si)
{
    long tid = ckpt_sys0(SYS_gettid);
    int slot = -1;
    for (int i = 0; i < DEFER_SLOTS && slot < 0; i++)
        if (deferred[i].tid == tid)
            slot = i;
    for (int i = 0; i < DEFER_SLOTS && slot < 0; i++) {
        long free_tid = 0;
        if (__atomic_compare_exchange_n(&deferred[i].tid, &free_tid, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            slot = i;
            __atomic_add_fetch(&face_signals_deferred, 1, __ATOMIC_ACQ_REL);
        }
    }
    if (slot < 0)
        return; /* more than DEFER_SLOTS threads inside the lower half with a signal each: dropped */
    if (si)
        deferred[slot].info[sig - 1] = *si;
    else
        memset(&deferred[slot].info[sig - 1], 0, sizeof(siginfo_t));
    __atomic_or_fetch(&deferred[slot].pending, 1ULL << (sig - 1), __ATOMIC_ACQ_REL);
}

void face_raise_deferred(void)
{
    long tid = ckpt_sys0(SYS_gettid), pid = ckpt_sys0(SYS_getpid);
    for (int i = 0; i < DEFER_SLOTS; i++) {
        if (deferred[i].tid != tid)
            continue;
        uint64_t pending = __atomic_exchange_n(&deferred[i].pending, 0, __ATOMIC_ACQ_REL);
        siginfo_t info[64];
        for (int sig = 1; sig <= 64; sig++)
            if (pending & (1ULL << (sig - 1)))
                info[sig - 1] = deferred[i].info[sig - 1];
        __atomic_store_n(&deferred[i].tid, 0, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&face_signals_deferred, 1, __ATOMIC_ACQ_REL);
        for (int sig = 1; sig <= 64; sig++)
            if (pending & (1ULL << (sig - 1)))
                ckpt_sys4(SYS_rt_tgsigqueueinfo, pid, tid, sig, &info[sig - 1]);
        return;
    }
}
