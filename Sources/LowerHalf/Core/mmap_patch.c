/* Interposition of the lower half's mmap family (DESIGN §2, "Ownership").
 *
 * The first bytes of libc's mmap/munmap/mremap/shmat/shmdt (and syscall(),
 * for those numbers) become
 *     movabs $replacement, %r11 ; jmp *%r11
 * so every caller - MPI code through the PLT, and glibc itself (malloc,
 * pthread stacks, stdio) through hidden aliases of the same functions - ends
 * up here. ld.so keeps private copies of mmap/munmap for dlopen; those are
 * found in its text (it exports no symbol for them) and patched the same way,
 * so libraries MPI dlopens later also land in the arena.
 *
 * Nothing here may allocate or take a lock a suspended thread could hold:
 * raw syscalls and the static allocator in arena.c, under lh_vm_lock. The
 * replacements run with whatever FS the calling thread has in the lower half
 * and touch TLS only to store errno. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include "lh_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif

/* ---- the policy, shared by the libc and ld.so entry points ---- */

static void release_old(uint64_t s, uint64_t e)
{
    lh_region_remove(s, e);
    if (e > CKPT_LOWER_ARENA_START && s < CKPT_LOWER_ZONE_END)
        lh_zone_release(s, e); /* the kernel just left a hole: close it */
}

static long do_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, long off)
{
    if (!len || (off & (long)(LH_PAGE - 1)))
        return -EINVAL;
    uint64_t rlen = LH_PAGE_UP(len);
    if (rlen < len)
        return -ENOMEM;
    long r;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        lh_lock(&lh_vm_lock);
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && addr >= CKPT_LOWER_ARENA_START &&
            addr + rlen <= CKPT_LOWER_ARENA_END) {
            /* our reservation is not a "mapping" to the caller */
            r = lh_arena_range_free(addr, addr + rlen)
                    ? lh_mmap_raw(addr, len, prot, (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED, fd, off)
                    : -EEXIST;
        } else {
            r = lh_mmap_raw(addr, len, prot, flags, fd, off);
        }
        if (!CKPT_SYS_ERR(r)) {
            lh_arena_claim((uint64_t)r, (uint64_t)r + rlen);
            lh_region_add((uint64_t)r, (uint64_t)r + rlen);
        }
        lh_unlock(&lh_vm_lock);
        return r;
    }
    if (flags & MAP_32BIT) { /* cannot be met inside the arena; rare, recorded */
        lh_lock(&lh_vm_lock);
        r = lh_mmap_raw(addr, len, prot, flags, fd, off);
        if (!CKPT_SYS_ERR(r))
            lh_region_add((uint64_t)r, (uint64_t)r + rlen);
        lh_unlock(&lh_vm_lock);
        return r;
    }
    uint64_t align = LH_PAGE;
    if (flags & MAP_HUGETLB) {
        int shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
        align = shift ? 1ULL << shift : 2ULL << 20;
        rlen = (rlen + align - 1) & ~(align - 1);
    }
    lh_lock(&lh_vm_lock);
    uint64_t a = lh_arena_alloc(rlen, addr, align);
    if (!a) {
        lh_unlock(&lh_vm_lock);
        return -ENOMEM;
    }
    r = lh_mmap_raw(a, len, prot, flags | MAP_FIXED, fd, off);
    if (CKPT_SYS_ERR(r))
        lh_zone_release(a, a + rlen); /* a failed MAP_FIXED may have dropped the reservation */
    else
        lh_region_add(a, a + rlen);
    lh_unlock(&lh_vm_lock);
    return r;
}

static long do_munmap(uint64_t a, uint64_t len)
{
    if ((a & (LH_PAGE - 1)) || !len)
        return -EINVAL;
    uint64_t e = a + LH_PAGE_UP(len);
    if (e < a)
        return -EINVAL;
    long r = 0;
    lh_lock(&lh_vm_lock);
    if (a < CKPT_LOWER_ARENA_START)
        r = ckpt_sys2(SYS_munmap, a, (e < CKPT_LOWER_ARENA_START ? e : CKPT_LOWER_ARENA_START) - a);
    if (r == 0) {
        if (e > CKPT_LOWER_ARENA_START)
            lh_zone_release(a, e); /* zone pages go back to PROT_NONE, never to the kernel */
        lh_region_remove(a, e);
    }
    lh_unlock(&lh_vm_lock);
    return r;
}

