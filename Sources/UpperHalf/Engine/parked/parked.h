/* The parked world (like CRIU's pie/): the engine code that runs while the
 * application's threads are parked at a checkpoint, or while a restored
 * process is being brought back. Whatever a parked thread was doing (inside
 * malloc, holding a stdio or pthread lock) must not matter, so this code uses
 * raw system calls, static storage and caller-provided buffers only: no
 * malloc/free, no stdio, no locks. tests/abi/parked_world.sh checks it with
 * `nm -u` on these objects. The rest of the engine calls down into here;
 * nothing here calls up (only through the registered hooks). */
#ifndef ENGINE_PARKED_H
#define ENGINE_PARKED_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ckpt_boot.h>
#include <ckpt_image.h>
#include <ckpt_mpi_ops.h>
#include <ckpt_raw.h>
#include "ckpt_engine.h"

#define ENG_MAX_THREADS 1024
#define ENG_MAX_FDS     4096
#define ENG_ALTSTACK    (1UL << 20)

/* ---- strbuf.c: formatting into bounded buffers, and the engine's log */

struct sbuf {
    char *p;
    size_t n, cap;
};
void sb_str(struct sbuf *b, const char *s);
void sb_u64(struct sbuf *b, uint64_t v);
void sb_hex(struct sbuf *b, uint64_t v);
void sb_err(struct sbuf *b, const char *call, long neg_errno);
/* "ckpt-mpi[engine]: " a b, one write(2) to stderr. */
void eng_log(const char *a, const char *b);

/* ---- sys.c: futexes, clocks and sleeps on raw system calls */

void eng_futex_wait(volatile uint32_t *w, uint32_t val, long timeout_ms);
void eng_futex_wake(volatile uint32_t *w);
uint64_t eng_now_ns(void);
void eng_sleep_ms(long ms);
/* pwrite of all len bytes at off: 0 or -errno (-EIO for a write of 0 bytes). */
long eng_write_full(long fd, const void *buf, uint64_t len, uint64_t off);
/* A write of image data: O_DIRECT (*dfd) while the file system takes it, else buffered from then on. */
long eng_write_data(long *dfd, long fd, const void *src, uint64_t n, uint64_t off);

