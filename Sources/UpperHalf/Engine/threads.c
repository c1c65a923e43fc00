/* Which threads are the upper half's: the main thread and every thread
 * started through the upper libc's pthread_create (interposed here). A thread
 * running on a lower-half TCB is parked only if it is one of these (it is
 * then inside an MPI call and comes back); others belong to the lower half. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include "engine_internal.h"

static volatile uint32_t upper_tids[ENG_MAX_THREADS * 4];
#define NTIDS (sizeof upper_tids / sizeof upper_tids[0])

static void add_tid(uint32_t tid)
{
    for (size_t i = 0; i < NTIDS; i++) {
        uint32_t zero = 0;
        if (__atomic_compare_exchange_n(&upper_tids[i], &zero, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}
static void remove_tid(uint32_t tid)
{
    for (size_t i = 0; i < NTIDS; i++)
        if (__atomic_load_n(&upper_tids[i], __ATOMIC_ACQUIRE) == tid) {
            __atomic_store_n(&upper_tids[i], 0, __ATOMIC_RELEASE);
            return;
        }
}
int eng_is_upper_tid(long tid)
{
    for (size_t i = 0; i < NTIDS; i++)
        if (__atomic_load_n(&upper_tids[i], __ATOMIC_ACQUIRE) == (uint32_t)tid)
            return 1;
    return 0;
}
/* After a restore every thread has a new tid; each one renames itself. */
void eng_retid(long old_tid, long new_tid)
{
    for (size_t i = 0; i < NTIDS; i++)
        if (__atomic_load_n(&upper_tids[i], __ATOMIC_ACQUIRE) == (uint32_t)old_tid) {
            __atomic_store_n(&upper_tids[i], (uint32_t)new_tid, __ATOMIC_RELEASE);
            return;
        }
}

struct start {
    void *(*fn)(void *);
    void *arg;
};

static void unregister(void *unused)
{
    (void)unused;
    remove_tid((uint32_t)ckpt_sys0(SYS_gettid));
}

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    add_tid((uint32_t)ckpt_sys0(SYS_gettid));
    void *r;
    pthread_cleanup_push(unregister, NULL);
    r = s.fn(s.arg);
    pthread_cleanup_pop(1);
    return r;
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!real)
        real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(RTLD_NEXT,
                                                                                               "pthread_create");
    struct start *s = malloc(sizeof *s);
    if (!s)
        return real(t, a, fn, arg);
    s->fn = fn;
    s->arg = arg;
    int rc = real(t, a, trampoline, s);
    if (rc != 0)
        free(s);
    return rc;
}
