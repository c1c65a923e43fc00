/* Dirty tracking for incremental images (docs/image-format.md, "Incremental
 * images"). This kernel has no soft-dirty bits; userfaultfd write-protect in
 * async mode does the same job: a write to a protected page just unprotects
 * it (no fault is delivered), and PAGEMAP_SCAN reports the unprotected
 * ("written") pages and protects them again in one call. Zapped pages
 * (MADV_DONTNEED: zero now, without a write) read as written too, so a scan
 * misses nothing that changed.
 *
 * Runs in the application's process while its threads are parked (the forked
 * writer does not inherit the registration): raw system calls and static or
 * caller-provided memory only. The runs go into the writer's scratch, which
 * the fork copies. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/userfaultfd.h>
#include "parked.h"
#include "dirty_abi.h"

static struct {
    int on;
    long uffd;               /* -1: not created (or lost with a restore) */
    uint64_t last_gen;       /* the generation the tracking is relative to, 0 = none */
    uint64_t last_sum;       /* its image's meta_checksum */
    uint64_t want_parent;    /* the coordinator's offer for the next checkpoint, 0 = full */
    uint64_t restored_seen;  /* eng_mailbox()->restored when the state was last valid */
    uint64_t own_lo, own_hi; /* the engine's writable segment: written during the pause */
    uint64_t last_parent;    /* the parent of last_gen's image, 0 = it is full */
    uint64_t scan_ns;
    int failed;              /* userfaultfd refused: full images from then on */
    int warned;
} D = {0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

void eng_dirty_init(uint64_t own_lo, uint64_t own_hi)
{
    D.own_lo = own_lo & ~(uint64_t)(CKPT_IMG_PAGE - 1);
    D.own_hi = (own_hi + CKPT_IMG_PAGE - 1) & ~(uint64_t)(CKPT_IMG_PAGE - 1);
    D.restored_seen = eng_mailbox()->restored;
}

void eng_dirty_request(int on, uint64_t parent)
{
    if (on && !D.on)
        D.last_gen = 0; /* nothing was tracked */
    D.on = on && !D.failed;
    D.want_parent = parent;
}

/* A restored process has neither the registration nor the descriptor (its
 * number may be another file now): start again, with a full image. */
static void forget_if_restored(void)
{
    uint64_t r = eng_mailbox()->restored;
    if (r != D.restored_seen) {
        D.restored_seen = r;
        D.uffd = -1;
        D.last_gen = 0;
        D.last_sum = 0;
    }
}

static long open_uffd(struct sbuf *err)
{
    if (D.uffd >= 0)
        return D.uffd;
    long fd = ckpt_sys1(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0) {
        sb_err(err, "userfaultfd", fd);
        return fd;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
    long r = ckpt_sys3(SYS_ioctl, fd, UFFDIO_API, &api);
    if (r < 0) {
        ckpt_sys1(SYS_close, fd);
        sb_err(err, "ioctl(UFFDIO_API, WP_ASYNC|WP_UNPOPULATED)", r);
        return r;
    }
    /* far above the application's numbers, like the restore's own fds */
    long hi = ckpt_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 900);
    if (hi >= 0) {
        ckpt_sys1(SYS_close, fd);
        fd = hi;
    }
    D.uffd = fd;
    return fd;
}

/* Private anonymous read-write memory, not the engine's own (written while
 * the image is taken, so always stored whole). Everything else is stored
 * whole in every image. */
static int trackable(const struct ckpt_img_region *g)
{
    return g->kind == CKPT_REG_ANON && !(g->flags & CKPT_REGF_FILE) &&
           (g->prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE) &&
           !(g->start < D.own_hi && D.own_lo < g->end);
}

/* Written pages of [s, e) into d->runs (protecting them again); -EPERM when
 * the range is not (or no longer, e.g. remapped) registered, -E2BIG when the
 * runs are full (the rest stays unscanned: reported next time, harmless). */
static long scan_written(struct eng_dirty *d, long pmfd, uint64_t s, uint64_t e)
{
    while (s < e) {
        if (d->nruns >= ENG_DIRTY_MAX_RUNS)
            return -E2BIG;
        struct pm_scan_arg arg;
        memset(&arg, 0, sizeof arg);
        arg.size = sizeof arg;
        arg.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
        arg.start = s;
        arg.end = e;
        arg.vec = (uint64_t)&d->runs[d->nruns];
        arg.vec_len = ENG_DIRTY_MAX_RUNS - d->nruns;
        arg.category_mask = PAGE_IS_WRITTEN;
        arg.return_mask = PAGE_IS_WRITTEN;
        long r = ckpt_sys3(SYS_ioctl, pmfd, PAGEMAP_SCAN, &arg);
        if (r < 0)
            return r;
        d->nruns += (uint64_t)r;
        if (arg.walk_end <= s)
            return -EIO;
        s = arg.walk_end;
    }
    return 0;
}

static long register_range(long uffd, uint64_t s, uint64_t e)
{
    struct uffdio_register reg = {.range = {s, e - s}, .mode = UFFDIO_REGISTER_MODE_WP};
    long r = ckpt_sys3(SYS_ioctl, uffd, UFFDIO_REGISTER, &reg);
    if (r < 0)
        return r;
    struct uffdio_writeprotect wp = {.range = {s, e - s}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    return ckpt_sys3(SYS_ioctl, uffd, UFFDIO_WRITEPROTECT, &wp);
}

void eng_dirty_begin(struct eng_dirty *d, struct ckpt_img_region *regs, uint32_t n)
{
    uint64_t t0 = eng_now_ns();
    d->parent_gen = d->parent_sum = 0;
    d->nruns = 0;
    d->scanned = d->registered = 0;
    d->scan_ns = D.scan_ns = 0;
    if (!D.on)
        return;
    forget_if_restored();
    char ebuf[160];
    struct sbuf err = {ebuf, 0, sizeof ebuf};
    ebuf[0] = 0;
    long uffd = open_uffd(&err);
    if (uffd < 0) {
        if (!D.warned++)
            eng_log("incremental checkpoints off, every image is full: ", ebuf);
        D.on = 0;
        D.failed = 1;
        return;
    }
    /* Incremental only against the generation the coordinator names (the
     * newest committed one), and only when that is the one the tracking
     * started from: an abandoned or failed generation in between consumed
     * the dirty bits. The scans below consume them again, so until this
     * image is written nothing may refer to the old state. */
    int incr = D.want_parent && D.want_parent == D.last_gen && D.last_sum;
    if (!incr && D.want_parent && eng.verbose) {
        char m[96];
        struct sbuf b = {m, 0, sizeof m};
        sb_u64(&b, D.want_parent);
        sb_str(&b, ", but tracking is relative to gen ");
        sb_u64(&b, D.last_gen);
        eng_log("a full image: the coordinator offered parent gen ", m);
    }
    if (incr) {
        d->parent_gen = D.last_gen;
        d->parent_sum = D.last_sum;
    }
    D.last_gen = D.last_sum = 0;
    D.want_parent = 0;
    long pmfd = ckpt_sys3(SYS_open, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
    for (uint32_t i = 0; i < n && i < ENG_DIRTY_MAX_REGIONS; i++) {
        struct ckpt_img_region *g = &regs[i];
        d->first[i] = d->nruns;
        d->count[i] = 0;
        if (!trackable(g) || pmfd < 0)
            continue;
        uint64_t before = d->nruns;
        long r = scan_written(d, pmfd, g->start, g->end);
        if (r == 0) {
            d->scanned += g->end - g->start;
            if (incr) {
                g->flags |= CKPT_REGF_PARENT;
                d->count[i] = (uint32_t)(d->nruns - before);
            } else {
                d->nruns = before;
            }
            continue;
        }
        d->nruns = before;
        if (r == -EPERM && register_range(uffd, g->start, g->end) == 0)
            d->registered += g->end - g->start;
        /* else: memory uffd cannot track (or the runs are full): stored whole */
    }
    if (pmfd >= 0)
        ckpt_sys1(SYS_close, pmfd);
    d->scan_ns = D.scan_ns = eng_now_ns() - t0;
    if (eng.verbose) {
        char m[160];
        struct sbuf b = {m, 0, sizeof m};
        sb_u64(&b, d->scanned >> 20);
        sb_str(&b, " MiB scanned, ");
        sb_u64(&b, d->registered >> 20);
        sb_str(&b, " MiB newly write-protected, ");
        sb_u64(&b, d->nruns);
        sb_str(&b, " runs written, in ");
        sb_u64(&b, d->scan_ns / 1000);
        sb_str(&b, d->parent_gen ? " us of the pause (a delta)" : " us of the pause (a full image)");
        eng_log("incremental: ", m);
    }
}

long eng_dirty_extents(const struct eng_dirty *d, uint32_t i, struct ckpt_img_region *g, struct ckpt_img_extent *ext,
                       uint64_t *next, uint64_t max)
{
    g->first_extent = *next;
    g->nextents = 0;
    g->data_bytes = 0;
    for (uint64_t k = d->first[i]; k < d->first[i] + d->count[i]; k++) {
        uint64_t s = d->runs[k].start, e = d->runs[k].end;
        if (s < g->start)
            s = g->start;
        if (e > g->end)
            e = g->end;
        if (s >= e)
            continue;
        struct ckpt_img_extent *last = g->nextents ? &ext[*next - 1] : NULL;
        if (last && last->addr + last->len == s) {
            last->len += e - s;
        } else {
            if (*next >= max)
                return -E2BIG;
            struct ckpt_img_extent *x = &ext[(*next)++];
            x->addr = s;
            x->len = e - s;
            x->file_off = 0;
            g->nextents++;
        }
        g->data_bytes += e - s;
    }
    return 0;
}

int eng_dirty_wanted(void) { return D.on; }

void eng_dirty_restored(const struct ckpt_img_region *regs, uint32_t n, const char *image)
{
    D.restored_seen = eng_mailbox()->restored;
    D.uffd = -1;
    D.last_gen = D.last_sum = D.last_parent = 0;
    struct ckpt_img_header h;
    long fd = ckpt_sys3(SYS_open, image, O_RDONLY | O_CLOEXEC, 0);
    long got = fd < 0 ? fd : ckpt_sys4(SYS_pread64, fd, &h, sizeof h, 0);
    if (fd >= 0)
        ckpt_sys1(SYS_close, fd);
    if (got != (long)sizeof h || h.magic != CKPT_IMG_MAGIC) {
        if (eng.verbose)
            eng_log("incremental: cannot read the header of the restored image, the next image is full: ", image);
        return;
    }
    char ebuf[160];
    struct sbuf err = {ebuf, 0, sizeof ebuf};
    ebuf[0] = 0;
    long uffd = open_uffd(&err);
    if (uffd < 0) {
        if (eng.verbose)
            eng_log("incremental: the next image is full: ", ebuf);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        if (trackable(&regs[i]))
            register_range(uffd, regs[i].start, regs[i].end); /* refused: EPERM at the scan, stored whole */
    D.last_gen = h.generation;
    D.last_sum = h.meta_checksum;
}

void eng_dirty_written(uint64_t generation, uint64_t meta_sum, uint64_t parent)
{
    if (!D.on)
        return;
    D.last_gen = generation;
    D.last_sum = meta_sum;
    D.last_parent = parent;
}

uint64_t eng_dirty_parent_of(uint64_t generation) { return D.last_gen == generation ? D.last_parent : 0; }

uint64_t eng_dirty_scan_ns(void) { return D.scan_ns; }
