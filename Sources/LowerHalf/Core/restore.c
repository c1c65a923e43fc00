/* `ckpt-lower-<flavour> --restore IMAGE|DIR`: bring a saved upper half back
 * (docs/image-format.md, DESIGN §2).
 *
 *   lh_restore_open     find and verify the image: magic, version, metadata
 *                       checksum, size; nothing is mapped yet.
 *   lh_restore_reserve  reserve every saved upper range (PROT_NONE) and fd
 *                       number, before the MPI of this lower half creates
 *                       anything (flavour->prepare runs after it).
 *   lh_restore_finish   read the regions back (checking each checksum), move
 *                       [vdso]/[vvar] if they moved, reopen files, restore
 *                       signal dispositions, timers, cwd, umask, tell the upper
 *                       half about its new world (the engine's mailbox),
 *                       recreate the threads with raw clone, and become the
 *                       main thread. Never returns.
 *
 * Upper-half memory is mapped with raw system calls (the lower libc's mmap is
 * patched to steer into the arena); the lower half's own buffers come from
 * that patched mmap, so they never sit where an upper range must go. */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <ckpt_image.h>
#include "lh_internal.h"

static struct {
    char path[4096];
    int fd, dfd;
    uint64_t size;
    char *meta;
    struct ckpt_img_header *h;
    struct ckpt_img_thread *threads;
    struct ckpt_img_fd *fds;
    struct ckpt_img_sigaction *sigs;
    struct ckpt_img_region *regions;
    struct ckpt_img_extent *extents;
    const char *strings;
    struct ckpt_img_file *files;
    struct stat *verified; /* per file: what passed its hash (lh_restore_open) */
} R;

static const char *str_at(uint64_t off)
{
    return off < R.h->strings_size ? R.strings + off : "";
}

