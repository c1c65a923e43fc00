/* Shared-memory windows (docs/one-sided.md, "Shared-memory windows").
 *
 * The file behind the window lives only while the window is being made: it
 * is unlinked as soon as every member has opened it, so a job killed at any
 * later moment leaves nothing in /dev/shm (the memory goes with the last
 * process that maps it). The image never holds the shared mapping (the
 * engine keeps it out, ckpt_engine_image_keep_out): ranks resume one by one
 * after their images, so a mapping read while another rank already runs
 * again would not be the cut. Each rank instead copies its own segment in
 * the drain, when every member is parked and every RMA operation complete,
 * and the replay after a restart writes these copies into a new file that
 * every member maps again over the same address. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "face_engine.h"
#include "face_win_shared.h"

#define PAGE 4096ULL

static uint64_t whole_pages(uint64_t n) { return n ? (n + PAGE - 1) & ~(PAGE - 1) : PAGE; }

static uint64_t dtype(int32_t t) { return ckpt_to_real(CKPT_KIND_DATATYPE, t); }

/* Whether every member of `comm` (n ranks) is on this host. */
static int one_host(uint64_t comm, int n, int *rc)
{
    uint64_t local = 0;
    int k = 0;
    CKPT_CROSS(*rc = ckpt_T->Comm_split_type(comm, CKPT_MPI_COMM_TYPE_SHARED, 0,
                                             ckpt_to_real(CKPT_KIND_INFO, CKPT_MPI_INFO_NULL), &local));
    if (*rc)
        return 0;
    CKPT_CROSS(*rc = ckpt_T->Comm_size(local, &k); (void)ckpt_T->Comm_free(&local));
    return k == n;
}

/* Where the file is made: CKPT_MPI_SHM_DIR, else /dev/shm, else the job's TMPDIR. */
static const char *shm_dir(void)
{
    const char *d = getenv("CKPT_MPI_SHM_DIR");
    if (d && *d)
        return d;
    if (access("/dev/shm", W_OK | X_OK) == 0)
        return "/dev/shm";
    d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

struct made {
    int32_t err; /* errno of the leader's failure, 0 when the file exists */
    char path[252];
};

/* The leader makes a new file of `len` bytes; its name, or its failure, goes to every member. */
static int make_file(struct face_shm *s, uint64_t comm, struct made *m)
{
    static unsigned serial;
    memset(m, 0, sizeof *m);
    if (s->me == 0) {
        /* The job's identity names the file, so what a killed job left is easy to tell apart. */
        const char *job = getenv("CKPT_MPI_JOB_ID");
        char id[40] = "nojob";
        for (int i = 0; job && job[i] && i < (int)sizeof id - 1; i++) {
            char c = job[i];
            id[i] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ? c : '_';
            id[i + 1] = 0;
        }
        for (int tries = 0; tries < 100; tries++) {
            snprintf(m->path, sizeof m->path, "%s/ckpt-mpi-%s-%d-%u", shm_dir(), id, (int)getpid(), ++serial);
            int fd = open(m->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0 && errno == EEXIST)
                continue;
            if (fd < 0) {
                m->err = errno;
                break;
            }
            m->err = ftruncate(fd, (off_t)s->len) == 0 ? 0 : errno;
            close(fd);
            if (m->err)
                unlink(m->path);
            break;
        }
    }
    int rc;
    CKPT_CROSS(rc = ckpt_T->Bcast(m, (int)sizeof *m, dtype(CKPT_MPI_BYTE), 0, comm));
    return rc;
}

/* Every member's verdict: 1 when all succeeded. Also the barrier after which the leader unlinks. */
static int all_ok(uint64_t comm, int ok, int *rc)
{
    int all = 0;
    CKPT_CROSS(*rc = ckpt_T->Allreduce(&ok, &all, 1, dtype(CKPT_MPI_INT), ckpt_to_real(CKPT_KIND_OP, CKPT_MPI_MIN),
                                       comm));
    return !*rc && all;
}

int face_shm_create(struct face_shm *s, int64_t size, int disp_unit, uint64_t comm, char *why, int cap)
{
    int rc, n = 0, me = 0;
    memset(s, 0, sizeof *s);
    CKPT_CROSS(rc = ckpt_T->Comm_size(comm, &n); if (!rc) rc = ckpt_T->Comm_rank(comm, &me));
    if (rc)
        return rc;
    if (!one_host(comm, n, &rc)) {
        if (!rc)
            snprintf(why, (size_t)cap, "the communicator's %d ranks are not all on one host", n);
        return rc ? rc : CKPT_MPI_ERR_RANK;
    }
    s->n = n;
    s->me = me;
    s->seg = calloc((size_t)n * 3, sizeof *s->seg);
    int64_t *all = calloc((size_t)n * 2, sizeof *all);
    const int64_t mine[2] = {size, disp_unit};
    int ok = s->seg && all;
    if (all)
        CKPT_CROSS(rc = ckpt_T->Allgather(mine, 2, dtype(CKPT_MPI_LONG_LONG_INT), all, 2,
                                          dtype(CKPT_MPI_LONG_LONG_INT), comm));
    if (!all_ok(comm, ok && !rc, &rc)) {
        free(all);
        free(s->seg);
        s->seg = NULL;
        snprintf(why, (size_t)cap, "out of memory for the table of %d segments", n);
        return rc ? rc : CKPT_MPI_ERR_NO_MEM;
    }
    /* Contiguous in rank order (MPI-3.1 §11.2.3); alloc_shared_noncontig is a hint, ignored as MPICH does. */
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        s->seg[3 * i] = all[2 * i];
        s->seg[3 * i + 1] = all[2 * i + 1];
        s->seg[3 * i + 2] = off;
        off += all[2 * i];
    }
    free(all);
    s->len = whole_pages((uint64_t)off);

    struct made m;
    if ((rc = make_file(s, comm, &m)) != 0)
        return rc;
    int fd = m.err ? -1 : open(m.path, O_RDWR | O_CLOEXEC);
    int err = m.err ? m.err : fd < 0 ? errno : 0;
    void *p = MAP_FAILED;
    if (fd >= 0) {
        p = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            err = errno;
        close(fd);
    }
    ok = all_ok(comm, p != MAP_FAILED, &rc);
    if (me == 0 && !m.err)
        unlink(m.path);
    if (!ok) {
        if (p != MAP_FAILED)
            munmap(p, s->len);
        free(s->seg);
        s->seg = NULL;
        snprintf(why, (size_t)cap, "%s of %llu bytes: %s", m.path, (unsigned long long)s->len,
                 err ? strerror(err) : "failed on another rank");
        return rc ? rc : CKPT_MPI_ERR_NO_MEM;
    }
    s->map = p;
    if (ckpt_engine_image_keep_out)
        (void)ckpt_engine_image_keep_out((uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)p + s->len, 1);
    return 0;
}

