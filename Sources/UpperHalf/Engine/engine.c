/* libckpt-engine.so: the upper half's checkpoint engine.
 *
 *   constructor      finds the lower half (CKPT_MPI_BOOT_ENGINE), learns the
 *                    glibc struct pthread offsets, installs the suspend
 *                    handler, starts the engine thread.
 *   engine thread    coordinator client (docs/checkpoint-protocol.md) or the
 *                    CKPT_MPI_CKPT_AFTER debugging timer.
 *   checkpoint       signal every other upper thread; each saves its context
 *                    (ckpt_ctx_save inside the handler: the signal frame on its
 *                    stack holds everything else) and parks on a futex; the
 *                    checkpointing thread saves its own context and writes the
 *                    image on a separate stack (image.c), so its own stack is
 *                    frozen while it is copied; then everyone resumes.
 *   restore          the lower half maps the image back and resumes each
 *                    thread at its save point, which then returns 1: the
 *                    checkpointing thread runs the restore hooks and releases
 *                    the others, which return from the handler (rt_sigreturn
 *                    reloads all their registers, FPU state and mask).
 *
 * Everything from "signal the threads" to "resume" uses raw system calls, no
 * malloc, no stdio, no locks. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "engine_internal.h"
#include "ckpt_mpi_ops.h"
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <ckpt_hmac.h>

/* ---------------------------------------------------------------- state */

struct eng eng;
static struct ckpt_img_mailbox mailbox __attribute__((used)) = {.magic = CKPT_MAILBOX_MAGIC_SECRET, .ckpt_after = -1};

struct ckpt_img_mailbox *eng_mailbox(void) { return &mailbox; }

/* The MPI face's part of a checkpoint (consistent cut and drain), if it registered. */
static const struct ckpt_mpi_ops *volatile mpi_ops;
static volatile int coord_fd = -1;
static volatile int send_lock;

int ckpt_engine_set_mpi_ops(const struct ckpt_mpi_ops *ops)
{
    if (!ops || ops->version != CKPT_MPI_OPS_VERSION)
        return -1;
    mpi_ops = ops;
    return 0;
}

static int write_all(int fd, const char *p, size_t n);

int ckpt_engine_send_line(const char *line, size_t n)
{
    while (__atomic_exchange_n(&send_lock, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    int fd = coord_fd;
    int rc = fd >= 0 ? write_all(fd, line, n) : -1;
    __atomic_store_n(&send_lock, 0, __ATOMIC_RELEASE);
    return rc;
}

static struct {
    ckpt_engine_restore_fn fn;
    void *arg;
} restore_hooks[16];
static struct {
    ckpt_engine_thread_fn fn;
    void *arg;
} thread_hooks[16];
static volatile int nrestore_hooks, nthread_hooks;

int ckpt_engine_on_restore(ckpt_engine_restore_fn fn, void *arg)
{
    int i = __atomic_fetch_add(&nrestore_hooks, 1, __ATOMIC_ACQ_REL);
    if (i >= 16)
        return -1;
    restore_hooks[i].arg = arg;
    __atomic_store_n(&restore_hooks[i].fn, fn, __ATOMIC_RELEASE);
    return 0;
}
int ckpt_engine_on_thread_restore(ckpt_engine_thread_fn fn, void *arg)
{
    int i = __atomic_fetch_add(&nthread_hooks, 1, __ATOMIC_ACQ_REL);
    if (i >= 16)
        return -1;
    thread_hooks[i].arg = arg;
    __atomic_store_n(&thread_hooks[i].fn, fn, __ATOMIC_RELEASE);
    return 0;
}
struct ckpt_boot *ckpt_engine_boot(void) { return eng.boot; }
uint64_t ckpt_engine_restore_count(void) { return mailbox.restored; }
int ckpt_engine_signal(void) { return eng.sig; }

/* ---------------------------------------------------------------- helpers */

void eng_futex_wait(volatile uint32_t *w, uint32_t val, long timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    ckpt_sys4(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, timeout_ms >= 0 ? &ts : NULL);
}
void eng_futex_wake(volatile uint32_t *w) { ckpt_sys3(SYS_futex, w, FUTEX_WAKE_PRIVATE, 0x7fffffff); }

uint64_t eng_now_ns(void)
{
    struct timespec ts;
    ckpt_sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t rd_fs(void)
{
    uint64_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v)); /* TCB self pointer == FS base (both libcs) */
    return v;
}

static int env_int(const char *v, long *out)
{
    if (!v || !*v)
        return 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end)
        return 0;
    *out = x;
    return 1;
}