static int env_int(const char *const names[], int dflt)
{
    for (int i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) {
            char *e;
            long x = strtol(v, &e, 10);
            if (!*e)
                return (int)x;
        }
    }
    return dflt;
}
static const char *const rank_env[] = {"CKPT_MPI_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", NULL};
static const char *const size_env[] = {"CKPT_MPI_NRANKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};

static void read_at(void *buf, uint64_t len, uint64_t off, const char *what)
{
    long r = lh_pread_full(R.fd, buf, len, off);
    if (r == LH_RD_EOF)
        lh_die(1, "%s: truncated image (%s ends at byte %lu, the file has %lu)", R.path, what,
               (unsigned long)(off + len), (unsigned long)R.size);
    if (r < 0)
        lh_die(1, "%s: cannot read %s: %s", R.path, what, strerror((int)-r));
}

static int in_bounds(uint64_t off, uint64_t count, uint64_t elem, uint64_t limit)
{
    if (count && elem > (UINT64_MAX - off) / count)
        return 0;
    return off + count * elem <= limit;
}

/* The first n bytes of path (its header and metadata), or -1. */
static long read_prefix(const char *path, void *buf, size_t n, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long got = fstat(fd, st) == 0 ? (long)pread(fd, buf, n, 0) : -1;
    close(fd);
    return got;
}

/* Whether every region's data in the image at path (metadata meta) has its
 * checksum: a local copy is read in full once more, which costs a read of
 * node-local storage, so that a damaged one falls back to the shared image
 * instead of failing the restore half-way. */
static int local_data_verifies(const char *path, const char *meta)
{
    const struct ckpt_img_header *h = (const void *)meta;
    if (!in_bounds(h->regions_off, h->nregions, sizeof(struct ckpt_img_region), h->data_off) ||
        !in_bounds(h->extents_off, h->nextents, sizeof(struct ckpt_img_extent), h->data_off))
        return 0;
    const struct ckpt_img_region *regs = (const void *)(meta + h->regions_off);
    const struct ckpt_img_extent *ext = (const void *)(meta + h->extents_off);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf = mmap(NULL, CKPT_IMG_HASH_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = fd >= 0 && buf != MAP_FAILED;
    for (uint64_t i = 0; ok && i < h->nregions; i++) {
        const struct ckpt_img_region *g = &regs[i];
        if (!g->nextents)
            continue;
        if (g->first_extent > h->nextents || g->nextents > h->nextents - g->first_extent) {
            ok = 0;
            break;
        }
        uint64_t hh = CKPT_IMG_HASH_SEED;
        for (uint64_t k = 0; ok && k < g->nextents; k++) {
            const struct ckpt_img_extent *x = &ext[g->first_extent + k];
            for (uint64_t done = 0; ok && done < x->len;) {
                uint64_t n = x->len - done < CKPT_IMG_HASH_CHUNK ? x->len - done : CKPT_IMG_HASH_CHUNK;
                uint64_t got = 0;
                while (got < n) {
                    ssize_t r = pread(fd, buf + got, n - got, (off_t)(x->file_off + done + got));
                    if (r < 0 && errno == EINTR)
                        continue;
                    if (r <= 0) {
                        ok = 0;
                        break;
                    }
                    got += (uint64_t)r;
                }
                if (ok)
                    hh = ckpt_img_hash(hh, buf, n);
                done += n;
            }
        }
        if (ok && hh != g->checksum)
            ok = 0;
    }
    if (fd >= 0)
        close(fd);
    if (buf != MAP_FAILED)
        munmap(buf, CKPT_IMG_HASH_CHUNK);
    return ok;
}

/* --local-dir (CKPT_MPI_LOCAL_DIR): this node's copy LOCAL/JOBID/gen-N/rank-RRRR.img
 * replaces R.path when it has the shared image's size, the same header and
 * metadata (the shared one's are checked below as ever), and data that matches
 * every region checksum. */
static void prefer_local_copy(const char *gendir, int rank)
{
    const char *local = getenv("CKPT_MPI_LOCAL_DIR"), *job = getenv("CKPT_MPI_JOB_ID");
    if (!local || !*local || !job || !*job)
        return;
    size_t gl = strlen(gendir);
    while (gl > 1 && gendir[gl - 1] == '/')
        gl--;
    size_t b = gl;
    while (b > 0 && gendir[b - 1] != '/')
        b--;
    char path[sizeof R.path];
    snprintf(path, sizeof path, "%s/%s/%.*s/rank-%04d.img", local, job, (int)(gl - b), gendir + b, rank);
    struct stat ls, ss;
    struct ckpt_img_header lh, sh;
    const char *why = NULL;
    if (read_prefix(path, &lh, sizeof lh, &ls) < 0) {
        if (lh_debug)
            lh_log("no local copy %s: restoring from %s", path, R.path);
        return;
    }
    if (read_prefix(R.path, &sh, sizeof sh, &ss) != (long)sizeof sh)
        return; /* the shared image's own checks report it */
    if (ls.st_size != ss.st_size)
        why = "its size differs from the shared image's";
    else if (sh.data_off < sizeof sh || sh.data_off > (1ULL << 32) || memcmp(&lh, &sh, sizeof sh) != 0)
        why = "its header differs from the shared image's";
    else {
        char *a = malloc(sh.data_off), *c = malloc(sh.data_off);
        struct stat t;
        if (!a || !c || read_prefix(path, a, sh.data_off, &t) != (long)sh.data_off ||
            read_prefix(R.path, c, sh.data_off, &t) != (long)sh.data_off || memcmp(a, c, sh.data_off) != 0)
            why = "its metadata differs from the shared image's";
        else if (!local_data_verifies(path, a))
            why = "its data does not match its checksums";
        free(a);
        free(c);
    }
    if (why) {
        fprintf(stderr, "ckpt-mpi: local copy %s is not used (%s); restoring from %s\n", path, why, R.path);
        return;
    }
    if (lh_debug)
        lh_log("restoring from the local copy %s", path);
    snprintf(R.path, sizeof R.path, "%s", path);
}

/* The file-table entry of a region stored by reference, or NULL. */
static struct ckpt_img_file *file_of(const struct ckpt_img_region *g)
{
    for (uint32_t i = 0; i < R.h->nfiles; i++)
        if (R.files[i].path_off == g->path_off)
            return &R.files[i];
    return NULL;
}

/* Every file the image maps by reference must be the one of the checkpoint:
 * its pages would otherwise be other ones under the application's pointers.
 * Same size and hash passes (a copy on another host has another inode and
 * maybe mtime); anything else refuses the restart naming the file, before MPI
 * or any upper memory exists. */
static void verify_files(void)
{
    if (!R.h->nfiles)
        return;
    R.verified = calloc(R.h->nfiles, sizeof *R.verified);
    if (!R.verified)
        lh_die(1, "%s: calloc(%u files): %s", R.path, R.h->nfiles, strerror(errno));
    const char *hint = "restore the file, or checkpoint with CKPT_MPI_IMAGE_FILES=content";
    for (uint32_t i = 0; i < R.h->nfiles; i++) {
        const struct ckpt_img_file *f = &R.files[i];
        const char *p = str_at(f->path_off);
        struct stat *st = &R.verified[i];
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, st) != 0)
            lh_die(1, "%s: %s, mapped by the checkpointed process, cannot be opened: %s (%s)", R.path, p,
                   strerror(errno), hint);
        if (st->st_size != f->size)
            lh_die(1, "%s: %s changed since the checkpoint (%ld bytes, was %ld): restart refused (%s)", R.path, p,
                   (long)st->st_size, (long)f->size, hint);
        uint64_t h = CKPT_IMG_FILE_HASH_SEED;
        if (f->size > 0) {
            void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED)
                lh_die(1, "%s: mmap(%s, %ld bytes): %s", R.path, p, (long)f->size, strerror(errno));
            h = ckpt_img_file_hash(m, (uint64_t)f->size);
            munmap(m, (size_t)f->size);
        }
        close(fd);
        if (h != f->hash) {
            int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
            const char *what = st->st_ino != f->ino || st->st_dev != f->dev ? "another file with other contents"
                               : mt != f->mtime_ns                          ? "its contents and mtime differ"
                                                                            : "its contents differ, same mtime";
            lh_die(1, "%s: %s changed since the checkpoint (%s): restart refused (%s)", R.path, p, what, hint);
        }
    }
    lh_log("%u mapped files match the checkpoint", R.h->nfiles);
}

