/* `--lazy` (CKPT_MPI_RESTORE_LAZY=1): the application resumes before its
 * big private regions are read; their pages arrive on first touch through
 * userfaultfd while a streamer reads the rest in the background
 * (docs/image-format.md, "Lazy restore").
 *
 *   lh_lazy_start   picks the lazy regions, registers them (MISSING) with a
 *                   userfaultfd, starts the fault handler; returns the region
 *                   table the eager read must use (lazy regions as reserved).
 *   lh_lazy_stream  after the eager read: plans the lazy data into a staging
 *                   area (restore_read.c's readers) and starts the streamer,
 *                   which hashes it in order, moves or copies it in
 *                   (UFFDIO_MOVE, UFFDIO_COPY) and,
 *                   once every region is in and its checksum passed, stops
 *                   the handler, closes the userfaultfd and clears
 *                   boot->lazy_restore (the engine waits for that before it
 *                   writes an image: missing pages would be written as zero).
 *
 * Which regions: private anonymous ones (CKPT_REG_ANON, restored anonymous)
 * with at least LZ_MIN_BYTES stored. Everything else is read eagerly: shared
 * anonymous memory may be another process's too, a file-private region is a
 * file mapping (userfaultfd MISSING serves anonymous memory only) and small
 * regions (stacks, the libraries' data) cost less to read than to fault.
 *
 * The handler and the streamer are raw clones like the readers (no TLS, raw
 * system calls, stacks in lower-half memory, every signal blocked). A fork
 * of the application waits for the end (the engine's lazy_wait.c). The
 * app may change lazy memory before it arrived: madvise(DONTNEED) and munmap
 * (UFFD_EVENT_REMOVE/UNMAP) mark its pages present, so they are never filled
 * with old data, and mremap (UFFD_EVENT_REMAP) is remembered so that pages
 * still follow the memory. L.lock orders the streamer's copies with the
 * handler's reading of those events: an event read and applied under the
 * lock is never overtaken by a copy that checked the page before it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <ckpt_boot.h>
#include <ckpt_image.h>
#include "lh_internal.h"

#ifndef UFFD_FEATURE_MOVE /* headers older than Linux 6.8 */
#define UFFD_FEATURE_MOVE (1ULL << 16)
struct uffdio_move {
    __u64 dst, src, len, mode;
    __s64 move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif

#define LZ_MIN_BYTES (1ULL << 20)  /* less stored data than this: read eagerly */
#define LZ_BLOCK (64ULL << 10)     /* a fault reads this much around the page, */
#define LZ_BLOCK_MAX (2ULL << 20)  /* and up to this much ahead when faults walk forward */
#define LZ_COPY (1ULL << 20)       /* the streamer's copies, one lock hold each */
#define LZ_STACK (64u << 10)
#define LZ_REMAPS 256
#define LZ_PENDING 1024

struct lz_region {
    uint64_t start, end, page0; /* page0: its first bit in L.done */
    uint32_t idx;
};
struct lz_remap {
    uint64_t from, to, len;
};

static struct {
    const char *path;
    int fd, dfd, uffd, efd;
    struct ckpt_boot *boot;
    const struct ckpt_img_region *regs;
    const struct ckpt_img_extent *ext;
    uint32_t nregs;
    struct ckpt_img_region *eager, *lazy; /* copies of the table: the other part as reserved */
    struct ckpt_img_extent *staged;      /* the extents, lazy ones pointing into the staging area */
    struct lz_region *lz;
    uint32_t nlz;
    uint64_t *done; /* a bit per page of the lazy regions: present, or not to be filled */
    uint64_t bytes, t0;
    char *fbuf; /* the handler's read buffer (LZ_BLOCK_MAX) */
    uint64_t seq_next, seq_len; /* where a forward walk's next fault would be, and its read */
    struct lz_remap remaps[LZ_REMAPS];
    uint32_t nremaps;
    volatile int lock;
    char *stacks;
    volatile int tids[2];
    uint64_t faults;
    int move; /* UFFD_FEATURE_MOVE granted */
    uint64_t moved;
    long delay_ms; /* CKPT_MPI_TEST_LAZY_DELAY_MS: tests hold the streamer back, faults alone serve */
} L;

/* ---- one line, then the rank is gone (raw: no stdio on these threads) ---- */

struct lz_line {
    char b[900];
    size_t n;
};
static void ln_str(struct lz_line *l, const char *s)
{
    while (*s && l->n < sizeof l->b - 2)
        l->b[l->n++] = *s++;
}
static void ln_num(struct lz_line *l, uint64_t v, int hex)
{
    char t[24];
    int k = 0;
    do {
        t[k++] = "0123456789abcdef"[v % (hex ? 16 : 10)];
        v /= hex ? 16 : 10;
    } while (v);
    if (hex)
        ln_str(l, "0x");
    while (k && l->n < sizeof l->b - 2)
        l->b[l->n++] = t[--k];
}
static void ln_emit(struct lz_line *l)
{
    l->b[l->n++] = '\n';
    ckpt_sys3(SYS_write, 2, l->b, l->n);
}
static void ln_start(struct lz_line *l)
{
    l->n = 0;
    ln_str(l, "ckpt-mpi: ");
    ln_str(l, L.path);
    ln_str(l, ": ");
}
static _Noreturn void ln_die(struct lz_line *l, long err)
{
    if (err) {
        ln_str(l, ": ");
        const char *d = strerrordesc_np((int)-err);
        ln_str(l, d ? d : "unknown error");
    }
    ln_emit(l);
    for (;;)
        ckpt_sys1(SYS_exit_group, 1);
}
static _Noreturn void lz_die_at(const char *what, uint64_t addr, long err)
{
    struct lz_line l;
    ln_start(&l);
    ln_str(&l, "lazy restore: ");
    ln_str(&l, what);
    ln_str(&l, " at ");
    ln_num(&l, addr, 1);
    ln_die(&l, err);
}

static uint64_t lz_now(void)
{
    struct timespec ts;
    ckpt_sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The handler and the streamer only: a holder preempted on a busy machine
 * must not be spun against for a whole time slice. */
static void lz_lock(void)
{
    while (__atomic_exchange_n(&L.lock, 1, __ATOMIC_ACQUIRE))
        ckpt_sys0(SYS_sched_yield);
}

/* ---- addresses: original (the image's) and current (after mremap) ---- */

static uint64_t lz_fwd(uint64_t o)
{
    for (uint32_t i = 0; i < L.nremaps; i++)
        if (o >= L.remaps[i].from && o - L.remaps[i].from < L.remaps[i].len)
            o = L.remaps[i].to + (o - L.remaps[i].from);
    return o;
}
static uint64_t lz_back(uint64_t a)
{
    for (uint32_t i = L.nremaps; i-- > 0;)
        if (a >= L.remaps[i].to && a - L.remaps[i].to < L.remaps[i].len)
            a = L.remaps[i].from + (a - L.remaps[i].to);
    return a;
}

/* The original page a current address holds, or 1 (no page's) when what was
 * there moved away: an mremap's UNMAP of the old range comes after its REMAP. */
static uint64_t lz_at(uint64_t a)
{
    uint64_t o = lz_back(a);
    return lz_fwd(o) == a ? o : 1;
}

static struct lz_region *lz_find(uint64_t o)
{
    uint32_t lo = 0, hi = L.nlz;
    while (lo < hi) {
        uint32_t m = (lo + hi) / 2;
        if (o < L.lz[m].start)
            hi = m;
        else if (o >= L.lz[m].end)
            lo = m + 1;
        else
            return &L.lz[m];
    }
    return NULL;
}

static uint64_t *lz_bit(uint64_t o, uint64_t *mask)
{
    struct lz_region *r = lz_find(o);
    if (!r)
        return NULL;
    uint64_t p = r->page0 + (o - r->start) / LH_PAGE;
    *mask = 1ULL << (p % 64);
    return &L.done[p / 64];
}
static int lz_done(uint64_t o)
{
    uint64_t m, *w = lz_bit(o, &m);
    return !w || (*w & m);
}
static void lz_mark(uint64_t o, uint64_t len)
{
    for (uint64_t d = 0; d < len; d += LH_PAGE) {
        uint64_t m, *w = lz_bit(o + d, &m);
        if (w)
            *w |= m;
    }
}

/* Puts one run of pages in place: moved when asked and the kernel can
 * (UFFDIO_MOVE, Linux 6.8: the staging pages become the application's, no
 * copy), else copied. The ioctl's result; *got: the bytes placed. */
static long lz_place(uint64_t dst, const char *src, uint64_t len, int move, uint64_t *got)
{
    if (move && L.move) {
        struct uffdio_move m = {.dst = dst, .src = (uint64_t)src, .len = len, .mode = 0};
        long r = ckpt_sys3(SYS_ioctl, L.uffd, UFFDIO_MOVE, &m);
        *got = m.move > 0 ? (uint64_t)m.move : 0;
        if (r == 0)
            *got = len;
        L.moved += *got;
        if (r == 0 || r == -EAGAIN || r == -EEXIST)
            return r;
        /* -EINVAL (another protection than the staging area's), -EBUSY ...: copy */
    }
    struct uffdio_copy c = {.dst = dst, .src = (uint64_t)src, .len = len, .mode = 0};
    long r = ckpt_sys3(SYS_ioctl, L.uffd, UFFDIO_COPY, &c);
    *got = c.copy > 0 ? (uint64_t)c.copy : 0;
    return r;
}

/* Places [o, o+len) (original addresses) from src where no page is present
 * or given up yet (moved from there if move); the caller holds L.lock. Returns how far it got: short
 * only when the kernel said EAGAIN (an event of the application's is still
 * being delivered; the caller retries after the handler read it). */
static uint64_t lz_fill(uint64_t o, const char *src, uint64_t len, int move)
{
    uint64_t off = 0;
    while (off < len) {
        if (lz_done(o + off)) {
            off += LH_PAGE;
            continue;
        }
        uint64_t run = LH_PAGE;
        if (!L.nremaps) /* moved memory goes page by page */
            while (off + run < len && !lz_done(o + off + run))
                run += LH_PAGE;
        uint64_t dst = lz_fwd(o + off), got;
        long r = lz_place(dst, src + off, run, move, &got);
        if (r == 0) {
            got = run;
        } else if (r == -EAGAIN && !got) {
            return off; /* an event of the application's is being delivered */
        } else if (r == -EAGAIN) {
            /* copied up to a page that is there already */
        } else if (r == -EEXIST || r == -ENOENT) {
            /* -EEXIST: that page is there already; -ENOENT: unmapped meanwhile */
            got += LH_PAGE;
        } else {
            lz_die_at("UFFDIO_COPY", dst, r);
        }
        if (got > run)
            got = run;
        lz_mark(o + off, got);
        off += got;
    }
    return len;
}

static long lz_pread(void *buf, uint64_t len, uint64_t off)
{
    long r = lh_pread_full(L.fd, buf, len, off);
    return r == LH_RD_EOF ? -EIO : r;
}

/* ---- the fault handler ---- */

static const struct ckpt_img_extent *lz_extent(const struct lz_region *r, uint64_t o)
{
    const struct ckpt_img_region *g = &L.regs[r->idx];
    uint64_t lo = 0, hi = g->nextents;
    while (lo < hi) {
        uint64_t m = (lo + hi) / 2;
        const struct ckpt_img_extent *x = &L.ext[g->first_extent + m];
        if (o < x->addr)
            hi = m;
        else if (o >= x->addr + x->len)
            lo = m + 1;
        else
            return x;
    }
    return NULL;
}

/* Serves a fault at a (current address); 0, or -EAGAIN to retry. */
static long lz_serve(uint64_t a)
{
    a = LH_PAGE_DOWN(a);
    uint64_t o = lz_at(a);
    struct lz_region *r = lz_find(o);
    const struct ckpt_img_extent *x = r && !lz_done(o) ? lz_extent(r, o) : NULL;
    long rc = 0;
    if (x) {
        uint64_t s = o, e = o + LH_PAGE;
        if (!L.nremaps && o == L.seq_next) { /* a scan: read ahead, twice as far each time */
            L.seq_len = L.seq_len * 2 < LZ_BLOCK_MAX ? L.seq_len * 2 : LZ_BLOCK_MAX;
            e = o + L.seq_len;
            if (e > x->addr + x->len)
                e = x->addr + x->len;
        } else if (!L.nremaps) {
            L.seq_len = LZ_BLOCK;
            s = o & ~(LZ_BLOCK - 1);
            e = s + LZ_BLOCK;
            if (s < x->addr)
                s = x->addr;
            if (e > x->addr + x->len)
                e = x->addr + x->len;
        }
        L.seq_next = e;
        long pr = lz_pread(L.fbuf, e - s, x->file_off + (s - x->addr));
        if (pr < 0) {
            struct lz_line l;
            ln_start(&l);
            ln_str(&l, "lazy restore: pread(");
            ln_num(&l, e - s, 0);
            ln_str(&l, " bytes at ");
            ln_num(&l, x->file_off + (s - x->addr), 0);
            ln_str(&l, ") for the page at ");
            ln_num(&l, a, 1);
            ln_die(&l, pr == -EIO ? 0 : pr);
        }
        if (lz_fill(s, L.fbuf, e - s, 0) < e - s)
            rc = -EAGAIN;
    } else {
        /* a hole of the image, or a page the application discarded: zero */
        struct uffdio_zeropage z = {.range = {.start = a, .len = LH_PAGE}, .mode = 0};
        long zr = ckpt_sys3(SYS_ioctl, L.uffd, UFFDIO_ZEROPAGE, &z);
        if (zr == -EAGAIN)
            rc = -EAGAIN;
        else if (zr < 0 && zr != -EEXIST && zr != -ENOENT)
            lz_die_at("UFFDIO_ZEROPAGE", a, zr);
    }
    if (!rc) { /* whoever filled the page, the faulting thread must go on */
        struct uffdio_range w = {.start = a, .len = LH_PAGE};
        ckpt_sys3(SYS_ioctl, L.uffd, UFFDIO_WAKE, &w);
    }
    return rc;
}

static void lz_event(const struct uffd_msg *m)
{
    switch (m->event) {
    case UFFD_EVENT_REMOVE:
    case UFFD_EVENT_UNMAP:
        /* never fill these with old data again: zero (REMOVE) or gone (UNMAP) */
        for (uint64_t a = m->arg.remove.start; a < m->arg.remove.end; a += LH_PAGE)
            lz_mark(lz_at(a), LH_PAGE);
        break;
    case UFFD_EVENT_REMAP:
        if (L.nremaps == LZ_REMAPS) {
            struct lz_line l;
            ln_start(&l);
            ln_str(&l, "lazy restore: the application moved lazily restored memory more than ");
            ln_num(&l, LZ_REMAPS, 0);
            ln_str(&l, " times (mremap) before it all arrived");
            ln_die(&l, 0);
        }
        L.remaps[L.nremaps++] = (struct lz_remap){m->arg.remap.from, m->arg.remap.to, m->arg.remap.len};
        break;
    default:
        break;
    }
}

__attribute__((used, noreturn)) static void lz_handler(void *unused)
{
    (void)unused;
    static uint64_t pending[LZ_PENDING];
    uint32_t np = 0;
    struct uffd_msg m[32];
    for (;;) {
        struct pollfd p[2] = {{.fd = L.uffd, .events = POLLIN}, {.fd = L.efd, .events = POLLIN}};
        struct timespec zero = {0, 0};
        long pr = ckpt_sys5(SYS_ppoll, p, 2, np ? &zero : NULL, NULL, 8);
        if (pr < 0 && pr != -EINTR)
            lz_die_at("ppoll(userfaultfd)", 0, pr);
        if (np)
            ckpt_sys0(SYS_sched_yield);
        lz_lock();
        long n = ckpt_sys3(SYS_read, L.uffd, m, sizeof m);
        for (long i = 0; n > 0 && i < n / (long)sizeof m[0]; i++) {
            if (m[i].event != UFFD_EVENT_PAGEFAULT)
                lz_event(&m[i]);
            else if (np < LZ_PENDING)
                pending[np++] = m[i].arg.pagefault.address;
            else /* cannot happen: a thread waits for one fault at a time */
                lz_die_at("too many faults waiting", m[i].arg.pagefault.address, 0);
        }
        uint32_t keep = 0;
        for (uint32_t i = 0; i < np; i++) {
            L.faults++;
            if (lz_serve(pending[i]) == -EAGAIN)
                pending[keep++] = pending[i];
        }
        np = keep;
        lh_unlock(&L.lock);
        if (!np && (p[1].revents & POLLIN))
            break;
    }
    for (;;)
        ckpt_sys1(SYS_exit, 0);
}

/* ---- the streamer ---- */

static _Noreturn void lz_damaged(const struct ckpt_img_region *g)
{
    struct lz_line l;
    ln_start(&l);
    ln_str(&l, "region ");
    ln_num(&l, g->start, 1);
    ln_str(&l, "-");
    ln_num(&l, g->end, 1);
    ln_str(&l, " is damaged (checksum mismatch)");
    ln_die(&l, 0);
}

static void lz_copy_in(uint64_t o, const char *src, uint64_t len)
{
    for (uint64_t off = 0; off < len;) {
        uint64_t n = len - off < LZ_COPY ? len - off : LZ_COPY;
        lz_lock();
        uint64_t got = lz_fill(o + off, src + off, n, 1);
        lh_unlock(&L.lock);
        off += got;
        if (got < n)
            ckpt_sys0(SYS_sched_yield);
    }
}

__attribute__((used, noreturn)) static void lz_streamer(void *unused)
{
    (void)unused;
    if (L.delay_ms > 0) {
        struct timespec ts = {L.delay_ms / 1000, L.delay_ms % 1000 * 1000000L};
        ckpt_sys2(SYS_nanosleep, &ts, 0);
    }
    for (uint32_t i = 0; i < L.nlz; i++) {
        const struct ckpt_img_region *g = &L.regs[L.lz[i].idx];
        uint64_t h = CKPT_IMG_HASH_SEED;
        for (uint64_t k = 0; k < g->nextents; k++) {
            const struct ckpt_img_extent *x = &L.ext[g->first_extent + k];
            const struct ckpt_img_extent *s = &L.staged[g->first_extent + k];
            for (uint64_t done = 0; done < x->len;) {
                uint64_t n = x->len - done < CKPT_IMG_HASH_CHUNK ? x->len - done : CKPT_IMG_HASH_CHUNK;
                lh_rd_wait(s->addr + done, n, g->start, g->end);
                h = ckpt_img_hash(h, (const void *)(s->addr + done), n);
                lz_copy_in(x->addr + done, (const char *)(s->addr + done), n);
                ckpt_sys3(SYS_madvise, s->addr + done, n, MADV_DONTNEED);
                done += n;
            }
        }
        if (h != g->checksum)
            lz_damaged(g);
    }
    int direct;
    lh_rd_end(&direct);
    uint64_t one = 1;
    ckpt_sys3(SYS_write, L.efd, &one, sizeof one);
    int v;
    while ((v = L.tids[0]) != 0)
        ckpt_sys4(SYS_futex, &L.tids[0], FUTEX_WAIT, v, 0);
    /* every stored page is in: the kernel's own zero pages do the rest */
    for (uint32_t i = 0; i < L.nlz; i++) {
        struct uffdio_range r = {.start = L.lz[i].start, .len = L.lz[i].end - L.lz[i].start};
        if (!L.nremaps)
            ckpt_sys3(SYS_ioctl, L.uffd, UFFDIO_UNREGISTER, &r);
    }
    ckpt_sys1(SYS_close, L.uffd); /* drops every registration left (moved memory) */
    ckpt_sys1(SYS_close, L.efd);
    ckpt_sys1(SYS_close, L.fd);
    if (L.dfd >= 0)
        ckpt_sys1(SYS_close, L.dfd);
    if (getenv("CKPT_MPI_RESTORE_STATS")) {
        struct lz_line l;
        l.n = 0;
        ln_str(&l, "ckpt-mpi: restore: lazy: all ");
        ln_num(&l, L.bytes, 0);
        ln_str(&l, " bytes present ");
        ln_num(&l, (lz_now() - L.t0) / 1000000, 0);
        ln_str(&l, " ms after the read began (");
        ln_num(&l, L.faults, 0);
        ln_str(&l, " faults served, ");
        ln_num(&l, L.moved >> 20, 0);
        ln_str(&l, " MiB moved rather than copied)");
        ln_emit(&l);
    }
    __atomic_store_n(&L.boot->lazy_restore, 0, __ATOMIC_RELEASE);
    ckpt_sys3(SYS_futex, &L.boot->lazy_restore, FUTEX_WAKE_PRIVATE, 0x7fffffff);
    for (;;)
        ckpt_sys1(SYS_exit, 0);
}

/* ---- set-up, on the restoring thread (libc still usable there) ---- */

static int lz_wanted(const struct ckpt_img_region *g, const struct ckpt_img_extent *ext)
{
    if (g->kind != CKPT_REG_ANON || !g->nextents)
        return 0;
    uint64_t b = 0;
    for (uint64_t k = 0; k < g->nextents; k++)
        b += ext[g->first_extent + k].len;
    return b >= LZ_MIN_BYTES;
}

static int lz_open_uffd(int retry)
{
    long fd = ckpt_sys1(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) { /* not allowed by vm.unprivileged_userfaultfd: the device, if its mode lets us */
        int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
        if (dev >= 0) {
            long f2 = ckpt_sys3(SYS_ioctl, dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
            close(dev);
            if (f2 >= 0)
                fd = f2;
        }
    }
    if (fd < 0) {
        lh_msg("warning: %s: lazy restore unavailable (userfaultfd: %s): reading everything first", L.path,
               strerror((int)-fd));
        return -1;
    }
    /* Not UFFD_USER_MODE_ONLY: the kernel touching a missing page (read(2)
     * into it, another rank's process_vm_readv) must wait for it too. */
    uint64_t need = UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP;
    struct uffdio_api api = {.api = UFFD_API, .features = need | (retry ? UFFD_FEATURE_MOVE : 0)};
    long r = ckpt_sys3(SYS_ioctl, fd, UFFDIO_API, &api);
    L.move = r == 0 && retry;
    if (r < 0 && retry) { /* a kernel without UFFDIO_MOVE: a new one, without it */
        close((int)fd);
        return lz_open_uffd(0);
    }
    if (r < 0) {
        lh_msg("warning: %s: lazy restore unavailable (UFFDIO_API: %s): reading everything first", L.path,
               strerror((int)-r));
        close((int)fd);
        return -1;
    }
    return (int)fd;
}

static void *lz_map(uint64_t bytes, int noreserve)
{
    void *m = mmap(NULL, LH_PAGE_UP(bytes ? bytes : 1), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0), -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

struct ckpt_img_region *lh_lazy_start(const char *path, const struct ckpt_img_header *h,
                                      struct ckpt_img_region *regs, const struct ckpt_img_extent *ext,
                                      struct ckpt_boot *boot, uint64_t t0)
{
    const char *v = getenv("CKPT_MPI_RESTORE_LAZY");
    if (!v || !*v || !strcmp(v, "0"))
        return regs;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.regs = regs;
    L.ext = ext;
    L.nregs = h->nregions;
    L.boot = boot;
    L.t0 = t0;
    if (h->features) { /* compressed or incremental data: not served by a fault */
        lh_log("lazy restore: the image uses features %#llx: read eagerly", (unsigned long long)h->features);
        return regs;
    }
    uint64_t pages = 0;
    for (uint32_t i = 0; i < h->nregions; i++)
        if (lz_wanted(&regs[i], ext)) {
            L.nlz++;
            pages += (regs[i].end - regs[i].start) / LH_PAGE;
        }
    if (!L.nlz)
        return regs;
    L.uffd = lz_open_uffd(1);
    if (L.uffd < 0)
        return regs;
    L.lz = lz_map(L.nlz * sizeof *L.lz, 0);
    L.done = lz_map((pages + 63) / 64 * 8, 0);
    L.eager = lz_map(h->nregions * sizeof *L.eager, 0);
    L.lazy = lz_map(h->nregions * sizeof *L.lazy, 0);
    L.staged = lz_map(h->nextents * sizeof *L.staged, 0);
    L.fbuf = lz_map(LZ_BLOCK_MAX, 0);
    L.stacks = lz_map(2 * LZ_STACK, 0);
    if (!L.lz || !L.done || !L.eager || !L.lazy || !L.staged || !L.fbuf || !L.stacks)
        lh_die(1, "%s: mmap(lazy restore tables): %s", path, strerror(errno));
    memcpy(L.eager, regs, h->nregions * sizeof *L.eager);
    memcpy(L.lazy, regs, h->nregions * sizeof *L.lazy);
    memcpy(L.staged, ext, h->nextents * sizeof *L.staged);
    uint32_t k = 0;
    uint64_t page0 = 0;
    for (uint32_t i = 0; i < h->nregions; i++) {
        const struct ckpt_img_region *g = &regs[i];
        if (!lz_wanted(g, ext)) {
            L.lazy[i].kind = CKPT_REG_NONE;
            continue;
        }
        L.eager[i].kind = CKPT_REG_NONE;
        L.lz[k++] = (struct lz_region){g->start, g->end, page0, i};
        page0 += (g->end - g->start) / LH_PAGE;
        for (uint64_t e = 0; e < g->nextents; e++)
            L.bytes += ext[g->first_extent + e].len;
    }
    char *stage = lz_map(L.bytes, 1);
    if (!stage) {
        lh_msg("warning: %s: no room for the lazy restore's staging area (%lu MiB): reading everything first", path,
               (unsigned long)(L.bytes >> 20));
        close(L.uffd);
        return regs;
    }
    uint64_t at = 0;
    for (uint32_t i = 0; i < L.nlz; i++) {
        const struct ckpt_img_region *g = &regs[L.lz[i].idx];
        for (uint64_t e = 0; e < g->nextents; e++) {
            L.staged[g->first_extent + e].addr = (uint64_t)stage + at;
            at += ext[g->first_extent + e].len;
        }
    }
    L.fd = open(path, O_RDONLY | O_CLOEXEC);
    L.dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
    L.efd = (int)ckpt_sys2(SYS_eventfd2, 0, EFD_CLOEXEC);
    if (L.fd < 0 || L.efd < 0)
        lh_die(1, "%s: open(lazy restore): %s", path, strerror(L.fd < 0 ? errno : (int)-L.efd));
    for (uint32_t i = 0; i < L.nlz; i++) {
        const struct ckpt_img_region *g = &regs[L.lz[i].idx];
        struct uffdio_register rg = {.range = {.start = g->start, .len = g->end - g->start},
                                     .mode = UFFDIO_REGISTER_MODE_MISSING};
        long r = ckpt_sys3(SYS_ioctl, L.uffd, UFFDIO_REGISTER, &rg);
        if (r < 0)
            lh_die(1, "%s: UFFDIO_REGISTER %#lx-%#lx: %s", path, (unsigned long)g->start, (unsigned long)g->end,
                   strerror((int)-r));
        if (g->prot != (PROT_READ | PROT_WRITE)) {
            r = ckpt_sys3(SYS_mprotect, g->start, g->end - g->start, g->prot);
            if (r < 0)
                lh_die(1, "%s: mprotect %#lx-%#lx: %s", path, (unsigned long)g->start, (unsigned long)g->end,
                       strerror((int)-r));
        }
    }
    __atomic_store_n(&boot->lazy_restore, 1, __ATOMIC_RELEASE);
    if (lh_rd_thread(lz_handler, NULL, L.stacks, LZ_STACK, &L.tids[0]) < 0)
        lh_die(1, "%s: clone(lazy restore's fault handler) failed", path);
    lh_log("lazy restore: %u regions, %lu MiB served on demand", L.nlz, (unsigned long)(L.bytes >> 20));
    return L.eager;
}

int lh_lazy_stream(uint64_t *lazy_bytes)
{
    *lazy_bytes = 0;
    if (!L.tids[0])
        return 0;
    const char *d = getenv("CKPT_MPI_TEST_LAZY_DELAY_MS");
    L.delay_ms = d ? strtol(d, NULL, 10) : 0;
    lh_rd_start(L.path, L.fd, L.dfd, L.lazy, L.nregs, L.staged);
    if (lh_rd_thread(lz_streamer, NULL, L.stacks + LZ_STACK, LZ_STACK, &L.tids[1]) < 0)
        lh_die(1, "%s: clone(lazy restore's streamer) failed", L.path);
    *lazy_bytes = L.bytes;
    return 1;
}

void lh_lazy_wait(void)
{
    uint32_t v;
    while (L.boot && (v = __atomic_load_n(&L.boot->lazy_restore, __ATOMIC_ACQUIRE)) != 0)
        ckpt_sys4(SYS_futex, &L.boot->lazy_restore, FUTEX_WAIT_PRIVATE, v, 0);
}
