/* Compressed image data (docs/image-format.md, "Compression"): the writer's
 * data phase when CKPT_MPI_COMPRESS=zstd[:LEVEL] is set.
 *
 * The data is cut into frames of at most CKPT_IMG_FRAME_MAX uncompressed
 * bytes, each inside one region and made of whole pieces of the restore's
 * read plan (each extent cut every CKPT_IMG_FRAME_MAX bytes from its start;
 * small extents of a region share a frame). A few workers compress frames in
 * turn, each with its own static zstd context on an mmap'ed workspace
 * (ZSTD_initStaticCCtx: zstd never allocates then), while the writing thread
 * hashes each region's uncompressed data as before (the checksums keep their
 * meaning) and writes the frames in order, page-padded, O_DIRECT when it can.
 *
 * This runs where the image writer runs: with the application's threads
 * parked, or in the forked writer child, which has one thread. So no malloc,
 * stdio, locks or pthreads: the workers are raw clones without a TLS of their
 * own (they share the writing thread's FS base, whose stack-protector canary
 * libzstd reads and nothing else), waiting on futexes, and zstd's own
 * multithreading (which uses pthreads and malloc) is never used. libzstd is
 * linked statically and kept local by engine.map (Package.swift says why).
 *
 * Everything that changes while the data is written lives in mappings made
 * after the memory map was scanned, so the image never holds a page that was
 * hashed in one state and compressed in another. */
#define _GNU_SOURCE
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <linux/sched.h>
#include <string.h>
#include <sys/mman.h>
#include "parked.h"

#define ZS_MAX_WORKERS 16
#define ZS_STACK (256u << 10)
#define ZS_FRAME CKPT_IMG_FRAME_MAX
#define ZS_PAGE_UP(x) (((x) + CKPT_IMG_PAGE - 1) & ~(uint64_t)(CKPT_IMG_PAGE - 1))

/* The setting, fixed while a checkpoint is written. */
static int zs_level;        /* 0: off */
static int zs_threads = -1; /* CKPT_MPI_COMPRESS_THREADS, -1: as many as CPUs (at most 4) */

static int parse_int(const char *s, int *out)
{
    int v = 0, n = 0;
    for (; *s >= '0' && *s <= '9' && n < 4; s++, n++)
        v = v * 10 + (*s - '0');
    if (!n || *s)
        return -1;
    *out = v;
    return 0;
}

int eng_compress_set(const char *v)
{
    if (!v || !*v)
        return 0;
    int level = CKPT_ZSTD_DEFAULT_LEVEL;
    if (!strcmp(v, "none") || !strcmp(v, "off")) {
        zs_level = 0;
        return 0;
    }
    if (strncmp(v, "zstd", 4) || (v[4] && (v[4] != ':' || parse_int(v + 5, &level) < 0)) || level < 1 ||
        level > CKPT_ZSTD_MAX_LEVEL) {
        eng_log("CKPT_MPI_COMPRESS must be none, zstd or zstd:LEVEL (1-19); not compressing, not ", v);
        zs_level = 0;
        return -1;
    }
    zs_level = level;
    return 0;
}

void eng_compress_threads_set(const char *v)
{
    int t;
    if (v && *v && (parse_int(v, &t) < 0 || t > ZS_MAX_WORKERS))
        eng_log("CKPT_MPI_COMPRESS_THREADS must be 0 to 16; using the default, not ", v);
    else if (v && *v)
        zs_threads = t;
}

int eng_compress_level(void) { return zs_level; }

/* libzstd's trace hooks are weak references it calls when defined: defined
 * here (and local), no other definition in the process can be called from
 * the parked world. */
unsigned long long ZSTD_trace_compress_begin(const void *cctx);
void ZSTD_trace_compress_end(unsigned long long ctx, const void *trace);
unsigned long long ZSTD_trace_compress_begin(const void *cctx)
{
    (void)cctx;
    return 0;
}
void ZSTD_trace_compress_end(unsigned long long ctx, const void *trace)
{
    (void)ctx;
    (void)trace;
}

struct zs_slot {
    volatile uint32_t owner; /* the frame it may hold next (advanced by the writing thread) */
    volatile uint32_t done;  /* frame + 1 once that frame is in buf */
    uint64_t csize;
    char *buf;
};

