/* Suspension: the suspend signal's handler, which saves a thread's context and
 * parks it on a futex, and the checkpointing thread's side that signals every
 * other upper thread until all are parked, then releases them.
 *
 * Each signalled thread saves its context (ckpt_ctx_save inside the handler:
 * the signal frame on its stack holds everything else) and parks. A restored
 * thread resumes at its save point, which then returns 1: it waits until the
 * checkpointing thread has run the restore hooks and released it, and returns
 * from the handler (rt_sigreturn reloads all its registers, FPU state and mask). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <ucontext.h>
#include "parked.h"

static struct eng_thread *slot_of(long tid)
{
    uint32_t n = __atomic_load_n(&eng.nslots, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (eng.slots[i].tid == (uint64_t)tid)
            return &eng.slots[i];
    return NULL;
}

void eng_suspend_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    long tid = ckpt_sys0(SYS_gettid);
    struct eng_thread *t = slot_of(tid);
    if (!t || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != ETS_SIGNALED)
        return; /* stray or late signal */
    uint64_t fs = eng_fs_base();
    if (eng.boot && fs >= eng.boot->arena_start && fs < eng.boot->arena_end) {
        /* Running on a lower-half TCB: either a thread of the lower half
         * (not ours to park), or an upper thread inside an MPI call; the
         * latter leaves soon because *boot->pending is set (DESIGN §2) and
         * is signalled again. No TLS, no libc here. */
        int upper = tid == ckpt_sys0(SYS_getpid) || eng_is_upper_tid(tid);
        __atomic_store_n(&t->state, upper ? ETS_RETRY : ETS_LOWER, __ATOMIC_RELEASE);
        __atomic_fetch_add(&eng.responded, 1, __ATOMIC_ACQ_REL);
        eng_futex_wake(&eng.responded);
        return;
    }
    const struct ckpt_mpi_ops *ops = eng_mpi_ops();
    if (ops && ops->in_critical && ops->in_critical()) {
        /* Inside an MPI call of the face: half-recorded state; stop it later. */
        __atomic_store_n(&t->state, ETS_RETRY, __ATOMIC_RELEASE);
        __atomic_fetch_add(&eng.responded, 1, __ATOMIC_ACQ_REL);
        eng_futex_wake(&eng.responded);
        return;
    }
    ucontext_t *uc = (ucontext_t *)ucv;
    struct ckpt_img_thread *r = &t->rec;
    memcpy(r->gregs, uc->uc_mcontext.gregs, sizeof r->gregs);
    if (uc->uc_mcontext.fpregs)
        memcpy(r->fxsave, uc->uc_mcontext.fpregs, sizeof r->fxsave);
    memcpy(&r->app_sigmask, &uc->uc_sigmask, 8);
    ckpt_sys4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &r->ctx.sigmask, 8);
    r->ctx.fs_base = fs;
    uint32_t seq = eng.seq;
    int saved_errno = errno;
    if (ckpt_ctx_save(&r->ctx) == 0) {
        __atomic_store_n(&t->state, ETS_PARKED, __ATOMIC_RELEASE);
        __atomic_fetch_add(&eng.responded, 1, __ATOMIC_ACQ_REL);
        eng_futex_wake(&eng.responded);
        uint32_t rs;
        while ((rs = __atomic_load_n(&eng.resume_seq, __ATOMIC_ACQUIRE)) != seq)
            eng_futex_wait(&eng.resume_seq, rs, -1);
    } else {
        /* Restored: a new kernel thread on the same stack. Wait until the
         * checkpointing thread has rebound the process to the new lower half. */
        eng_retid(tid, ckpt_sys0(SYS_gettid));
        uint32_t rs;
        while ((rs = __atomic_load_n(&eng.resume_seq, __ATOMIC_ACQUIRE)) != seq)
            eng_futex_wait(&eng.resume_seq, rs, -1);
        eng_run_thread_hooks();
    }
    errno = saved_errno;
}

/* Threads of this process, by /proc/self/task; skips those that block the
 * suspend signal (the lower half's threads block everything). Adds the
 * not-yet-known ones as SIGNALED and signals them. Returns how many it
 * signalled, or -errno. */
