/* Starting the job's launcher so that it cannot outlive ckpt-mpi.
 *
 * posix_spawn has no way to set PR_SET_PDEATHSIG in the child, and Swift
 * cannot run code between fork and exec, so this small C helper does the
 * fork, the few async-signal-safe steps and the execve. */
#ifndef CKPT_SPAWN_H
#define CKPT_SPAWN_H

#include <signal.h>
#include <sys/types.h>

/* The child leads a new process group (setpgid(0, 0)). */
#define CKPT_SPAWN_NEW_GROUP 1
/* The child gets SIGKILL when the calling *thread* ends (PR_SET_PDEATHSIG),
 * so spawn from the thread that lives as long as the job. */
#define CKPT_SPAWN_DIE_WITH_PARENT 2

/* Executes `path` with `argv` and `envp` in a child of the calling thread,
 * with signal mask `mask` (NULL: the caller's) and every caught signal back to
 * its default. Returns the child's pid once its execve succeeded; on failure
 * returns -1, stores the errno in *error and the name of the failing call
 * (e.g. "execve", "fork") in *failed_call; a child that failed is reaped. */
pid_t ckpt_spawn(const char *path, char *const argv[], char *const envp[], const sigset_t *mask, int flags,
                 int *error, const char **failed_call);

#endif
