/* Shared by the engine's files only. */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ckpt_boot.h>
#include <ckpt_image.h>
#include "ckpt_engine.h"

/* The lower half puts the boot struct's address here too (the face unsets
 * CKPT_MPI_BOOT in its constructor, which may run before ours). */
#define CKPT_BOOT_ENGINE_ENV "CKPT_MPI_BOOT_ENGINE"

#include <ckpt_raw.h>

#define ENG_MAX_THREADS 1024
#define ENG_MAX_FDS     4096
#define ENG_ALTSTACK    (1UL << 20)

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
};
extern struct eng eng;

struct eng_write_args {
    const char *dir;
    uint64_t generation, t0;
    uint64_t altstack;          /* writer stack mapping (ENG_ALTSTACK bytes): not saved */
    uint64_t bytes, write_ns;   /* out */
    char err[400];              /* out: "" on success */
};

struct sbuf {
    char *p;
    size_t n, cap;
};
void sb_str(struct sbuf *b, const char *s);
void sb_u64(struct sbuf *b, uint64_t v);
void sb_hex(struct sbuf *b, uint64_t v);
void sb_err(struct sbuf *b, const char *call, long neg_errno);
void eng_log(const char *a, const char *b);

void eng_futex_wait(volatile uint32_t *w, uint32_t val, long timeout_ms);
void eng_futex_wake(volatile uint32_t *w);
uint64_t eng_now_ns(void);
struct ckpt_img_mailbox *eng_mailbox(void);

/* ctx.c */
int ckpt_ctx_save(struct ckpt_img_ctx *c) __attribute__((returns_twice));
int ckpt_ctx_save_and_run(struct ckpt_img_ctx *c, void (*fn)(void *), void *arg, void *stack_top)
    __attribute__((returns_twice));
void eng_learn_thread_layout(int main_thread);
int eng_thread_blocks(long tid, int sig);

/* image.c */
void eng_write_image(void *args);
void eng_job_id_init(const char *id);

/* threads.c: the upper half's threads (pthread_create is interposed) */
int eng_is_upper_tid(long tid);
void eng_retid(long old_tid, long new_tid);

/* fds.c */
void eng_fd_init(void);
int eng_fd_tracked(int fd);
void eng_fd_untrack(int fd);

#endif
