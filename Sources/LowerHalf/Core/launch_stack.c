/* The second half of the user-space execve: a fresh stack laid out exactly
 * as the kernel's create_elf_tables() does, then a jump to the
 * interpreter's entry. From the application's point of view it was just
 * exec'ed: rsp -> argc, argv[], NULL, envp[], NULL, auxv[], AT_NULL, with
 * the strings above, rsp 16-byte aligned, rdx = 0 (no rtld_fini). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include "lh_internal.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern char **environ;

#define MAX_AUX 64
static uint64_t kaux[MAX_AUX][2]; /* the kernel's auxv for this process */
static int nkaux;

static void read_kernel_auxv(void)
{
    long fd = ckpt_sys3(SYS_open, "/proc/self/auxv", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        lh_die(126, "open(/proc/self/auxv): %s", strerror((int)-fd));
    long n = ckpt_sys3(SYS_read, fd, kaux, sizeof kaux - 16);
    ckpt_sys1(SYS_close, fd);
    if (n <= 0)
        lh_die(126, "read(/proc/self/auxv): %s", strerror(n < 0 ? (int)-n : EIO));
    nkaux = 0;
    while (nkaux < (int)(n / 16) && kaux[nkaux][0] != AT_NULL)
        nkaux++;
}

/* Which of the lower's environment reaches the application. */
static int keep_env(const char *kv, const struct lh_orig *orig)
{
    if (lh_is_internal_env(kv) || !strncmp(kv, CKPT_BOOT_ENV "=", sizeof CKPT_BOOT_ENV) ||
        !strncmp(kv, LH_BOOT_ENGINE_ENV "=", sizeof LH_BOOT_ENGINE_ENV) ||
        !strncmp(kv, "LD_LIBRARY_PATH=", 16) || !strncmp(kv, "LD_PRELOAD=", 11))
        return 0;
    /* The face (and libckpt-engine.so) are linked by swiftc and so load
     * libswiftCore, whose backtracer would install SIGSEGV/SIGABRT/... handlers
     * in the application at load time: keep it off there too (the face's and
     * the engine's constructors remove the variable again, see
     * CKPT_MPI_ENGINE_UNSET). */
    if (!strncmp(kv, "SWIFT_BACKTRACE=", 16))
        return 1;
    if (orig->added_env) { /* quiet-MPI variables we set, not the user */
        size_t kl = strcspn(kv, "=");
        for (const char *p = orig->added_env; *p;) {
            size_t n = strcspn(p, ",");
            if (n == kl && !strncmp(p, kv, kl))
                return 0;
            p += n + (p[n] == ',');
        }
    }
    return 1;
}

static uint64_t stack_size_for(const struct lh_orig *orig)
{
    uint64_t s = orig->stack_soft;
    if (s == (uint64_t)RLIM_INFINITY || s > (1ULL << 30))
        s = 1ULL << 30;
    if (s < (256ULL << 10))
        s = 256ULL << 10;
    return LH_PAGE_UP(s);
}

/* Like exec: handlers installed by the lower half (MPI, network stacks) point
 * at lower code the application knows nothing about; only SIG_IGN survives. */
static void reset_signals(void)
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } sa, dfl = {0};
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (ckpt_sys4(SYS_rt_sigaction, sig, 0, &sa, 8) != 0)
            continue;
        if (sa.handler != SIG_DFL && sa.handler != SIG_IGN) {
            ckpt_sys4(SYS_rt_sigaction, sig, &dfl, 0, 8);
            lh_log("reset handler of signal %d installed by the lower half", sig);
        }
    }
}

/* The lower libc registered rseq for this thread; the kernel allows one
 * registration per thread, and it should be the application's libc. */
extern __attribute__((weak)) const ptrdiff_t __rseq_offset;
extern __attribute__((weak)) const unsigned int __rseq_size;
static void unregister_rseq(void)
{
    if (!&__rseq_offset || !&__rseq_size || !__rseq_size)
        return;
    uint64_t fs = 0;
    ckpt_sys2(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs);
    uint64_t area = fs + (uint64_t)__rseq_offset;
    /* glibc registers sizeof(struct rseq_area) = 32 even if __rseq_size says 20 */
    long r = ckpt_sys4(SYS_rseq, area, 32, 1 /* RSEQ_FLAG_UNREGISTER */, 0x53053053);
    if (r == -EINVAL)
        r = ckpt_sys4(SYS_rseq, area, __rseq_size, 1, 0x53053053);
    if (r)
        lh_log("rseq unregister: %s", strerror((int)-r));
}