struct zs_worker {
    void *cctx;
    char *gather;            /* a frame of several extents, copied together */
    char *stack;
    volatile int tid;        /* cleared by the kernel when it exits */
};

/* The plan and the pipeline, in mappings of their own (see the top). */
struct zs {
    struct ckpt_img_frame *frames;
    uint64_t *fext;          /* the extent each frame starts in */
    uint64_t nframes, plan_bytes;
    const struct ckpt_img_extent *ext;
    int level, nworkers, nslots;
    volatile uint32_t next;  /* the next frame a worker takes */
    volatile uint32_t stop;  /* the write failed: workers leave */
    uint64_t cap, pipe_bytes;
    char *pipe;
    struct zs_worker w[ZS_MAX_WORKERS + 1]; /* [nworkers]: the writing thread's own, without workers */
    struct zs_slot slots[2 * ZS_MAX_WORKERS + 1];
};
static struct zs *Z;

/* Cuts the data into frames (counting when frames is NULL); see the top. */
static uint64_t cut(const struct ckpt_img_region *regs, uint32_t nregs, const struct ckpt_img_extent *ext,
                    struct ckpt_img_frame *frames, uint64_t *fext)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < nregs; i++) {
        const struct ckpt_img_region *g = &regs[i];
        int open = 0;
        uint64_t cur = 0;
        for (uint64_t k = 0; k < g->nextents; k++) {
            const struct ckpt_img_extent *x = &ext[g->first_extent + k];
            for (uint64_t d = 0; d < x->len; d += ZS_FRAME) {
                uint64_t len = x->len - d < ZS_FRAME ? x->len - d : ZS_FRAME;
                if (open && cur + len <= ZS_FRAME) {
                    cur += len;
                    if (frames)
                        frames[n - 1].ulen = cur;
                    continue;
                }
                if (frames) {
                    frames[n].uoff = d; /* made absolute by eng_zs_write, once the layout is known */
                    frames[n].ulen = len;
                    fext[n] = g->first_extent + k;
                }
                n++;
                open = 1;
                cur = len;
            }
        }
    }
    return n;
}

long eng_zs_plan(const struct ckpt_img_region *regs, uint32_t nregs, const struct ckpt_img_extent *ext,
                 struct sbuf *err)
{
    uint64_t n = cut(regs, nregs, ext, NULL, NULL);
    uint64_t bytes = ZS_PAGE_UP(sizeof(struct zs)) + ZS_PAGE_UP(n * (sizeof(struct ckpt_img_frame) + 8) + 8);
    long m = ckpt_sys6(SYS_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (CKPT_SYS_ERR(m)) {
        sb_err(err, "mmap(compression plan)", m);
        return m;
    }
    struct zs *z = (struct zs *)m;
    z->plan_bytes = bytes;
    z->frames = (struct ckpt_img_frame *)((char *)m + ZS_PAGE_UP(sizeof(struct zs)));
    z->fext = (uint64_t *)(z->frames + n);
    z->nframes = cut(regs, nregs, ext, z->frames, z->fext);
    z->ext = ext;
    z->level = zs_level;
    Z = z;
    return (long)n;
}

const struct ckpt_img_frame *eng_zs_frames(void) { return Z ? Z->frames : NULL; }

void eng_zs_end(void)
{
    struct zs *z = Z;
    if (!z)
        return;
    Z = NULL;
    if (z->pipe)
        ckpt_sys2(SYS_munmap, z->pipe, z->pipe_bytes);
    ckpt_sys2(SYS_munmap, z, z->plan_bytes);
}

/* Compresses frame i into slot s with worker context w (stored as is when
 * it does not get smaller), zero-padded to a page. */
static void compress_frame(struct zs *z, struct zs_worker *w, uint64_t i, struct zs_slot *s)
{
    const struct ckpt_img_frame *f = &z->frames[i];
    const struct ckpt_img_extent *x = &z->ext[z->fext[i]];
    uint64_t d = f->uoff - x->file_off;
    const char *src = (const char *)(x->addr + d);
    if (x->len - d < f->ulen) { /* several extents: side by side first */
        uint64_t got = 0;
        for (; got < f->ulen; x++, d = 0) {
            uint64_t n = x->len - d < f->ulen - got ? x->len - d : f->ulen - got;
            memcpy(w->gather + got, (const char *)(x->addr + d), n);
            got += n;
        }
        src = w->gather;
    }
    size_t c = ZSTD_compressCCtx(w->cctx, s->buf, z->cap, src, f->ulen, z->level);
    if (ZSTD_isError(c) || c >= f->ulen) {
        memcpy(s->buf, src, f->ulen);
        c = f->ulen;
    }
    memset(s->buf + c, 0, ZS_PAGE_UP(c) - c);
    s->csize = c;
}

__attribute__((used, noreturn)) static void zs_worker_main(void *arg)
{
    struct zs_worker *w = arg;
    struct zs *z = Z;
    for (;;) {
        uint32_t i = __atomic_fetch_add(&z->next, 1, __ATOMIC_RELAXED);
        if (i >= z->nframes || __atomic_load_n(&z->stop, __ATOMIC_ACQUIRE))
            break;
        struct zs_slot *s = &z->slots[i % (uint32_t)z->nslots];
        uint32_t o;
        while ((o = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE)) != i && !__atomic_load_n(&z->stop, __ATOMIC_ACQUIRE))
            eng_futex_wait(&s->owner, o, 100);
        if (o != i)
            break;
        compress_frame(z, w, i, s);
        __atomic_store_n(&s->done, i + 1, __ATOMIC_RELEASE);
        eng_futex_wake(&s->done);
    }
    for (;;)
        ckpt_sys1(SYS_exit, 0);
}