static long do_mremap(uint64_t old, uint64_t osz, uint64_t nsz, int flags, uint64_t naddr)
{
    if (old & (LH_PAGE - 1))
        return -EINVAL;
    osz = LH_PAGE_UP(osz);
    nsz = LH_PAGE_UP(nsz);
    if (!nsz)
        return -EINVAL;
    long r;
    lh_lock(&lh_vm_lock);
    if (flags & MREMAP_FIXED) {
        r = ckpt_sys5(SYS_mremap, old, osz, nsz, flags, naddr);
        if (!CKPT_SYS_ERR(r)) {
            if (!(flags & MREMAP_DONTUNMAP) && osz)
                release_old(old, old + osz);
            lh_arena_claim(naddr, naddr + nsz);
            lh_region_add(naddr, naddr + nsz);
        }
    } else if (osz && nsz <= osz && !(flags & MREMAP_DONTUNMAP)) {
        r = ckpt_sys5(SYS_mremap, old, osz, nsz, flags & ~MREMAP_MAYMOVE, 0);
        if (!CKPT_SYS_ERR(r) && nsz < osz)
            release_old(old + nsz, old + osz);
    } else if (!(flags & MREMAP_MAYMOVE)) {
        /* In place only: inside the zone the next pages are our reservation,
         * so this fails with ENOMEM exactly as if they were mapped. */
        r = ckpt_sys5(SYS_mremap, old, osz, nsz, flags, 0);
        if (!CKPT_SYS_ERR(r))
            lh_region_add(old, old + nsz);
    } else {
        uint64_t a = lh_arena_alloc(nsz, 0, LH_PAGE);
        if (!a) {
            r = -ENOMEM;
        } else {
            r = ckpt_sys5(SYS_mremap, old, osz, nsz, flags | MREMAP_FIXED, a);
            if (CKPT_SYS_ERR(r)) {
                lh_zone_release(a, a + nsz);
            } else {
                if (!(flags & MREMAP_DONTUNMAP) && osz)
                    release_old(old, old + osz);
                lh_region_add(a, a + nsz);
            }
        }
    }
    lh_unlock(&lh_vm_lock);
    return r;
}

/* SysV shared memory (UCX's sysv transport) is attached the same way: into
 * the arena, replacing the reservation with SHM_REMAP. */
#define SHM_CAP 512
static struct {
    uint64_t a, len;
} shm_tab[SHM_CAP];

static long do_shmat(int id, uint64_t addr, int flg)
{
    struct shmid_ds ds;
    long r;
    if (addr)
        r = ckpt_sys3(SYS_shmat, id, addr, flg);
    else {
        r = ckpt_sys3(SYS_shmctl, id, IPC_STAT, &ds);
        if (r < 0)
            return r;
        uint64_t len = LH_PAGE_UP(ds.shm_segsz);
        lh_lock(&lh_vm_lock);
        uint64_t a = lh_arena_alloc(len, 0, LH_PAGE);
        if (!a) {
            lh_unlock(&lh_vm_lock);
            return -ENOMEM;
        }
        r = ckpt_sys3(SYS_shmat, id, a, flg | SHM_REMAP);
        if (CKPT_SYS_ERR(r))
            lh_zone_release(a, a + len);
        lh_unlock(&lh_vm_lock);
    }
    if (CKPT_SYS_ERR(r))
        return r;
    if (ckpt_sys3(SYS_shmctl, id, IPC_STAT, &ds) == 0) {
        uint64_t len = LH_PAGE_UP(ds.shm_segsz);
        lh_lock(&lh_vm_lock);
        lh_region_add((uint64_t)r, (uint64_t)r + len);
        for (int i = 0; i < SHM_CAP; i++)
            if (!shm_tab[i].a) {
                shm_tab[i].a = (uint64_t)r;
                shm_tab[i].len = len;
                break;
            }
        lh_unlock(&lh_vm_lock);
    }
    return r;
}