/* Small formatting without stdio: append to a bounded buffer. */
void sb_str(struct sbuf *b, const char *s)
{
    while (*s && b->n + 1 < b->cap)
        b->p[b->n++] = *s++;
    b->p[b->n] = 0;
}
void sb_u64(struct sbuf *b, uint64_t v)
{
    char t[24];
    int i = 0;
    do
        t[i++] = (char)('0' + v % 10);
    while ((v /= 10) && i < 23);
    while (i && b->n + 1 < b->cap)
        b->p[b->n++] = t[--i];
    b->p[b->n] = 0;
}
void sb_hex(struct sbuf *b, uint64_t v)
{
    char t[17];
    int i = 0;
    do
        t[i++] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) && i < 16);
    sb_str(b, "0x");
    while (i && b->n + 1 < b->cap)
        b->p[b->n++] = t[--i];
    b->p[b->n] = 0;
}
void sb_err(struct sbuf *b, const char *call, long neg_errno)
{
    sb_str(b, call);
    sb_str(b, ": ");
    const char *d = strerrordesc_np((int)-neg_errno);
    sb_str(b, d ? d : "unknown error");
}

void eng_log(const char *a, const char *b)
{
    char buf[600];
    struct sbuf s = {buf, 0, sizeof buf};
    sb_str(&s, "ckpt-mpi[engine]: ");
    sb_str(&s, a);
    sb_str(&s, b ? b : "");
    sb_str(&s, "\n");
    ckpt_sys3(SYS_write, 2, buf, s.n);
}

/* ---------------------------------------------------------------- signal-mask interposition */

static void strip_sig(sigset_t *set)
{
    if (set && eng.sig)
        sigdelset(set, eng.sig);
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    static int (*real)(int, const sigset_t *, sigset_t *);
    if (!real)
        real = (int (*)(int, const sigset_t *, sigset_t *))dlsym(RTLD_NEXT, "pthread_sigmask");
    if (set && eng.sig && (how == SIG_BLOCK || how == SIG_SETMASK) && sigismember(set, eng.sig)) {
        sigset_t copy = *set;
        strip_sig(&copy);
        return real(how, &copy, old);
    }
    return real(how, set, old);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    static int (*real)(int, const sigset_t *, sigset_t *);
    if (!real)
        real = (int (*)(int, const sigset_t *, sigset_t *))dlsym(RTLD_NEXT, "sigprocmask");
    if (set && eng.sig && (how == SIG_BLOCK || how == SIG_SETMASK) && sigismember(set, eng.sig)) {
        sigset_t copy = *set;
        strip_sig(&copy);
        return real(how, &copy, old);
    }
    return real(how, set, old);
}

/* ---------------------------------------------------------------- suspension */

