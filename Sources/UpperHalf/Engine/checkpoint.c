/* Checkpoint orchestration: park every other upper thread, let the caller's
 * step run (the MPI drain), save this thread's context and write the image on
 * a separate stack (so this stack is frozen while it is copied), optionally
 * hold for a verdict, then resume. By default the image is written by a
 * forked child (copy-on-write): the application resumes as soon as the child
 * exists, and this thread waits for it before the rank reports WRITTEN. A
 * restored process comes back out of the same save point and runs the restore
 * hooks before anything resumes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/mman.h>
#include "checkpoint.h"

static volatile int ckpt_busy;

void eng_writing_done(void)
{
    __atomic_store_n(&eng.writing, 0, __ATOMIC_RELEASE);
    eng_futex_wake(&eng.writing);
}

int ckpt_engine_checkpoint_now(const char *dir, uint64_t generation, char *errbuf, int errlen)
{
    int rc = eng_checkpoint_with(dir, generation, NULL, NULL, NULL, NULL, errbuf, errlen);
    if (rc != 1)
        eng_writing_done();
    return rc;
}

/* Which face serves the program, asked of the upper loader by soname (which
 * matches however the library was found): the Open MPI face first, since it
 * loads the MPICH face behind it. Asked at every checkpoint, not at start-up,
 * so an MPI the program dlopen()ed later (mpi4py) counts too. */
static const char *program_abi(void)
{
    static const char *const faces[][2] = {
        {"libmpi.so.40", "openmpi"}, {"libmpi.so.12", "mpich"}, {"libmpich.so.12", "mpich"}};
    for (size_t i = 0; i < sizeof faces / sizeof faces[0]; i++) {
        void *h = dlopen(faces[i][0], RTLD_LAZY | RTLD_NOLOAD);
        if (h) {
            dlclose(h);
            return faces[i][1];
        }
    }
    return "none";
}

/* --verbose only: which writer wrote, and where a COW checkpoint's pause went. */
static void log_writer(const struct eng_write_args *wa)
{
    if (!eng.verbose)
        return;
    if (wa->inline_why)
        eng_log("image written with the application stopped: ", wa->inline_why);
    if (wa->child_pidfd < 0)
        return;
    char b[200];
    struct sbuf s = {b, 0, sizeof b};
    sb_str(&s, "image writer process ");
    sb_u64(&s, (uint64_t)wa->child_pid);
    sb_str(&s, " started (maps and fds ");
    sb_u64(&s, wa->begin_ns / 1000);
    sb_str(&s, " us, fork ");
    sb_u64(&s, wa->fork_ns / 1000);
    sb_str(&s, " us, check ");
    sb_u64(&s, wa->check_ns / 1000);
    sb_str(&s, " us, parked ");
    sb_u64(&s, eng.pause_ns / 1000);
    sb_str(&s, " us before)");
    eng_log(b, "");
}

void eng_mpi_finish(int restored)
{
    const struct ckpt_mpi_ops *ops = eng_mpi_ops();
    if (ops)
        ops->finish(restored);
}

int eng_checkpoint_with(const char *dir, uint64_t generation, eng_between_fn between, void *between_arg,
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
    /* pages still to come of a lazy restore would be written as zero */
    eng_wait_lazy_restore();
    /* Before parking: the loader's lock may be held by a thread about to be parked. */
    eng_program_abi_set(program_abi());
    long self = ckpt_sys0(SYS_gettid);
    uint64_t t0 = eng_now_ns();
    long rc = eng_park_all(self, &err);
    if (rc < 0) {
        if (between)
            eng_mpi_finish(0);
        eng_resume_all();
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        return -1;
    }
    if (between) {
        int b = between(between_arg, &err);
        if (b < 0) {
            eng_mpi_finish(0);
            eng_resume_all();
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
    me->rec.ctx.fs_base = eng_fs_base();
    ckpt_sys4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &me->rec.ctx.sigmask, 8);
    me->rec.app_sigmask = me->rec.ctx.sigmask;
    me->state = ETS_PARKED;

    struct eng_write_args wa;
    memset(&wa, 0, sizeof wa);
    wa.dir = dir;
    wa.generation = generation;
    wa.t0 = t0;
    wa.child_pidfd = -1;
    uint64_t stack_top = 0;
    long m = ckpt_sys6(SYS_mmap, 0, ENG_ALTSTACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (CKPT_SYS_ERR(m)) {
        sb_err(&err, "mmap(writer stack)", m);
        eng_resume_all();
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        return -1;
    }
    stack_top = (uint64_t)m + ENG_ALTSTACK - 64;
    wa.altstack = (uint64_t)m;
    eng.pause_ns = eng_now_ns() - t0;
    int restored = ckpt_ctx_save_and_run(&me->rec.ctx, eng.writer_inline ? eng_write_image : eng_write_image_cow, &wa,
                                         (void *)stack_top);
    if (restored) {
        /* A restored process, on a new kernel thread, in a new lower half. */
        eng.boot = (struct ckpt_boot *)eng_mailbox()->boot;
        eng_mailbox()->restored++;
        eng_image_track_restored();
        eng_run_restore_hooks(eng.boot);
        if (between)
            eng_mpi_finish(1);
        eng_resume_all();
        if (self != eng.engine_tid) { /* restored on an application thread: wake the idle engine */
            __atomic_fetch_add(&eng.wake, 1, __ATOMIC_ACQ_REL);
            eng_futex_wake(&eng.wake);
        }
        eng_run_thread_hooks();
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        return 1;
    }
    ckpt_sys2(SYS_munmap, m, ENG_ALTSTACK);
    if (wa.child_pidfd >= 0 && !hold) {
        /* The child holds the cut: the application runs while it writes. */
        if (between)
            eng_mpi_finish(0);
        __atomic_store_n(&eng.writing, 1, __ATOMIC_RELEASE);
        eng_resume_all();
        eng.stop_ns = eng_now_ns() - t0;
        log_writer(&wa);
        eng_cow_wait(&wa);
        eng.last_bytes = wa.bytes;
        eng.last_write_ns = wa.write_ns;
        __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
        if (wa.err[0]) {
            sb_str(&err, wa.err);
            return -1;
        }
        return 0;
    }
    log_writer(&wa);
    if (wa.child_pidfd >= 0) /* stopping: nothing to resume, wait for the writer as if inline */
        eng_cow_wait(&wa);
    eng.last_bytes = wa.bytes;
    eng.last_write_ns = wa.write_ns;
    eng.stop_ns = eng_now_ns() - t0;
    if (hold && !wa.err[0])
        hold(hold_arg);
    if (between)
        eng_mpi_finish(0);
    eng_resume_all();
    __atomic_store_n(&ckpt_busy, 0, __ATOMIC_RELEASE);
    if (wa.err[0]) {
        sb_str(&err, wa.err);
        return -1;
    }
    return 0;
}
