/* The image writer (docs/image-format.md). Runs on the checkpointing thread,
 * on its own stack, while every other upper thread is parked: raw system
 * calls and a scratch mapping only (no malloc, stdio or locks).
 *
 * Order: scan /proc/self/maps and /proc/self/pagemap into regions and
 * extents of non-zero pages (of a private file mapping: of the pages that
 * differ from the file, which is stored by reference; of a region tracked for an incremental
 * image: of the pages written since the parent, dirty.c); lay out the metadata; write the page data
 * (O_DIRECT when the file system takes it) straight from memory, hashing each
 * region on the way; write the metadata at offset 0; fsync; rename
 * rank-RRRR.img.tmp to rank-RRRR.img; fsync the directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include "parked.h"

#define MAX_REGIONS  16384u
#define MAX_EXTENTS  (1u << 20)
#define MAPS_BUF     (8u << 20)
#define STRINGS_CAP  (2u << 20)
#define PM_ENTRIES   65536u
#define MAX_FILES    4096u
#define PM_PRESENT   (1ULL << 63)
#define PM_SWAPPED   (1ULL << 62)
#define PM_FILE      (1ULL << 61) /* a page cache (or shared-anonymous) page, not a private copy */
#define CHUNK        CKPT_IMG_HASH_CHUNK
#define REGF_MPROT   0x100u /* internal: made readable for the write */

struct scratch {
    char maps[MAPS_BUF];
    struct ckpt_img_region regions[MAX_REGIONS];
    struct ckpt_img_extent extents[MAX_EXTENTS];
    char strings[STRINGS_CAP];
    struct ckpt_img_file files[MAX_FILES];
    uint64_t pagemap[PM_ENTRIES];
    struct ckpt_img_thread threads[ENG_MAX_THREADS + 1];
    struct ckpt_img_fd fds[ENG_MAX_FDS];
    struct ckpt_img_sigaction sigs[64];
    char path[4096], tmp[4096], link[4096];
    struct eng_dirty dirty; /* incremental images: filled at the pause (dirty.c) */
};
_Static_assert(MAX_REGIONS == ENG_DIRTY_MAX_REGIONS, "one run index per region");

struct wstate {
    struct scratch *s;
    uint64_t scratch_lo, scratch_hi;
    uint32_t nregions, nthreads, nfds, nfiles;
    uint64_t nextents, strings_size;
    uint64_t vdso_s, vdso_e, vvar_s, vvar_e;
    /* Facts of the process at the cut that a forked writer would not see as
     * they were (a child has no pending signals and no interval timers, and
     * shares file offsets and lower-half memory with the running parent). */
    uint64_t pid, sigpending, mem_bytes;
    uint64_t itimer[3][4];
    char flavour[16];
    int mpich_face;
    const char *shared_why; /* memory a child would not see frozen (then: inline) */
};

/* The job's identity, copied from CKPT_MPI_JOB_ID at start-up: the writer runs
 * while threads are parked and must not call getenv. A restored process finds
 * it again in this memory, which is right: a restarted job is the same job. */
static char job_id[CKPT_IMG_JOB_ID_SIZE];

void eng_job_id_init(const char *id)
{
    if (id)
        strncpy(job_id, id, sizeof job_id - 1);
}

/* Found by the checkpointing thread before it parks the others (it asks the
 * loader, which the writer must not). */
static char program_abi[CKPT_IMG_ABI_SIZE];

void eng_program_abi_set(const char *abi)
{
    memset(program_abi, 0, sizeof program_abi);
    strncpy(program_abi, abi, sizeof program_abi - 1);
}

/* CKPT_MPI_IMAGE_FILES, read at start-up: "content" stores private file
 * mappings by content (a restart on hosts without the same files), the
 * default "reference" by reference plus the pages that differ. */
static int files_by_content;

void eng_image_files_init(const char *v)
{
    if (v && !strcmp(v, "content"))
        files_by_content = 1;
    else if (v && *v && strcmp(v, "reference"))
        eng_log("CKPT_MPI_IMAGE_FILES must be 'reference' or 'content'; using reference, not ", v);
}

/* Hashes of files already hashed, by identity: a file does not change while
 * its identity stays (an in-place write that keeps size and mtime aside), so
 * a process checkpointed again (inline, or restored: the cache is in the
 * image) does not read its libraries again. A forked writer's additions die
 * with it. */
#define HASH_CACHE 256u
static struct ckpt_img_file hash_cache[HASH_CACHE];
static uint32_t hash_cache_n;

static uint64_t add_string(struct wstate *w, const char *s, size_t n)
{
    if (w->strings_size + n + 1 > STRINGS_CAP)
        return 0;
    uint64_t off = w->strings_size;
    memcpy(w->s->strings + off, s, n);
    w->s->strings[off + n] = 0;
    w->strings_size += n + 1;
    return off;
}