static long do_shmdt(uint64_t addr)
{
    lh_lock(&lh_vm_lock);
    long r = ckpt_sys1(SYS_shmdt, addr);
    if (r == 0)
        for (int i = 0; i < SHM_CAP; i++)
            if (shm_tab[i].a == addr) {
                release_old(addr, addr + shm_tab[i].len);
                shm_tab[i].a = 0;
                break;
            }
    lh_unlock(&lh_vm_lock);
    return r;
}

/* ---- entry points with libc's and ld.so's calling conventions ---- */

static inline long set_errno(long r)
{
    if (CKPT_SYS_ERR(r)) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static void *lh_libc_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    return (void *)set_errno(do_mmap((uint64_t)a, l, p, f, fd, o));
}
static int lh_libc_munmap(void *a, size_t l) { return (int)set_errno(do_munmap((uint64_t)a, l)); }
/* glibc's mremap is variadic; the fifth argument is in r8 either way. */
static void *lh_libc_mremap(void *o, size_t os, size_t ns, int f, void *na)
{
    return (void *)set_errno(do_mremap((uint64_t)o, os, ns, f, (uint64_t)na));
}
static void *lh_libc_shmat(int id, const void *a, int f) { return (void *)set_errno(do_shmat(id, (uint64_t)a, f)); }
static int lh_libc_shmdt(const void *a) { return (int)set_errno(do_shmdt((uint64_t)a)); }

/* syscall(2): UCX (ucs_sys_realloc) and others issue mmap/munmap/mremap
 * through libc's syscall() to dodge malloc hooks. The stub keeps glibc's
 * own leaf code for every other number (clone, vfork... must not gain a
 * C frame) and tail-calls into C for ours, stack untouched, so the seventh
 * argument is still at 8(%rsp) where the C ABI expects it. */
