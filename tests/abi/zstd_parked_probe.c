/* Does libzstd, with static contexts, keep to the parked world's rules?
 * (tests/abi/parked_world.sh builds this against Debian's libzstd.a, the
 * archive the engine and the lower halves link.)
 *
 * The compress and decompress calls the engine's writer (compress.c) and the
 * restore's readers (restore_zstd.c) make run here on a raw clone whose TLS
 * is a fake TCB: one page holding only the self pointer and the
 * stack-protector canary, with an inaccessible page below it, where every
 * TLS variable of the initial-exec model lives (errno, malloc's tcache...).
 * Any TLS access other than the canary faults; malloc, calloc, realloc,
 * free and the pthread calls are defined here and abort once armed; the TCB
 * page must be unchanged afterwards. Damaged frames must fail cleanly.
 * Exit 0 and one PASS line, or a FAIL line. */
#define _GNU_SOURCE
#define ZSTD_STATIC_LINKING_ONLY
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include "ckpt_raw.h"

static volatile int armed;
static char arena[1 << 20];
static size_t used;

static void die_armed(const char *what)
{
    if (!armed)
        return;
    ckpt_sys3(SYS_write, 2, what, strlen(what));
    ckpt_sys1(SYS_exit_group, 3);
}

/* Before arming (libc's own start-up) a bump allocator; after it, a failure. */
void *malloc(size_t n)
{
    die_armed("FAIL libzstd called malloc in the parked world\n");
    n = (n + 15) & ~(size_t)15;
    if (used + n > sizeof arena)
        return NULL;
    used += n;
    return arena + used - n;
}
void *calloc(size_t a, size_t b)
{
    die_armed("FAIL libzstd called calloc in the parked world\n");
    void *p = malloc(a * b);
    if (p)
        memset(p, 0, a * b);
    return p;
}
void *realloc(void *p, size_t n)
{
    die_armed("FAIL libzstd called realloc in the parked world\n");
    void *q = malloc(n);
    if (q && p)
        memcpy(q, p, n);
    return q;
}
void free(void *p)
{
    (void)p;
    die_armed("FAIL libzstd called free in the parked world\n");
}
int pthread_create(void *t, const void *a, void *(*f)(void *), void *arg);
int pthread_create(void *t, const void *a, void *(*f)(void *), void *arg)
{
    (void)t, (void)a, (void)f, (void)arg;
    die_armed("FAIL libzstd called pthread_create in the parked world\n");
    return -1;
}
int pthread_mutex_lock(void *m);
int pthread_mutex_lock(void *m)
{
    (void)m;
    die_armed("FAIL libzstd called pthread_mutex_lock in the parked world\n");
    return 0;
}

#define SRC (2u << 20)
static struct {
    char *src, *comp, *back, *work;
    size_t worksize;
    volatile int result; /* 1 ok, else the failed step */
} T;

static void fill(char *p, size_t n)
{
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t v = (i / 4096) % 3 == 0 ? x : (i / 4096) % 3 == 1 ? i : 0; /* random, counting, zero pages */
        memcpy(p + i, &v, 8);
    }
}

__attribute__((noreturn)) static void child(void)
{
    static const int levels[] = {1, 3, 9, 19};
    for (unsigned k = 0; k < sizeof levels / sizeof *levels; k++) {
        size_t need = ZSTD_estimateCCtxSize(levels[k]);
        ZSTD_CCtx *c = need <= T.worksize ? ZSTD_initStaticCCtx(T.work, T.worksize) : NULL;
        if (!c) {
            T.result = 10 + (int)k;
            break;
        }
        size_t n = ZSTD_compressCCtx(c, T.comp, ZSTD_compressBound(SRC), T.src, SRC, levels[k]);
        if (ZSTD_isError(n) || n >= SRC) {
            T.result = 20 + (int)k;
            break;
        }
        ZSTD_DCtx *d = ZSTD_initStaticDCtx(T.work, ZSTD_estimateDCtxSize());
        size_t m = d ? ZSTD_decompressDCtx(d, T.back, SRC, T.comp, n) : 0;
        if (!d || m != SRC || memcmp(T.back, T.src, SRC)) {
            T.result = 30 + (int)k;
            break;
        }
        /* damage: a flipped byte in the middle, a cut frame; neither may crash or allocate */
        T.comp[n / 2] ^= 0x5a;
        m = ZSTD_decompressDCtx(d, T.back, SRC, T.comp, n);
        if (!ZSTD_isError(m) && m == SRC && !memcmp(T.back, T.src, SRC)) {
            T.result = 40 + (int)k;
            break;
        }
        m = ZSTD_decompressDCtx(d, T.back, SRC, T.comp, n / 3);
        if (!ZSTD_isError(m)) {
            T.result = 50 + (int)k;
            break;
        }
        T.result = 1;
    }
    for (;;)
        ckpt_sys1(SYS_exit, 0);
}

static long raw_clone(unsigned long flags, void *stack, volatile int *ctid, void *tls)
{
    long ret;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = (long)tls;
    __asm__ volatile("syscall\n"
                     "test %%rax, %%rax\n"
                     "jnz 1f\n"
                     "and $-16, %%rsp\n"
                     "call *%[fn]\n"
                     "ud2\n"
                     "1:\n"
                     : "=a"(ret)
                     : "0"(SYS_clone), "D"(flags), "S"(stack), "d"(0), "r"(r10), "r"(r8), [fn] "r"(child)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(void)
{
    T.worksize = ZSTD_estimateCCtxSize(19);
    size_t bound = ZSTD_compressBound(SRC);
    T.src = mmap(NULL, SRC, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    T.comp = mmap(NULL, bound, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    T.back = mmap(NULL, SRC, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    T.work = mmap(NULL, T.worksize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *tcb = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *stack = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (T.src == MAP_FAILED || T.comp == MAP_FAILED || T.back == MAP_FAILED || T.work == MAP_FAILED ||
        tcb == MAP_FAILED || stack == MAP_FAILED) {
        puts("FAIL mmap");
        return 1;
    }
    fill(T.src, SRC);
    mprotect(tcb, 4096, PROT_NONE); /* where initial-exec TLS variables would be */
    char *self = tcb + 4096;
    uint64_t canary;
    __asm__("mov %%fs:0x28, %0" : "=r"(canary));
    memcpy(self, &self, 8);
    memcpy(self + 0x28, &canary, 8);
    char before[4096];
    memcpy(before, self, 4096);
    static volatile int ctid = 1;
    armed = 1;
    long pid = raw_clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                             CLONE_SETTLS | CLONE_CHILD_CLEARTID,
                         stack + (1 << 20), &ctid, self);
    if (pid < 0) {
        armed = 0;
        puts("FAIL clone");
        return 1;
    }
    while (ctid)
        ckpt_sys4(SYS_futex, &ctid, 0 /* FUTEX_WAIT */, 1, 0);
    armed = 0;
    if (T.result != 1) {
        printf("FAIL libzstd with static contexts: step %d went wrong\n", T.result);
        return 1;
    }
    if (memcmp(before, self, 4096)) {
        puts("FAIL libzstd wrote to its thread's TCB");
        return 1;
    }
    puts("PASS libzstd with static contexts (levels 1, 3, 9, 19; damaged frames) uses no TLS but the canary, "
         "no allocator and no pthreads");
    return 0;
}
