/* Shared by the lower-core files only; not part of the public header. */
#ifndef LH_INTERNAL_H
#define LH_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include "ckpt_lower.h"

#define LH_PAGE 4096ULL
#define LH_PAGE_DOWN(x) ((uint64_t)(x) & ~(LH_PAGE - 1))
#define LH_PAGE_UP(x)   (((uint64_t)(x) + LH_PAGE - 1) & ~(LH_PAGE - 1))

/* Raw system calls: the mmap replacements and the loader must not go through
 * libc (its mmap is the one being patched) and must not touch errno. They
 * return -errno on failure, like the kernel. */
#include "ckpt_raw.h"

static inline long lh_mmap_raw(uint64_t addr, uint64_t len, int prot, int flags, int fd, long off)
{
    return ckpt_sys6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
/* PROT_NONE, no swap accounting: how every reserved-but-unused range looks. */
long lh_reserve(uint64_t start, uint64_t end, int replace);

/* Spinlock that needs no TLS, so it works whatever FS the caller runs with. */
static inline void lh_lock(volatile int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(l, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}
static inline void lh_unlock(volatile int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* log.c */
extern int lh_debug;
void lh_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lh_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void lh_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* maps.c: /proc/self/maps without malloc. */
struct lh_map {
    uint64_t start, end;
    int prot;
    char name[24]; /* "[stack]", "[vdso]", "[heap]", "exe" or "" */
};
int lh_read_maps(struct lh_map *out, int cap); /* sorted, returns count or -errno */

/* reexec.c */
struct lh_orig {
    uint64_t stack_soft;  /* original RLIMIT_STACK soft limit (RLIM_INFINITY kept) */
    unsigned long persona;
    const char *ld_preload;      /* the caller's LD_PRELOAD, kept away from the lower half */
    const char *ld_library_path; /* the caller's LD_LIBRARY_PATH, before any face dir removal */
    const char *added_env;       /* names ckpt_lower_quiet_mpi_env added, comma-separated */
    const char *engine;          /* --engine, absolute: preloaded into the upper half, or NULL */
};
void lh_reexec_or_restore(char **argv, const char *face_dir, struct lh_orig *orig);
int lh_is_internal_env(const char *kv);

/* arena.c */
void lh_arena_setup(void);
uint64_t lh_arena_alloc(uint64_t len, uint64_t hint, uint64_t align); /* caller holds lh_vm_lock */
void lh_arena_claim(uint64_t s, uint64_t e);                         /* caller holds lh_vm_lock */
int lh_arena_range_free(uint64_t s, uint64_t e);                     /* caller holds lh_vm_lock */
void lh_zone_release(uint64_t s, uint64_t e);                        /* caller holds lh_vm_lock */
void lh_region_add(uint64_t s, uint64_t e);                          /* caller holds lh_vm_lock */
void lh_region_remove(uint64_t s, uint64_t e);                       /* caller holds lh_vm_lock */
extern volatile int lh_vm_lock;
extern struct ckpt_lower_region lh_regions[];
extern volatile uint32_t lh_region_count;
#define LH_REGION_CAP 4096u
static inline int lh_in_zone(uint64_t a) { return a >= CKPT_LOWER_ARENA_START && a < CKPT_LOWER_ZONE_END; }

/* mmap_patch.c */
void lh_patch_mmap_family(void);

/* donor.c */
void lh_donor_start(void);
uint64_t lh_thread_fs(void);

/* elf_load.c */
struct lh_image {
    uint64_t bias, entry, phdr, phnum, phent, lo, hi;
};
struct lh_exec {
    const char *path;       /* file actually loaded (after PATH and #! resolution) */
    const char *execfn;     /* AT_EXECFN */
    char **argv;            /* possibly rewritten by #! */
    int argc;
    struct lh_image app, interp;
    char interp_path[4096];
};
void lh_exec_prepare(const char *prog, char **argv, int argc, struct lh_exec *x); /* dies on error */
void lh_exec_map(struct lh_exec *x);                                               /* dies on error */

/* launch_stack.c */
void lh_env_snapshot(void);
_Noreturn void lh_launch(struct lh_exec *x, const struct lh_orig *orig, const char *face_dir,
                         uint64_t boot_addr);

/* restore.c: `--restore` (docs/image-format.md) */
void lh_restore_open(const char *image_or_dir);  /* dies with a clear message on a bad image */
void lh_restore_reserve(void);                   /* saved upper ranges and fd numbers */
/* Maps, threads, jump: never returns; `boot` goes to the upper half's engine mailbox. */
_Noreturn void lh_restore_finish(struct ckpt_boot *boot);
/* clone.c: a raw clone whose child runs start->fn(start->arg) on `stack`
 * (start usually sits right above it, at the top of the child's stack).
 * restore.c's assembly: resume a save point. */
struct lh_clone_start {
    void (*fn)(void *);
    void *arg;
};
long lh_clone(unsigned long flags, void *stack, void *ptid, void *ctid, uint64_t tls, struct lh_clone_start *start);
struct ckpt_img_ctx;
_Noreturn void lh_rs_jump(struct ckpt_img_ctx *c);

/* restore_read.c: the image's data, several preads in flight. lh_rd_start
 * plans every region with stored data except shared file mappings (their
 * memory must be mapped already) and starts the readers; lh_rd_wait(addr,
 * len, region bounds) returns when that part of the plan, taken in file
 * order, is read, and dies with one line if it could not be; lh_rd_end joins
 * the readers and returns how many there were (0: the caller read). */
struct ckpt_img_region;
struct ckpt_img_extent;
#define LH_RD_PIECE (8ULL << 20)
#define LH_RD_MAX 16
enum { LH_RD_PENDING = 0, LH_RD_DONE = 1, LH_RD_EOF = 2, LH_RD_CORRUPT = 3 };
/* pread of exactly len bytes (retried on EINTR and short reads): 0, -errno, or
 * LH_RD_EOF when the file ends first. Raw system calls: readers have no TLS. */
static inline long lh_pread_full(int fd, void *buf, uint64_t len, uint64_t off)
{
    for (uint64_t done = 0; done < len;) {
        long r = ckpt_sys4(SYS_pread64, fd, (char *)buf + done, len - done, off + done);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return r;
        if (r == 0)
            return LH_RD_EOF;
        done += (uint64_t)r;
    }
    return 0;
}
struct lh_rd_piece {
    uint64_t addr, off, len;
    int32_t state; /* LH_RD_*, or -errno of the failed pread */
    uint32_t region;
};
void lh_rd_start(const char *path, int fd, int dfd, const struct ckpt_img_region *regs, uint32_t nregs,
                 const struct ckpt_img_extent *ext);
void lh_rd_wait(uint64_t addr, uint64_t len, uint64_t rstart, uint64_t rend);
int lh_rd_end(int *direct);
/* A helper thread of the restore, made like the readers (raw clone sharing
 * the caller's TLS, so raw system calls only); *tid clears when it exits. */
long lh_rd_thread(void (*fn)(void *), void *arg, char *stack, uint64_t size, volatile int *tid);

/* restore_lazy.c: `--lazy` (CKPT_MPI_RESTORE_LAZY=1). lh_lazy_start (after
 * the regions are mapped) registers the big private regions with a
 * userfaultfd and returns the table the eager read uses instead (those
 * regions as reserved; `regs` itself when nothing is lazy); lh_lazy_stream
 * (after the eager read) starts the background read, returns 0 when nothing
 * is lazy; lh_lazy_wait waits until every page is in. t0: CLOCK_MONOTONIC ns
 * when the read began, for CKPT_MPI_RESTORE_STATS. */
struct ckpt_img_header;
struct ckpt_img_region *lh_lazy_start(const char *path, const struct ckpt_img_header *h,
                                      struct ckpt_img_region *regs, const struct ckpt_img_extent *ext,
                                      struct ckpt_boot *boot, uint64_t t0);
int lh_lazy_stream(uint64_t *lazy_bytes);
void lh_lazy_wait(void);

/* restore_zstd.c: compressed image data (CKPT_IMG_FEAT_ZSTD). lh_zs_open
 * checks the frame table with the metadata (dies on damage); lh_zs_plan
 * makes the plan's n pieces into frames (the count it returns) and
 * `contexts` decompression contexts, reading the image with `pread` (the
 * plan's: O_DIRECT while it can; raw calls only, it runs in the readers); lh_zs_unit reads and decompresses frame
 * i with context ctx and says which pieces it filled (0, LH_RD_EOF,
 * LH_RD_CORRUPT or -errno); lh_zs_read_range copies uncompressed bytes
 * [uoff, uoff+len) of a region not in the plan to buf, or dies in one line. */
struct ckpt_img_header;
void lh_zs_open(const char *path, const struct ckpt_img_header *h, const char *meta);
/* The frame table of the image `path` (header h, metadata meta), checked; dies on damage. */
const struct ckpt_img_frame *lh_zs_check(const char *path, const struct ckpt_img_header *h, const char *meta);
/* A compressed ancestor of an incremental image (restore_chain.c): its
 * uncompressed bytes [uoff, uoff+len) from the file fd with frames f[nf];
 * 0, LH_RD_EOF, LH_RD_CORRUPT or -errno. lh_zs_ancestors_done frees what it used. */
long lh_zs_ancestor_read(int fd, const struct ckpt_img_frame *f, uint64_t nf, void *buf, uint64_t len, uint64_t uoff);
void lh_zs_ancestors_done(void);
int lh_zs_on(void);
uint64_t lh_zs_plan(struct lh_rd_piece *p, uint64_t n, int contexts, long (*pread)(void *buf, uint64_t len, uint64_t off));
long lh_zs_unit(uint64_t i, int ctx, struct lh_rd_piece **first, uint64_t *npieces);
void lh_zs_read_range(void *buf, uint64_t len, uint64_t uoff, int ctx, uint64_t rstart, uint64_t rend);
void lh_zs_close(void);

/* glibc's rseq registration of each thread (weak: older glibc has none). */
extern __attribute__((weak)) const ptrdiff_t __rseq_offset;
extern __attribute__((weak)) const unsigned int __rseq_size;

/* boot.c: `--engine PATH`, preloaded into the upper half; its constructor
 * finds the boot struct in CKPT_MPI_BOOT_ENGINE (launch_stack.c). */
#define LH_BOOT_ENGINE_ENV "CKPT_MPI_BOOT_ENGINE"

void lh_renumber_fd_env(int from, int to);

/* restore_chain.c: the ancestors of an incremental image (CKPT_IMG_FEAT_PARENT).
 * open: verify them all (or refuse in one line); fill: write their pages into
 * the mapped regions, before the image's own data is read on top. */
struct ckpt_img_header;
struct ckpt_img_region;
void lh_chain_open(const char *path, const struct ckpt_img_header *h);
void lh_chain_fill(const struct ckpt_img_header *h, const struct ckpt_img_region *regs);

#endif