static struct eng_thread *slot_of(long tid)
{
    uint32_t n = __atomic_load_n(&eng.nslots, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (eng.slots[i].tid == (uint64_t)tid)
            return &eng.slots[i];
    return NULL;
}

static void run_thread_hooks(void)
{
    int n = __atomic_load_n(&nthread_hooks, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n && i < 16; i++) {
        ckpt_engine_thread_fn fn = __atomic_load_n(&thread_hooks[i].fn, __ATOMIC_ACQUIRE);
        if (fn)
            fn(thread_hooks[i].arg);
    }
}

static void suspend_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    long tid = ckpt_sys0(SYS_gettid);
    struct eng_thread *t = slot_of(tid);
    if (!t || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != ETS_SIGNALED)
        return; /* stray or late signal */
    uint64_t fs = rd_fs();
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
    const struct ckpt_mpi_ops *ops = mpi_ops;
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
        run_thread_hooks();
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

static void resume_all(void)
{
    if (eng.boot && eng.boot->pending)
        __atomic_store_n(eng.boot->pending, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&eng.resume_seq, eng.seq, __ATOMIC_RELEASE);
    eng_futex_wake(&eng.resume_seq);
}

static volatile int ckpt_busy;

/* Park every other upper thread; returns 0 or -errno (threads resumed). */
static long park_all(long self, struct sbuf *err)
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

/* Runs with every other upper thread parked, before the image is written:
 * 0 write, -1 fail (message in err), -2 abandon quietly. */
typedef int (*eng_between_fn)(void *arg, struct sbuf *err);

/* Runs with every other upper thread still parked once this rank's image is
 * durable, before anything resumes; returns to resume, or ends the process. */
typedef void (*eng_hold_fn)(void *arg);

static int checkpoint_with(const char *dir, uint64_t generation, eng_between_fn between, void *between_arg,
                           eng_hold_fn hold, void *hold_arg, char *errbuf, int errlen);

int ckpt_engine_checkpoint_now(const char *dir, uint64_t generation, char *errbuf, int errlen)
{
    return checkpoint_with(dir, generation, NULL, NULL, NULL, NULL, errbuf, errlen);
}

static void mpi_finish(int restored)
{
    const struct ckpt_mpi_ops *ops = mpi_ops;
    if (ops)
        ops->finish(restored);
}

static int checkpoint_with(const char *dir, uint64_t generation, eng_between_fn between, void *between_arg,
                           eng_hold_fn hold, void *hold_arg, char *errbuf, int errlen)
{
    struct sbuf err = {errbuf, 0, (size_t)errlen};
    if (errlen > 0)
        errbuf[0] = 0;
    if (!eng.boot) {
        sb_str(&err, "checkpoint: not running under a ckpt-mpi lower half");
        return -1;
    }
    if (__atomic_exchange_n(&ckpt_busy, 1, __ATOMIC_ACQUIRE)) {
        sb_str(&err, "checkpoint: another checkpoint is in progress");
        return -1;
    }
    long self = ckpt_sys0(SYS_gettid);
    uint64_t t0 = eng_now_ns();
    long rc = park_all(self, &err);
    if (rc < 0) {
        if (between)
            mpi_finish(0);
        resume_all();
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        return -1;
    }
    if (between) {
        int b = between(between_arg, &err);
        if (b < 0) {
            mpi_finish(0);
            resume_all();
            __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
            return b;
        }
    }
    /* our own record */
    struct eng_thread *me = &eng.self_slot;
    memset(&me->rec, 0, sizeof me->rec);
    me->tid = (uint64_t)self;
    me->rec.tid = (uint64_t)self;
    me->rec.flags = CKPT_THR_ENGINE | (self == ckpt_sys0(SYS_getpid) ? CKPT_THR_MAIN : 0);
    me->rec.ctx.fs_base = rd_fs();
    ckpt_sys4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &me->rec.ctx.sigmask, 8);
    me->rec.app_sigmask = me->rec.ctx.sigmask;
    me->state = ETS_PARKED;

