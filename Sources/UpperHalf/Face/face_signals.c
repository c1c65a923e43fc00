/* The application's signal handlers run as the application's code (DESIGN §2).
 *
 * A signal can arrive while a thread is inside the lower half, whose FS base
 * (TLS) belongs to the MPI library: a handler run there would find another
 * errno and other __thread variables. So every handler the application
 * installs is reached through face_signal_trampoline, which runs it at once
 * when the thread is in the upper half and otherwise records the signal with
 * its siginfo; the crossing back (ckpt_cross_out) raises it again on the same
 * thread, now on the application's TLS. A fault inside the lower half
 * (SIGSEGV, SIGBUS, ... from the kernel) cannot wait: it takes the default
 * action, as a crash in the MPI library.
 *
 * The face exports sigaction and the older installers (signal, bsd_signal,
 * sysv_signal) so that the application's calls reach these: glibc's own
 * signal() calls its internal sigaction, which no interposer sees. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "ckpt_raw.h"
#include "face_cut.h"
#include "face_engine.h"
#include "face_signals.h"

/* The engine's suspend signal stays its own (the engine checks FS itself): face_engine.h. */
/* What the application installed, per signal; wrapped[sig] while our
 * trampoline stands in for it in the kernel. */
static struct sigaction app_action[65];
static volatile uint8_t wrapped[65];

static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static int (*real)(int, const struct sigaction *, struct sigaction *);
    if (!real)
        real = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
    return real(sig, act, old);
}

static int is_fault(int sig, const siginfo_t *si)
{
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP) && si &&
           si->si_code > 0;
}

static void face_signal_trampoline(int sig, siginfo_t *si, void *uc)
{
    uint64_t fs;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
    const struct ckpt_boot *b = ckpt_boot_info;
    if (b && fs >= b->arena_start && fs < b->arena_end) {
        if (is_fault(sig, si)) {
            struct {
                uint64_t handler, flags, restorer, mask;
            } dfl = {0, 0, 0, 0};
            ckpt_sys4(SYS_rt_sigaction, sig, &dfl, NULL, 8);
            return; /* the faulting instruction runs again and takes the default action */
        }
        face_signal_defer(sig, si);
        return;
    }
    const struct sigaction *a = &app_action[sig];
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, si, uc);
    else if (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN)
        a->sa_handler(sig);
}

static int ours_to_wrap(int sig, const struct sigaction *act)
{
    if (sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP)
        return 0;
    if (ckpt_engine_signal && sig == ckpt_engine_signal())
        return 0;
    return act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

CKPT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!act) {
        int rc = real_sigaction(sig, NULL, old);
        if (!rc && old && sig >= 1 && sig <= 64 && wrapped[sig])
            *old = app_action[sig];
        return rc;
    }
    struct sigaction previous;
    int was_wrapped = sig >= 1 && sig <= 64 && wrapped[sig];
    if (was_wrapped)
        previous = app_action[sig];
    int rc;
    if (ours_to_wrap(sig, act)) {
        struct sigaction mine = *act;
        mine.sa_flags |= SA_SIGINFO;
        mine.sa_sigaction = face_signal_trampoline;
        /* The table first: a signal may arrive as soon as the kernel has ours. */
        app_action[sig] = *act;
        wrapped[sig] = 1;
        rc = real_sigaction(sig, &mine, old);
        if (rc) {
            wrapped[sig] = was_wrapped;
            if (was_wrapped)
                app_action[sig] = previous;
        }
    } else {
        rc = real_sigaction(sig, act, old);
        if (!rc && sig >= 1 && sig <= 64)
            wrapped[sig] = 0;
    }
    if (!rc && old && was_wrapped)
        *old = previous;
    return rc;
}

/* glibc's BSD semantics: SA_RESTART, the signal blocked while its handler runs. */
static sighandler_t install_simple(int sig, sighandler_t handler, int flags)
{
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    if (sigaction(sig, &act, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

CKPT_EXPORT sighandler_t signal(int sig, sighandler_t handler) { return install_simple(sig, handler, SA_RESTART); }
CKPT_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler) { return install_simple(sig, handler, SA_RESTART); }
CKPT_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
    return install_simple(sig, handler, SA_RESETHAND | SA_NODEFER);
}