static long signal_new_threads(long self)
{
    static char buf[16384];
    long fd = ckpt_sys3(SYS_open, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    long pid = ckpt_sys0(SYS_getpid), sent = 0;
    for (;;) {
        long n = ckpt_sys3(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            off += d->reclen;
            if (d->name[0] < '0' || d->name[0] > '9')
                continue;
            long tid = 0;
            for (const char *p = d->name; *p; p++)
                tid = tid * 10 + (*p - '0');
            if (tid == self || slot_of(tid))
                continue;
            if (eng_thread_blocks(tid, eng.sig))
                continue;
            uint32_t i = eng.nslots;
            if (i >= ENG_MAX_THREADS) {
                ckpt_sys1(SYS_close, fd);
                return -EAGAIN;
            }
            struct eng_thread *t = &eng.slots[i];
            memset(&t->rec, 0, sizeof t->rec);
            t->tid = (uint64_t)tid;
            t->rec.tid = (uint64_t)tid;
            t->rec.flags = tid == pid ? CKPT_THR_MAIN : 0;
            t->state = ETS_SIGNALED;
            __atomic_store_n(&eng.nslots, i + 1, __ATOMIC_RELEASE);
            if (ckpt_sys3(SYS_tgkill, pid, tid, eng.sig) < 0) {
                t->state = ETS_GONE; /* exited meanwhile */
                __atomic_fetch_add(&eng.responded, 1, __ATOMIC_ACQ_REL);
            }
            sent++;
        }
    }
    ckpt_sys1(SYS_close, fd);
    return sent;
}

void eng_resume_all(void)
{
    if (eng.boot && eng.boot->pending)
        __atomic_store_n(eng.boot->pending, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&eng.resume_seq, eng.seq, __ATOMIC_RELEASE);
    eng_futex_wake(&eng.resume_seq);
}


/* Park every other upper thread; 0 or -errno (the caller resumes them either way). */
long eng_park_all(long self, struct sbuf *err)
{
    eng.seq++;
    eng.nslots = 0;
    eng.responded = 0;
    /* lower-half wait loops watch this word and return to the upper half */
    if (eng.boot->pending)
        __atomic_store_n(eng.boot->pending, 1, __ATOMIC_RELEASE);
    for (int round = 0; round < 8; round++) {
        long sent = signal_new_threads(self);
        if (sent < 0) {
            sb_err(err, "suspend threads", sent);
            return sent;
        }
        if (sent == 0 && round > 0)
            break;
        uint64_t deadline = eng_now_ns() + 10ULL * 1000000000ULL;
        for (unsigned iter = 0;; iter++) {
            uint32_t r = __atomic_load_n(&eng.responded, __ATOMIC_ACQUIRE);
            uint32_t waiting = 0;
            for (uint32_t i = 0; i < eng.nslots; i++) {
                struct eng_thread *t = &eng.slots[i];
                uint32_t st = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
                if (st == ETS_RETRY) {
                    /* an upper thread that was inside the lower half: again */
                    __atomic_store_n(&t->state, ETS_SIGNALED, __ATOMIC_RELEASE);
                    if (ckpt_sys3(SYS_tgkill, ckpt_sys0(SYS_getpid), t->tid, eng.sig) < 0)
                        __atomic_store_n(&t->state, ETS_GONE, __ATOMIC_RELEASE);
                    else
                        waiting++;
                } else if (st == ETS_SIGNALED) {
                    waiting++;
                    if (iter % 50 == 49) { /* exited with the signal pending: never answers */
                        char path[48];
                        struct sbuf ps = {path, 0, sizeof path};
                        sb_str(&ps, "/proc/self/task/");
                        sb_u64(&ps, t->tid);
                        uint32_t expect = ETS_SIGNALED;
                        if (ckpt_sys2(SYS_access, path, F_OK) == -ENOENT &&
                            __atomic_compare_exchange_n(&t->state, &expect, ETS_GONE, 0, __ATOMIC_ACQ_REL,
                                                        __ATOMIC_ACQUIRE))
                            waiting--;
                    }
                }
            }
            if (!waiting)
                break;
            if (eng_now_ns() > deadline) {
                sb_str(err, "suspend threads: a thread did not stop within 10 s");
                return -ETIMEDOUT;
            }
            eng_futex_wait(&eng.responded, r, 2);
        }
    }
    return 0;
}