/* long zs_clone(flags, start, ptid, ctid): a raw clone whose child runs
 * start[0](start[1]) on the stack that ends at `start`. */
long zs_clone(unsigned long flags, void **start, volatile int *ptid, volatile int *ctid);
__asm__(".text\n"
        ".type zs_clone,@function\n"
        "zs_clone:\n"
        "  mov %rcx, %r10\n"
        "  xor %r8d, %r8d\n"
        "  mov $56, %eax\n"
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  mov 8(%rsp), %rdi\n"
        "  mov 0(%rsp), %rax\n"
        "  and $-16, %rsp\n"
        "  call *%rax\n"
        "  ud2\n"
        "1:\n"
        "  ret\n"
        ".size zs_clone, .-zs_clone\n");

static int cpus(void)
{
    uint64_t mask[16];
    long r = ckpt_sys3(SYS_sched_getaffinity, 0, sizeof mask, mask);
    int n = 0;
    for (long i = 0; r > 0 && i < r / 8; i++)
        n += __builtin_popcountll(mask[i]);
    return n > 0 ? n : 1;
}

/* The workers' memory (contexts, gather buffers, stacks, slots) and the workers. */
static long start_workers(struct zs *z, struct sbuf *err)
{
    int nw = zs_threads >= 0 ? zs_threads : cpus() < 4 ? cpus() : 4;
    if ((uint64_t)nw > z->nframes)
        nw = (int)z->nframes;
    z->nworkers = nw;
    z->nslots = nw ? 2 * nw : 1;
    z->cap = ZS_PAGE_UP(ZSTD_compressBound(ZS_FRAME));
    uint64_t cctx = ZS_PAGE_UP(ZSTD_estimateCCtxSize(z->level));
    uint64_t per_worker = cctx + ZS_FRAME + CKPT_IMG_PAGE + ZS_STACK; /* a guard page below each stack */
    int contexts = nw ? nw : 1;
    z->pipe_bytes = (uint64_t)contexts * per_worker + (uint64_t)z->nslots * z->cap;
    long m = ckpt_sys6(SYS_mmap, 0, z->pipe_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    if (CKPT_SYS_ERR(m)) {
        sb_err(err, "mmap(compression buffers)", m);
        return m;
    }
    z->pipe = (char *)m;
    char *p = z->pipe;
    for (int t = 0; t < contexts; t++) {
        struct zs_worker *w = &z->w[nw ? t : ZS_MAX_WORKERS];
        w->cctx = ZSTD_initStaticCCtx(p, cctx);
        if (!w->cctx) {
            sb_str(err, "ZSTD_initStaticCCtx failed");
            return -ENOMEM;
        }
        w->gather = p + cctx;
        ckpt_sys3(SYS_mprotect, p + cctx + ZS_FRAME, CKPT_IMG_PAGE, PROT_NONE);
        w->stack = p + cctx + ZS_FRAME + CKPT_IMG_PAGE;
        p += per_worker;
    }
    for (int k = 0; k < z->nslots; k++) {
        z->slots[k].owner = (uint32_t)k;
        z->slots[k].buf = p;
        p += z->cap;
    }
    for (int t = 0; t < nw; t++) {
        struct zs_worker *w = &z->w[t];
        void **start = (void **)(w->stack + ZS_STACK - 16);
        start[0] = (void *)zs_worker_main;
        start[1] = w;
        long r = zs_clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                              CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
                          start, &w->tid, &w->tid);
        if (r < 0) {
            if (t == 0) { /* none at all: the writing thread compresses, in one slot */
                z->nworkers = 0;
                z->nslots = 1;
                z->w[ZS_MAX_WORKERS] = z->w[0];
                return 0;
            }
            z->nworkers = t; /* fewer: frames of the missing ones are taken by the others */
            break;
        }
    }
    return 0;
}