static int lower_owned(uint64_t s, uint64_t e)
{
    struct ckpt_boot *b = eng.boot;
    if (s >= b->arena_start && s < b->arena_end)
        return 1;
    uint32_t n = __atomic_load_n(b->region_count, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (b->regions[i].start < e && s < b->regions[i].end)
            return 1;
    return 0;
}

/* Ranges whose owner saves their contents itself (ckpt_engine_image_keep_out).
 * A slot is published by its end: a thread parked halfway through an update
 * leaves either no range or a whole one. */
#define KEEP_OUT_MAX 64
static struct {
    uint64_t start, end;
} keep_out[KEEP_OUT_MAX];

int ckpt_engine_image_keep_out(uint64_t start, uint64_t end, int on)
{
    for (int i = 0; i < KEEP_OUT_MAX; i++) {
        uint64_t e = __atomic_load_n(&keep_out[i].end, __ATOMIC_ACQUIRE);
        if (on && e == 0) {
            keep_out[i].start = start;
            __atomic_store_n(&keep_out[i].end, end, __ATOMIC_RELEASE);
            return 0;
        }
        if (!on && e == end && keep_out[i].start == start) {
            __atomic_store_n(&keep_out[i].end, 0, __ATOMIC_RELEASE);
            return 0;
        }
    }
    return on ? -1 : 0;
}

static int kept_out(uint64_t s, uint64_t e)
{
    for (int i = 0; i < KEEP_OUT_MAX; i++) {
        uint64_t end = __atomic_load_n(&keep_out[i].end, __ATOMIC_ACQUIRE);
        if (end && s >= keep_out[i].start && e <= end)
            return 1;
    }
    return 0;
}

static long read_whole(const char *path, char *buf, size_t cap, size_t *len)
{
    long fd = ckpt_sys3(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    size_t n = 0;
    for (;;) {
        long r = ckpt_sys3(SYS_read, fd, buf + n, cap - 1 - n);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            ckpt_sys1(SYS_close, fd);
            return r;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n >= cap - 1) {
            ckpt_sys1(SYS_close, fd);
            return -EFBIG;
        }
    }
    ckpt_sys1(SYS_close, fd);
    buf[n] = 0;
    *len = n;
    return 0;
}

/* The st_dev of a device that /proc/self/maps shows as major:minor. */
static uint64_t map_dev(uint64_t maj, uint64_t min)
{
    return ((maj & 0xfff) << 8) | (min & 0xff) | ((maj & ~0xfffULL) << 32) | ((min & ~0xffULL) << 12);
}

/* A private mapping of a regular file that is still the mapped one (same
 * device and inode at its path: a library replaced since it was mapped is
 * stored by content) becomes CKPT_REG_FILE_PRIVATE with its file's entry;
 * anything else stays private memory stored by content. */
static void by_reference(struct wstate *w, struct ckpt_img_region *g, uint64_t dev, uint64_t ino, uint64_t off)
{
    g->kind = CKPT_REG_ANON;
    const char *path = w->s->strings + g->path_off;
    for (uint32_t i = 0; i < w->nfiles; i++) {
        struct ckpt_img_file *f = &w->s->files[i];
        if (f->dev == dev && f->ino == ino && !strcmp(w->s->strings + f->path_off, path)) {
            if (g->path_off)
                w->strings_size = g->path_off; /* the string just added: the file's is the same */
            g->path_off = f->path_off;
            g->kind = CKPT_REG_FILE_PRIVATE;
            g->file_offset = off;
            return;
        }
    }
    struct stat st;
    if (w->nfiles >= MAX_FILES || ckpt_sys2(SYS_stat, path, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)
        return;
    struct ckpt_img_file *f = &w->s->files[w->nfiles++];
    memset(f, 0, sizeof *f);
    f->path_off = g->path_off;
    f->dev = dev;
    f->ino = ino;
    f->size = st.st_size;
    f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    g->kind = CKPT_REG_FILE_PRIVATE;
    g->file_offset = off;
}

/* /proc/self/maps -> regions. */
static long scan_maps(struct wstate *w, struct sbuf *err)
{
    size_t len;
    long r = read_whole("/proc/self/maps", w->s->maps, MAPS_BUF, &len);
    if (r < 0) {
        sb_err(err, "read /proc/self/maps", r);
        return r;
    }
    for (const char *p = w->s->maps; *p;) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        uint64_t s = ckpt_scan_hex(&p);
        p++;
        uint64_t e = ckpt_scan_hex(&p);
        p++;
        uint32_t prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) | (p[2] == 'x' ? PROT_EXEC : 0);
        int shared = p[3] == 's';
        p += 5;
        uint64_t off = ckpt_scan_hex(&p);
        /* dev (major:minor, hex), inode (decimal), then the path */
        while (p < eol && *p == ' ')
            p++;
        uint64_t dmaj = ckpt_scan_hex(&p);
        if (*p == ':')
            p++;
        uint64_t dmin = ckpt_scan_hex(&p);
        while (p < eol && *p == ' ')
            p++;
        uint64_t ino = 0;
        while (p < eol && *p >= '0' && *p <= '9')
            ino = ino * 10 + (uint64_t)(*p++ - '0');
        while (p < eol && *p == ' ')
            p++;
        const char *name = p;
        size_t nl = (size_t)(eol - p);
        const char *next = *eol ? eol + 1 : eol;

        if (nl >= 5 && !memcmp(name, "[vdso", 5)) {
            w->vdso_s = s, w->vdso_e = e;
        } else if (nl >= 5 && !memcmp(name, "[vvar", 5)) {
            if (!w->vvar_s || s < w->vvar_s)
                w->vvar_s = s;
            if (e > w->vvar_e)
                w->vvar_e = e;
        } else if (nl >= 10 && !memcmp(name, "[vsyscall]", 10)) {
        } else if (lower_owned(s, e)) {
        } else {
            if (w->nregions >= MAX_REGIONS) {
                sb_str(err, "scan memory: more than 16384 mappings");
                return -E2BIG;
            }
            struct ckpt_img_region *g = &w->s->regions[w->nregions++];
            memset(g, 0, sizeof *g);
            g->start = s;
            g->end = e;
            g->prot = prot;
            int is_file = nl && name[0] == '/';
            int deleted = nl > 10 && !memcmp(name + nl - 10, " (deleted)", 10);
            if (is_file)
                g->flags |= CKPT_REGF_FILE;
            if (nl == 7 && !memcmp(name, "[stack]", 7))
                g->flags |= CKPT_REGF_STACK;
            if (nl == 6 && !memcmp(name, "[heap]", 6))
                g->flags |= CKPT_REGF_HEAP;
            if (nl)
                g->path_off = add_string(w, name, nl);
            if (prot == 0 || kept_out(s, e))
                g->kind = CKPT_REG_NONE;
            else if (shared && is_file && !deleted && strncmp(name, "/dev/zero", 9) && strncmp(name, "/SYSV", 5) &&
                     strncmp(name, "/memfd:", 7))
                g->kind = CKPT_REG_FILE_SHARED, g->file_offset = off;
            else if (shared)
                g->kind = CKPT_REG_SHARED_ANON;
            else if (is_file && !deleted && !files_by_content && strncmp(name, "/dev/", 5) && strncmp(name, "/memfd:", 7))
                by_reference(w, g, map_dev(dmaj, dmin), ino, off);
            else
                g->kind = CKPT_REG_ANON;
        }
        p = next;
    }
    return 0;
}

static int page_is_zero(const uint64_t *p)
{
    uint64_t acc = 0;
    for (int i = 0; i < 512; i += 8)
        acc |= p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] | p[i + 7];
    return acc == 0;
}

