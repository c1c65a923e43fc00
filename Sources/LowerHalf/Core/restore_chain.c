/* Incremental images (CKPT_IMG_FEAT_PARENT, docs/image-format.md): a region
 * flagged CKPT_REGF_PARENT stores only the pages written since the parent
 * image; the others are the parent's, and so on down to a full image.
 *
 *   lh_chain_open  (with lh_restore_open, before anything is reserved) opens
 *                  and verifies every ancestor: magic, version, size, metadata
 *                  checksum equal to what its child recorded, same rank, one
 *                  generation older. A missing or damaged one refuses the
 *                  restart in one line naming it.
 *   lh_chain_fill  (after the target's regions are mapped, before its own data
 *                  is read on top) writes the ancestors' pages, oldest first,
 *                  where every newer image of the chain says "from the parent".
 *                  Each ancestor region that contributes is read whole and its
 *                  checksum checked, so damage anywhere in the chain is found.
 *                  A compressed ancestor (CKPT_IMG_FEAT_ZSTD) is read through
 *                  its frames (restore_zstd.c).
 *
 * The parents live in the job's checkpoint directory (CKPT_MPI_JOB_DIR, else
 * the directory above the image's generation): gen-NNNNNN/rank-RRRR.img. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ckpt_image.h>
#include "lh_internal.h"

#define MAX_CHAIN 256

struct range {
    uint64_t s, e;
};

static struct link {
    char path[4096];
    int fd;
    char *meta;
    struct ckpt_img_header *h;
    struct ckpt_img_region *regions;
    struct ckpt_img_extent *extents;
    const struct ckpt_img_frame *frames; /* CKPT_IMG_FEAT_ZSTD, else NULL */
    struct range *valid; /* where this image's pages count: every newer image says "parent" there */
    uint64_t nvalid;
} C[MAX_CHAIN];
static int nchain;
static const char *child_path;

static int fits(uint64_t off, uint64_t count, uint64_t elem, uint64_t limit)
{
    return !(count && elem > (UINT64_MAX - off) / count) && off + count * elem <= limit;
}

static _Noreturn void refuse(const char *parent, const char *why)
{
    lh_die(1, "%s: its parent image %s %s: restart refused", child_path, parent, why);
}

static void read_exact(struct link *l, void *buf, uint64_t len, uint64_t off)
{
    long r = lh_pread_full(l->fd, buf, len, off);
    if (r)
        refuse(l->path, r < 0 ? strerror((int)-r) : "is truncated");
}