static void join_workers(struct zs *z)
{
    __atomic_store_n(&z->stop, 1, __ATOMIC_RELEASE);
    for (int k = 0; k < z->nslots; k++)
        eng_futex_wake(&z->slots[k].owner);
    for (int t = 0; t < z->nworkers; t++) {
        int v;
        while ((v = __atomic_load_n(&z->w[t].tid, __ATOMIC_ACQUIRE)) != 0)
            ckpt_sys4(SYS_futex, &z->w[t].tid, 0 /* FUTEX_WAIT: the kernel's wake is not private */, v, 0);
    }
}

/* Writes frame i at *pos (waiting for its worker); 0 or -errno. */
static long write_frame(struct zs *z, uint64_t i, long fd, long *dfd, uint64_t *pos)
{
    struct zs_slot *s = &z->slots[i % (uint64_t)z->nslots];
    if (!z->nworkers) {
        compress_frame(z, &z->w[ZS_MAX_WORKERS], i, s);
    } else {
        uint32_t v;
        while ((v = __atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) != i + 1)
            eng_futex_wait(&s->done, v, 100);
    }
    struct ckpt_img_frame *f = &z->frames[i];
    f->file_off = *pos;
    f->csize = s->csize;
    uint64_t n = ZS_PAGE_UP(s->csize);
    long r = eng_write_data(dfd, fd, s->buf, n, *pos);
    if (r < 0)
        return r;
    *pos += n;
    __atomic_store_n(&s->owner, (uint32_t)(i + (uint64_t)z->nslots), __ATOMIC_RELEASE);
    eng_futex_wake(&s->owner);
    return 0;
}

long eng_zs_write(struct ckpt_img_region *regs, uint32_t nregs, uint64_t data_off, long fd, long *dfd,
                  uint64_t *stored, struct sbuf *err)
{
    struct zs *z = Z;
    *stored = 0;
    if (!z->nframes)
        return 0;
    for (uint64_t i = 0; i < z->nframes; i++)
        z->frames[i].uoff += z->ext[z->fext[i]].file_off;
    long r = start_workers(z, err);
    if (r < 0)
        return r;
    uint64_t pos = data_off, fi = 0;
    for (uint32_t i = 0; i < nregs && r == 0; i++) {
        struct ckpt_img_region *g = &regs[i];
        uint64_t h = CKPT_IMG_HASH_SEED;
        for (uint64_t k = 0; k < g->nextents && r == 0; k++) {
            const struct ckpt_img_extent *x = &z->ext[g->first_extent + k];
            for (uint64_t done = 0; done < x->len && r == 0; done += CKPT_IMG_HASH_CHUNK) {
                uint64_t n = x->len - done < CKPT_IMG_HASH_CHUNK ? x->len - done : CKPT_IMG_HASH_CHUNK;
                h = ckpt_img_hash(h, (const void *)(x->addr + done), n);
                /* the frames hashed so far, as soon as they are compressed */
                while (r == 0 && fi < z->nframes && z->frames[fi].uoff + z->frames[fi].ulen <= x->file_off + done + n)
                    r = write_frame(z, fi++, fd, dfd, &pos);
            }
        }
        g->checksum = h;
    }
    while (r == 0 && fi < z->nframes)
        r = write_frame(z, fi++, fd, dfd, &pos);
    join_workers(z);
    if (r < 0) {
        sb_err(err, "write(image)", r);
        return r;
    }
    *stored = pos - data_off;
    return 0;
}