long lh_syscall_vm(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
long lh_syscall_seterr(long r);
__asm__(".text\n"
        ".p2align 4\n"
        ".type lh_syscall_stub,@function\n"
        "lh_syscall_stub:\n"
        "    cmp $9, %rdi\n    je 1f\n"   /* mmap */
        "    cmp $11, %rdi\n    je 1f\n"  /* munmap */
        "    cmp $25, %rdi\n    je 1f\n"  /* mremap */
        "    cmp $30, %rdi\n    je 1f\n"  /* shmat */
        "    cmp $67, %rdi\n    je 1f\n"  /* shmdt */
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    mov %rdx, %rsi\n"
        "    mov %rcx, %rdx\n"
        "    mov %r8, %r10\n"
        "    mov %r9, %r8\n"
        "    mov 8(%rsp), %r9\n"
        "    syscall\n"
        "    cmp $-4095, %rax\n"
        "    jae 2f\n"
        "    ret\n"
        "2:  mov %rax, %rdi\n"
        "    jmp lh_syscall_seterr\n"
        "1:  jmp lh_syscall_vm\n"
        ".size lh_syscall_stub, .-lh_syscall_stub\n");
extern char lh_syscall_stub[];

__attribute__((used)) long lh_syscall_seterr(long r)
{
    errno = (int)-r;
    return -1;
}

__attribute__((used)) long lh_syscall_vm(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r;
    switch (nr) {
    case SYS_mmap: r = do_mmap((uint64_t)a1, (uint64_t)a2, (int)a3, (int)a4, (int)a5, a6); break;
    case SYS_munmap: r = do_munmap((uint64_t)a1, (uint64_t)a2); break;
    case SYS_mremap: r = do_mremap((uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (int)a4, (uint64_t)a5); break;
    case SYS_shmat: r = do_shmat((int)a1, (uint64_t)a2, (int)a3); break;
    default: r = do_shmdt((uint64_t)a1); break;
    }
    return set_errno(r);
}

/* ld.so has its own errno variable (rtld_errno), not libc's TLS one. */
static int *rtld_errno;
static inline long set_rtld_errno(long r)
{
    if (CKPT_SYS_ERR(r)) {
        if (rtld_errno)
            *rtld_errno = (int)-r;
        return -1;
    }
    return r;
}
static void *lh_rtld_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    return (void *)set_rtld_errno(do_mmap((uint64_t)a, l, p, f, fd, o));
}
static int lh_rtld_munmap(void *a, size_t l) { return (int)set_rtld_errno(do_munmap((uint64_t)a, l)); }

/* ---- finding function bounds: .eh_frame_hdr's sorted FDE table ---- */

struct fn_query {
    uint64_t pc, start, end;
    int found;
};

static int find_fn_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct fn_query *q = arg;
    const Elf64_Phdr *eh = NULL;
    int inside = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const Elf64_Phdr *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && q->pc >= info->dlpi_addr + ph->p_vaddr &&
            q->pc < info->dlpi_addr + ph->p_vaddr + ph->p_memsz)
            inside = 1;
        if (ph->p_type == PT_GNU_EH_FRAME)
            eh = ph;
    }
    if (!inside)
        return 0;
    if (!eh)
        return 1;
    const uint8_t *h = (const uint8_t *)(info->dlpi_addr + eh->p_vaddr);
    /* version 1, eh_frame_ptr pcrel|sdata4, count udata4, table datarel|sdata4:
     * what binutils and lld emit; anything else is left alone. */
    if (h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
        return 1;
    uint32_t count;
    memcpy(&count, h + 8, 4);
    const int32_t *t = (const int32_t *)(h + 12);
    int64_t lo = 0, hi = (int64_t)count - 1, best = -1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        uint64_t start = (uint64_t)(h + t[2 * mid]);
        if (start <= q->pc) {
            best = mid;
            lo = mid + 1;
        } else
            hi = mid - 1;
    }
    if (best < 0)
        return 1;
    const uint8_t *fde = h + t[2 * best + 1];
    uint32_t len;
    int32_t pcrel;
    uint32_t range;
    memcpy(&len, fde, 4);
    if (len == 0xffffffffu)
        return 1;
    memcpy(&pcrel, fde + 8, 4);
    memcpy(&range, fde + 12, 4);
    uint64_t start = (uint64_t)(h + t[2 * best]);
    if ((uint64_t)(fde + 8 + pcrel) != start) /* pc_begin not pcrel sdata4: don't guess */
        return 1;
    if (q->pc < start + range) {
        q->start = start;
        q->end = start + range;
        q->found = 1;
    }
    return 1;
}

static int fn_bounds(uint64_t pc, uint64_t *start, uint64_t *end)
{
    struct fn_query q = {pc, 0, 0, 0};
    dl_iterate_phdr(find_fn_cb, &q);
    *start = q.start;
    *end = q.end;
    return q.found;
}

/* ---- writing the jumps ---- */

#define JMP_LEN 13

static void write_jump(const char *what, uint64_t fn, void *target)
{
    uint64_t s, e;
    if (fn_bounds(fn, &s, &e) && (s != fn || e - s < JMP_LEN))
        lh_die(126, "cannot patch %s at %#lx: function bounds %#lx-%#lx", what, (unsigned long)fn,
               (unsigned long)s, (unsigned long)e);
    uint8_t code[JMP_LEN] = {0x49, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0xff, 0xe3};
    uint64_t t = (uint64_t)target;
    memcpy(code + 2, &t, 8);
    uint64_t p0 = LH_PAGE_DOWN(fn), p1 = LH_PAGE_UP(fn + JMP_LEN);
    /* RW then back to RX (no RWX, which hardened kernels refuse). Only this
     * thread runs, and it does not execute the page meanwhile: the writes
     * below are plain stores, no library call. */
    long r = ckpt_sys3(SYS_mprotect, p0, p1 - p0, PROT_READ | PROT_WRITE);
    if (r)
        lh_die(126, "mprotect(%s, PROT_WRITE): %s", what, strerror((int)-r));
    for (int i = 0; i < JMP_LEN; i++)
        ((volatile uint8_t *)fn)[i] = code[i];
    r = ckpt_sys3(SYS_mprotect, p0, p1 - p0, PROT_READ | PROT_EXEC);
    if (r)
        lh_die(126, "mprotect(%s, PROT_EXEC): %s", what, strerror((int)-r));
    lh_log("  patched %s at %#lx", what, (unsigned long)fn);
}

