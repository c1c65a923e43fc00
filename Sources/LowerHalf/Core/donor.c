/* thread_fs: an FS base (a lower-half TCB) for each upper-half thread other
 * than the main one.
 *
 * An upper thread cannot run lower code on its own TCB (that belongs to the
 * upper libc), and two threads must not share one (errno, malloc's tcache,
 * lock owner ids). So each caller gets the TCB of a "donor": a lower
 * pthread created only to own that TCB, parked forever on a futex, all
 * signals blocked. The caller then uses the donor's FS while it runs in the
 * lower half; the donor itself never runs again.
 *
 * The crossing calls thread_fs with the MAIN thread's lower FS, possibly while
 * the real main thread is itself in the lower half. So thread_fs touches no
 * TLS and calls nothing in libc: it takes a plain spinlock, posts a request
 * word and futex-waits for the "factory" thread (a proper lower thread with
 * its own TCB) to answer with the FS of a donor it created beforehand. */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include "lh_internal.h"

static volatile int call_lock;
static volatile uint32_t req_seq, done_seq;
static volatile uint64_t reply_fs;

static volatile uint32_t donor_ready;
static volatile uint64_t donor_fs;
static volatile uint32_t forever;

static void futex_wait(volatile uint32_t *w, uint32_t val)
{
    ckpt_sys4(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, 0);
}
static void futex_wake(volatile uint32_t *w) { ckpt_sys3(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1); }

static void *donor_main(void *arg)
{
    (void)arg;
    uint64_t fs = 0;
    ckpt_sys2(SYS_arch_prctl, ARCH_GET_FS, &fs);
    donor_fs = fs;
    __atomic_store_n(&donor_ready, 1, __ATOMIC_RELEASE);
    futex_wake(&donor_ready);
    for (;;)
        futex_wait(&forever, 0);
    return NULL;
}

/* Runs on the factory thread only. 0 on failure. */
static uint64_t make_donor(void)
{
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    /* The donor's stack is never used by the borrowing thread (it keeps its
     * own); it only has to hold the TCB, static TLS and a parked frame. */
    pthread_attr_setstacksize(&at, 256 << 10);
    __atomic_store_n(&donor_ready, 0, __ATOMIC_RELAXED);
    int rc = pthread_create(&t, &at, donor_main, NULL);
    pthread_attr_destroy(&at);
    if (rc != 0)
        return 0;
    while (!__atomic_load_n(&donor_ready, __ATOMIC_ACQUIRE))
        futex_wait(&donor_ready, 0);
    return donor_fs;
}

static void *factory_main(void *arg)
{
    (void)arg;
    uint64_t spare = make_donor(); /* one ahead: a request is one futex round trip */
    uint32_t handled = 0;
    for (;;) {
        uint32_t want;
        while ((want = __atomic_load_n(&req_seq, __ATOMIC_ACQUIRE)) == handled)
            futex_wait(&req_seq, handled);
        reply_fs = spare ? spare : make_donor();
        handled = want;
        __atomic_store_n(&done_seq, want, __ATOMIC_RELEASE);
        futex_wake(&done_seq);
        spare = make_donor();
    }
    return NULL;
}

uint64_t lh_thread_fs(void)
{
    lh_lock(&call_lock);
    uint32_t my = req_seq + 1;
    __atomic_store_n(&req_seq, my, __ATOMIC_RELEASE);
    futex_wake(&req_seq);
    uint32_t d;
    while ((d = __atomic_load_n(&done_seq, __ATOMIC_ACQUIRE)) != my)
        futex_wait(&done_seq, d);
    uint64_t fs = reply_fs;
    lh_unlock(&call_lock);
    return fs;
}

void lh_donor_start(void)
{
    /* Lower threads never take the upper half's signals: block everything
     * before creating them (they inherit the mask), then restore ours. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 << 10);
    int rc = pthread_create(&t, &at, factory_main, NULL);
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        lh_die(126, "pthread_create(donor factory): %s", strerror(rc));
}
