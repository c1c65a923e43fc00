/* The upper half's threads are the main thread and every thread started
 * through the upper libc's pthread_create, interposed here to record each one
 * in the tid table (parked/state.c) while it lives. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include "parked/parked.h"

struct start {
    void *(*fn)(void *);
    void *arg;
};

static void unregister(void *unused)
{
    (void)unused;
    eng_tid_remove((uint32_t)ckpt_sys0(SYS_gettid));
}

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    eng_tid_add((uint32_t)ckpt_sys0(SYS_gettid));
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
