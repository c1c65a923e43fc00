/* Messages go straight to fd 2 with write(): no stdio buffers to flush before
 * the jump into the application, and nothing that allocates. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lh_internal.h"

int lh_debug;

static void emit(const char *prefix, const char *fmt, va_list ap)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s", prefix);
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    for (int off = 0; off < n;) {
        long w = ckpt_sys3(SYS_write, 2, buf + off, n - off);
        if (w <= 0)
            break;
        off += (int)w;
    }
}

void lh_log(const char *fmt, ...)
{
    if (!lh_debug)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit("ckpt-mpi[lower]: ", fmt, ap);
    va_end(ap);
}

void lh_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("ckpt-mpi: ", fmt, ap);
    va_end(ap);
}

/* Under Hydra a rank that ends before the others' MPI_Init leaves them waiting
 * there for ever, and mpiexec waits for every process (a restart from one
 * damaged image hung so): the simple PMI's abort command, on the descriptor
 * Hydra gives each process, ends the whole job at once. Open MPI's mpirun ends
 * a job whose process exits non-zero by itself. */
static void abort_hydra_job(int code)
{
    const char *fd = getenv("PMI_FD");
    if (!fd || *fd < '0' || *fd > '9')
        return;
    ckpt_wait_stderr_read();
    char m[48];
    int n = snprintf(m, sizeof m, "cmd=abort exitcode=%d\n", code);
    ckpt_sys3(SYS_write, atoi(fd), m, n);
}

_Noreturn void lh_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("ckpt-mpi: ", fmt, ap);
    va_end(ap);
    if (code)
        abort_hydra_job(code);
    _exit(code);
}