/* Opens and checks the parent of `h` (the image at `child`) as C[nchain]. */
static void open_parent(const char *dir, const struct ckpt_img_header *h)
{
    if (nchain >= MAX_CHAIN)
        lh_die(1, "%s: more than %d incremental images in a chain: restart refused", child_path, MAX_CHAIN);
    struct link *l = &C[nchain];
    snprintf(l->path, sizeof l->path, "%s/gen-%06llu/rank-%04d.img", dir, (unsigned long long)h->parent_generation,
             h->rank);
    l->fd = open(l->path, O_RDONLY | O_CLOEXEC);
    if (l->fd < 0)
        refuse(l->path, errno == ENOENT ? "is missing" : strerror(errno));
    int hi = fcntl(l->fd, F_DUPFD_CLOEXEC, 1000);
    if (hi >= 0) {
        close(l->fd);
        l->fd = hi;
    }
    struct stat st;
    struct ckpt_img_header ph;
    if (fstat(l->fd, &st) != 0 || (uint64_t)st.st_size < CKPT_IMG_HEADER_SIZE)
        refuse(l->path, "is truncated");
    read_exact(l, &ph, sizeof ph, 0);
    if (ph.magic != CKPT_IMG_MAGIC)
        refuse(l->path, "is not a ckpt-mpi checkpoint image");
    if (ph.version < CKPT_IMG_VERSION_MIN || ph.version > CKPT_IMG_VERSION_FEATURES ||
        (ph.features & ~CKPT_IMG_FEATURES_KNOWN) || (ph.version < CKPT_IMG_VERSION_FEATURES && ph.features))
        refuse(l->path, "has a format or features this ckpt-mpi does not read");
    if (ph.header_size != CKPT_IMG_HEADER_SIZE || ph.data_off < CKPT_IMG_HEADER_SIZE || ph.data_off % CKPT_IMG_PAGE ||
        ph.data_off > ph.file_size || ph.data_off > (1ULL << 32))
        refuse(l->path, "is damaged (impossible layout)");
    if ((uint64_t)st.st_size < ph.file_size)
        refuse(l->path, "is truncated");
    void *m = mmap(NULL, ph.data_off, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        refuse(l->path, "cannot be read (no memory for its metadata)");
    l->meta = m;
    read_exact(l, l->meta, ph.data_off, 0);
    l->h = (struct ckpt_img_header *)l->meta;
    uint64_t want = l->h->meta_checksum;
    l->h->meta_checksum = 0;
    uint64_t got = ckpt_img_hash(CKPT_IMG_HASH_SEED, l->meta, ph.data_off);
    l->h->meta_checksum = want;
    if (got != want)
        refuse(l->path, "is damaged (header checksum mismatch)");
    if (want != h->parent_meta_checksum || l->h->generation != h->parent_generation || l->h->rank != h->rank)
        refuse(l->path, "is another image than the one it was a delta of (metadata checksum differs)");
    struct ckpt_img_header *P = l->h;
    if (!fits(P->regions_off, P->nregions, sizeof *l->regions, P->data_off) ||
        !fits(P->extents_off, P->nextents, sizeof *l->extents, P->data_off))
        refuse(l->path, "is damaged (tables out of bounds)");
    l->regions = (void *)(l->meta + P->regions_off);
    l->extents = (void *)(l->meta + P->extents_off);
    l->frames = P->features & CKPT_IMG_FEAT_ZSTD ? lh_zs_check(l->path, P, l->meta) : NULL;
    /* extents address the uncompressed data; frames hold it when compressed */
    uint64_t data_end = l->frames ? P->data_off + P->data_size : P->file_size;
    for (uint32_t i = 0; i < P->nregions; i++) {
        struct ckpt_img_region *g = &l->regions[i];
        if (g->start >= g->end || g->first_extent + g->nextents > P->nextents)
            refuse(l->path, "is damaged (a region)");
        for (uint64_t k = 0; k < g->nextents; k++) {
            struct ckpt_img_extent *x = &l->extents[g->first_extent + k];
            if (x->addr < g->start || x->addr + x->len > g->end || x->file_off + x->len > data_end)
                refuse(l->path, "is damaged (a run of pages)");
        }
    }
    nchain++;
}

void lh_chain_open(const char *path, const struct ckpt_img_header *h)
{
    if (!(h->features & CKPT_IMG_FEAT_PARENT))
        return;
    child_path = path;
    static char dir[4096];
    const char *jd = getenv("CKPT_MPI_JOB_DIR");
    if (jd && *jd) {
        snprintf(dir, sizeof dir, "%s", jd);
    } else { /* D/gen-N/rank-R.img: D */
        snprintf(dir, sizeof dir, "%s", path);
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(dir, '/');
            if (!slash)
                snprintf(dir, sizeof dir, ".");
            else
                *slash = 0;
        }
    }
    const struct ckpt_img_header *cur = h;
    while (cur->features & CKPT_IMG_FEAT_PARENT) {
        if (cur->parent_generation == 0 || cur->parent_generation >= cur->generation)
            lh_die(1, "%s: image header is damaged (parent generation %llu)", nchain ? C[nchain - 1].path : path,
                   (unsigned long long)cur->parent_generation);
        open_parent(dir, cur);
        cur = C[nchain - 1].h;
    }
    lh_log("image %s: a delta of a chain of %d older images", path, nchain);
}

/* a ∩ {regions of img flagged PARENT} */
static uint64_t intersect(const struct range *a, uint64_t na, const struct ckpt_img_region *regs, uint32_t nr,
                          struct range *out)
{
    uint64_t n = 0, i = 0;
    for (uint32_t k = 0; k < nr; k++) {
        const struct ckpt_img_region *g = &regs[k];
        if (!(g->flags & CKPT_REGF_PARENT))
            continue;
        while (i < na && a[i].e <= g->start)
            i++;
        for (uint64_t j = i; j < na && a[j].s < g->end; j++) {
            uint64_t s = a[j].s > g->start ? a[j].s : g->start, e = a[j].e < g->end ? a[j].e : g->end;
            if (s < e)
                out[n++] = (struct range){s, e};
        }
    }
    return n;
}

