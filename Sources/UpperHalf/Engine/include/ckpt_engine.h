/* The checkpoint engine of the upper half (libckpt-engine.so, LD_PRELOADed by
 * `ckpt-lower-<flavour> --engine PATH`). See docs/checkpoint-protocol.md and
 * docs/image-format.md.
 *
 * Hooks for the rest of the upper half (the face): a restored process runs in
 * a NEW lower half, with a new struct ckpt_boot, a new call table and new
 * lower FS bases. Whoever caches any of these registers here. */
#ifndef CKPT_ENGINE_H
#define CKPT_ENGINE_H

#include <stdint.h>
#include <ckpt_boot.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Process-wide: called once after a restore, on the engine thread, with the
 * new lower half's boot struct, BEFORE any other upper thread runs again (all
 * of them are still parked). Use it to rebind ckpt_boot_info / ckpt_T and to
 * replay shadow tables. Up to 16 hooks, called in registration order.
 * Returns 0, or -1 if the table is full. */
typedef void (*ckpt_engine_restore_fn)(struct ckpt_boot *new_boot, void *arg);
int ckpt_engine_on_restore(ckpt_engine_restore_fn fn, void *arg);

/* Per thread: called after a restore in EVERY restored upper thread (main,
 * application threads, the engine's own), on that thread, after all the
 * process-wide hooks ran and before the thread returns to application code.
 * Runs inside a signal handler: async-signal-safe code only (the intended use
 * is `ckpt_lower_fs = 0;` so the thread re-attaches to the new lower half on
 * its next call). Up to 16 hooks. */
typedef void (*ckpt_engine_thread_fn)(void *arg);
int ckpt_engine_on_thread_restore(ckpt_engine_thread_fn fn, void *arg);

/* The current boot struct (the new one after a restore), NULL when the
 * engine runs without a lower half. */
struct ckpt_boot *ckpt_engine_boot(void);

/* How many times this process image has been restored (0 in the original run). */
uint64_t ckpt_engine_restore_count(void);

/* The real-time signal reserved for suspending threads (SIGRTMIN+2 unless
 * CKPT_MPI_SIGNAL says otherwise). The engine keeps it unblocked in every
 * upper thread (sigprocmask/pthread_sigmask are interposed). */
int ckpt_engine_signal(void);

/* Checkpoint this process now, from any upper thread except inside a signal
 * handler: writes DIR/rank-RRRR.img. Returns 0 on success, 1 when the call
 * returns in a restored process, -1 on error (message in err). */
int ckpt_engine_checkpoint_now(const char *dir, uint64_t generation, char *err, int errlen);

/* Mappings inside [start, end) are kept out of the image: it records them as
 * reservations only (no data), so a restore leaves the range PROT_NONE for
 * their owner to map again (the face's shared-memory windows, whose contents
 * the face saves itself). on=1 adds the range, on=0 removes it. Up to 64
 * ranges; returns 0, or -1 when the table is full. */
int ckpt_engine_image_keep_out(uint64_t start, uint64_t end, int on);

#ifdef __cplusplus
}
#endif
#endif
