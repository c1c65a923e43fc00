/* Stage 0 → stage 1: one re-exec so the kernel lays the lower half out the
 * same way every time.
 *
 * mmap_base = TASK_SIZE - clamp(stack rlimit + guard, 128 MiB, ...) - random.
 * ADDR_NO_RANDOMIZE removes the random part; an 8 MiB soft stack limit keeps
 * the gap at its 128 MiB floor (and avoids the legacy bottom-up layout an
 * unlimited stack would select). Everything the user had is put back after
 * the re-exec, so the application sees its own limits, personality and
 * environment. The state crosses the exec in CKPT_MPI_LOWER_* variables,
 * which never reach the application. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "lh_internal.h"

#define ENV_STAGE   "CKPT_MPI_LOWER_STAGE"  /* "<personality hex>:<stack soft or inf>" */
#define ENV_ADDED   "CKPT_MPI_LOWER_ADDED"  /* names quiet_mpi_env set, comma-separated */
#define ENV_PRELOAD "CKPT_MPI_LOWER_LD_PRELOAD"  /* "=" + the caller's LD_PRELOAD */
#define ENV_LIBPATH "CKPT_MPI_LOWER_LD_LIBRARY_PATH" /* "=" + the caller's LD_LIBRARY_PATH */
#define ENV_PARENT  "CKPT_MPI_LOWER_PARENT"  /* the parent's pid at stage 0, with CKPT_MPI_DIE_WITH_PARENT */
#define LOWER_STACK_SOFT (8ULL << 20)

extern char **environ;

int lh_is_internal_env(const char *kv)
{
    return !strncmp(kv, "CKPT_MPI_LOWER_", 15);
}

static const char *const quiet_env[][2] = {
    /* UCX's libucm would patch mmap/munmap/mremap/brk itself (bistro mode
     * rewrites the same function entries we patch) and hook malloc. */
    {"UCX_MEM_EVENTS", "no"},
    {"UCX_MEM_MALLOC_HOOKS", "no"},
    {"UCX_MEM_MMAP_HOOK_MODE", "none"},
    /* UCX installs SIGSEGV/SIGBUS/... handlers for backtraces; the upper half
     * owns signal dispositions. */
    {"UCX_HANDLE_ERRORS", "none"},
    {"UCX_ERROR_SIGNALS", ""},
    /* Open MPI's memory/patcher component patches the mmap family too. */
    {"OMPI_MCA_memory", "^patcher"},
    /* Empty list: opal_signal installs no handlers at MPI_Init. */
    {"OMPI_MCA_opal_signal", ""},
    /* SwiftPM links libswiftCore into every executable product, and its
     * backtracer installs crash handlers at start-up. */
    {"SWIFT_BACKTRACE", "enable=no"},
};

void ckpt_lower_quiet_mpi_env(void)
{
    char added[512];
    const char *prev = getenv(ENV_ADDED);
    snprintf(added, sizeof added, "%s", prev ? prev : "");
    for (size_t i = 0; i < sizeof quiet_env / sizeof quiet_env[0]; i++) {
        if (getenv(quiet_env[i][0]))
            continue; /* the user (or the ckpt-mpi CLI) chose already */
        setenv(quiet_env[i][0], quiet_env[i][1], 1);
        size_t n = strlen(added);
        snprintf(added + n, sizeof added - n, "%s%s", n ? "," : "", quiet_env[i][0]);
    }
    if (added[0])
        setenv(ENV_ADDED, added, 1);
}

/* LD_LIBRARY_PATH without any entry equal to face_dir: the lower half must
 * bind to the real MPI, never to our face libmpi.so.12. */
static int strip_dir(const char *path, const char *dir, char *out, size_t cap)
{
    size_t dl = strlen(dir), o = 0;
    int removed = 0;
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    for (const char *p = path;;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        size_t m = n;
        while (m > 1 && p[m - 1] == '/')
            m--;
        if (m == dl && !strncmp(p, dir, dl)) {
            removed = 1;
        } else if (o + n + 2 < cap) {
            if (o)
                out[o++] = ':';
            memcpy(out + o, p, n);
            o += n;
        }
        if (!c)
            break;
        p = c + 1;
    }
    out[o] = 0;
    return removed;
}

/* A rank of a supervised job dies with its parent (the launcher's daemon on
 * its host: mpirun, orted, hydra_pmi_proxy; or ckpt-mpi itself without MPI),
 * which dies with ckpt-mpi. The signal is armed before the parent is read, so
 * a parent that dies later is always noticed. One that died between its fork
 * and here cannot be told from a launcher that is pid 1 (a container's init)
 * and is let be: without MPI that cannot happen (ckpt-mpi arms the signal
 * before its exec), and with MPI the rank's MPI_Init fails without its
 * launcher. */
