/* cow_vs_uffd [MIB] [REPS] [thp]: the two ways of letting an application run while
 * its image is written (issue 13), measured on MIB MiB (default 1024) of
 * resident private memory:
 *   fork  - a raw clone with exit signal 0 (what the engine does): the time
 *           until the parent runs again, then the time for the parent to
 *           write one word in every page while the child still exists (each
 *           first write is an in-kernel copy-on-write fault);
 *   uffd  - UFFDIO_REGISTER(MODE_WP) + UFFDIO_WRITEPROTECT of the range: the
 *           time to mark, then the same writes, each served by a handler
 *           thread that copies the page away and removes the protection (what
 *           a user-space copy-on-write writer would do);
 *   plain - the same writes with nothing marked.
 * With "thp" the memory is in transparent huge pages (MADV_HUGEPAGE) instead
 * of 4 KiB pages. Prints the best and the median of REPS (default 5) runs of each. Build:
 * gcc -O2 -pthread cow_vs_uffd.c -o cow_vs_uffd (needs root or
 * vm.unprivileged_userfaultfd=1 for the uffd part). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static size_t SZ;
static char *buf, *saved;
static int uffd;

static void *handler(void *a)
{
    (void)a;
    for (;;) {
        struct uffd_msg m;
        struct pollfd p = {uffd, POLLIN, 0};
        poll(&p, 1, -1);
        if (read(uffd, &m, sizeof m) != sizeof m || m.event != UFFD_EVENT_PAGEFAULT)
            continue;
        uint64_t pg = m.arg.pagefault.address & ~4095UL;
        memcpy(saved + (pg - (uint64_t)buf), (void *)pg, 4096);
        struct uffdio_writeprotect wp = {{pg, 4096}, 0};
        ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
    }
    return NULL;
}
static double touch(void)
{
    double t = now();
    for (size_t i = 0; i < SZ; i += 4096)
        buf[i]++;
    return now() - t;
}
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static void show(const char *what, double *v, int n)
{
    qsort(v, n, sizeof *v, cmp);
    printf("%-34s best %8.2f ms  median %8.2f ms\n", what, v[0] * 1e3, v[n / 2] * 1e3);
}

int main(int argc, char **argv)
{
    SZ = (size_t)(argc > 1 ? atol(argv[1]) : 1024) << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > 64)
        reps = 5;
    buf = mmap(0, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    saved = mmap(0, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (buf == MAP_FAILED || saved == MAP_FAILED)
        return 1;
    int thp = argc > 3 && !strcmp(argv[3], "thp");
    /* default 4 KiB pages, like most application memory (malloc does not ask for THP) */
    madvise(buf, SZ, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    for (size_t i = 0; i < SZ; i += 4096)
        buf[i] = 1;
    double plain[64], fmark[64], fwrite[64], umark[64], uwrite[64];
    for (int r = 0; r < reps; r++)
        plain[r] = touch();
    for (int r = 0; r < reps; r++) {
        int pidfd = -1;
        double t = now();
        long pid = syscall(SYS_clone, CLONE_PIDFD, 0, &pidfd, 0, 0);
        if (pid == 0) {
            pause();
            syscall(SYS_exit_group, 0);
        }
        fmark[r] = now() - t;
        fwrite[r] = touch();
        kill(pid, SIGKILL);
        siginfo_t si;
        syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED | __WALL, NULL);
        close(pidfd);
    }
    uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct uffdio_api api = {UFFD_API, UFFD_FEATURE_PAGEFAULT_FLAG_WP, 0};
    int have_uffd = uffd >= 0 && ioctl(uffd, UFFDIO_API, &api) == 0;
    if (have_uffd) {
        pthread_t th;
        pthread_create(&th, 0, handler, 0);
        for (int r = 0; r < reps; r++) {
            double t = now();
            struct uffdio_register reg = {{(uint64_t)buf, SZ}, UFFDIO_REGISTER_MODE_WP, 0};
            struct uffdio_writeprotect wp = {{(uint64_t)buf, SZ}, UFFDIO_WRITEPROTECT_MODE_WP};
            if (ioctl(uffd, UFFDIO_REGISTER, &reg) || ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) {
                perror("userfaultfd write-protect");
                have_uffd = 0;
                break;
            }
            umark[r] = now() - t;
            uwrite[r] = touch();
            struct uffdio_range ur = {(uint64_t)buf, SZ};
            ioctl(uffd, UFFDIO_UNREGISTER, &ur);
        }
    } else {
        perror("userfaultfd");
    }
    printf("%zu MiB in %s pages, %d runs each\n", SZ >> 20, thp ? "transparent huge" : "4 KiB", reps);
    show("plain: write every page", plain, reps);
    show("fork: clone until parent runs", fmark, reps);
    show("fork: write every page (COW)", fwrite, reps);
    if (have_uffd) {
        show("uffd: register + write-protect", umark, reps);
        show("uffd: write every page (handler)", uwrite, reps);
    }
    return 0;
}
