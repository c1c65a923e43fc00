/* Compressed image data at restore (CKPT_IMG_FEAT_ZSTD, docs/image-format.md,
 * "Compression"): the frame table is checked with the metadata, each frame
 * becomes one unit of the read plan (restore_read.c) made of the plan's
 * pieces it holds, and a reader reads a frame (O_DIRECT like any piece) into
 * its own buffer and decompresses it straight to the pieces' addresses (a
 * frame of several small extents through a second buffer).
 *
 * The readers are raw clones without a TLS of their own, so each has a
 * static zstd context on memory mapped here (ZSTD_initStaticDCtx: zstd
 * allocates nothing then). A frame must start with the zstd magic and be
 * exactly one frame: libzstd decodes the legacy formats (and more frames
 * after the first) through contexts it mallocs, which a reader must never
 * reach. Anything that does not decompress to exactly the frame's size marks
 * its pieces LH_RD_CORRUPT, reported in one line as damage, and the region
 * checksums, still over the uncompressed data, catch the rest. */
#define _GNU_SOURCE
#define ZSTD_STATIC_LINKING_ONLY
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <zstd.h>
#include <ckpt_image.h>
#include "lh_internal.h"

_Static_assert(CKPT_IMG_FRAME_MAX == LH_RD_PIECE, "a frame holds whole pieces of the read plan");

struct zr_unit {
    uint64_t frame;
    struct lh_rd_piece *first;
    uint64_t npieces;
};

struct zr_ctx {
    void *dctx;
    char *cbuf, *ubuf;
};

static struct {
    const char *path;
    const struct ckpt_img_frame *f;
    uint64_t n;
    struct zr_unit *u;
    uint64_t nu, ubytes;
    char *mem;
    uint64_t membytes;
    int nctx;
    long (*pread)(void *buf, uint64_t len, uint64_t off);
    struct zr_ctx c[LH_RD_MAX + 1];
} Z;

/* libzstd's weak trace hooks: defined here and local, so nothing else in the
 * process is ever called from a reader. */
unsigned long long ZSTD_trace_decompress_begin(const void *dctx);
void ZSTD_trace_decompress_end(unsigned long long ctx, const void *trace);
unsigned long long ZSTD_trace_decompress_begin(const void *dctx)
{
    (void)dctx;
    return 0;
}
void ZSTD_trace_decompress_end(unsigned long long ctx, const void *trace)
{
    (void)ctx;
    (void)trace;
}

int lh_zs_on(void) { return Z.f != NULL; }

const struct ckpt_img_frame *lh_zs_check(const char *path, const struct ckpt_img_header *h, const char *meta)
{
    if (h->frames_off < CKPT_IMG_HEADER_SIZE || h->frames_off % 8 || h->nframes > (h->data_off - h->frames_off) / 32 ||
        h->stored_size > h->file_size || h->file_size - h->stored_size != h->data_off)
        lh_die(1, "%s: image header is damaged (frame table out of bounds)", path);
    const struct ckpt_img_frame *frames = (const struct ckpt_img_frame *)(meta + h->frames_off);
    uint64_t u = h->data_off, pos = h->data_off;
    for (uint64_t i = 0; i < h->nframes; i++) {
        const struct ckpt_img_frame *f = &frames[i];
        if (f->uoff != u || !f->ulen || f->ulen > CKPT_IMG_FRAME_MAX || f->ulen % CKPT_IMG_PAGE || !f->csize ||
            f->csize > f->ulen || f->file_off != pos || f->file_off % CKPT_IMG_PAGE ||
            LH_PAGE_UP(f->csize) > h->file_size - f->file_off)
            lh_die(1, "%s: image header is damaged (frame %lu)", path, (unsigned long)i);
        u += f->ulen;
        pos += LH_PAGE_UP(f->csize);
    }
    if (u != h->data_off + h->data_size || pos != h->file_size)
        lh_die(1, "%s: image header is damaged (the frames do not cover the data)", path);
    return frames;
}

void lh_zs_open(const char *path, const struct ckpt_img_header *h, const char *meta)
{
    memset(&Z, 0, sizeof Z);
    if (!(h->features & CKPT_IMG_FEAT_ZSTD))
        return;
    Z.path = path;
    Z.f = lh_zs_check(path, h, meta);
    Z.n = h->nframes;
}