    struct eng_write_args wa = {dir, generation, t0, 0, 0, 0, {0}};
    uint64_t stack_top = 0;
    long m = ckpt_sys6(SYS_mmap, 0, ENG_ALTSTACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (CKPT_SYS_ERR(m)) {
        sb_err(&err, "mmap(writer stack)", m);
        resume_all();
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        return -1;
    }
    stack_top = (uint64_t)m + ENG_ALTSTACK - 64;
    wa.altstack = (uint64_t)m;
    eng.pause_ns = eng_now_ns() - t0;
    int restored = ckpt_ctx_save_and_run(&me->rec.ctx, eng_write_image, &wa, (void *)stack_top);
    if (restored) {
        /* A restored process, on a new kernel thread, in a new lower half. */
        eng.boot = (struct ckpt_boot *)mailbox.boot;
        mailbox.restored++;
        int n = __atomic_load_n(&nrestore_hooks, __ATOMIC_ACQUIRE);
        for (int i = 0; i < n && i < 16; i++)
            if (restore_hooks[i].fn)
                restore_hooks[i].fn(eng.boot, restore_hooks[i].arg);
        if (between)
            mpi_finish(1);
        resume_all();
        if (self != eng.engine_tid) { /* restored on an application thread: wake the idle engine */
            __atomic_fetch_add(&eng.wake, 1, __ATOMIC_ACQ_REL);
            eng_futex_wake(&eng.wake);
        }
        run_thread_hooks();
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        return 1;
    }
    ckpt_sys2(SYS_munmap, m, ENG_ALTSTACK);
    eng.last_bytes = wa.bytes;
    eng.last_write_ns = wa.write_ns;
    if (hold && !wa.err[0])
        hold(hold_arg);
    if (between)
        mpi_finish(0);
    resume_all();
    __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
    if (wa.err[0]) {
        sb_str(&err, wa.err);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- engine thread */

/* "tcp:ADDR:PORT" (IPv6 as [ADDR]): a coordinator on another host. Returns the
 * socket or -errno (-EINVAL for a malformed endpoint). */
static int coord_connect_tcp(const char *spec)
{
    char host[64];
    const char *colon, *start = spec;
    size_t hl;
    if (*spec == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return -EINVAL;
        start = spec + 1;
        hl = (size_t)(close - start);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            return -EINVAL;
        hl = (size_t)(colon - spec);
    }
    if (hl == 0 || hl >= sizeof host)
        return -EINVAL;
    memcpy(host, start, hl);
    host[hl] = 0;
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return -EINVAL;
        port = port * 10 + (*p - '0');
    }
    if (port < 1 || port > 65535)
        return -EINVAL;
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    memset(&a6, 0, sizeof a6);
    memset(&a4, 0, sizeof a4);
    const void *addr;
    long len, family;
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        addr = &a4, len = sizeof a4, family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        addr = &a6, len = sizeof a6, family = AF_INET6;
    } else {
        return -EINVAL;
    }
    long fd = ckpt_sys3(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    long r;
    while ((r = ckpt_sys3(SYS_connect, fd, addr, len)) == -EINTR)
        ;
    if (r < 0) {
        ckpt_sys1(SYS_close, fd);
        return (int)r;
    }
    /* The cut is many small request/answer lines: Nagle would hold each one back. */
    int one = 1;
    ckpt_sys5(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return (int)fd;
}

static int coord_connect(const char *path)
{
    if (!strncmp(path, "tcp:", 4))
        return coord_connect_tcp(path + 4);
    long fd = ckpt_sys3(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, strnlen(path, sizeof a.sun_path - 1));
    long r = ckpt_sys3(SYS_connect, fd, &a, sizeof a);
    if (r < 0) {
        ckpt_sys1(SYS_close, fd);
        return (int)r;
    }
    return (int)fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        long w = ckpt_sys3(SYS_write, fd, p, n);
        if (w == -EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void hello(int fd)
{
    char buf[512], host[65];
    struct sbuf s = {buf, 0, sizeof buf};
    memset(host, 0, sizeof host);
    struct {
        char f[6][65];
    } un;
    if (ckpt_sys1(SYS_uname, &un) == 0)
        memcpy(host, un.f[1], 64);
    sb_str(&s, "HELLO rank=");
    sb_u64(&s, (uint64_t)eng.rank);
    sb_str(&s, " nranks=");
    sb_u64(&s, (uint64_t)eng.nranks);
    sb_str(&s, " pid=");
    sb_u64(&s, (uint64_t)ckpt_sys0(SYS_getpid));
    sb_str(&s, " host=");
    sb_str(&s, host[0] ? host : "unknown");
    sb_str(&s, " flavour=");
    sb_str(&s, eng.boot && eng.boot->flavour ? eng.boot->flavour : "none");
    sb_str(&s, "\n");
    write_all(fd, buf, s.n);
}

static const char *field(const char *line, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = line; *p;) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            p += kl + 1;
            size_t n = 0;
            while (p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < cap) {
                out[n] = p[n];
                n++;
            }
            out[n] = 0;
            return out;
        }
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

/* Lines from the coordinator, with a timeout (for the drain's progress while it waits). */
struct reader {
    int fd;
    size_t have, used;
    char buf[1 << 16];
};

/* The next line (NUL-terminated, without its newline); NULL on timeout; (char *)-1 when the connection ended. */
static char *read_line(struct reader *r, int timeout_ms)
{
    if (r->used) {
        memmove(r->buf, r->buf + r->used, r->have - r->used);
        r->have -= r->used;
        r->used = 0;
    }
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->have);
        if (nl) {
            *nl = 0;
            r->used = (size_t)(nl - r->buf) + 1;
            return r->buf;
        }
        if (r->have == sizeof r->buf)
            r->have = 0; /* absurd line: drop it */
        if (timeout_ms >= 0) {
            struct pollfd p = {r->fd, POLLIN, 0};
            long n = ckpt_sys3(SYS_poll, &p, 1, timeout_ms);
            if (n == 0)
                return NULL;
            if (n == -EINTR)
                continue;
        }
        long n = ckpt_sys3(SYS_read, r->fd, r->buf + r->have, sizeof r->buf - r->have);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return (char *)-1;
        r->have += (size_t)n;
    }
}

static int is_verb(const char *line, const char *verb, uint64_t gen)
{
    size_t n = strlen(verb);
    if (strncmp(line, verb, n) || (line[n] != ' ' && line[n] != 0))
        return 0;
    char g[32];
    return field(line, "gen", g, sizeof g) && strtoull(g, NULL, 10) == gen;
}

static const char *value_of(const char *line, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p++)
        if ((p == line || p[-1] == ' ') && p[kl] == '=')
            return p + kl + 1;
    return "";
}

static void send_fmt_u64(const char *a, uint64_t v, const char *b)
{
    char buf[160];
    struct sbuf s = {buf, 0, sizeof buf};
    sb_str(&s, a);
    sb_u64(&s, v);
    sb_str(&s, b);
    ckpt_engine_send_line(buf, s.n);
}

static void report_result(int fd, int rc, uint64_t gen, const char *err)
{
    char buf[600];
    struct sbuf s = {buf, 0, sizeof buf};
    if (rc == 0) {
        sb_str(&s, "WRITTEN gen=");
        sb_u64(&s, gen);
        sb_str(&s, " bytes=");
        sb_u64(&s, eng.last_bytes);
        sb_str(&s, " pause_ms=");
        sb_u64(&s, (eng.pause_ns + eng.last_write_ns) / 1000000);
        sb_str(&s, " write_ms=");
        sb_u64(&s, eng.last_write_ns / 1000000);
    } else {
        sb_str(&s, "FAILED gen=");
        sb_u64(&s, gen);
        sb_str(&s, " error=");
        sb_str(&s, err);
    }
    sb_str(&s, "\n");
    if (fd >= 0) {
        ckpt_engine_send_line(buf, s.n);
    } else { /* CKPT_MPI_CKPT_AFTER (a debugging aid): the result goes to stderr */
        write_all(2, "ckpt-mpi[engine]: ", 18);
        write_all(2, buf, s.n);
    }
}

/* The coordinator is gone (ckpt-mpi was killed, or its host): nobody can
 * checkpoint or stop this rank any more, so it must not live on as an orphan. */
static __attribute__((noreturn)) void coordinator_lost(void)
{
    if (eng.verbose)
        eng_log("the coordinator is gone; this rank stops", "");
    ckpt_sys2(SYS_kill, ckpt_sys0(SYS_getpid), SIGKILL);
    ckpt_sys1(SYS_exit_group, 137);
    __builtin_unreachable();
}

/* STOP after a committed generation: the application never runs again in this
 * process (its output after the cut belongs to the restarted job). MPI is
 * finalised so the launcher sees an ordinary end and prints nothing alarming. */
static __attribute__((noreturn)) void stop_process(void)
{
    const struct ckpt_mpi_ops *ops = mpi_ops;
    if (ops && ops->stop)
        ops->stop();
    ckpt_sys1(SYS_exit_group, 0);
    __builtin_unreachable();
}

/* A checkpoint with stop=1: once this rank's image is durable it says WRITTEN
 * and, threads still parked, waits for the coordinator's verdict: STOP (the
 * generation is committed) ends the process, ABORT resumes the application. */
struct hold {
    struct reader *rd;
    uint64_t gen;
    int answered; /* WRITTEN was sent from the hold */
};

static void hold_for_verdict(void *arg)
{
    struct hold *h = arg;
    report_result(h->rd->fd, 0, h->gen, "");
    h->answered = 1;
    for (;;) {
        char *line = read_line(h->rd, -1);
        if (line == (char *)-1)
            coordinator_lost();
        if (is_verb(line, "STOP", h->gen))
            stop_process();
        if (is_verb(line, "ABORT", h->gen))
            return;
    }
}

/* One checkpoint of a process without MPI, answered on rd (or logged when rd
 * is NULL). Returns 1 when the process was restored from it. */
static int checkpoint_and_report(struct reader *rd, const char *dir, uint64_t gen, int stop)
{
    char err[400];
    struct hold h = {rd, gen, 0};
    int rc = checkpoint_with(dir, gen, NULL, NULL, stop && rd ? hold_for_verdict : NULL, &h, err, sizeof err);
    if (rc == 1)
        return 1;
    if (!h.answered)
        report_result(rd ? rd->fd : -1, rc, gen, err);
    return 0;
}

/* The drain (DESIGN §4.2), every application thread parked: counts out, the
 * expected counts in, receive, then keep MPI progressing until every rank has
 * drained (a rank that resumed early would send messages into the others' drains). */
struct mpi_step {
    struct reader *rd;
    uint64_t gen;
    int lost; /* the connection ended */
};

static int mpi_between(void *arg, struct sbuf *err)
{
    struct mpi_step *st = arg;
    const struct ckpt_mpi_ops *ops = mpi_ops;
    static char buf[1 << 16];
    struct sbuf s = {buf, 0, sizeof buf};
    sb_str(&s, "SENT gen=");
    sb_u64(&s, st->gen);
    sb_str(&s, " to=");
    if (ops) {
        s.n += (size_t)ops->drain_sent(buf + s.n, (int)(sizeof buf - s.n - 2));
    } else { /* no MPI in this process: it sent nothing */
        for (int i = 0; i < eng.nranks; i++)
            sb_str(&s, i ? ",0" : "0");
    }
    sb_str(&s, "\n");
    ckpt_engine_send_line(buf, s.n);
    for (;;) {
        char *line = read_line(st->rd, -1);
        if (line == (char *)-1) {
            st->lost = 1;
            return -2;
        }
        if (is_verb(line, "ABORT", st->gen))
            return -2;
        if (!is_verb(line, "EXPECT", st->gen))
            continue;
        if (ops) {
            char e[400];
            if (ops->drain(value_of(line, "from"), e, sizeof e) < 0) {
                sb_str(err, e);
                return -1;
            }
        }
        break;
    }
    send_fmt_u64("DRAINED gen=", st->gen, "\n");
    for (;;) {
        char *line = read_line(st->rd, 1);
        if (!line) {
            if (ops)
                ops->progress();
            continue;
        }
        if (line == (char *)-1) {
            st->lost = 1;
            return -2;
        }
        if (is_verb(line, "WRITE", st->gen))
            return 0;
        if (is_verb(line, "ABORT", st->gen))
            return -2;
    }
}

/* A checkpoint of an MPI rank: the collective cut, then the drain and the image.
 * Returns 1 when restored, -1 when the connection ended, else 0. */
static int mpi_checkpoint(struct reader *rd, const char *dir, uint64_t gen, int stop)
{
    const struct ckpt_mpi_ops *ops = mpi_ops;
    char err[400];
    if (ops) {
        if (ops->cut_begin(gen, err, sizeof err) < 0) {
            report_result(rd->fd, -1, gen, err);
            return 0;
        }
    } else { /* MPI never started here: a rank with no communicators */
        char b[160];
        struct sbuf s = {b, 0, sizeof b};
        sb_str(&s, "CUTREPORT gen=");
        sb_u64(&s, gen);
        sb_str(&s, " rank=");
        sb_u64(&s, (uint64_t)eng.rank);
        sb_str(&s, " seq=1 act=running comms=\n");
        ckpt_engine_send_line(b, s.n);
    }
    for (;;) {
        char *line = read_line(rd, -1);
        if (line == (char *)-1) {
            mpi_finish(0);
            return -1;
        }
        if (is_verb(line, "TARGETS", gen)) {
            if (ops)
                ops->cut_targets(gen, value_of(line, "t"));
        } else if (is_verb(line, "CUT", gen)) {
            break;
        } else if (is_verb(line, "ABORT", gen)) {
            mpi_finish(0);
            return 0;
        }
    }
    struct mpi_step step = {rd, gen, 0};
    struct hold h = {rd, gen, 0};
    int rc = checkpoint_with(dir, gen, mpi_between, &step, stop ? hold_for_verdict : NULL, &h, err, sizeof err);
    if (rc == 1)
        return 1;
    if (step.lost)
        return -1;
    if (rc != -2 && !h.answered)
        report_result(rd->fd, rc, gen, err);
    return 0;
}

/* Over TCP the coordinator first sends CHALLENGE nonce=<hex>; the answer
 * AUTH mac=HMAC-SHA256(secret, nonce) proves this rank belongs to the job
 * without the secret crossing the wire. 0, or -1 with the reason in err. */
static int answer_challenge(struct reader *rd, int fd, struct sbuf *err)
{
    uint8_t secret[CKPT_SECRET_SIZE], nonce[CKPT_NONCE_SIZE], mac[CKPT_SHA256_SIZE];
    if (ckpt_hex_decode(mailbox.secret, secret, sizeof secret) < 0) {
        sb_str(err, "CKPT_MPI_SECRET is missing or not 64 hex digits, needed for a coordinator on TCP");
        return -1;
    }
    char *line = read_line(rd, 30000);
    char hex[2 * CKPT_NONCE_SIZE + 2];
    if (!line || line == (char *)-1 || strncmp(line, "CHALLENGE ", 10) || !field(line, "nonce", hex, sizeof hex) ||
        ckpt_hex_decode(hex, nonce, sizeof nonce) < 0) {
        memset(secret, 0, sizeof secret);
        sb_str(err, !line ? "no CHALLENGE from the coordinator within 30 s"
                    : line == (char *)-1 ? "the coordinator closed the connection before its CHALLENGE"
                                         : "the coordinator did not send a valid CHALLENGE");
        return -1;
    }
    ckpt_hmac_sha256(secret, sizeof secret, nonce, sizeof nonce, mac);
    memset(secret, 0, sizeof secret);
    char buf[16 + 2 * CKPT_SHA256_SIZE];
    memcpy(buf, "AUTH mac=", 9);
    ckpt_hex_encode(mac, sizeof mac, buf + 9);
    buf[9 + 2 * CKPT_SHA256_SIZE] = '\n';
    return write_all(fd, buf, 10 + 2 * CKPT_SHA256_SIZE) < 0 ? (sb_str(err, "write(AUTH) failed"), -1) : 0;
}

/* Returns when the connection ends (0) or the process was restored (1). */
static int serve_coordinator(const char *path)
{
    int fd = coord_connect(path);
    if (fd < 0) {
        char b[300];
        struct sbuf s = {b, 0, sizeof b};
        sb_err(&s, path, fd);
        eng_log("cannot reach the coordinator: ", b);
        return 0;
    }
    static struct reader rd;
    rd.fd = fd;
    rd.have = rd.used = 0;
    if (!strncmp(path, "tcp:", 4)) {
        char b[300];
        struct sbuf s = {b, 0, sizeof b};
        if (answer_challenge(&rd, fd, &s) < 0) {
            eng_log("cannot authenticate to the coordinator: ", b);
            ckpt_sys1(SYS_close, fd);
            return 0;
        }
    }
    coord_fd = fd;
    hello(fd);
    int with_cut = eng.boot && eng.boot->flavour && strcmp(eng.boot->flavour, "none") != 0;
    int refused = 0; /* the coordinator said ERROR (this rank is not part of its job) */
    for (;;) {
        char *line = read_line(&rd, -1);
        if (line == (char *)-1)
            break;
        if (!strncmp(line, "ERROR", 5)) {
            refused = 1;
            eng_log("the coordinator refused this rank: ", line);
            continue;
        }
        if (strncmp(line, "CHECKPOINT", 10))
            continue;
        char gens[32], dir[4096], stops[8];
        uint64_t gen = field(line, "gen", gens, sizeof gens) ? strtoull(gens, NULL, 10) : 0;
        int stop = field(line, "stop", stops, sizeof stops) && !strcmp(stops, "1");
        if (!field(line, "dir", dir, sizeof dir)) {
            ckpt_engine_send_line("FAILED gen=0 error=CHECKPOINT without dir\n", 42);
            continue;
        }
        int rc = with_cut ? mpi_checkpoint(&rd, dir, gen, stop) : checkpoint_and_report(&rd, dir, gen, stop);
        if (rc == 1) {
            coord_fd = -1; /* the old socket belonged to the old process */
            return 1;
        }
        if (rc < 0)
            break;
    }
    coord_fd = -1;
    ckpt_sys1(SYS_close, fd);
    if (!refused)
        coordinator_lost();
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ckpt_sys2(SYS_nanosleep, &ts, &ts) == -EINTR)
        ;
}