static void die_with_parent_stage0(void)
{
    const char *v = getenv("CKPT_MPI_DIE_WITH_PARENT");
    if (!v || strcmp(v, "1"))
        return;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        lh_die(126, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    pid_t parent = getppid();
    char text[24];
    snprintf(text, sizeof text, "%ld", (long)parent);
    setenv(ENV_PARENT, text, 1);
}

/* After the re-exec: arm the signal again (an exec of a set-id or
 * capability binary would have cleared it) and check the parent is the one
 * stage 0 saw, i.e. it did not die during the re-exec. */
static void die_with_parent_stage1(void)
{
    const char *v = getenv(ENV_PARENT);
    if (!v)
        return;
    long parent = strtol(v, NULL, 10);
    unsetenv(ENV_PARENT);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        lh_die(126, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    if ((long)getppid() != parent)
        lh_die(1, "the launcher (pid %ld) is gone; not starting", parent);
}

static void stage0(char **argv, const char *face_dir)
{
    die_with_parent_stage0();
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0)
        lh_die(126, "getrlimit(RLIMIT_STACK): %s", strerror(errno));
    int persona = personality(0xffffffff);
    if (persona == -1)
        lh_die(126, "personality: %s", strerror(errno));

    char stage[64];
    if (rl.rlim_cur == RLIM_INFINITY)
        snprintf(stage, sizeof stage, "%x:inf", (unsigned)persona);
    else
        snprintf(stage, sizeof stage, "%x:%llu", (unsigned)persona, (unsigned long long)rl.rlim_cur);
    setenv(ENV_STAGE, stage, 1);
    ckpt_lower_quiet_mpi_env();

    /* Preloads are meant for the application (our engine among them), and
     * must not be loaded into the lower half. */
    const char *pre = getenv("LD_PRELOAD");
    if (pre) {
        char *v = malloc(strlen(pre) + 2);
        if (v) {
            v[0] = '=';
            strcpy(v + 1, pre);
            setenv(ENV_PRELOAD, v, 1);
            free(v);
        }
        unsetenv("LD_PRELOAD");
    }
    const char *lp = getenv("LD_LIBRARY_PATH");
    if (lp) {
        char *v = malloc(strlen(lp) + 2), *stripped = malloc(strlen(lp) + 1);
        if (v && stripped) {
            v[0] = '=';
            strcpy(v + 1, lp);
            setenv(ENV_LIBPATH, v, 1);
            if (face_dir && strip_dir(lp, face_dir, stripped, strlen(lp) + 1)) {
                if (stripped[0])
                    setenv("LD_LIBRARY_PATH", stripped, 1);
                else
                    unsetenv("LD_LIBRARY_PATH");
            }
        }
        free(v);
        free(stripped);
    }

    if (rl.rlim_cur != LOWER_STACK_SOFT) {
        struct rlimit nr = rl;
        nr.rlim_cur = (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < LOWER_STACK_SOFT) ? rl.rlim_max
                                                                                       : LOWER_STACK_SOFT;
        if (setrlimit(RLIMIT_STACK, &nr) != 0)
            lh_die(126, "setrlimit(RLIMIT_STACK): %s", strerror(errno));
    }
    if (personality(((unsigned long)persona | ADDR_NO_RANDOMIZE) & ~(unsigned long)ADDR_COMPAT_LAYOUT) == -1)
        lh_die(126, "personality(ADDR_NO_RANDOMIZE): %s", strerror(errno));
    execve("/proc/self/exe", argv, environ);
    lh_die(126, "execve(/proc/self/exe): %s", strerror(errno));
}

static const char *take(const char *name)
{
    const char *v = getenv(name);
    if (!v)
        return NULL;
    char *copy = strdup(v);
    unsetenv(name);
    return copy;
}

void lh_reexec_or_restore(char **argv, const char *face_dir, struct lh_orig *orig)
{
    const char *stage = getenv(ENV_STAGE);
    if (!stage)
        stage0(argv, face_dir); /* does not return */

    unsigned persona = 0;
    char lim[32] = "";
    if (sscanf(stage, "%x:%31s", &persona, lim) != 2)
        lh_die(126, "%s is malformed: %s", ENV_STAGE, stage);
    orig->persona = persona;
    orig->stack_soft = !strcmp(lim, "inf") ? (uint64_t)RLIM_INFINITY : strtoull(lim, NULL, 10);
    unsetenv(ENV_STAGE);
    die_with_parent_stage1();

    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != orig->stack_soft) {
        rl.rlim_cur = orig->stack_soft;
        if (setrlimit(RLIMIT_STACK, &rl) != 0)
            lh_msg("warning: cannot restore RLIMIT_STACK: %s", strerror(errno));
    }
    /* The layout was fixed at exec time; the application's children get the
     * personality the user had. */
    if (personality(persona) == -1)
        lh_msg("warning: cannot restore personality: %s", strerror(errno));

    const char *pre = take(ENV_PRELOAD), *lp = take(ENV_LIBPATH);
    orig->ld_preload = pre ? pre + 1 : NULL;
    orig->ld_library_path = lp ? lp + 1 : NULL;
    orig->added_env = take(ENV_ADDED);
}
