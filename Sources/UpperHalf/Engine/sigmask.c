/* Signal-mask interposition: the suspend signal stays deliverable in every
 * upper thread, whatever masks the application (or its libraries) set. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include "parked/parked.h"

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
