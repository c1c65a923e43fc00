/* Futexes, clocks, sleeps and whole writes on raw system calls (usable while threads are parked). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <time.h>
#include "parked.h"

void eng_futex_wait(volatile uint32_t *w, uint32_t val, long timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    ckpt_sys4(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, timeout_ms >= 0 ? &ts : NULL);
}
void eng_futex_wake(volatile uint32_t *w) { ckpt_sys3(SYS_futex, w, FUTEX_WAKE_PRIVATE, 0x7fffffff); }

uint64_t eng_now_ns(void)
{
    struct timespec ts;
    ckpt_sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void eng_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ckpt_sys2(SYS_nanosleep, &ts, &ts) == -EINTR)
        ;
}

long eng_write_full(long fd, const void *buf, uint64_t len, uint64_t off)
{
    const char *p = buf;
    while (len) {
        long r = ckpt_sys4(SYS_pwrite64, fd, p, len, off);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return r;
        if (r == 0)
            return -EIO;
        p += r;
        len -= (uint64_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

long eng_write_data(long *dfd, long fd, const void *src, uint64_t n, uint64_t off)
{
    long r = eng_write_full(*dfd >= 0 ? *dfd : fd, src, n, off);
    if (r == -EINVAL && *dfd >= 0) { /* O_DIRECT refused after all: buffered from here on */
        ckpt_sys1(SYS_close, *dfd);
        *dfd = -1;
        r = eng_write_full(fd, src, n, off);
    }
    return r;
}
