/* Raw system calls and small parsers for code that must not go through libc:
 * the lower half's mmap replacements and loader (libc's mmap is the one being
 * patched), and the engine while threads are parked. They return -errno on
 * failure, like the kernel, and never touch errno (whose TLS may not be ours). */
#ifndef CKPT_RAW_H
#define CKPT_RAW_H

#include <stdint.h>

static inline long ckpt_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define ckpt_sys0(n) ckpt_sys6((n), 0, 0, 0, 0, 0, 0)
#define ckpt_sys1(n, a) ckpt_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define ckpt_sys2(n, a, b) ckpt_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define ckpt_sys3(n, a, b, c) ckpt_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define ckpt_sys4(n, a, b, c, d) ckpt_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define ckpt_sys5(n, a, b, c, d, e) ckpt_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define CKPT_SYS_ERR(r) ((unsigned long)(r) > (unsigned long)-4096L)

/* Before a fatal exit that tears the job down: Hydra forwards a rank's stderr
 * asynchronously and drops what is still in the pipe when the job ends (CI lost
 * a restart's one line so). Waits until the launcher has read what was logged
 * (FIONREAD of fd 2 is 0; anything but a pipe answers at once), at most 2 s,
 * then a little for it to pass the line on. */
static inline void ckpt_wait_stderr_read(void)
{
    struct { long s, ns; } tick = {0, 10000000}, grace = {0, 50000000};
    for (int i = 0; i < 200; i++) {
        int unread = 0;
        if (ckpt_sys3(16 /* SYS_ioctl */, 2, 0x541B /* FIONREAD */, &unread) != 0 || unread <= 0)
            break;
        ckpt_sys2(35 /* SYS_nanosleep */, &tick, 0);
    }
    ckpt_sys2(35 /* SYS_nanosleep */, &grace, 0);
}

/* Reads lower-case hex digits at *p (as in /proc/self/maps) and advances past them. */
static inline uint64_t ckpt_scan_hex(const char **p)
{
    uint64_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uint64_t)(c - 'a' + 10);
        else
            return v;
    }
}

/* "0x7fff..." or "7fff..." -> value; 0 for anything else. */
static inline uint64_t ckpt_parse_hex(const char *s)
{
    uint64_t v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    for (; *s; s++) {
        int d = (*s >= '0' && *s <= '9') ? *s - '0' : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
                : (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10 : -1;
        if (d < 0)
            return 0;
        v = v * 16 + (uint64_t)d;
    }
    return v;
}

#endif
