/* The restore's data reader: several O_DIRECT preads in flight
 * (docs/image-format.md, "Restoring").
 *
 * One pread at a time leaves the device idle while its caller faults in the
 * fresh pages of the next piece and hashes the last one: that read at
 * 0.5-0.8x of the disk here. So the read is planned as pieces of
 * LH_RD_PIECE bytes in file order, taken in turn by a few reader threads
 * that pread each piece straight to its final address, while the restoring
 * thread hashes every CKPT_IMG_HASH_CHUNK as soon as its pieces are in and
 * checks each region as before.
 *
 * The readers are raw clones of the restoring thread without a TLS of their
 * own (they share its FS base): they make raw system calls only, touch no
 * errno and no libc, and exit with SYS_exit. A reader that fails marks its
 * piece with -errno (or LH_RD_EOF) and stops the others; the restoring
 * thread reports it, in file order, with the same one line as a sequential
 * read would have. Every signal is blocked in them (lh_restore_finish blocks
 * all before they are cloned). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ckpt_image.h>
#include "lh_internal.h"

#define LH_RD_STACK (64u << 10)
_Static_assert(CKPT_IMG_HASH_CHUNK % LH_RD_PIECE == 0, "a hash chunk is whole pieces");

static struct {
    const char *path;
    int fd, dfd;
    volatile int direct; /* cleared by the first EINVAL: this file system refuses O_DIRECT here */
    struct lh_rd_piece *p;
    uint64_t n, cursor, bytes;
    uint64_t next;          /* next piece (of a compressed image: frame, restore_zstd.c) a reader takes */
    uint64_t units;         /* compressed image: how many frames the plan has, else 0 */
    volatile int stop;      /* a reader failed */
    int readers;
    volatile int tids[LH_RD_MAX]; /* cleared by the kernel when a reader exits */
    char *stacks;
    uint64_t pbytes, sbytes;
} D;

static long rd_sys_futex(volatile int32_t *w, int op, int val)
{
    return ckpt_sys4(SYS_futex, w, op, val, 0);
}

/* pread through O_DIRECT while the file system takes it, else the page cache;
 * 0, LH_RD_EOF or -errno. Raw calls only (see the top). */
