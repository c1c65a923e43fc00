/* ckpt_spawn: fork, then only async-signal-safe calls until execve (the
 * parent is multi-threaded: the child must not touch malloc, locks or the
 * Swift runtime). The child reports a failure over a close-on-exec pipe; an
 * end of file on that pipe means its execve succeeded. */
#define _GNU_SOURCE
#include "ckpt_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum step { STEP_PRCTL, STEP_SETPGID, STEP_SIGMASK, STEP_EXECVE };
static const char *const step_names[] = {"prctl(PR_SET_PDEATHSIG)", "setpgid", "sigprocmask", "execve"};

struct report {
    int step;
    int error;
};

static _Noreturn void child_fail(int fd, enum step step, int error)
{
    struct report r = {step, error};
    while (write(fd, &r, sizeof r) < 0 && errno == EINTR) {
    }
    _exit(127);
}

static _Noreturn void child(int report_fd, pid_t parent, const char *path, char *const argv[], char *const envp[],
                            const sigset_t *mask, int flags)
{
    if (flags & CKPT_SPAWN_DIE_WITH_PARENT) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            child_fail(report_fd, STEP_PRCTL, errno);
        /* The parent may have died before prctl took effect: then the signal
         * never comes, and a launcher nobody supervises must not start. */
        if (getppid() != parent)
            _exit(127);
    }
    if ((flags & CKPT_SPAWN_NEW_GROUP) && setpgid(0, 0) != 0)
        child_fail(report_fd, STEP_SETPGID, errno);
    /* The parent's handlers are meaningless here, and one running between
     * unblocking and execve would run the parent's code in the child (as
     * glibc's posix_spawn does, put them back to their default first). */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) != 0 || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
            continue;
        sa.sa_handler = SIG_DFL;
        sa.sa_flags = 0;
        sigaction(sig, &sa, NULL);
    }
    if (mask && sigprocmask(SIG_SETMASK, mask, NULL) != 0)
        child_fail(report_fd, STEP_SIGMASK, errno);
    execve(path, argv, envp);
    child_fail(report_fd, STEP_EXECVE, errno);
}

pid_t ckpt_spawn(const char *path, char *const argv[], char *const envp[], const sigset_t *mask, int flags,
                 int *error, const char **failed_call)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        *error = errno;
        *failed_call = "pipe2";
        return -1;
    }
    /* Everything blocked across fork: no handler may run in the child before
     * it has reset them. */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    const sigset_t *child_mask = mask ? mask : &saved;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], parent, path, argv, envp, child_mask, flags);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        *error = fork_error;
        *failed_call = "fork";
        return -1;
    }

    struct report r;
    ssize_t n;
    do {
        n = read(fds[0], &r, sizeof r);
    } while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n <= 0)
        return pid; /* the pipe closed at execve (a failed read of a pipe cannot tell otherwise) */

    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n == (ssize_t)sizeof r && r.step >= 0 && r.step <= STEP_EXECVE) {
        *error = r.error;
        *failed_call = step_names[r.step];
    } else {
        /* Exited without a report: it found its parent gone (cannot happen while
         * we run) or died from a signal before execve. */
        *error = ECHILD;
        *failed_call = "fork";
    }
    return -1;
}