/* The calling thread's FS base: the TCB's self pointer (both libcs). */
static inline uint64_t eng_fs_base(void)
{
    uint64_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

/* ---- state.c: the engine's process-wide state, all of it static storage */

/* ETS_RETRY: an upper thread that was inside the lower half when signalled;
 * the engine signals it again until it is back (boot->pending is set). */
enum { ETS_SIGNALED = 1, ETS_PARKED, ETS_LOWER, ETS_GONE, ETS_RETRY };

struct eng_thread {
    uint64_t tid;
    volatile uint32_t state;
    uint32_t pad;
    struct ckpt_img_thread rec;
};

struct eng {
    struct ckpt_boot *boot;
    int rank, nranks, sig, verbose;
    long engine_tid;
    uint64_t tid_offset, robust_offset;
    int64_t rseq_offset;
    uint32_t rseq_size;
    volatile uint32_t seq, resume_seq, responded, nslots, wake;
    struct eng_thread slots[ENG_MAX_THREADS];
    struct eng_thread self_slot;
    uint64_t pause_ns, last_bytes, last_write_ns;
    uint64_t stop_ns;  /* how long the application was stopped at the last checkpoint */
    int writer_inline; /* CKPT_MPI_WRITER=inline: write in the process, the application stopped */
    volatile uint32_t writing; /* the application runs while its image is written and reported */
    long test_write_delay_ms;  /* CKPT_MPI_TEST_WRITE_DELAY_MS: the forked writer waits this long first */
};
extern struct eng eng;

/* The mailbox the lower half finds through the image header (settings in,
 * restore facts out). */
struct ckpt_img_mailbox *eng_mailbox(void);

/* The upper half's threads: the main thread and every thread started through
 * the upper libc's pthread_create (threads.c records them). */
void eng_tid_add(uint32_t tid);
void eng_tid_remove(uint32_t tid);
int eng_is_upper_tid(long tid);
/* After a restore every thread has a new tid; each one renames itself. */
void eng_retid(long old_tid, long new_tid);

/* The upper half's fds (fds.c marks them as libc creates them). */
void eng_fd_mark(int fd);
int eng_fd_tracked(int fd);
void eng_fd_untrack(int fd);

/* ---- hooks.c: what the face registered (restore hooks, its cut operations) */

/* The face's part of a checkpoint, or NULL when no MPI face registered. */
const struct ckpt_mpi_ops *eng_mpi_ops(void);
/* Every process-wide restore hook, in registration order, with the new boot struct. */
void eng_run_restore_hooks(struct ckpt_boot *boot);
/* Every per-thread restore hook, on the calling thread. */
void eng_run_thread_hooks(void);

/* ---- ctx.c: save points and the glibc facts the restore needs */

int ckpt_ctx_save(struct ckpt_img_ctx *c) __attribute__((returns_twice));
int ckpt_ctx_save_and_run(struct ckpt_img_ctx *c, void (*fn)(void *), void *arg, void *stack_top)
    __attribute__((returns_twice));
void eng_learn_thread_layout(int main_thread);
int eng_thread_blocks(long tid, int sig);

/* ---- suspend.c: parking and resuming the application's threads */

/* The handler of the suspend signal (installed by the engine's constructor). */
void eng_suspend_handler(int sig, siginfo_t *si, void *ucv);
/* Park every other upper thread; 0, or -errno with the reason in err. */
long eng_park_all(long self, struct sbuf *err);
/* Release every parked thread (and the lower half's wait loops). */
void eng_resume_all(void);

/* ---- image.c: the image writer (docs/image-format.md) */

/* The copy-on-write writer's channel from its child (MAP_SHARED, one page). */
struct eng_cow_page {
    volatile uint32_t go;   /* parent -> child: 1 write, 2 exit at once */
    volatile uint32_t done; /* child -> parent: the result below is final */
    uint64_t bytes, write_ns;
    uint64_t meta_sum;      /* the image's meta_checksum (dirty.c's parent reference) */
    char err[400];
};

struct eng_write_args {
    const char *dir;
    uint64_t generation, t0;
    uint64_t altstack;          /* writer stack mapping (ENG_ALTSTACK bytes): not saved */
    uint64_t bytes, write_ns;   /* out */
    char err[400];              /* out: "" on success */
    /* eng_write_image_cow only */
    struct eng_cow_page *page;  /* the child's result (not saved) */
    long child_pidfd, child_pid; /* out: the writer process, pidfd -1 when written inline */
    void *cow_state;            /* the parent's writer state until eng_cow_wait */
    const char *inline_why;     /* out: why this checkpoint was written inline after all */
    void *bounce;               /* the forked writer's own CKPT_IMG_HASH_CHUNK bytes, or NULL */
    uint64_t begin_ns, fork_ns, check_ns; /* out: where the COW pause went (--verbose) */
    uint64_t meta_sum;          /* out: the image's meta_checksum */
};

/* ---- compress.c: zstd frames for the image data (CKPT_IMG_FEAT_ZSTD) */

#define CKPT_ZSTD_DEFAULT_LEVEL 3
#define CKPT_ZSTD_MAX_LEVEL 19
/* CKPT_MPI_COMPRESS: "none"/"off", "zstd" or "zstd:LEVEL"; NULL or "" keeps the
 * setting (a restarted job keeps its own). -1, logged, for anything else. */
int eng_compress_set(const char *v);
/* CKPT_MPI_COMPRESS_THREADS: the compressing workers (0: the writer alone). */
void eng_compress_threads_set(const char *v);
/* The zstd level the next image is written with, 0 = uncompressed. */
int eng_compress_level(void);
/* Cuts the image data into frames (returns how many, or -errno): before the
 * layout, which holds the frame table. The extents' file_off may change until
 * eng_zs_write. */
long eng_zs_plan(const struct ckpt_img_region *regs, uint32_t nregs, const struct ckpt_img_extent *ext,
                 struct sbuf *err);
/* Writes the frames from data_off on (through dfd while the file system takes
 * O_DIRECT; it is closed and set to -1 when it stops), sets every region's
 * checksum and *stored (bytes written); 0 or -errno (err says why). */
long eng_zs_write(struct ckpt_img_region *regs, uint32_t nregs, uint64_t data_off, long fd, long *dfd,
                  uint64_t *stored, struct sbuf *err);
/* The frame table of the last plan, complete after eng_zs_write. */
const struct ckpt_img_frame *eng_zs_frames(void);
/* Frees the plan and the workers' memory. */
void eng_zs_end(void);

/* Writes the image in this process (every other upper thread parked). */
void eng_write_image(void *args);
/* Captures what needs the process itself, forks a writer and returns as soon
 * as the child holds the frozen copy (child_pidfd >= 0); falls back to
 * eng_write_image (inline_why says why) when a child would not see the cut. */
void eng_write_image_cow(void *args);
/* A restored process, before anything writes its memory: write-protect what
 * incremental images track, so the next image can be a delta of this one. */
void eng_image_track_restored(void);
/* Waits for the child of eng_write_image_cow (the application may be running)
 * and fills bytes, write_ns and err. */
void eng_cow_wait(struct eng_write_args *args);
/* Copies the job id (CKPT_MPI_JOB_ID) for the writer, which must not call getenv. */
void eng_job_id_init(const char *id);
/* CKPT_MPI_IMAGE_FILES (reference|content), read once at start-up. */
void eng_image_files_init(const char *v);
/* Sets the program's MPI ABI ("mpich", "openmpi", "none") the next image records. */
void eng_program_abi_set(const char *abi);

/* ---- dirty.c: pages written since the previous image (incremental images) */

#define ENG_DIRTY_MAX_REGIONS 16384u
#define ENG_DIRTY_MAX_RUNS    (1u << 20)
/* What one pause found; lives in the writer's scratch, so a forked writer has it. */
struct eng_dirty {
    uint64_t parent_gen, parent_sum; /* 0: a full image */
    uint64_t scanned, registered;    /* bytes scanned for written pages, bytes newly write-protected */
    uint64_t scan_ns;                /* what the scan added to the pause */
    uint64_t nruns;
    uint32_t first[ENG_DIRTY_MAX_REGIONS], count[ENG_DIRTY_MAX_REGIONS]; /* runs of each region */
    struct {
        uint64_t start, end, categories; /* struct page_region, filled by the kernel */
    } runs[ENG_DIRTY_MAX_RUNS];
};
/* At start-up: [own_lo, own_hi) is the engine's writable segment, always stored whole. */
void eng_dirty_init(uint64_t own_lo, uint64_t own_hi);
/* The coordinator's request (CHECKPOINT incremental=1 parent=P): track written
 * pages; the next image may be a delta of generation `parent` (0: full). */
void eng_dirty_request(int on, uint64_t parent);
/* At the pause, in the application's process: scans the tracked regions
 * (flagging CKPT_REGF_PARENT on those stored as a delta) and registers new ones. */
void eng_dirty_begin(struct eng_dirty *d, struct ckpt_img_region *regs, uint32_t n);
/* The extents of a CKPT_REGF_PARENT region i: its written pages. 0 or -E2BIG. */
long eng_dirty_extents(const struct eng_dirty *d, uint32_t i, struct ckpt_img_region *g, struct ckpt_img_extent *ext,
                       uint64_t *next, uint64_t max);
/* The image of `generation` (a delta of `parent`, 0: full) is on disk: the next one may refer to it. */
void eng_dirty_written(uint64_t generation, uint64_t meta_sum, uint64_t parent);
/* The parent of the image of `generation` if that was the last one written, else 0. */
uint64_t eng_dirty_parent_of(uint64_t generation);
/* Whether the image this process was restored from was taken with tracking on. */
int eng_dirty_wanted(void);
/* A restored process (memory = the image at `image`): tracking starts again
 * from that image, which the next one may be a delta of. */
void eng_dirty_restored(const struct ckpt_img_region *regs, uint32_t n, const char *image);
/* What the last eng_dirty_begin added to the pause, in ns. */
uint64_t eng_dirty_scan_ns(void);

#endif