static long rd_pread(void *buf, uint64_t len, uint64_t off)
{
    uint64_t done = 0;
    while (done < len) {
        long r = -EINVAL;
        if (D.dfd >= 0 && D.direct) {
            r = ckpt_sys4(SYS_pread64, D.dfd, (char *)buf + done, len - done, off + done);
            if (r == -EINVAL) /* alignment or file system: the page cache then */
                D.direct = 0;
        }
        if (r == -EINVAL)
            r = ckpt_sys4(SYS_pread64, D.fd, (char *)buf + done, len - done, off + done);
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

static void rd_finish(struct lh_rd_piece *p, long r)
{
    __atomic_store_n(&p->state, r == 0 ? LH_RD_DONE : (int32_t)r, __ATOMIC_RELEASE);
    rd_sys_futex(&p->state, FUTEX_WAKE_PRIVATE, 1);
    if (r)
        D.stop = 1;
}

/* Work item i (a piece, or a frame's pieces) with decompression context ctx. */
static void rd_unit(uint64_t i, int ctx)
{
    if (!D.units) {
        rd_finish(&D.p[i], rd_pread((void *)D.p[i].addr, D.p[i].len, D.p[i].off));
        return;
    }
    struct lh_rd_piece *p;
    uint64_t n;
    long r = lh_zs_unit(i, ctx, &p, &n);
    for (uint64_t k = 0; k < n; k++)
        rd_finish(&p[k], r);
}

__attribute__((used, noreturn)) static void rd_worker(void *arg)
{
    while (!D.stop) {
        uint64_t i = __atomic_fetch_add(&D.next, 1, __ATOMIC_RELAXED);
        if (i >= (D.units ? D.units : D.n))
            break;
        rd_unit(i, (int)(intptr_t)arg);
    }
    for (;;)
        ckpt_sys1(SYS_exit, 0);
}

long lh_rd_thread(void (*fn)(void *), void *arg, char *stack, uint64_t size, volatile int *tid)
{
    struct lh_clone_start *s = (void *)(stack + size - sizeof *s);
    s->fn = fn;
    s->arg = arg;
    return lh_clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                        CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
                    s, (void *)tid, (void *)tid, 0, s);
}

static int env_readers(void)
{
    const char *v = getenv("CKPT_MPI_RESTORE_READERS");
    if (!v || !*v)
        return 4;
    char *e;
    long x = strtol(v, &e, 10);
    if (*e || x < 0 || x > LH_RD_MAX)
        lh_die(1, "CKPT_MPI_RESTORE_READERS=%s: expected 0 (the restoring thread reads) to %d", v, LH_RD_MAX);
    return (int)x;
}

/* Whether region kind k is read through the plan (shared file mappings are
 * read apart: their data is written to the user's file only after it passed
 * its checksum). */
static int rd_planned(const struct ckpt_img_region *g)
{
    return g->kind != CKPT_REG_NONE && g->kind != CKPT_REG_FILE_SHARED && g->nextents;
}

void lh_rd_start(const char *path, int fd, int dfd, const struct ckpt_img_region *regs, uint32_t nregs,
                 const struct ckpt_img_extent *ext)
{
    memset(&D, 0, sizeof D);
    D.path = path;
    D.fd = fd;
    D.dfd = dfd;
    D.direct = dfd >= 0;
    uint64_t cap = 0;
    for (uint32_t i = 0; i < nregs; i++)
        if (rd_planned(&regs[i]))
            for (uint64_t k = 0; k < regs[i].nextents; k++)
                cap += (ext[regs[i].first_extent + k].len + LH_RD_PIECE - 1) / LH_RD_PIECE;
    if (!cap) {
        if (lh_zs_on())
            lh_zs_plan(NULL, 0, 1, rd_pread); /* shared file mappings only: the restoring thread's context */
        return;
    }
    uint64_t bytes = LH_PAGE_UP(cap * sizeof *D.p);
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        lh_die(1, "%s: mmap(%lu bytes for the read plan): %s", path, (unsigned long)bytes, strerror(errno));
    D.p = m;
    D.pbytes = bytes;
    for (uint32_t i = 0; i < nregs; i++) {
        if (!rd_planned(&regs[i]))
            continue;
        for (uint64_t k = 0; k < regs[i].nextents; k++) {
            const struct ckpt_img_extent *x = &ext[regs[i].first_extent + k];
            for (uint64_t d = 0; d < x->len; d += LH_RD_PIECE) {
                struct lh_rd_piece *p = &D.p[D.n++];
                p->addr = x->addr + d;
                p->off = x->file_off + d;
                p->len = x->len - d < LH_RD_PIECE ? x->len - d : LH_RD_PIECE;
                p->region = i;
            }
        }
    }
    D.readers = env_readers();
    if ((uint64_t)D.readers > D.n)
        D.readers = (int)D.n;
    if (lh_zs_on()) /* context 0 is the restoring thread's, reader t has t + 1 */
        D.units = lh_zs_plan(D.p, D.n, D.readers + 1, rd_pread);
    if (!D.readers)
        return;
    D.sbytes = (uint64_t)D.readers * LH_RD_STACK;
    D.stacks = mmap(NULL, D.sbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (D.stacks == MAP_FAILED)
        lh_die(1, "%s: mmap(reader stacks): %s", path, strerror(errno));
    for (int t = 0; t < D.readers; t++) {
        long r = lh_rd_thread(rd_worker, (void *)(intptr_t)(t + 1), D.stacks + (size_t)t * LH_RD_STACK, LH_RD_STACK, &D.tids[t]);
        if (r < 0) { /* fewer readers then; with none the restoring thread reads */
            lh_log("clone(reader %d): %s", t, strerror((int)-r));
            D.readers = t;
            break;
        }
    }
}

/* Waits until [addr, addr+len) of the plan is read (the restoring thread
 * reads it itself without readers); dies with one line if that failed. */
void lh_rd_wait(uint64_t addr, uint64_t len, uint64_t rstart, uint64_t rend)
{
    uint64_t covered = 0;
    while (covered < len && D.cursor < D.n) {
        struct lh_rd_piece *p = &D.p[D.cursor];
        if (p->addr != addr + covered)
            break;
        while (!D.readers && D.next < (D.units ? D.units : D.n) &&
               __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == LH_RD_PENDING)
            rd_unit(D.next++, 0);
        int32_t s;
        while ((s = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE)) == LH_RD_PENDING)
            rd_sys_futex(&p->state, FUTEX_WAIT_PRIVATE, LH_RD_PENDING);
        if (s == LH_RD_EOF)
            lh_die(1, "%s: truncated image (data of region %#lx-%#lx missing)", D.path, (unsigned long)rstart,
                   (unsigned long)rend);
        if (s == LH_RD_CORRUPT)
            lh_die(1, "%s: region %#lx-%#lx is damaged (its compressed data does not decompress)", D.path,
                   (unsigned long)rstart, (unsigned long)rend);
        if (s < 0)
            lh_die(1, "%s: pread(%s, %lu bytes at %lu) for region %#lx-%#lx: %s", D.path,
                   D.direct ? "O_DIRECT" : "buffered", (unsigned long)p->len, (unsigned long)p->off,
                   (unsigned long)rstart, (unsigned long)rend, strerror(-s));
        covered += p->len;
        D.bytes += p->len;
        D.cursor++;
    }
    if (covered != len)
        lh_die(1, "%s: internal error: the read plan does not cover %#lx+%lu", D.path, (unsigned long)addr,
               (unsigned long)len);
}

int lh_rd_end(int *direct)
{
    for (int t = 0; t < D.readers; t++) {
        int v;
        while ((v = D.tids[t]) != 0)
            rd_sys_futex((volatile int32_t *)&D.tids[t], FUTEX_WAIT, v);
    }
    if (D.stacks)
        munmap(D.stacks, D.sbytes);
    if (D.p)
        munmap(D.p, D.pbytes);
    lh_zs_close();
    *direct = D.dfd >= 0 && D.direct;
    return D.readers;
}