static struct range *ranges(uint64_t n)
{
    void *m = mmap(NULL, (n + 1) * sizeof(struct range), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        lh_die(1, "%s: no memory to assemble its chain of images", child_path);
    return m;
}

/* Copies the part of [addr, addr+n) (its data at buf) that lies in the valid ranges. */
static void place(const struct link *l, uint64_t addr, const char *buf, uint64_t n)
{
    uint64_t lo = 0, hi = l->nvalid;
    while (lo < hi) { /* the first range ending after addr */
        uint64_t mid = (lo + hi) / 2;
        if (l->valid[mid].e <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint64_t j = lo; j < l->nvalid && l->valid[j].s < addr + n; j++) {
        uint64_t s = l->valid[j].s > addr ? l->valid[j].s : addr;
        uint64_t e = l->valid[j].e < addr + n ? l->valid[j].e : addr + n;
        if (s < e)
            memcpy((void *)s, buf + (s - addr), e - s);
    }
}

static int touches(const struct link *l, const struct ckpt_img_region *g)
{
    for (uint64_t j = 0; j < l->nvalid; j++)
        if (l->valid[j].s < g->end && g->start < l->valid[j].e)
            return 1;
    return 0;
}

void lh_chain_fill(const struct ckpt_img_header *h, const struct ckpt_img_region *regs)
{
    if (!nchain)
        return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t cap = h->nregions;
    for (int k = 0; k < nchain; k++)
        cap += C[k].h->nregions;
    /* the target's PARENT regions, then narrowed by each ancestor's */
    struct range *v = ranges(cap);
    uint64_t nv = 0;
    for (uint32_t i = 0; i < h->nregions; i++)
        if (regs[i].flags & CKPT_REGF_PARENT)
            v[nv++] = (struct range){regs[i].start, regs[i].end};
    for (int k = 0; k < nchain; k++) {
        C[k].valid = v;
        C[k].nvalid = nv;
        struct range *next = ranges(cap);
        nv = intersect(v, nv, C[k].regions, C[k].h->nregions, next);
        v = next;
    }
    char *buf = mmap(NULL, CKPT_IMG_HASH_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        lh_die(1, "%s: no memory to assemble its chain of images", child_path);
    uint64_t bytes = 0;
    for (int k = nchain - 1; k >= 0; k--) { /* oldest first: newer images write over it */
        struct link *l = &C[k];
        for (uint32_t i = 0; i < l->h->nregions; i++) {
            const struct ckpt_img_region *g = &l->regions[i];
            if (!g->nextents || !touches(l, g))
                continue;
            uint64_t hsh = CKPT_IMG_HASH_SEED;
            for (uint64_t x = 0; x < g->nextents; x++) {
                const struct ckpt_img_extent *e = &l->extents[g->first_extent + x];
                for (uint64_t done = 0; done < e->len;) {
                    uint64_t n = e->len - done < CKPT_IMG_HASH_CHUNK ? e->len - done : CKPT_IMG_HASH_CHUNK;
                    if (l->frames) {
                        long r = lh_zs_ancestor_read(l->fd, l->frames, l->h->nframes, buf, n, e->file_off + done);
                        if (r)
                            refuse(l->path, r == LH_RD_EOF ? "is truncated"
                                            : r < 0     ? strerror((int)-r)
                                                        : "is damaged (its compressed data does not decompress)");
                    } else {
                        read_exact(l, buf, n, e->file_off + done);
                    }
                    hsh = ckpt_img_hash(hsh, buf, n);
                    place(l, e->addr + done, buf, n);
                    done += n;
                    bytes += n;
                }
            }
            if (hsh != g->checksum) {
                char why[128];
                snprintf(why, sizeof why, "is damaged (region %#lx-%#lx: checksum mismatch)", (unsigned long)g->start,
                         (unsigned long)g->end);
                refuse(l->path, why);
            }
        }
    }
    munmap(buf, CKPT_IMG_HASH_CHUNK);
    lh_zs_ancestors_done();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    lh_log("chain: read %lu MiB of %d older images in %.3f s", (unsigned long)(bytes >> 20), nchain, s);
    if (getenv("CKPT_MPI_RESTORE_STATS"))
        lh_msg("restore: chain of %d older images: read %lu bytes in %.3f s (%.0f MB/s, 1 reader, buffered)", nchain,
               (unsigned long)bytes, s, s > 0 ? (double)bytes / s / 1e6 : 0.0);
}