void lh_restore_open(const char *arg)
{
    struct stat st;
    if (stat(arg, &st) != 0)
        lh_die(1, "%s: %s", arg, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        snprintf(R.path, sizeof R.path, "%s/rank-%04d.img", arg, env_int(rank_env, 0));
        prefer_local_copy(arg, env_int(rank_env, 0));
    } else {
        snprintf(R.path, sizeof R.path, "%s", arg);
        /* restart of a --no-mpi job names its image: GEN/rank-0000.img */
        const char *slash = strrchr(arg, '/');
        if (slash && slash != arg && getenv("CKPT_MPI_LOCAL_DIR")) {
            char dir[sizeof R.path];
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - arg), arg);
            prefer_local_copy(dir, env_int(rank_env, 0));
        }
    }
    int fd = open(R.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        lh_die(1, "%s: %s", R.path, strerror(errno));
    /* keep the image's fd far above anything the application had */
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 1000);
    if (hi >= 0) {
        close(fd);
        fd = hi;
    }
    R.fd = fd;
    if (fstat(fd, &st) != 0)
        lh_die(1, "%s: %s", R.path, strerror(errno));
    R.size = (uint64_t)st.st_size;

    struct ckpt_img_header h;
    memset(&h, 0, sizeof h);
    if (R.size < 16 || ckpt_sys4(SYS_pread64, fd, &h, 16, 0) != 16 || h.magic != CKPT_IMG_MAGIC)
        lh_die(1, "%s: not a ckpt-mpi checkpoint image", R.path);
    if (h.version < CKPT_IMG_VERSION_MIN || h.version > CKPT_IMG_VERSION_FEATURES)
        lh_die(1, "%s: image format version %u; this ckpt-mpi reads versions %u to %u (restore it with the ckpt-mpi that wrote it)",
               R.path, h.version, CKPT_IMG_VERSION_MIN, CKPT_IMG_VERSION_FEATURES);
    if (R.size < CKPT_IMG_HEADER_SIZE)
        lh_die(1, "%s: truncated image (%lu bytes, the header alone is %u)", R.path, (unsigned long)R.size,
               CKPT_IMG_HEADER_SIZE);
    read_at(&h, sizeof h, 0, "the header");
    if (h.header_size != CKPT_IMG_HEADER_SIZE || h.data_off < CKPT_IMG_HEADER_SIZE || h.data_off % CKPT_IMG_PAGE ||
        h.data_off > h.file_size || h.data_off > (1ULL << 32))
        lh_die(1, "%s: image header is damaged (impossible layout)", R.path);
    if (R.size < h.file_size)
        lh_die(1, "%s: truncated image (%lu of %lu bytes)", R.path, (unsigned long)R.size, (unsigned long)h.file_size);
    if (h.version < CKPT_IMG_VERSION_FEATURES && h.features)
        lh_die(1, "%s: image header is damaged (features in a format %u image)", R.path, h.version);
    if (h.features & ~CKPT_IMG_FEATURES_KNOWN)
        lh_die(1, "%s: image uses features 0x%llx this ckpt-mpi does not read (restore it with the ckpt-mpi that wrote it)",
               R.path, (unsigned long long)(h.features & ~CKPT_IMG_FEATURES_KNOWN));

    void *m = mmap(NULL, h.data_off, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        lh_die(1, "%s: cannot allocate %lu bytes for the metadata: %s", R.path, (unsigned long)h.data_off,
               strerror(errno));
    R.meta = m;
    read_at(R.meta, h.data_off, 0, "the metadata");
    R.h = (struct ckpt_img_header *)R.meta;
    uint64_t want = R.h->meta_checksum;
    R.h->meta_checksum = 0;
    uint64_t got = ckpt_img_hash(CKPT_IMG_HASH_SEED, R.meta, h.data_off);
    R.h->meta_checksum = want;
    if (got != want)
        lh_die(1, "%s: image header is damaged (checksum mismatch)", R.path);
    /* ckpt-mpi restart checks this before launching; this catches a direct
     * --restore of another job's image, which would pass every other check and
     * then hang (its peers expect other messages). */
    const char *job = getenv("CKPT_MPI_JOB_ID");
    int idlen = (int)strnlen(R.h->job_id, sizeof R.h->job_id);
    if (job && *job && idlen && (strlen(job) != (size_t)idlen || strncmp(job, R.h->job_id, (size_t)idlen)))
        lh_die(1, "%s: image of job %.*s, not of this job %s", R.path, idlen, R.h->job_id, job);

    struct ckpt_img_header *H = R.h;
    if (!in_bounds(H->threads_off, H->nthreads, sizeof *R.threads, H->data_off) ||
        !in_bounds(H->fds_off, H->nfds, sizeof *R.fds, H->data_off) ||
        !in_bounds(H->sigs_off, 64, sizeof *R.sigs, H->data_off) ||
        !in_bounds(H->regions_off, H->nregions, sizeof *R.regions, H->data_off) ||
        !in_bounds(H->extents_off, H->nextents, sizeof *R.extents, H->data_off) ||
        !in_bounds(H->strings_off, H->strings_size, 1, H->data_off) || H->nthreads == 0 ||
        (H->version < 2 && H->nfiles) || !in_bounds(H->files_off, H->nfiles, sizeof *R.files, H->data_off))
        lh_die(1, "%s: image header is damaged (tables out of bounds)", R.path);
    R.files = (void *)(R.meta + H->files_off);
    R.threads = (void *)(R.meta + H->threads_off);
    R.fds = (void *)(R.meta + H->fds_off);
    R.sigs = (void *)(R.meta + H->sigs_off);
    R.regions = (void *)(R.meta + H->regions_off);
    R.extents = (void *)(R.meta + H->extents_off);
    R.strings = R.meta + H->strings_off;
    lh_zs_open(R.path, H, R.meta);
    for (uint32_t i = 0; i < H->nregions; i++) {
        struct ckpt_img_region *g = &R.regions[i];
        if (g->start >= g->end || g->start % CKPT_IMG_PAGE || g->end % CKPT_IMG_PAGE || g->end > CKPT_LOWER_ARENA_START ||
            g->first_extent + g->nextents > H->nextents)
            lh_die(1, "%s: image header is damaged (region %u)", R.path, i);
        for (uint64_t k = 0; k < g->nextents; k++) {
            struct ckpt_img_extent *x = &R.extents[g->first_extent + k];
            if (x->addr < g->start || x->addr + x->len > g->end ||
                x->file_off + x->len > (lh_zs_on() ? H->data_off + H->data_size : H->file_size))
                lh_die(1, "%s: image header is damaged (region %u, run %lu)", R.path, i, (unsigned long)k);
        }
        if (g->kind == CKPT_REG_FILE_PRIVATE && !file_of(g))
            lh_die(1, "%s: image header is damaged (region %u maps no file of the table)", R.path, i);
    }
    verify_files();
    lh_chain_open(R.path, R.h);
    lh_log("image %s: rank %d/%d, gen %lu, %u threads, %u regions (%lu MiB, %lu MiB stored), %u fds", R.path,
           H->rank, H->nranks, (unsigned long)H->generation, H->nthreads, H->nregions,
           (unsigned long)(H->mem_bytes >> 20), (unsigned long)(H->data_size >> 20), H->nfds);
}

