/* A lazily restored rank (`restart --lazy`, the lower half's restore_lazy.c)
 * gets the pages it has not touched yet through a userfaultfd until
 * boot->lazy_restore drops to 0. Memory copied by fork sees those pages as
 * zero (the child is not served): an image writer would store them as zero,
 * a forked child of the application would compute with them. So both wait
 * for the last page first; vfork, posix_spawn and system share the memory
 * and need not. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>
#include "checkpoint.h"

void eng_wait_lazy_restore(void)
{
    uint32_t v;
    while (eng.boot && (v = __atomic_load_n(&eng.boot->lazy_restore, __ATOMIC_ACQUIRE)) != 0)
        eng_futex_wait(&eng.boot->lazy_restore, v, -1);
}

pid_t fork(void)
{
    static pid_t (*real_fork)(void);
    if (!real_fork)
        real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
    eng_wait_lazy_restore();
    return real_fork();
}