int face_shm_remake(struct face_shm *s, uint64_t comm)
{
    int rc;
    if (!one_host(comm, s->n, &rc)) {
        if (rc)
            return rc;
        ckpt_face_log("ckpt-mpi: restart: the ranks of a shared-memory window (MPI_Win_allocate_shared) are not all on "
                      "one host any more; restart with them on one host", "", "");
        ckpt_face_abort(1);
    }
    struct made m;
    if ((rc = make_file(s, comm, &m)) != 0)
        return rc;
    int64_t size = s->seg[3 * s->me], off = s->seg[3 * s->me + 2];
    const char *from = s->snap ? s->snap : s->map + off;
    int fd = m.err ? -1 : open(m.path, O_RDWR | O_CLOEXEC);
    int err = m.err ? m.err : fd < 0 ? errno : 0;
    for (int64_t done = 0; fd >= 0 && !err && done < size;) {
        ssize_t w = pwrite(fd, from + done, (size_t)(size - done), (off_t)(off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            err = w < 0 ? errno : EIO;
        else
            done += w;
    }
    /* Every segment written before anyone maps the file: then it may go. */
    int ok = all_ok(comm, !err, &rc);
    if (s->me == 0 && !m.err)
        unlink(m.path);
    if (ok && mmap(s->map, s->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        err = errno;
        ok = 0;
    }
    if (fd >= 0)
        close(fd);
    if (!ok) {
        char line[400];
        snprintf(line, sizeof line, "ckpt-mpi: restart: making the shared-memory window again (%s, %llu bytes): %s",
                 m.path, (unsigned long long)s->len, err ? strerror(err) : "failed on another rank");
        ckpt_face_log(line, "", "");
        return rc ? rc : CKPT_MPI_ERR_NO_MEM;
    }
    face_shm_drop_snapshot(s);
    return 0;
}

int face_shm_snapshot(struct face_shm *s, uint64_t comm)
{
    int rc;
    /* Every member has completed its operations on the window (the drain's
     * flush or fence came first): the segment is the cut's. */
    CKPT_CROSS(rc = ckpt_T->Barrier(comm));
    face_shm_drop_snapshot(s);
    int64_t size = s->seg[3 * s->me];
    if (rc || size <= 0)
        return rc ? -1 : 0;
    uint64_t len = whole_pages((uint64_t)size);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    memcpy(p, s->map + s->seg[3 * s->me + 2], (size_t)size);
    s->snap = p;
    s->snap_len = len;
    return 0;
}

void face_shm_drop_snapshot(struct face_shm *s)
{
    if (s->snap)
        munmap(s->snap, s->snap_len);
    s->snap = NULL;
    s->snap_len = 0;
}

void face_shm_release(struct face_shm *s)
{
    face_shm_drop_snapshot(s);
    if (s->map) {
        if (ckpt_engine_image_keep_out)
            (void)ckpt_engine_image_keep_out((uint64_t)(uintptr_t)s->map, (uint64_t)(uintptr_t)s->map + s->len, 0);
        munmap(s->map, s->len);
    }
    free(s->seg);
    memset(s, 0, sizeof *s);
}