/* Non-zero pages of region g -> extents. */
static long scan_pages(struct wstate *w, struct ckpt_img_region *g, long pmfd, struct sbuf *err)
{
    if (g->flags & CKPT_REGF_PARENT) { /* a delta: the pages written since the parent, zero or not */
        long r = eng_dirty_extents(&w->s->dirty, (uint32_t)(g - w->s->regions), g, w->s->extents, &w->nextents,
                                   MAX_EXTENTS);
        if (r < 0)
            sb_str(err, "scan memory: too fragmented (more than 1M runs of written pages)");
        return r;
    }
    g->first_extent = w->nextents;
    g->nextents = 0;
    g->data_bytes = 0;
    if (g->kind == CKPT_REG_FILE_SHARED && (g->prot & PROT_WRITE) && (g->prot & PROT_READ)) {
        /* The file's contents as of the checkpoint: the restore writes them
         * back, so writes made after the checkpoint are undone like the
         * rest of the process. Every page up to the end of the file (zero
         * pages too: the file may hold non-zero data there later). */
        struct stat st;
        if (ckpt_sys2(SYS_stat, w->s->strings + g->path_off, &st) != 0 || (uint64_t)st.st_size <= g->file_offset)
            return 0;
        uint64_t len = (uint64_t)st.st_size - g->file_offset;
        len = (len + CKPT_IMG_PAGE - 1) & ~(uint64_t)(CKPT_IMG_PAGE - 1);
        if (len > g->end - g->start)
            len = g->end - g->start;
        if (w->nextents >= MAX_EXTENTS) {
            sb_str(err, "scan memory: too many runs of pages");
            return -E2BIG;
        }
        struct ckpt_img_extent *x = &w->s->extents[w->nextents++];
        x->addr = g->start;
        x->len = len;
        x->file_off = 0;
        g->nextents = 1;
        g->data_bytes = len;
        return 0;
    }
    if (g->kind != CKPT_REG_ANON && g->kind != CKPT_REG_SHARED_ANON && g->kind != CKPT_REG_FILE_PRIVATE)
        return 0;
    if (!(g->prot & PROT_READ)) {
        long r = ckpt_sys3(SYS_mprotect, g->start, g->end - g->start, g->prot | PROT_READ);
        if (r < 0) {
            sb_err(err, "mprotect(make readable)", r);
            return r;
        }
        g->flags |= REGF_MPROT;
    }
    /* pagemap tells untouched anonymous pages (neither present nor swapped:
     * zero) without reading them. A private file mapping stored by reference
     * keeps exactly its private copies (present without PM_FILE, or swapped),
     * zero or not: every other page reads from the file. Stored by content,
     * its absent pages hold file data, so those are read. */
    int byref = g->kind == CKPT_REG_FILE_PRIVATE;
    int use_pm = pmfd >= 0 && (byref || !(g->flags & CKPT_REGF_FILE));
again:;
    uint64_t npages = (g->end - g->start) / CKPT_IMG_PAGE;
    struct ckpt_img_extent *cur = NULL;
    for (uint64_t base = 0; base < npages; base += PM_ENTRIES) {
        uint64_t cnt = npages - base < PM_ENTRIES ? npages - base : PM_ENTRIES;
        if (use_pm) {
            long r = ckpt_sys4(SYS_pread64, pmfd, w->s->pagemap, cnt * 8, ((g->start / CKPT_IMG_PAGE) + base) * 8);
            if (r != (long)(cnt * 8))
                use_pm = 0;
        }
        if (byref && !use_pm) { /* no pagemap, no telling the copies: by content after all */
            g->kind = CKPT_REG_ANON;
            g->file_offset = 0;
            byref = 0;
            w->nextents = g->first_extent;
            g->nextents = 0;
            g->data_bytes = 0;
            goto again;
        }
        for (uint64_t i = 0; i < cnt; i++) {
            uint64_t a = g->start + (base + i) * CKPT_IMG_PAGE;
            uint64_t pm = use_pm ? w->s->pagemap[i] : 0;
            int keep;
            if (byref)
                keep = (pm & PM_SWAPPED) || ((pm & PM_PRESENT) && !(pm & PM_FILE));
            else if (use_pm && !(pm & (PM_PRESENT | PM_SWAPPED)))
                keep = 0;
            else
                keep = !page_is_zero((const uint64_t *)a);
            if (!keep) {
                cur = NULL;
                continue;
            }
            if (cur && cur->addr + cur->len == a) {
                cur->len += CKPT_IMG_PAGE;
            } else {
                if (w->nextents >= MAX_EXTENTS) {
                    sb_str(err, "scan memory: too fragmented (more than 1M runs of non-zero pages)");
                    return -E2BIG;
                }
                cur = &w->s->extents[w->nextents++];
                cur->addr = a;
                cur->len = CKPT_IMG_PAGE;
                cur->file_off = 0;
                g->nextents++;
            }
            g->data_bytes += CKPT_IMG_PAGE;
        }
    }
    return 0;
}

/* The files that regions still map by reference (a region may have fallen
 * back to content, or been trimmed away), each with its hash: from the cache
 * when its identity is known, else read through a mapping of it. */
