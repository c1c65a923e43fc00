/* libckpt-engine.so: the upper half's checkpoint engine.
 *
 *   constructor      finds the lower half (CKPT_MPI_BOOT_ENGINE), learns the
 *                    glibc struct pthread offsets, installs the suspend
 *                    handler, starts the engine thread.
 *   engine thread    coordinator client (coord.c, docs/checkpoint-protocol.md)
 *                    or the CKPT_MPI_CKPT_AFTER debugging timer.
 *   checkpoint       checkpoint.c, with the code that runs while the
 *                    application's threads are parked in parked/ (suspension,
 *                    context save, image writer: no malloc, no stdio, no locks).
 *
 * The files form a DAG, each calling only the ones below it:
 *   engine.c  ->  coord.c  ->  coord_link.c, checkpoint.c, copy.c  ->  parked/
 *   sigmask.c, fds.c, threads.c (interposed libc functions)  ->  parked/ */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "coord.h"
#include "copy.h"

/* The lower half puts the boot struct's address here too (the face unsets
 * CKPT_MPI_BOOT in its constructor, which may run before ours). */
#define CKPT_BOOT_ENGINE_ENV "CKPT_MPI_BOOT_ENGINE"

struct own_segment {
    uint64_t probe, lo, hi;
};

static int find_own_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct own_segment *o = arg;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            if (ph->p_type != PT_LOAD)
                continue;
            uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (pass == 0 && o->probe >= lo && o->probe < hi)
                break; /* this object is the engine */
            if (pass == 1 && (ph->p_flags & PF_W)) {
                o->lo = o->lo && o->lo < lo ? o->lo : lo;
                o->hi = hi > o->hi ? hi : o->hi;
            }
            if (pass == 0 && i == info->dlpi_phnum - 1)
                return 0;
        }
    }
    return 1;
}

/* The engine's own writable segments (.data, .bss): the checkpointing thread
 * writes them during the pause, so dirty tracking must not rely on them. */
static void engine_writable_segment(uint64_t *lo, uint64_t *hi)
{
    static int probe;
    struct own_segment o = {(uint64_t)&probe, 0, 0};
    dl_iterate_phdr(find_own_segment, &o);
    *lo = o.lo;
    *hi = o.hi;
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
    struct ckpt_img_mailbox *mailbox = eng_mailbox();
    for (;;) {
        int restored = 0;
        if (mailbox->coord[0]) {
            restored = eng_serve_coordinator(mailbox->coord);
        } else if (mailbox->ckpt_after >= 0 && mailbox->ckpt_dir[0]) {
            eng_sleep_ms(mailbox->ckpt_after * 1000);
            restored = eng_checkpoint_and_report(NULL, mailbox->ckpt_dir, NULL, mailbox->restored + 1, 0);
        }
        if (!restored) {
            /* idle until a restore (or ckpt_engine_checkpoint_now) bumps eng.wake */
            uint32_t w = __atomic_load_n(&eng.wake, __ATOMIC_ACQUIRE);
            while (__atomic_load_n(&eng.wake, __ATOMIC_ACQUIRE) == w)
                eng_futex_wait(&eng.wake, w, -1);
        }
        eng.engine_tid = ckpt_sys0(SYS_gettid);
        if (eng.verbose)
            eng_log("restored from ", mailbox->image);
        eng_compress_set(mailbox->compress); /* restart --compress; "" keeps the job's */
        /* loop: the mailbox now holds the new environment's settings */
    }
    return NULL;
}

/* A copy-on-write checkpoint lets the application run while its image is
 * written; an application that ends meanwhile (returns from main, calls exit)
 * waits here until its rank has reported, or the generation would fail for a
 * rank that vanished. Registered from the engine's constructor, so it runs
 * after the handlers the application registers from main. */
static void wait_for_writer(void)
{
    uint32_t w;
    while ((w = __atomic_load_n(&eng.writing, __ATOMIC_ACQUIRE)) != 0)
        eng_futex_wait(&eng.writing, w, 100);
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

    struct ckpt_img_mailbox *mailbox = eng_mailbox();
    mailbox->rank = eng.rank;
    mailbox->nranks = eng.nranks;
    const char *c = getenv("CKPT_MPI_COORD");
    if (c)
        strncpy(mailbox->coord, c, sizeof mailbox->coord - 1);
    const char *k = getenv("CKPT_MPI_SECRET");
    if (k) {
        strncpy(mailbox->secret, k, sizeof mailbox->secret - 1);
        /* Only the engine needs it: the application and whatever it starts do not see it. */
        unsetenv("CKPT_MPI_SECRET");
    }
    long after;
    if (env_int(getenv("CKPT_MPI_CKPT_AFTER"), &after))
        mailbox->ckpt_after = after;
    const char *d = getenv("CKPT_MPI_CKPT_DIR");
    if (d)
        strncpy(mailbox->ckpt_dir, d, sizeof mailbox->ckpt_dir - 1);
    eng_job_id_init(getenv("CKPT_MPI_JOB_ID"));
    eng_image_files_init(getenv("CKPT_MPI_IMAGE_FILES"));
    eng_compress_set(getenv("CKPT_MPI_COMPRESS"));
    eng_compress_threads_set(getenv("CKPT_MPI_COMPRESS_THREADS"));
    uint64_t own_lo = 0, own_hi = 0;
    engine_writable_segment(&own_lo, &own_hi);
    eng_dirty_init(own_lo, own_hi);
    /* Read once: a restored process keeps the setting of the run that wrote it. */
    const char *wr = getenv("CKPT_MPI_WRITER");
    if (wr && !strcmp(wr, "inline"))
        eng.writer_inline = 1;
    else if (wr && *wr && strcmp(wr, "cow"))
        eng_log("CKPT_MPI_WRITER must be 'cow' or 'inline'; using cow, not ", wr);
    long delay;
    if (env_int(getenv("CKPT_MPI_TEST_WRITE_DELAY_MS"), &delay))
        eng.test_write_delay_ms = delay;
    eng_copy_delay_init(getenv("CKPT_MPI_TEST_COPY_DELAY_MS"));

    eng_learn_thread_layout(1);
    atexit(wait_for_writer);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = eng_suspend_handler;
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
