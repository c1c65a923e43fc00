/* The upper half's fd table (DESIGN §2): every fd the application creates
 * through libc is marked (the table is in parked/state.c); at a checkpoint
 * the marked fds are described (parked/image.c) and the lower half reopens
 * them at restore. fds 0-2 always come from the new launcher. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "parked/parked.h"

#define REAL(name, type)                                                                                     \
    static __typeof__((type)0) real_##name;                                                                               \
    if (!real_##name)                                                                                        \
        real_##name = (type)dlsym(RTLD_NEXT, #name);

static int needs_mode(int flags) { return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE; }

/* open's optional third argument, read only when the flags say it is there. */
#define MODE_ARG(flags)                                                                                      \
    mode_t mode = 0;                                                                                         \
    if (needs_mode(flags)) {                                                                                 \
        va_list ap;                                                                                          \
        va_start(ap, flags);                                                                                 \
        mode = va_arg(ap, mode_t);                                                                           \
        va_end(ap);                                                                                          \
    }

#define OPEN_LIKE(name)                                                                                      \
    int name(const char *path, int flags, ...)                                                               \
    {                                                                                                        \
        MODE_ARG(flags)                                                                                      \
        REAL(name, int (*)(const char *, int, ...))                                                          \
        int fd = real_##name(path, flags, mode);                                                             \
        eng_fd_mark(fd);                                                                                     \
        return fd;                                                                                           \
    }
OPEN_LIKE(open)
OPEN_LIKE(open64)

#define OPENAT_LIKE(name)                                                                                    \
    int name(int dirfd, const char *path, int flags, ...)                                                    \
    {                                                                                                        \
        MODE_ARG(flags)                                                                                      \
        REAL(name, int (*)(int, const char *, int, ...))                                                     \
        int fd = real_##name(dirfd, path, flags, mode);                                                      \
        eng_fd_mark(fd);                                                                                     \
        return fd;                                                                                           \
    }
OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)

int creat(const char *path, mode_t mode)
{
    REAL(creat, int (*)(const char *, mode_t))
    int fd = real_creat(path, mode);
    eng_fd_mark(fd);
    return fd;
}
int creat64(const char *path, mode_t mode)
{
    REAL(creat64, int (*)(const char *, mode_t))
    int fd = real_creat64(path, mode);
    eng_fd_mark(fd);
    return fd;
}

/* stdio opens through libc-internal calls that no interposer sees. */
#define FOPEN_LIKE(name)                                                                                     \
    FILE *name(const char *path, const char *mode)                                                           \
    {                                                                                                        \
        REAL(name, FILE * (*)(const char *, const char *))                                                   \
        FILE *f = real_##name(path, mode);                                                                   \
        if (f)                                                                                               \
            eng_fd_mark(fileno(f));                                                                          \
        return f;                                                                                            \
    }
FOPEN_LIKE(fopen)
FOPEN_LIKE(fopen64)

FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    REAL(freopen, FILE * (*)(const char *, const char *, FILE *))
    FILE *f = real_freopen(path, mode, stream);
    if (f)
        eng_fd_mark(fileno(f));
    return f;
}

int close(int fd)
{
    REAL(close, int (*)(int))
    int r = real_close(fd);
    if (r == 0 || errno == EBADF)
        eng_fd_untrack(fd);
    return r;
}

/* glibc's fclose closes through an internal call this file cannot see: forget
 * the fd first, or a later lower-half fd with the same number (MPI's sockets)
 * would be mistaken for the application's. */
int fclose(FILE *f)
{
    REAL(fclose, int (*)(FILE *))
    if (f)
        eng_fd_untrack(fileno(f));
    return real_fclose(f);
}

int dup(int fd)
{
    REAL(dup, int (*)(int))
    int r = real_dup(fd);
    eng_fd_mark(r);
    return r;
}
int dup2(int fd, int fd2)
{
    REAL(dup2, int (*)(int, int))
    int r = real_dup2(fd, fd2);
    eng_fd_mark(r);
    return r;
}
int dup3(int fd, int fd2, int flags)
{
    REAL(dup3, int (*)(int, int, int))
    int r = real_dup3(fd, fd2, flags);
    eng_fd_mark(r);
    return r;
}

#define FCNTL_LIKE(name)                                                                                     \
    int name(int fd, int cmd, ...)                                                                           \
    {                                                                                                        \
        va_list ap;                                                                                          \
        va_start(ap, cmd);                                                                                   \
        void *arg = va_arg(ap, void *);                                                                      \
        va_end(ap);                                                                                          \
        REAL(name, int (*)(int, int, ...))                                                                   \
        int r = real_##name(fd, cmd, arg);                                                                   \
        if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)                                                        \
            eng_fd_mark(r);                                                                                  \
        return r;                                                                                            \
    }
FCNTL_LIKE(fcntl)
FCNTL_LIKE(fcntl64)

int pipe(int fds[2])
{
    REAL(pipe, int (*)(int *))
    int r = real_pipe(fds);
    if (r == 0) {
        eng_fd_mark(fds[0]);
        eng_fd_mark(fds[1]);
    }
    return r;
}
int pipe2(int fds[2], int flags)
{
    REAL(pipe2, int (*)(int *, int))
    int r = real_pipe2(fds, flags);
    if (r == 0) {
        eng_fd_mark(fds[0]);
        eng_fd_mark(fds[1]);
    }
    return r;
}
int socket(int d, int t, int p)
{
    REAL(socket, int (*)(int, int, int))
    int r = real_socket(d, t, p);
    eng_fd_mark(r);
    return r;
}