static long hash_files(struct wstate *w, struct sbuf *err)
{
    struct scratch *s = w->s;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < w->nfiles; i++) {
        int used = 0;
        for (uint32_t k = 0; k < w->nregions && !used; k++)
            used = s->regions[k].kind == CKPT_REG_FILE_PRIVATE && s->regions[k].path_off == s->files[i].path_off;
        if (used)
            s->files[kept++] = s->files[i];
    }
    w->nfiles = kept;
    for (uint32_t i = 0; i < w->nfiles; i++) {
        struct ckpt_img_file *f = &s->files[i];
        int cached = 0;
        for (uint32_t k = 0; k < hash_cache_n && !cached; k++) {
            struct ckpt_img_file *c = &hash_cache[k];
            if (c->dev == f->dev && c->ino == f->ino && c->size == f->size && c->mtime_ns == f->mtime_ns) {
                f->hash = c->hash;
                cached = 1;
            }
        }
        if (cached)
            continue;
        const char *path = s->strings + f->path_off;
        long fd = ckpt_sys3(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            sb_err(err, "open(mapped file)", fd);
            return fd;
        }
        struct stat st;
        long r = ckpt_sys2(SYS_fstat, fd, &st);
        if (r == 0 && ((uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino || st.st_size != f->size)) {
            r = -ESTALE; /* replaced or resized between the scan and now: try the checkpoint again */
        }
        long m = 0;
        if (r == 0 && f->size > 0) {
            m = ckpt_sys6(SYS_mmap, 0, (uint64_t)f->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
            if (CKPT_SYS_ERR(m))
                r = m;
        }
        ckpt_sys1(SYS_close, fd);
        if (r < 0) {
            sb_str(err, path);
            sb_err(err, ": hash of a mapped file", r);
            return r;
        }
        f->hash = f->size > 0 ? ckpt_img_file_hash((const void *)m, (uint64_t)f->size) : CKPT_IMG_FILE_HASH_SEED;
        if (f->size > 0)
            ckpt_sys2(SYS_munmap, m, (uint64_t)f->size);
        if (hash_cache_n < HASH_CACHE)
            hash_cache[hash_cache_n++] = *f;
    }
    return 0;
}

static void describe_fds(struct wstate *w)
{
    struct scratch *s = w->s;
    for (int fd = 3; fd < ENG_MAX_FDS; fd++) {
        if (!eng_fd_tracked(fd))
            continue;
        long fdflags = ckpt_sys3(SYS_fcntl, fd, F_GETFD, 0);
        if (fdflags < 0) {
            eng_fd_untrack(fd);
            continue;
        }
        struct ckpt_img_fd *f = &s->fds[w->nfds++];
        memset(f, 0, sizeof *f);
        f->fd = fd;
        f->fdflags = (uint32_t)fdflags;
        f->flags = (uint32_t)ckpt_sys3(SYS_fcntl, fd, F_GETFL, 0);
        f->offset = -1;
        f->size = -1;
        struct sbuf p = {s->tmp, 0, sizeof s->tmp};
        sb_str(&p, "/proc/self/fd/");
        sb_u64(&p, (uint64_t)fd);
        long n = ckpt_sys3(SYS_readlink, s->tmp, s->link, sizeof s->link - 1);
        if (n < 0)
            n = 0;
        s->link[n] = 0;
        f->path_off = add_string(w, s->link, (size_t)n);
        struct stat st;
        f->kind = CKPT_FD_UNSUPPORTED;
        if (ckpt_sys2(SYS_fstat, fd, &st) == 0) {
            f->dev = st.st_dev;
            f->ino = st.st_ino;
            int deleted = n > 10 && !memcmp(s->link + n - 10, " (deleted)", 10);
            if (S_ISREG(st.st_mode) && s->link[0] == '/' && !deleted) {
                f->kind = CKPT_FD_REGULAR;
                f->size = st.st_size;
                f->offset = ckpt_sys3(SYS_lseek, fd, 0, SEEK_CUR);
            } else if (S_ISDIR(st.st_mode) && s->link[0] == '/') {
                f->kind = CKPT_FD_DIR;
                f->offset = 0;
            }
        }
    }
}

#define GATHER_RUN (256u << 10) /* runs up to this long are gathered */
struct gather {
    char *buf; /* CHUNK bytes, NULL: no gathering */
    uint64_t off, len;
};

static long gather_flush(struct gather *g, long *dfd, long fd)
{
    if (!g->len)
        return 0;
    long r = eng_write_data(dfd, fd, g->buf, g->len, g->off);
    g->len = 0;
    return r;
}

static void trim(struct wstate *w, uint64_t lo, uint64_t hi)
{
    struct ckpt_img_region *r = w->s->regions;
    for (uint32_t i = 0; i < w->nregions; i++) {
        struct ckpt_img_region *g = &r[i];
        if (!(g->start < hi && lo < g->end))
            continue;
        if (g->start >= lo && g->end <= hi) {
            memmove(g, g + 1, (w->nregions - i - 1) * sizeof *g);
            w->nregions--;
            i--;
        } else if (g->start < lo && g->end > hi) {
            if (w->nregions < MAX_REGIONS) {
                memmove(g + 1, g, (w->nregions - i) * sizeof *g);
                w->nregions++;
                g->end = lo;
                g[1].start = hi;
                if (g[1].kind == CKPT_REG_FILE_SHARED || g[1].kind == CKPT_REG_FILE_PRIVATE)
                    g[1].file_offset += hi - g->start;
                i++;
            }
        } else if (g->start < lo) {
            g->end = lo;
        } else {
            if (g->kind == CKPT_REG_FILE_SHARED || g->kind == CKPT_REG_FILE_PRIVATE)
                g->file_offset += hi - g->start;
            g->start = hi;
        }
    }
}

/* The part of the write that must see the process itself, at the cut: the
 * memory map, the fds (their offsets are shared with a forked child), the
 * pending signals and timers (a child has none), the lower half's facts. Runs
 * with every other upper thread parked. 0 or -errno (err says why). */
static long image_begin(struct eng_write_args *a, struct wstate *w, struct sbuf *err)
{
    long m = ckpt_sys6(SYS_mmap, 0, sizeof(struct scratch), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (CKPT_SYS_ERR(m)) {
        sb_err(err, "mmap(scratch)", m);
        return m;
    }
    w->s = (struct scratch *)m;
    struct scratch *s = w->s;
    w->scratch_lo = (uint64_t)m;
    w->scratch_hi = (uint64_t)m + ((sizeof(struct scratch) + 4095) & ~4095UL);
    add_string(w, "", 0); /* offset 0 = no string */

    long r = scan_maps(w, err);
    if (r < 0)
        return r;
    /* Drop the writer's own mappings. The kernel may have merged them with a
     * neighbouring mapping of the same kind (glibc's arenas are MAP_NORESERVE
     * too), so trim, never skip whole lines. */
    trim(w, w->scratch_lo, w->scratch_hi);
    trim(w, a->altstack, a->altstack + ENG_ALTSTACK);
    if (a->page)
        trim(w, (uint64_t)a->page, (uint64_t)a->page + 4096);
    for (uint32_t i = 0; i < w->nregions; i++) {
        struct ckpt_img_region *g = &s->regions[i];
        w->mem_bytes += g->end - g->start;
        /* shared with whoever else maps them: a child would store what the
         * running application writes there after the cut */
        if (!w->shared_why && g->kind == CKPT_REG_SHARED_ANON)
            w->shared_why = "shared anonymous memory";
        if (!w->shared_why && g->kind == CKPT_REG_FILE_SHARED && (g->prot & PROT_WRITE))
            w->shared_why = "a writable shared file mapping";
    }
    eng_dirty_begin(&s->dirty, s->regions, w->nregions);
    describe_fds(w);
    uint64_t pend = 0;
    ckpt_sys2(SYS_rt_sigpending, &pend, 8); /* the process's, and this thread's (it blocks everything) */
    w->sigpending = pend & ~(1ULL << (eng.sig - 1));
    for (int i = 0; i < 3; i++) {
        struct itimerval it;
        memset(&it, 0, sizeof it);
        ckpt_sys2(SYS_getitimer, i, &it);
        /* A periodic ITIMER_REAL reads 0 while its SIGALRM is pending (the
         * kernel re-arms it when the signal is taken): it is still periodic. */
        if (!it.it_value.tv_sec && !it.it_value.tv_usec)
            it.it_value = it.it_interval;
        w->itimer[i][0] = (uint64_t)it.it_interval.tv_sec;
        w->itimer[i][1] = (uint64_t)it.it_interval.tv_usec;
        w->itimer[i][2] = (uint64_t)it.it_value.tv_sec;
        w->itimer[i][3] = (uint64_t)it.it_value.tv_usec;
    }
    w->pid = (uint64_t)ckpt_sys0(SYS_getpid);
    strncpy(w->flavour, eng.boot->flavour ? eng.boot->flavour : "none", sizeof w->flavour - 1);
    w->mpich_face = eng.boot->table != NULL;

    struct sbuf p = {s->path, 0, sizeof s->path};
    sb_str(&p, a->dir);
    char rn[32];
    struct sbuf q = {rn, 0, sizeof rn};
    sb_str(&q, "/rank-");
    char d4[5] = {(char)('0' + eng.rank / 1000 % 10), (char)('0' + eng.rank / 100 % 10),
                  (char)('0' + eng.rank / 10 % 10), (char)('0' + eng.rank % 10), 0};
    sb_str(&q, d4);
    sb_str(&q, ".img");
    sb_str(&p, rn);
    memcpy(s->tmp, s->path, p.n);
    struct sbuf t = {s->tmp, p.n, sizeof s->tmp};
    s->tmp[p.n] = 0;
    sb_str(&t, ".tmp");
    return 0;
}

/* The kernel writes the CPU number into a thread's rseq area, in its TCB and
 * so in the image, whenever the thread runs on another CPU: the writing
 * thread's own (the engine thread's, which a forked writer inherits) could
 * change between the hash of its page and the copy that is stored, all the
 * more with compressing workers to migrate between. Unregistered while the
 * image is written; returns the length to register it again with, 0 if none. */
#define RSEQ_SIG 0x53053053
static uint32_t rseq_pause(void)
{
    if (!eng.rseq_size)
        return 0;
    uint64_t area = (uint64_t)((int64_t)eng_fs_base() + eng.rseq_offset);
    if (ckpt_sys4(SYS_rseq, area, 32, 1 /* RSEQ_FLAG_UNREGISTER */, RSEQ_SIG) == 0)
        return 32;
    return ckpt_sys4(SYS_rseq, area, eng.rseq_size, 1, RSEQ_SIG) == 0 ? eng.rseq_size : 0;
}

static void rseq_resume(uint32_t len)
{
    if (len)
        ckpt_sys4(SYS_rseq, (uint64_t)((int64_t)eng_fs_base() + eng.rseq_offset), len, 0, RSEQ_SIG);
}

/* The rest: page scan, metadata, data, fsync, rename. Reads only memory (and
 * what image_begin kept), so it gives the same image in the process itself
 * or in a forked copy of it. Sets a->bytes; err says why it failed. */
static void image_finish(struct eng_write_args *a, struct wstate *w, struct sbuf *err)
{
    struct scratch *s = w->s;
    long fd = -1, dfd = -1, dirfd = -1, pmfd = -1;
    int tmp_created = 0;
    struct gather gat = {NULL, 0, 0};
    long r;
    uint32_t rseq_len = rseq_pause();

    pmfd = ckpt_sys3(SYS_open, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
    for (uint32_t i = 0; i < w->nregions; i++) {
        struct ckpt_img_region *g = &s->regions[i];
        if (g->kind == CKPT_REG_FILE_SHARED)
            ckpt_sys3(SYS_msync, g->start, g->end - g->start, MS_SYNC);
        r = scan_pages(w, g, pmfd, err);
        if (r < 0)
            goto out;
    }
    if (pmfd >= 0)
        ckpt_sys1(SYS_close, pmfd);
    pmfd = -1;
    r = hash_files(w, err);
    if (r < 0)
        goto out;

    /* threads */
    int have_main = 0;
    for (uint32_t i = 0; i <= eng.nslots; i++) {
        struct eng_thread *t = i < eng.nslots ? &eng.slots[i] : &eng.self_slot;
        if (t->state != ETS_PARKED)
            continue;
        struct ckpt_img_thread *th = &s->threads[w->nthreads++];
        *th = t->rec;
        uint64_t fs = th->ctx.fs_base;
        th->tid_addr = eng.tid_offset ? fs + eng.tid_offset : 0;
        th->robust_head = eng.robust_offset ? fs + eng.robust_offset : 0;
        th->rseq_area = eng.rseq_size ? (uint64_t)((int64_t)fs + eng.rseq_offset) : 0;
        if (th->flags & CKPT_THR_MAIN)
            have_main = 1;
    }
    if (!have_main) {
        sb_str(err, "checkpoint: the main thread could not be stopped (exited, or inside the lower half)");
        goto out;
    }
    for (int sig = 1; sig <= 64; sig++) {
        memset(&s->sigs[sig - 1], 0, sizeof s->sigs[0]);
        if (sig != SIGKILL && sig != SIGSTOP)
            ckpt_sys4(SYS_rt_sigaction, sig, NULL, &s->sigs[sig - 1], 8);
    }

    /* layout */
    uint64_t off = CKPT_IMG_HEADER_SIZE;
    uint64_t threads_off = off;
    off += (uint64_t)w->nthreads * sizeof(struct ckpt_img_thread);
    uint64_t fds_off = off;
    off += (uint64_t)w->nfds * sizeof(struct ckpt_img_fd);
    uint64_t sigs_off = off;
    off += 64 * sizeof(struct ckpt_img_sigaction);
    uint64_t regions_off = off;
    off += (uint64_t)w->nregions * sizeof(struct ckpt_img_region);
    uint64_t extents_off = off;
    off += w->nextents * sizeof(struct ckpt_img_extent);
    uint64_t strings_off = off;
    off += w->strings_size;
    off = (off + 7) & ~(uint64_t)7;
    uint64_t files_off = off;
    off += (uint64_t)w->nfiles * sizeof(struct ckpt_img_file);
    int zlevel = eng_compress_level();
    long nframes = zlevel ? eng_zs_plan(s->regions, w->nregions, s->extents, err) : 0;
    if (nframes < 0)
        goto out;
    uint64_t frames_off = off;
    off += (uint64_t)nframes * sizeof(struct ckpt_img_frame);
    uint64_t data_off = (off + CKPT_IMG_PAGE - 1) & ~(uint64_t)(CKPT_IMG_PAGE - 1);
    uint64_t data_size = 0;
    for (uint64_t i = 0; i < w->nextents; i++) {
        s->extents[i].file_off = data_off + data_size;
        data_size += s->extents[i].len;
    }

    /* Under a coordinator the generation directory is the coordinator's to
     * make and to remove: a rank still on its way here when the generation
     * was abandoned would make it again and leave it behind. The
     * self-checkpoint debugging mode has no coordinator. */
    if (!eng_mailbox()->coord[0])
        ckpt_sys2(SYS_mkdir, a->dir, 0700);
    /* never through a symlink planted in the coordinator's place (its mkdir made a directory) */
    dirfd = ckpt_sys3(SYS_open, a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (eng_mailbox()->coord[0] ? O_NOFOLLOW : 0), 0);
    if (dirfd < 0) {
        sb_err(err, "open(checkpoint directory)", dirfd);
        goto out;
    }
    /* O_NOFOLLOW: a symlink in place of the tmp file would have us truncate its target */
    fd = ckpt_sys3(SYS_open, s->tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        sb_err(err, "open(image)", fd);
        goto out;
    }
    tmp_created = 1;
    dfd = ckpt_sys3(SYS_open, s->tmp, O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC, 0);
    if (dfd < 0)
        dfd = -1;

    /* data, region by region; the hash is computed on the way (compress.c: as frames) */
    uint64_t stored = data_size;
    if (zlevel && (r = eng_zs_write(s->regions, w->nregions, data_off, fd, &dfd, &stored, err)) < 0)
        goto out;
    /* Short runs (the scattered pages of an incremental image) are gathered and
     * written together: one O_DIRECT write per page costs a disk round trip each. */
    long gm = zlevel ? -ENOMEM
                     : ckpt_sys6(SYS_mmap, 0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    gat.buf = CKPT_SYS_ERR(gm) ? NULL : (char *)gm;

    for (uint32_t i = 0; !zlevel && i < w->nregions; i++) {
        struct ckpt_img_region *g = &s->regions[i];
        uint64_t hsh = CKPT_IMG_HASH_SEED;
        for (uint64_t k = 0; k < g->nextents; k++) {
            struct ckpt_img_extent *x = &s->extents[g->first_extent + k];
            if (gat.buf && x->len <= GATHER_RUN) {
                hsh = ckpt_img_hash(hsh, (const void *)x->addr, x->len);
                r = 0;
                if (gat.len && (gat.len + x->len > CHUNK || gat.off + gat.len != x->file_off))
                    r = gather_flush(&gat, &dfd, fd);
                if (r < 0) {
                    sb_err(err, "write(image)", r);
                    goto out;
                }
                if (!gat.len)
                    gat.off = x->file_off;
                memcpy(gat.buf + gat.len, (const void *)x->addr, x->len);
                gat.len += x->len;
                continue;
            }
            for (uint64_t done = 0; done < x->len; done += CHUNK) {
                uint64_t n = x->len - done < CHUNK ? x->len - done : CHUNK;
                const void *src = (const void *)(x->addr + done);
                hsh = ckpt_img_hash(hsh, src, n);
                if (a->bounce) {
                    /* O_DIRECT pins the pages it writes from, and pinning a page still
                     * shared with the parent copies it first, one fault per 4 KiB:
                     * a memcpy into the child's own buffer is several times cheaper. */
                    memcpy(a->bounce, src, n);
                    src = a->bounce;
                }
                r = eng_write_data(&dfd, fd, src, n, x->file_off + done);
                if (r < 0) {
                    sb_err(err, "write(image)", r);
                    goto out;
                }
            }
        }
        g->checksum = hsh;
        if (g->flags & REGF_MPROT) {
            ckpt_sys3(SYS_mprotect, g->start, g->end - g->start, g->prot);
            g->flags &= ~REGF_MPROT;
        }
    }
    r = gather_flush(&gat, &dfd, fd);
    if (r < 0) {
        sb_err(err, "write(image)", r);
        goto out;
    }

    /* metadata: assembled in the (now free) maps buffer */
    if (data_off > MAPS_BUF) {
        sb_str(err, "checkpoint: metadata larger than 8 MiB");
        goto out;
    }
    char *meta = s->maps;
    memset(meta, 0, data_off);
    struct ckpt_img_header *hd = (struct ckpt_img_header *)meta;
    hd->magic = CKPT_IMG_MAGIC;
    hd->version = CKPT_IMG_VERSION;
    if (s->dirty.parent_gen) {
        hd->version = CKPT_IMG_VERSION_FEATURES;
        hd->features |= CKPT_IMG_FEAT_PARENT;
        hd->parent_generation = s->dirty.parent_gen;
        hd->parent_meta_checksum = s->dirty.parent_sum;
    }
    hd->header_size = CKPT_IMG_HEADER_SIZE;
    hd->file_size = data_off + stored;
    hd->rank = eng.rank;
    hd->nranks = eng.nranks;
    hd->generation = a->generation;
    struct timespec now;
    ckpt_sys2(SYS_clock_gettime, CLOCK_REALTIME, &now);
    hd->created_unix_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
    hd->pid = w->pid;
    strncpy(hd->flavour, w->flavour, sizeof hd->flavour - 1);
    struct {
        char f[6][65];
    } un;
    if (ckpt_sys1(SYS_uname, &un) == 0)
        memcpy(hd->host, un.f[1], sizeof hd->host - 1);
    if (w->mpich_face)
        strncpy(hd->face_abi, "mpich", sizeof hd->face_abi - 1);
    hd->nthreads = w->nthreads;
    hd->nfds = w->nfds;
    hd->nregions = w->nregions;
    hd->nextents = w->nextents;
    hd->threads_off = threads_off;
    hd->fds_off = fds_off;
    hd->sigs_off = sigs_off;
    hd->regions_off = regions_off;
    hd->extents_off = extents_off;
    hd->strings_off = strings_off;
    hd->strings_size = w->strings_size;
    hd->files_off = files_off;
    hd->nfiles = w->nfiles;
    hd->data_off = data_off;
    hd->data_size = data_size;
    if (zlevel) {
        hd->version = CKPT_IMG_VERSION_FEATURES;
        hd->features |= CKPT_IMG_FEAT_ZSTD;
        hd->frames_off = frames_off;
        hd->nframes = (uint64_t)nframes;
        hd->stored_size = stored;
        hd->zstd_level = zlevel;
        memcpy(meta + frames_off, eng_zs_frames(), (size_t)nframes * sizeof(struct ckpt_img_frame));
    }
    hd->mem_bytes = w->mem_bytes;
    hd->mailbox_addr = (uint64_t)eng_mailbox();
    hd->tid_offset = eng.tid_offset;
    hd->robust_offset = eng.robust_offset;
    hd->rseq_offset = eng.rseq_offset;
    hd->rseq_size = eng.rseq_size;
    hd->suspend_signal = (uint32_t)eng.sig;
    hd->vdso_start = w->vdso_s;
    hd->vdso_end = w->vdso_e;
    hd->vvar_start = w->vvar_s;
    hd->vvar_end = w->vvar_e;
    memcpy(hd->itimer, w->itimer, sizeof hd->itimer);
    hd->sigpending = w->sigpending;
    long um = ckpt_sys1(SYS_umask, 022);
    ckpt_sys1(SYS_umask, um);
    hd->umask = (uint64_t)um;
    hd->pause_ns = eng.pause_ns;
    memcpy(hd->job_id, job_id, sizeof hd->job_id);
    memcpy(hd->program_abi, program_abi, sizeof hd->program_abi);
    ckpt_sys2(SYS_getcwd, hd->cwd, sizeof hd->cwd);
    memcpy(meta + threads_off, s->threads, (size_t)w->nthreads * sizeof(struct ckpt_img_thread));
    memcpy(meta + fds_off, s->fds, (size_t)w->nfds * sizeof(struct ckpt_img_fd));
    memcpy(meta + sigs_off, s->sigs, sizeof s->sigs);
    memcpy(meta + regions_off, s->regions, (size_t)w->nregions * sizeof(struct ckpt_img_region));
    memcpy(meta + extents_off, s->extents, (size_t)w->nextents * sizeof(struct ckpt_img_extent));
    memcpy(meta + strings_off, s->strings, w->strings_size);
    memcpy(meta + files_off, s->files, (size_t)w->nfiles * sizeof(struct ckpt_img_file));
    hd->meta_checksum = ckpt_img_hash(CKPT_IMG_HASH_SEED, meta, data_off);
    a->meta_sum = hd->meta_checksum;
    r = eng_write_full(fd, meta, data_off, 0);
    if (r < 0) {
        sb_err(err, "write(image header)", r);
        goto out;
    }
    r = ckpt_sys1(SYS_fsync, fd);
    if (r < 0) {
        sb_err(err, "fsync(image)", r);
        goto out;
    }
    if (dfd >= 0)
        ckpt_sys1(SYS_close, dfd);
    dfd = -1;
    r = ckpt_sys1(SYS_close, fd);
    fd = -1;
    if (r < 0) {
        sb_err(err, "close(image)", r);
        goto out;
    }
    r = ckpt_sys2(SYS_rename, s->tmp, s->path);
    if (r < 0) {
        sb_err(err, "rename(image)", r);
        goto out;
    }
    tmp_created = 0;
    r = ckpt_sys1(SYS_fsync, dirfd);
    if (r < 0 && r != -EINVAL) {
        sb_err(err, "fsync(checkpoint directory)", r);
        goto out;
    }
    a->bytes = data_off + stored;

out:
    eng_zs_end();
    rseq_resume(rseq_len);
    if (gat.buf)
        ckpt_sys2(SYS_munmap, gat.buf, CHUNK);
    for (uint32_t i = 0; i < w->nregions; i++)
        if (s->regions[i].flags & REGF_MPROT)
            ckpt_sys3(SYS_mprotect, s->regions[i].start, s->regions[i].end - s->regions[i].start, s->regions[i].prot);
    if (pmfd >= 0)
        ckpt_sys1(SYS_close, pmfd);
    if (dfd >= 0)
        ckpt_sys1(SYS_close, dfd);
    if (fd >= 0)
        ckpt_sys1(SYS_close, fd);
    if (tmp_created)
        ckpt_sys1(SYS_unlink, s->tmp);
    if (dirfd >= 0)
        ckpt_sys1(SYS_close, dirfd);
}

/* Runs first in a restored process, before the restore hooks and the face's
 * rebind write anything: its tracked memory is then exactly the image's. (The
 * lower half's own fix-ups in upper memory, the thread ids in struct pthread,
 * are made again at every restore, so a delta need not carry them.) */
void eng_image_track_restored(void)
{
    if (!eng_dirty_wanted())
        return;
    struct wstate W;
    memset(&W, 0, sizeof W);
    char ebuf[160];
    struct sbuf err = {ebuf, 0, sizeof ebuf};
    long m = ckpt_sys6(SYS_mmap, 0, sizeof(struct scratch), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (CKPT_SYS_ERR(m))
        return;
    W.s = (struct scratch *)m;
    W.scratch_lo = (uint64_t)m;
    W.scratch_hi = (uint64_t)m + ((sizeof(struct scratch) + 4095) & ~4095UL);
    add_string(&W, "", 0);
    if (scan_maps(&W, &err) == 0) {
        trim(&W, W.scratch_lo, W.scratch_hi);
        eng_dirty_restored(W.s->regions, W.nregions, eng_mailbox()->image);
    }
    ckpt_sys2(SYS_munmap, m, sizeof(struct scratch));
}

void eng_write_image(void *argp)
{
    struct eng_write_args *a = argp;
    struct sbuf err = {a->err, 0, sizeof a->err};
    a->err[0] = 0;
    uint64_t t0 = eng_now_ns();
    struct wstate W;
    memset(&W, 0, sizeof W);
    if (image_begin(a, &W, &err) == 0)
        image_finish(a, &W, &err);
    if (!a->err[0])
        eng_dirty_written(a->generation, a->meta_sum, W.s->dirty.parent_gen);
    if (W.s)
        ckpt_sys2(SYS_munmap, W.s, sizeof(struct scratch));
    a->write_ns = eng_now_ns() - t0;
}

/* ---- the copy-on-write writer (docs/checkpoint-protocol.md, "Copy-on-write")
 *
 * The process forks (a raw clone: glibc's fork would run the application's
 * atfork handlers) and the child, a frozen copy of the address space, runs
 * image_finish while the parent resumes the application. The child leaves
 * MPI, sockets and the coordinator alone, takes no signal (all blocked; it
 * dies with its parent), raises no SIGCHLD (exit signal 0: the application's
 * wait(-1) never sees it) and is waited for through its pidfd. Its result comes
 * back in a shared page, so even a child the application reaped by accident
 * (waitpid with __WALL) is accounted for. */

static void shared_wake(volatile uint32_t *w) { ckpt_sys3(SYS_futex, w, FUTEX_WAKE, 0x7fffffff); }
static void shared_wait(volatile uint32_t *w, uint32_t val, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    ckpt_sys4(SYS_futex, w, FUTEX_WAIT, val, &ts);
}

/* Does the child's memory map cover every region of the image? Memory marked
 * MADV_DONTFORK (e.g. buffers registered for RDMA) is absent in a child. */
static int child_has_all(struct wstate *w, long pid)
{
    char path[48];
    struct sbuf p = {path, 0, sizeof path};
    sb_str(&p, "/proc/");
    sb_u64(&p, (uint64_t)pid);
    sb_str(&p, "/maps");
    size_t len;
    if (read_whole(path, w->s->maps, MAPS_BUF, &len) < 0)
        return 0;
    const char *m = w->s->maps;
    uint64_t ls = 0, le = 0;
    for (uint32_t i = 0; i < w->nregions; i++) {
        struct ckpt_img_region *g = &w->s->regions[i];
        uint64_t pos = g->start;
        while (pos < g->end) {
            while (le <= pos) {
                if (!*m)
                    return 0;
                ls = ckpt_scan_hex(&m);
                m++;
                le = ckpt_scan_hex(&m);
                const char *eol = strchr(m, '\n');
                m = eol ? eol + 1 : m + strlen(m);
            }
            if (ls > pos)
                return 0;
            pos = le;
        }
    }
    return 1;
}

static __attribute__((noreturn)) void cow_child(struct eng_write_args *a, struct wstate *w)
{
    uint64_t all = ~0ULL;
    ckpt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
    ckpt_sys2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    if ((uint64_t)ckpt_sys0(SYS_getppid) != w->pid) /* the parent died before the line above */
        ckpt_sys1(SYS_exit_group, 1);
    ckpt_sys2(SYS_prctl, PR_SET_NAME, "ckpt-writer");
    struct eng_cow_page *pg = a->page;
    uint32_t go;
    while ((go = __atomic_load_n(&pg->go, __ATOMIC_ACQUIRE)) == 0)
        shared_wait(&pg->go, 0, 100);
    if (go != 1)
        ckpt_sys1(SYS_exit_group, 0);
    uint64_t t0 = eng_now_ns();
    if (eng.test_write_delay_ms > 0) /* tests: an application that ends, or is killed, while its image is written */
        eng_sleep_ms(eng.test_write_delay_ms);
    struct sbuf err = {pg->err, 0, sizeof pg->err};
    a->bytes = 0;
    long b = ckpt_sys6(SYS_mmap, 0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    a->bounce = CKPT_SYS_ERR(b) ? NULL : (void *)b;
    image_finish(a, w, &err);
    pg->bytes = a->bytes;
    pg->meta_sum = a->meta_sum;
    pg->write_ns = eng_now_ns() - t0;
    __atomic_store_n(&pg->done, 1, __ATOMIC_RELEASE);
    ckpt_sys1(SYS_exit_group, 0);
    __builtin_unreachable();
}

void eng_write_image_cow(void *argp)
{
    struct eng_write_args *a = argp;
    struct sbuf err = {a->err, 0, sizeof a->err};
    a->err[0] = 0;
    a->child_pidfd = -1;
    a->inline_why = NULL;
    uint64_t t0 = eng_now_ns();
    long pg = ckpt_sys6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (CKPT_SYS_ERR(pg)) {
        a->page = NULL;
        a->inline_why = "mmap(shared page) failed";
        eng_write_image(a);
        return;
    }
    a->page = (struct eng_cow_page *)pg;
    static struct wstate W; /* only one checkpoint at a time; the parent keeps it until the child is done */
    memset(&W, 0, sizeof W);
    struct wstate *w = &W;
    if (image_begin(a, w, &err) < 0)
        goto inline_done;
    uint64_t t1 = eng_now_ns();
    a->begin_ns = t1 - t0;
    if (w->shared_why) {
        a->inline_why = w->shared_why;
        goto inline_write;
    }
    int pidfd = -1;
    long pid = ckpt_sys5(SYS_clone, CLONE_PIDFD, 0, &pidfd, 0, 0);
    if (pid == 0)
        cow_child(a, w);
    if (pid < 0) {
        a->inline_why = "clone failed";
        goto inline_write;
    }
    uint64_t t2 = eng_now_ns();
    a->fork_ns = t2 - t1;
    int all = child_has_all(w, pid);
    a->check_ns = eng_now_ns() - t2;
    if (!all) {
        __atomic_store_n(&a->page->go, 2, __ATOMIC_RELEASE);
        shared_wake(&a->page->go);
        siginfo_t si;
        ckpt_sys5(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED | __WALL, 0);
        ckpt_sys1(SYS_close, pidfd);
        a->inline_why = "memory a child does not inherit (MADV_DONTFORK)";
        goto inline_write;
    }
    __atomic_store_n(&a->page->go, 1, __ATOMIC_RELEASE);
    shared_wake(&a->page->go);
    a->child_pidfd = pidfd;
    a->child_pid = pid;
    a->cow_state = w;
    a->write_ns = eng_now_ns() - t0;
    return;
inline_write:
    image_finish(a, w, &err);
    if (!a->err[0])
        eng_dirty_written(a->generation, a->meta_sum, w->s->dirty.parent_gen);
inline_done:
    if (w->s)
        ckpt_sys2(SYS_munmap, w->s, sizeof(struct scratch));
    ckpt_sys2(SYS_munmap, a->page, 4096);
    a->page = NULL;
    a->write_ns = eng_now_ns() - t0;
}

void eng_cow_wait(struct eng_write_args *a)
{
    struct wstate *w = a->cow_state;
    struct eng_cow_page *pg = a->page;
    struct sbuf err = {a->err, 0, sizeof a->err};
    uint64_t t0 = eng_now_ns();
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long r;
    do
        r = ckpt_sys5(SYS_waitid, P_PIDFD, a->child_pidfd, &si, WEXITED | __WALL, 0);
    while (r == -EINTR);
    if (r == -ECHILD) { /* reaped by the application (waitpid __WALL): wait for the pidfd instead */
        struct pollfd pf = {(int)a->child_pidfd, POLLIN, 0};
        while (ckpt_sys3(SYS_poll, &pf, 1, -1) == -EINTR)
            ;
    }
    ckpt_sys1(SYS_close, a->child_pidfd);
    a->child_pidfd = -1;
    if (__atomic_load_n(&pg->done, __ATOMIC_ACQUIRE)) {
        a->bytes = pg->bytes;
        a->write_ns += pg->write_ns;
        memcpy(a->err, pg->err, sizeof a->err);
        a->err[sizeof a->err - 1] = 0;
        a->meta_sum = pg->meta_sum;
        if (!a->err[0])
            eng_dirty_written(a->generation, a->meta_sum, w->s->dirty.parent_gen);
    } else {
        /* killed (OOM, a signal to its process group...) before it finished */
        a->bytes = 0;
        a->write_ns += eng_now_ns() - t0;
        sb_str(&err, "image writer process ");
        sb_u64(&err, (uint64_t)a->child_pid);
        if (r == 0 && (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)) {
            sb_str(&err, " was killed by signal ");
            sb_u64(&err, (uint64_t)si.si_status);
        } else {
            sb_str(&err, " ended without finishing the image");
        }
        ckpt_sys1(SYS_unlink, w->s->tmp);
    }
    ckpt_sys2(SYS_munmap, w->s, sizeof(struct scratch));
    ckpt_sys2(SYS_munmap, pg, 4096);
    a->page = NULL;
    a->cow_state = NULL;
}