static void *engine_main(void *arg)
{
    (void)arg;
    /* The engine thread never takes application signals. */
    uint64_t all = ~0ULL;
    ckpt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
    eng.engine_tid = ckpt_sys0(SYS_gettid);
    eng_learn_thread_layout(0);
    /* Give this thread its own malloc arena now: during a checkpoint the MPI
     * drain allocates while application threads (maybe inside malloc) are parked. */
    free(malloc(64));
    for (;;) {
        int restored = 0;
        if (mailbox.coord[0]) {
            restored = serve_coordinator(mailbox.coord);
        } else if (mailbox.ckpt_after >= 0 && mailbox.ckpt_dir[0]) {
            sleep_ms(mailbox.ckpt_after * 1000);
            restored = checkpoint_and_report(NULL, mailbox.ckpt_dir, mailbox.restored + 1, 0);
        }
        if (!restored) {
            /* idle until a restore (or ckpt_engine_checkpoint_now) bumps eng.wake */
            uint32_t w = __atomic_load_n(&eng.wake, __ATOMIC_ACQUIRE);
            while (__atomic_load_n(&eng.wake, __ATOMIC_ACQUIRE) == w)
                eng_futex_wait(&eng.wake, w, -1);
        }
        eng.engine_tid = ckpt_sys0(SYS_gettid);
        if (eng.verbose)
            eng_log("restored from ", mailbox.image);
        /* loop: the mailbox now holds the new environment's settings */
    }
    return NULL;
}