static int saved_fd(int fd)
{
    for (uint32_t i = 0; i < R.h->nfds; i++)
        if (R.fds[i].fd == fd)
            return 1;
    return 0;
}

void lh_restore_reserve(void)
{
    for (uint32_t i = 0; i < R.h->nregions; i++) {
        struct ckpt_img_region *g = &R.regions[i];
        long r = lh_reserve(g->start, g->end, 0);
        if (CKPT_SYS_ERR(r) || (uint64_t)r != g->start)
            lh_die(1, "%s: cannot reserve the saved range %#lx-%#lx (%s): %s", R.path, (unsigned long)g->start,
                   (unsigned long)g->end, str_at(g->path_off),
                   CKPT_SYS_ERR(r) ? strerror((int)-r) : "placed elsewhere");
    }
    /* move our image fd out of the way if the application had its number */
    while (saved_fd(R.fd)) {
        int n = fcntl(R.fd, F_DUPFD_CLOEXEC, R.fd + 1);
        if (n < 0)
            lh_die(1, "%s: fcntl(F_DUPFD): %s", R.path, strerror(errno));
        close(R.fd);
        R.fd = n;
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        lh_die(1, "open(/dev/null): %s", strerror(errno));
    int tmp = fcntl(null, F_DUPFD_CLOEXEC, 1000);
    close(null);
    null = tmp;
    for (uint32_t i = 0; i < R.h->nfds; i++) {
        int fd = R.fds[i].fd;
        if (fd <= 2 || fd == null)
            continue;
        int fdflags = fcntl(fd, F_GETFD);
        if (fdflags >= 0) {
            /* The new launcher gave the lower half this number (MPICH's PMI_FD=3
             * under Hydra, say). MPI is not initialised yet: move its fd above
             * the application's and tell it where through the environment. */
            int moved = fcntl(fd, (fdflags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 1000);
            if (moved < 0)
                lh_die(1, "%s: fd %d of the application (%s) is in use in the new lower half and fcntl(F_DUPFD): %s",
                       R.path, fd, str_at(R.fds[i].path_off), strerror(errno));
            close(fd);
            lh_renumber_fd_env(fd, moved);
            lh_log("restore: moved the lower half's fd %d to %d", fd, moved);
        }
        if (dup2(null, fd) < 0)
            lh_die(1, "dup2(%d): %s", fd, strerror(errno));
    }
    close(null);
}

/* Environment variables naming a launcher fd (PMI_FD, ...) follow it to its new number. */
void lh_renumber_fd_env(int from, int to)
{
    char old[16], fresh[16];
    snprintf(old, sizeof old, "%d", from);
    snprintf(fresh, sizeof fresh, "%d", to);
    for (char **e = environ; e && *e; e++) {
        char *eq = strchr(*e, '=');
        if (!eq || strcmp(eq + 1, old) != 0)
            continue;
        size_t n = (size_t)(eq - *e);
        if (n < 2 || !(memmem(*e, n, "FD", 2) || memmem(*e, n, "fd", 2)))
            continue;
        char name[128];
        if (n >= sizeof name)
            continue;
        memcpy(name, *e, n);
        name[n] = 0;
        setenv(name, fresh, 1);
    }
}

/* ---- memory ---- */

/* Shared file mappings: the file is mapped again, and its contents at the
 * checkpoint are written back, but only after the data passed its checksum:
 * never damage the user's file. */
static void map_shared_file(struct ckpt_img_region *g)
{
    uint64_t len = g->end - g->start;
    const char *p = str_at(g->path_off);
    int fd = open(p, (g->prot & PROT_WRITE) ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        lh_die(1, "%s: cannot reopen the shared mapping %#lx-%#lx of %s: %s", R.path, (unsigned long)g->start,
               (unsigned long)g->end, p, strerror(errno));
    long r = lh_mmap_raw(g->start, len, (int)g->prot | (g->nextents ? PROT_READ | PROT_WRITE : 0),
                         MAP_SHARED | MAP_FIXED, fd, (long)g->file_offset);
    close(fd);
    if (CKPT_SYS_ERR(r))
        lh_die(1, "%s: mmap of %s at %#lx: %s", R.path, p, (unsigned long)g->start, strerror((int)-r));
    if (!g->nextents)
        return;
    struct ckpt_img_extent *x = &R.extents[g->first_extent];
    char *tmp = mmap(NULL, x->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (tmp == MAP_FAILED)
        lh_die(1, "%s: mmap(%lu bytes): %s", R.path, (unsigned long)x->len, strerror(errno));
    if (lh_zs_on())
        lh_zs_read_range(tmp, x->len, x->file_off, 0, g->start, g->end);
    else
        read_at(tmp, x->len, x->file_off, "the data of a shared file mapping");
    uint64_t hh = CKPT_IMG_HASH_SEED;
    for (uint64_t d = 0; d < x->len; d += CKPT_IMG_HASH_CHUNK)
        hh = ckpt_img_hash(hh, tmp + d, x->len - d < CKPT_IMG_HASH_CHUNK ? x->len - d : CKPT_IMG_HASH_CHUNK);
    if (hh != g->checksum)
        lh_die(1, "%s: region %#lx-%#lx is damaged (checksum mismatch)", R.path, (unsigned long)g->start,
               (unsigned long)g->end);
    memcpy((void *)x->addr, tmp, x->len);
    munmap(tmp, x->len);
    if (g->prot != (PROT_READ | PROT_WRITE))
        ckpt_sys3(SYS_mprotect, g->start, len, g->prot);
}

/* A private file mapping stored by reference: the file again, at the same
 * offset, writable while the pages that differed are read on top. */
static void map_private_file(struct ckpt_img_region *g)
{
    const struct ckpt_img_file *f = file_of(g);
    const struct stat *v = &R.verified[f - R.files];
    const char *p = str_at(g->path_off);
    struct stat st;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0)
        lh_die(1, "%s: cannot reopen %s for %#lx-%#lx: %s", R.path, p, (unsigned long)g->start, (unsigned long)g->end,
               strerror(errno));
    if (st.st_dev != v->st_dev || st.st_ino != v->st_ino || st.st_size != v->st_size ||
        st.st_mtim.tv_sec != v->st_mtim.tv_sec || st.st_mtim.tv_nsec != v->st_mtim.tv_nsec)
        lh_die(1, "%s: %s changed during the restart: restart refused", R.path, p);
    long r = lh_mmap_raw(g->start, g->end - g->start, g->nextents ? PROT_READ | PROT_WRITE : (int)g->prot,
                         MAP_PRIVATE | MAP_FIXED, fd, (long)g->file_offset);
    close(fd);
    if (CKPT_SYS_ERR(r))
        lh_die(1, "%s: mmap of %s at %#lx: %s", R.path, p, (unsigned long)g->start, strerror((int)-r));
}

/* Anonymous memory for a region whose data comes through the read plan
 * (restore_read.c): writable until its checksum passed. */
static void map_memory(struct ckpt_img_region *g)
{
    if (g->kind == CKPT_REG_NONE || g->kind == CKPT_REG_FILE_SHARED)
        return; /* a reservation stays what it was; shared files: map_shared_file */
    if (g->kind == CKPT_REG_FILE_PRIVATE) {
        map_private_file(g);
        return;
    }
    int flags = (g->kind == CKPT_REG_SHARED_ANON ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED;
    long r = lh_mmap_raw(g->start, g->end - g->start, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (CKPT_SYS_ERR(r))
        lh_die(1, "%s: mmap %#lx-%#lx: %s", R.path, (unsigned long)g->start, (unsigned long)g->end, strerror((int)-r));
}

/* Checks a region's data as the readers deliver it, hashing each piece of
 * CKPT_IMG_HASH_CHUNK as soon as it is in, then gives it its protection. */
static void check_region(struct ckpt_img_region *g)
{
    if (g->kind == CKPT_REG_NONE)
        return;
    if (g->kind == CKPT_REG_FILE_SHARED) {
        map_shared_file(g);
        return;
    }
    uint64_t h = CKPT_IMG_HASH_SEED;
    for (uint64_t k = 0; k < g->nextents; k++) {
        struct ckpt_img_extent *x = &R.extents[g->first_extent + k];
        for (uint64_t done = 0; done < x->len;) {
            uint64_t n = x->len - done < CKPT_IMG_HASH_CHUNK ? x->len - done : CKPT_IMG_HASH_CHUNK;
            lh_rd_wait(x->addr + done, n, g->start, g->end);
            h = ckpt_img_hash(h, (const void *)(x->addr + done), n);
            done += n;
        }
    }
    if (h != g->checksum)
        lh_die(1, "%s: region %#lx-%#lx is damaged (checksum mismatch)", R.path, (unsigned long)g->start,
               (unsigned long)g->end);
    if (g->kind == CKPT_REG_FILE_PRIVATE && !g->nextents)
        return; /* mapped with its protection */
    if (g->prot != (PROT_READ | PROT_WRITE)) {
        long r = ckpt_sys3(SYS_mprotect, g->start, g->end - g->start, g->prot);
        if (r < 0)
            lh_die(1, "%s: mprotect %#lx-%#lx: %s", R.path, (unsigned long)g->start, (unsigned long)g->end,
                   strerror((int)-r));
    }
}

/* The upper libc calls into the vdso at the address it saw at launch. */
static void place_vdso(void)
{
    static struct lh_map maps[4096];
    int n = lh_read_maps(maps, 4096);
    uint64_t cur = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(maps[i].name, "[vdso]"))
            cur = maps[i].start;
    if (!R.h->vdso_start || cur == R.h->vdso_start)
        return;
    int64_t delta = (int64_t)(R.h->vdso_start - cur);
    lh_log("moving [vdso]/[vvar] by %+ld bytes", (long)delta);
    for (int i = 0; i < n; i++) {
        if (strncmp(maps[i].name, "[vdso]", 6) && strncmp(maps[i].name, "[vvar", 5))
            continue;
        uint64_t to = maps[i].start + (uint64_t)delta, len = maps[i].end - maps[i].start;
        for (int j = 0; j < n; j++)
            if (j != i && maps[j].start < to + len && to < maps[j].end && strncmp(maps[j].name, "[v", 2))
                lh_die(1, "%s: [vdso] was at %#lx, now at %#lx, and its old place is taken", R.path,
                       (unsigned long)R.h->vdso_start, (unsigned long)cur);
        long r = ckpt_sys5(SYS_mremap, maps[i].start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
        if (CKPT_SYS_ERR(r))
            lh_die(1, "%s: mremap(%s): %s", R.path, maps[i].name, strerror((int)-r));
    }
}

/* ---- files ---- */

static void reopen_fds(void)
{
    int truncate_back = !getenv("CKPT_MPI_RESTORE_NO_TRUNCATE");
    for (uint32_t i = 0; i < R.h->nfds; i++) {
        struct ckpt_img_fd *f = &R.fds[i];
        const char *p = str_at(f->path_off);
        if (f->fd <= 2)
            continue;
        if (f->kind == CKPT_FD_UNSUPPORTED) {
            lh_msg("warning: fd %d (%s) is not a regular file and was not restored (it is /dev/null now)", f->fd, p);
            continue;
        }
        int flags = (int)f->flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_NOATIME |
                                     O_LARGEFILE | O_PATH);
        if (f->kind == CKPT_FD_DIR)
            flags = O_RDONLY | O_DIRECTORY;
        int nfd = open(p, flags | O_CLOEXEC);
        if (nfd < 0)
            lh_die(1, "%s: cannot reopen fd %d (%s): %s", R.path, f->fd, p, strerror(errno));
        struct stat st;
        if (f->kind == CKPT_FD_REGULAR && fstat(nfd, &st) == 0) {
            if (st.st_ino != f->ino || st.st_dev != f->dev)
                lh_msg("warning: fd %d: %s is not the file it was at the checkpoint (another inode)", f->fd, p);
            /* The application's writes after the checkpoint never happened
             * in the restored timeline: cut them off again. */
            if (truncate_back && (f->flags & O_ACCMODE) != O_RDONLY && f->size >= 0 && st.st_size > f->size) {
                if (ftruncate(nfd, f->size) != 0)
                    lh_msg("warning: fd %d: cannot truncate %s back to %ld bytes: %s", f->fd, p, (long)f->size,
                           strerror(errno));
            }
        }
        if (dup2(nfd, f->fd) < 0)
            lh_die(1, "dup2(%d): %s", f->fd, strerror(errno));
        close(nfd);
        if (f->offset > 0 && lseek(f->fd, f->offset, SEEK_SET) < 0)
            lh_die(1, "%s: lseek(fd %d, %ld): %s", R.path, f->fd, (long)f->offset, strerror(errno));
        fcntl(f->fd, F_SETFD, (int)f->fdflags);
    }
}

/* ---- threads ---- */

__asm__(".text\n"
        /* lh_rs_jump(ctx): resume a save point, which returns 1 */
        ".globl lh_rs_jump\n"
        ".hidden lh_rs_jump\n"
        ".type lh_rs_jump,@function\n"
        "lh_rs_jump:\n"
        "  mov 0(%rdi), %rbx\n"
        "  mov 8(%rdi), %rbp\n"
        "  mov 16(%rdi), %r12\n"
        "  mov 24(%rdi), %r13\n"
        "  mov 32(%rdi), %r14\n"
        "  mov 40(%rdi), %r15\n"
        "  mov 48(%rdi), %rsp\n"
        "  mov $1, %eax\n"
        "  jmp *56(%rdi)\n"
        ".size lh_rs_jump, .-lh_rs_jump\n");

static uint32_t rseq_size;

/* Runs on the restored thread with its upper FS already loaded: raw system
 * calls only, no TLS, no libc. */
__attribute__((noreturn)) static void lh_rs_thread_entry(void *arg)
{
    struct ckpt_img_thread *t = arg;
    if (t->rseq_area && rseq_size) {
        /* the area holds the old thread's cpu numbers; the kernel rewrites them */
        ckpt_sys4(SYS_rseq, t->rseq_area, 32, 0, 0x53053053);
    }
    if (t->robust_head)
        ckpt_sys2(SYS_set_robust_list, t->robust_head, 24);
    ckpt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &t->ctx.sigmask, 0, 8);
    lh_rs_jump(&t->ctx);
}

static _Noreturn void become_main(struct ckpt_img_thread *t)
{
    /* drop the lower libc's rseq registration of this thread (one per thread) */
    if (&__rseq_offset && &__rseq_size && __rseq_size) {
        uint64_t fs = 0;
        ckpt_sys2(SYS_arch_prctl, ARCH_GET_FS, &fs);
        uint64_t area = fs + (uint64_t)__rseq_offset;
        if (ckpt_sys4(SYS_rseq, area, 32, 1, 0x53053053) == -EINVAL)
            ckpt_sys4(SYS_rseq, area, __rseq_size, 1, 0x53053053);
    }
    long tid = ckpt_sys0(SYS_gettid);
    /* from here on: no lower libc (its TLS is gone from this thread) */
    ckpt_sys2(SYS_arch_prctl, ARCH_SET_FS, t->ctx.fs_base);
    if (t->tid_addr) {
        *(volatile int *)t->tid_addr = (int)tid;
        ckpt_sys1(SYS_set_tid_address, t->tid_addr);
    }
    lh_rs_thread_entry(t);
}

_Noreturn void lh_restore_finish(struct ckpt_boot *boot)
{
    struct ckpt_img_header *H = R.h;
    uint64_t all = ~0ULL;
    ckpt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, 0, 8);

    uint64_t t0 = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    R.dfd = open(R.path, O_RDONLY | O_DIRECT | O_CLOEXEC);
    for (uint32_t i = 0; i < H->nregions; i++)
        map_memory(&R.regions[i]);
    /* A delta's ancestors first (a delta is never restored lazily), then its own data. */
    lh_chain_fill(H, R.regions);
    struct ckpt_img_region *eager = lh_lazy_start(R.path, H, R.regions, R.extents, boot, t0);
    lh_rd_start(R.path, R.fd, R.dfd, eager, H->nregions, R.extents);
    for (uint32_t i = 0; i < H->nregions; i++)
        check_region(&eager[i]);
    int direct;
    int readers = lh_rd_end(&direct);
    uint64_t lazy_bytes;
    int lazy = lh_lazy_stream(&lazy_bytes);
    if (R.dfd >= 0)
        close(R.dfd);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t t1 = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    lh_log("read %lu MiB in %lu ms", (unsigned long)(H->data_size >> 20), (unsigned long)((t1 - t0) / 1000000));
    if (getenv("CKPT_MPI_RESTORE_STATS") && !lazy)
        lh_msg("restore: read %lu bytes in %.3f s (%.0f MB/s, %d readers, %s)", (unsigned long)H->data_size,
               (t1 - t0) / 1e9, (t1 - t0) ? H->data_size / ((t1 - t0) / 1e9) / 1e6 : 0.0, readers,
               direct ? "O_DIRECT" : "page cache");

    place_vdso();
    reopen_fds();
    if (H->cwd[0] && chdir(H->cwd) != 0)
        lh_msg("warning: cannot return to the working directory %s: %s", H->cwd, strerror(errno));
    umask((mode_t)H->umask);

    /* the upper half's new world */
    struct ckpt_img_mailbox *mb = (struct ckpt_img_mailbox *)H->mailbox_addr;
    /* Magics in the order engines learnt them: a lower half writes only the
     * fields of the image's engine's layout (ckpt_image.h). */
    int lazy_aware = mb && (mb->magic == CKPT_MAILBOX_MAGIC_LAZY || mb->magic == CKPT_MAILBOX_MAGIC_COMPRESS);
    int secret = mb && (mb->magic == CKPT_MAILBOX_MAGIC_SECRET || lazy_aware);
    if (lazy && !lazy_aware) { /* its engine would not wait for the pages */
        lh_log("lazy restore: the image's engine predates it: waiting for every page");
        lh_lazy_wait();
    }
    if (mb && (mb->magic == CKPT_MAILBOX_MAGIC || secret)) {
        mb->boot = (uint64_t)boot;
        mb->rank = env_int(rank_env, H->rank);
        mb->nranks = env_int(size_env, H->nranks);
        const char *c = getenv("CKPT_MPI_COORD"), *d = getenv("CKPT_MPI_CKPT_DIR"), *a = getenv("CKPT_MPI_CKPT_AFTER");
        snprintf(mb->coord, sizeof mb->coord, "%s", c ? c : "");
        snprintf(mb->ckpt_dir, sizeof mb->ckpt_dir, "%s", d ? d : "");
        mb->ckpt_after = a && *a ? strtol(a, NULL, 10) : -1;
        snprintf(mb->image, sizeof mb->image, "%s", R.path);
        if (secret) { /* the new job's secret, for a coordinator on TCP */
            const char *k = getenv("CKPT_MPI_SECRET");
            snprintf(mb->secret, sizeof mb->secret, "%s", k ? k : "");
        }
        if (mb->magic == CKPT_MAILBOX_MAGIC_COMPRESS) { /* restart --compress */
            const char *z = getenv("CKPT_MPI_COMPRESS");
            snprintf(mb->compress, sizeof mb->compress, "%s", z ? z : "");
        }
    } else {
        lh_msg("warning: the image has no engine mailbox; the restored process cannot be checkpointed again");
    }

    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        long r = ckpt_sys4(SYS_rt_sigaction, sig, &R.sigs[sig - 1], 0, 8);
        if (r < 0 && sig != 32 && sig != 33)
            lh_log("rt_sigaction(%d): %s", sig, strerror((int)-r));
    }
    for (int i = 0; i < 3; i++) {
        struct itimerval it = {{(time_t)H->itimer[i][0], (suseconds_t)H->itimer[i][1]},
                               {(time_t)H->itimer[i][2], (suseconds_t)H->itimer[i][3]}};
        if (it.it_value.tv_sec || it.it_value.tv_usec)
            ckpt_sys3(SYS_setitimer, i, &it, 0);
    }
    rseq_size = H->rseq_size;
    /* signals that were pending for the process (non-real-time ones carry no data) */
    for (int sig = 1; sig <= 64; sig++)
        if (H->sigpending >> (sig - 1) & 1)
            ckpt_sys2(SYS_kill, ckpt_sys0(SYS_getpid), sig);

    struct ckpt_img_thread *main_t = NULL;
    uint32_t others = 0;
    for (uint32_t i = 0; i < H->nthreads; i++) {
        if (R.threads[i].flags & CKPT_THR_MAIN)
            main_t = &R.threads[i];
        else
            others++;
    }
    if (!main_t)
        lh_die(1, "%s: the image has no main thread", R.path);
    /* the image's tables must outlive this function: R.meta is never unmapped */
    char *stacks = NULL;
    const uint64_t SSZ = 32 << 10;
    if (others) {
        stacks = mmap(NULL, others * SSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (stacks == MAP_FAILED)
            lh_die(1, "mmap(thread start stacks): %s", strerror(errno));
    }
    close(R.fd);
    if (lazy && getenv("CKPT_MPI_RESTORE_STATS")) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        lh_msg("restore: lazy: %lu bytes read now, %lu bytes on demand; resuming %.3f s after the read began",
               (unsigned long)(H->data_size - lazy_bytes), (unsigned long)lazy_bytes,
               ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec - t0) / 1e9);
    }
    lh_log("resuming %u threads", H->nthreads);
    uint32_t k = 0;
    for (uint32_t i = 0; i < H->nthreads; i++) {
        struct ckpt_img_thread *t = &R.threads[i];
        if (t == main_t)
            continue;
        unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                              CLONE_SETTLS;
        if (t->tid_addr)
            flags |= CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
        struct lh_clone_start *s = (struct lh_clone_start *)(stacks + (++k) * SSZ) - 1;
        s->fn = lh_rs_thread_entry;
        s->arg = t;
        long r = lh_clone(flags, s, (void *)t->tid_addr, (void *)t->tid_addr, t->ctx.fs_base, s);
        if (r < 0)
            lh_die(1, "clone(thread %lu): %s", (unsigned long)t->tid, strerror((int)-r));
    }
    become_main(main_t);
}