struct sbuf {
    char *p;
    uint64_t floor;
};
static char *push_str(struct sbuf *b, const char *s1, const char *s2, const char *s3)
{
    size_t l1 = strlen(s1), l2 = s2 ? strlen(s2) : 0, l3 = s3 ? strlen(s3) : 0;
    b->p -= l1 + l2 + l3 + 1;
    if ((uint64_t)b->p < b->floor)
        lh_die(126, "execve: %s (arguments and environment exceed the new stack)", strerror(E2BIG));
    memcpy(b->p, s1, l1);
    if (l2)
        memcpy(b->p + l1, s2, l2);
    if (l3)
        memcpy(b->p + l1 + l2, s3, l3);
    b->p[l1 + l2 + l3] = 0;
    return b->p;
}

static char *upper_envp[65536];
static char *env_snap[65536];
static int env_snapped;

/* The application gets the environment as it was before MPI_Init: MPI
 * libraries setenv() their own bookkeeping, which is not the user's. glibc
 * never frees environment strings, so the pointers stay valid. */
void lh_env_snapshot(void)
{
    int n = 0;
    for (char **e = environ; *e && n < 65535; e++)
        env_snap[n++] = *e;
    env_snap[n] = NULL;
    env_snapped = 1;
}

_Noreturn void lh_launch(struct lh_exec *x, const struct lh_orig *orig, const char *face_dir, uint64_t boot_addr)
{
    read_kernel_auxv();

    uint64_t size = stack_size_for(orig);
    long r = lh_mmap_raw(0, size + LH_PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (CKPT_SYS_ERR(r))
        lh_die(126, "mmap(stack, %lu bytes): %s", (unsigned long)size, strerror((int)-r));
    ckpt_sys3(SYS_mprotect, r, LH_PAGE, PROT_NONE); /* guard page below */
    uint64_t lo = (uint64_t)r + LH_PAGE, top = lo + size;
    /* the strings may use at most a quarter of the stack, like the kernel */
    struct sbuf b = {(char *)(top - 8), top - size / 4};
    *(uint64_t *)(top - 8) = 0;
    lh_log("upper stack %#lx-%#lx (%lu KiB)", (unsigned long)lo, (unsigned long)top, (unsigned long)(size >> 10));

    char *execfn = push_str(&b, x->execfn, NULL, NULL);

    /* environment: ours minus internals, plus the boot pointer and the face */
    int envc = 0;
    char bootv[64];
    snprintf(bootv, sizeof bootv, "%#lx", (unsigned long)boot_addr);
    for (char **e = env_snapped ? env_snap : environ; *e && envc < 65000; e++)
        if (keep_env(*e, orig))
            upper_envp[envc++] = push_str(&b, *e, NULL, NULL);
    upper_envp[envc++] = push_str(&b, CKPT_BOOT_ENV "=", bootv, NULL);
    if (orig->engine) /* the face unsets CKPT_MPI_BOOT; the engine gets its own copy */
        upper_envp[envc++] = push_str(&b, LH_BOOT_ENGINE_ENV "=", bootv, NULL);
    if (orig->added_env && strstr(orig->added_env, "SWIFT_BACKTRACE"))
        upper_envp[envc++] = push_str(&b, "CKPT_MPI_ENGINE_UNSET=SWIFT_BACKTRACE", NULL, NULL);
    if (face_dir || orig->ld_library_path) {
        /* the face first, then whatever the caller had */
        static char ldlp[65536];
        const char *old = orig->ld_library_path;
        snprintf(ldlp, sizeof ldlp, "%s%s%s", face_dir ? face_dir : "", face_dir && old && old[0] ? ":" : "",
                 old ? old : "");
        upper_envp[envc++] = push_str(&b, "LD_LIBRARY_PATH=", ldlp, NULL);
    }
    if (orig->ld_preload)
        upper_envp[envc++] = push_str(&b, "LD_PRELOAD=", orig->ld_preload, NULL);

    char **uargv = x->argv;
    char *argp[x->argc + 1];
    for (int i = x->argc - 1; i >= 0; i--)
        argp[i] = push_str(&b, uargv[i], NULL, NULL);
    argp[x->argc] = NULL;

    char *platform = push_str(&b, "x86_64", NULL, NULL);
    const char *kbase_platform = NULL;
    for (int i = 0; i < nkaux; i++)
        if (kaux[i][0] == AT_BASE_PLATFORM)
            kbase_platform = (const char *)kaux[i][1];
    char *base_platform = kbase_platform ? push_str(&b, kbase_platform, NULL, NULL) : NULL;
    b.p = (char *)((uint64_t)b.p & ~15ULL) - 16;
    uint8_t *rnd = (uint8_t *)b.p;
    if (ckpt_sys3(SYS_getrandom, rnd, 16, 0) != 16)
        for (int i = 0; i < 16; i++) /* getrandom cannot fail this early in practice */
            rnd[i] = (uint8_t)(ckpt_sys0(SYS_getpid) * 131 + i * 7919);

    /* auxv: ours for the image fields, the kernel's verbatim for the rest */
    uint64_t aux[MAX_AUX + 16][2];
    int na = 0;
#define AUX(t, v) (aux[na][0] = (t), aux[na][1] = (uint64_t)(v), na++)
    for (int i = 0; i < nkaux && na < MAX_AUX; i++) {
        switch (kaux[i][0]) {
        case AT_PHDR: case AT_PHENT: case AT_PHNUM: case AT_BASE: case AT_FLAGS: case AT_ENTRY:
        case AT_SECURE: case AT_RANDOM: case AT_EXECFN: case AT_PLATFORM: case AT_BASE_PLATFORM:
            continue;
        }
        AUX(kaux[i][0], kaux[i][1]);
    }
    AUX(AT_PHDR, x->app.phdr);
    AUX(AT_PHENT, x->app.phent);
    AUX(AT_PHNUM, x->app.phnum);
    AUX(AT_BASE, x->interp.bias);
    AUX(AT_FLAGS, 0);
    AUX(AT_ENTRY, x->app.entry);
    AUX(AT_SECURE, 0);
    AUX(AT_RANDOM, rnd);
    AUX(AT_EXECFN, execfn);
    AUX(AT_PLATFORM, platform);
    if (base_platform)
        AUX(AT_BASE_PLATFORM, base_platform);
    AUX(AT_NULL, 0);
#undef AUX

    uint64_t words = 1 + (uint64_t)(x->argc + 1) + (uint64_t)(envc + 1) + 2 * (uint64_t)na;
    uint64_t *sp = (uint64_t *)(((uint64_t)b.p - words * 8) & ~15ULL);
    if ((uint64_t)sp < lo + 64 * 1024)
        lh_die(126, "execve: %s", strerror(E2BIG));
    uint64_t *w = sp;
    *w++ = (uint64_t)x->argc;
    for (int i = 0; i <= x->argc; i++)
        *w++ = (uint64_t)argp[i];
    for (int i = 0; i < envc; i++)
        *w++ = (uint64_t)upper_envp[i];
    *w++ = 0;
    memcpy(w, aux, (size_t)na * 16);

    /* comm shows the application, as after a real exec */
    const char *base = strrchr(x->path, '/');
    prctl(PR_SET_NAME, base ? base + 1 : x->path, 0, 0, 0);

    reset_signals();
    unregister_rseq();
    fflush(NULL);
    lh_log("jump to %#lx, sp %#lx, argc %d, envc %d, auxc %d", (unsigned long)x->interp.entry,
           (unsigned long)sp, x->argc, envc, na);

    /* The rest of the process state is the lower's own and stays; the
     * application's ld.so will install its own FS (TLS) right away. */
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "mov %1, %%r11\n\t"
                     "xor %%eax, %%eax\n\t"
                     "xor %%ebx, %%ebx\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "xor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\t"
                     "xor %%edi, %%edi\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "xor %%r8d, %%r8d\n\t"
                     "xor %%r9d, %%r9d\n\t"
                     "xor %%r10d, %%r10d\n\t"
                     "xor %%r12d, %%r12d\n\t"
                     "xor %%r13d, %%r13d\n\t"
                     "xor %%r14d, %%r14d\n\t"
                     "xor %%r15d, %%r15d\n\t"
                     "cld\n\t"
                     "jmp *%%r11"
                     :
                     : "r"(sp), "r"(x->interp.entry)
                     : "memory");
    __builtin_unreachable();
}