static int first_env_int(const char *const names[], int dflt)
{
    for (int i = 0; names[i]; i++) {
        long v;
        if (env_int(getenv(names[i]), &v))
            return (int)v;
    }
    return dflt;
}

__attribute__((constructor)) static void ckpt_engine_init(void)
{
    /* variables the lower half set only for the libraries' constructors */
    const char *un = getenv("CKPT_MPI_ENGINE_UNSET");
    if (un) {
        if (!strcmp(un, "SWIFT_BACKTRACE"))
            unsetenv("SWIFT_BACKTRACE");
        unsetenv("CKPT_MPI_ENGINE_UNSET");
    }
    const char *b = getenv(CKPT_BOOT_ENGINE_ENV);
    if (!b)
        return; /* not under a lower half (e.g. a child the application exec'ed): stay idle */
    struct ckpt_boot *boot = (struct ckpt_boot *)(uintptr_t)ckpt_parse_hex(b);
    unsetenv(CKPT_BOOT_ENGINE_ENV);
    if (!boot || boot->magic != CKPT_BOOT_MAGIC || boot->version != CKPT_BOOT_VERSION) {
        eng_log(CKPT_BOOT_ENGINE_ENV, " does not point at a ckpt-mpi lower half of this version; engine idle");
        return;
    }
    eng.boot = boot;
    eng.verbose = (boot->flags & CKPT_BOOT_DEBUG) != 0;
    static const char *const rank_env[] = {"CKPT_MPI_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", NULL};
    static const char *const size_env[] = {"CKPT_MPI_NRANKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
    eng.rank = first_env_int(rank_env, 0);
    eng.nranks = first_env_int(size_env, 1);
    long sig = SIGRTMIN + 2;
    if (env_int(getenv("CKPT_MPI_SIGNAL"), &sig) && (sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP))
        sig = SIGRTMIN + 2;
    eng.sig = (int)sig;

    mailbox.rank = eng.rank;
    mailbox.nranks = eng.nranks;
    const char *c = getenv("CKPT_MPI_COORD");
    if (c)
        strncpy(mailbox.coord, c, sizeof mailbox.coord - 1);
    const char *k = getenv("CKPT_MPI_SECRET");
    if (k) {
        strncpy(mailbox.secret, k, sizeof mailbox.secret - 1);
        /* Only the engine needs it: the application and whatever it starts do not see it. */
        unsetenv("CKPT_MPI_SECRET");
    }
    long after;
    if (env_int(getenv("CKPT_MPI_CKPT_AFTER"), &after))
        mailbox.ckpt_after = after;
    const char *d = getenv("CKPT_MPI_CKPT_DIR");
    if (d)
        strncpy(mailbox.ckpt_dir, d, sizeof mailbox.ckpt_dir - 1);
    eng_job_id_init(getenv("CKPT_MPI_JOB_ID"));

    eng_learn_thread_layout(1);
    eng_fd_init();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = suspend_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(eng.sig, &sa, NULL) != 0) {
        eng_log("cannot install the suspend signal handler; engine idle", "");
        eng.boot = NULL;
        return;
    }
    /* make sure the main thread does not block it */
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, eng.sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);

    /* The thread is started even when nothing asks for checkpoints yet: a
     * restore may bring a coordinator (it then reconnects). */
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 << 10);
    int rc = pthread_create(&t, &at, engine_main, NULL);
    pthread_attr_destroy(&at);
    if (rc != 0)
        eng_log("cannot start the checkpoint thread: ", strerror(rc));
}