/* The frame that holds uncompressed offset `uoff` (frames are sorted). */
static uint64_t frame_at(const struct ckpt_img_frame *fr, uint64_t n, uint64_t uoff)
{
    uint64_t lo = 0, hi = n;
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (fr[mid].uoff <= uoff)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

uint64_t lh_zs_plan(struct lh_rd_piece *p, uint64_t n, int contexts, long (*pread)(void *buf, uint64_t len, uint64_t off))
{
    Z.pread = pread;
    uint64_t cap = n ? n : 1;
    Z.ubytes = LH_PAGE_UP(cap * sizeof *Z.u);
    uint64_t per = LH_PAGE_UP(ZSTD_estimateDCtxSize()) + 2 * CKPT_IMG_FRAME_MAX;
    Z.nctx = contexts;
    Z.membytes = Z.ubytes + (uint64_t)contexts * per;
    Z.mem = mmap(NULL, Z.membytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (Z.mem == MAP_FAILED)
        lh_die(1, "%s: mmap(%lu bytes for decompression): %s", Z.path, (unsigned long)Z.membytes, strerror(errno));
    Z.u = (struct zr_unit *)Z.mem;
    char *m = Z.mem + Z.ubytes;
    for (int t = 0; t < contexts; t++, m += per) {
        Z.c[t].dctx = ZSTD_initStaticDCtx(m, LH_PAGE_UP(ZSTD_estimateDCtxSize()));
        Z.c[t].cbuf = m + LH_PAGE_UP(ZSTD_estimateDCtxSize());
        Z.c[t].ubuf = Z.c[t].cbuf + CKPT_IMG_FRAME_MAX;
        if (!Z.c[t].dctx)
            lh_die(1, "%s: ZSTD_initStaticDCtx failed", Z.path);
    }
    /* each frame of a planned region is whole consecutive pieces; frames of
     * shared file mappings have none (lh_zs_read_range) */
    for (uint64_t j = 0; j < n;) {
        uint64_t k = frame_at(Z.f, Z.n, p[j].off);
        const struct ckpt_img_frame *f = &Z.f[k];
        struct zr_unit *un = &Z.u[Z.nu++];
        un->frame = k;
        un->first = &p[j];
        uint64_t got = 0;
        while (j < n && got < f->ulen && p[j].off == f->uoff + got) {
            got += p[j].len;
            un->npieces++;
            j++;
        }
        if (got != f->ulen)
            lh_die(1, "%s: image header is damaged (frame %lu does not hold whole pieces of one region)", Z.path,
                   (unsigned long)k);
    }
    return Z.nu;
}

/* Reads frame f with rd into c->cbuf (or straight to `to` when stored as is)
 * and decompresses it to `to`; 0, LH_RD_EOF, LH_RD_CORRUPT or -errno. */
static long frame_read(struct zr_ctx *c, const struct ckpt_img_frame *f, char *to,
                       long (*rd)(void *buf, uint64_t len, uint64_t off))
{
    if (f->csize == f->ulen)
        return rd(to, f->ulen, f->file_off);
    long r = rd(c->cbuf, LH_PAGE_UP(f->csize), f->file_off);
    if (r)
        return r;
    uint32_t magic;
    memcpy(&magic, c->cbuf, 4);
    if (magic != ZSTD_MAGICNUMBER || ZSTD_findFrameCompressedSize(c->cbuf, f->csize) != f->csize)
        return LH_RD_CORRUPT;
    size_t d = ZSTD_decompressDCtx(c->dctx, to, f->ulen, c->cbuf, f->csize);
    return ZSTD_isError(d) || d != f->ulen ? LH_RD_CORRUPT : 0;
}

long lh_zs_unit(uint64_t i, int ctx, struct lh_rd_piece **first, uint64_t *npieces)
{
    struct zr_unit *u = &Z.u[i];
    struct zr_ctx *c = &Z.c[ctx];
    *first = u->first;
    *npieces = u->npieces;
    if (u->npieces == 1)
        return frame_read(c, &Z.f[u->frame], (char *)u->first->addr, Z.pread);
    long r = frame_read(c, &Z.f[u->frame], c->ubuf, Z.pread);
    for (uint64_t k = 0, at = 0; r == 0 && k < u->npieces; at += u->first[k].len, k++)
        memcpy((void *)u->first[k].addr, c->ubuf + at, u->first[k].len);
    return r;
}

void lh_zs_read_range(void *buf, uint64_t len, uint64_t uoff, int ctx, uint64_t rstart, uint64_t rend)
{
    struct zr_ctx *c = &Z.c[ctx];
    for (uint64_t got = 0; got < len;) {
        uint64_t k = frame_at(Z.f, Z.n, uoff + got);
        const struct ckpt_img_frame *f = &Z.f[k];
        uint64_t in = uoff + got - f->uoff, n = f->ulen - in < len - got ? f->ulen - in : len - got;
        long r = frame_read(c, f, c->ubuf, Z.pread);
        if (r == LH_RD_EOF)
            lh_die(1, "%s: truncated image (data of region %#lx-%#lx missing)", Z.path, (unsigned long)rstart,
                   (unsigned long)rend);
        if (r)
            lh_die(1, "%s: region %#lx-%#lx is damaged (%s)", Z.path, (unsigned long)rstart, (unsigned long)rend,
                   r < 0 ? strerror((int)-r) : "its compressed data does not decompress");
        memcpy((char *)buf + got, c->ubuf + in, n);
        got += n;
    }
}

void lh_zs_close(void)
{
    if (Z.mem)
        munmap(Z.mem, Z.membytes);
    Z.mem = NULL;
}

/* The compressed ancestors of an incremental image (restore_chain.c), read by
 * the restoring thread one at a time through one context of their own; the
 * frame last decompressed is kept, since the small extents of a region share one. */
static struct {
    int fd;
    const struct ckpt_img_frame *f;
    uint64_t n, cached;
    struct zr_ctx c;
    char *mem;
    uint64_t membytes;
} A = {.fd = -1};

static long ancestor_pread(void *buf, uint64_t len, uint64_t off) { return lh_pread_full(A.fd, buf, len, off); }

long lh_zs_ancestor_read(int fd, const struct ckpt_img_frame *f, uint64_t nf, void *buf, uint64_t len, uint64_t uoff)
{
    if (!A.mem) {
        uint64_t dctx = LH_PAGE_UP(ZSTD_estimateDCtxSize());
        A.membytes = dctx + 2 * CKPT_IMG_FRAME_MAX;
        A.mem = mmap(NULL, A.membytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (A.mem == MAP_FAILED) {
            A.mem = NULL;
            return -ENOMEM;
        }
        A.c.dctx = ZSTD_initStaticDCtx(A.mem, dctx);
        A.c.cbuf = A.mem + dctx;
        A.c.ubuf = A.c.cbuf + CKPT_IMG_FRAME_MAX;
        if (!A.c.dctx)
            return -ENOMEM;
    }
    if (A.fd != fd || A.f != f) {
        A.fd = fd;
        A.f = f;
        A.n = nf;
        A.cached = UINT64_MAX;
    }
    for (uint64_t got = 0; got < len;) {
        uint64_t k = frame_at(A.f, A.n, uoff + got);
        const struct ckpt_img_frame *fr = &A.f[k];
        if (uoff + got < fr->uoff || uoff + got >= fr->uoff + fr->ulen)
            return LH_RD_CORRUPT;
        if (k != A.cached) {
            A.cached = UINT64_MAX;
            long r = frame_read(&A.c, fr, A.c.ubuf, ancestor_pread);
            if (r)
                return r;
            A.cached = k;
        }
        uint64_t in = uoff + got - fr->uoff, n = fr->ulen - in < len - got ? fr->ulen - in : len - got;
        memcpy((char *)buf + got, A.c.ubuf + in, n);
        got += n;
    }
    return 0;
}

void lh_zs_ancestors_done(void)
{
    if (A.mem)
        munmap(A.mem, A.membytes);
    A.mem = NULL;
    A.fd = -1;
    A.f = NULL;
}