/* ld.so's internal mmap/munmap: the only function containing
 * "mov $nr,%eax; syscall" for that nr, small, with the syscall near its start. */
static uint64_t find_rtld_syscall_fn(uint64_t text, uint64_t text_end, int nr)
{
    const uint8_t pat[7] = {0xb8, (uint8_t)nr, 0, 0, 0, 0x0f, 0x05};
    uint64_t found = 0;
    int hits = 0;
    for (uint64_t p = text; p + sizeof pat <= text_end; p++) {
        if (memcmp((const void *)p, pat, sizeof pat))
            continue;
        uint64_t s, e;
        if (!fn_bounds(p, &s, &e) || p - s > 32 || e - s > 160 || e - s < JMP_LEN)
            continue;
        if (found != s)
            hits++;
        found = s;
    }
    return hits == 1 ? found : 0;
}

static void patch_rtld(void)
{
    uint64_t base = getauxval(AT_BASE);
    if (!base) {
        lh_msg("warning: no AT_BASE; libraries dlopen()ed by MPI will not be confined to the arena");
        return;
    }
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    uint64_t text = 0, text_end = 0;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
            text = base + ph[i].p_vaddr;
            text_end = text + ph[i].p_memsz;
        }
    uint64_t fmmap = text ? find_rtld_syscall_fn(text, text_end, SYS_mmap) : 0;
    uint64_t fmunmap = text ? find_rtld_syscall_fn(text, text_end, SYS_munmap) : 0;
    if (!fmmap || !fmunmap) {
        lh_msg("warning: ld.so's mmap/munmap not found; libraries dlopen()ed by MPI will not be confined "
               "to the arena");
        return;
    }
    /* its error path stores to rtld_errno: "neg %eax; mov %eax, disp32(%rip)" */
    for (uint64_t p = fmmap; p + 8 <= fmmap + 96; p++) {
        const uint8_t *b = (const uint8_t *)p;
        if (b[0] == 0xf7 && b[1] == 0xd8 && b[2] == 0x89 && b[3] == 0x05) {
            int32_t d;
            memcpy(&d, b + 4, 4);
            rtld_errno = (int *)(p + 8 + d);
            break;
        }
    }
    write_jump("ld.so mmap", fmmap, (void *)lh_rtld_mmap);
    write_jump("ld.so munmap", fmunmap, (void *)lh_rtld_munmap);
}

void lh_patch_mmap_family(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc)
        lh_die(126, "dlopen(libc.so.6, RTLD_NOLOAD): %s", dlerror());
    /* Look up in libc itself: RTLD_DEFAULT could return libucm's override. */
    static const struct {
        const char *name;
        void *repl;
    } fns[] = {
        {"mmap", (void *)lh_libc_mmap},     {"mmap64", (void *)lh_libc_mmap},
        {"munmap", (void *)lh_libc_munmap}, {"mremap", (void *)lh_libc_mremap},
        {"shmat", (void *)lh_libc_shmat},   {"shmdt", (void *)lh_libc_shmdt},
        {"syscall", (void *)lh_syscall_stub},
    };
    uint64_t done[8];
    int ndone = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        uint64_t f = (uint64_t)dlsym(libc, fns[i].name);
        if (!f)
            lh_die(126, "dlsym(libc, %s): %s", fns[i].name, dlerror());
        int seen = 0;
        for (int j = 0; j < ndone; j++)
            seen |= done[j] == f;
        if (seen)
            continue; /* mmap64 is an alias of mmap */
        write_jump(fns[i].name, f, fns[i].repl);
        done[ndone++] = f;
    }
    dlclose(libc);
    patch_rtld();
}
