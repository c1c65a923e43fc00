/* copy.c: --local-dir, the second level: the node-local image into the shared directory. */
#ifndef ENGINE_COPY_H
#define ENGINE_COPY_H

#include "parked/parked.h"

/* mkdir -p for the local generation directory (0700 each); 0, or -1 with the reason in err. */
int eng_make_dirs(const char *path, struct sbuf *err);

/* Copies from_dir/rank-RRRR.img to to_dir/rank-RRRR.img durably (data synced
 * under a .tmp name, renamed, directory synced); 0, or -1 with the reason in
 * err. Raw system calls and static storage only, so it may run while the
 * application runs (the engine thread, after WRITTEN) or in the hold of a
 * stopping checkpoint with the other threads parked; never concurrently. */
int eng_copy_image(const char *from_dir, const char *to_dir, struct sbuf *err);

/* After local_gen (DIR/JOBID/gen-N) was copied to shared_gen: removes the node's
 * older local generations whose shared generation has no manifest (pruned by
 * --keep or abandoned), so the local directory holds no more than the shared one
 * plus the generation being committed. Errors are ignored: it only frees space. */
void eng_prune_local(const char *local_gen, const char *shared_gen);

/* CKPT_MPI_TEST_COPY_DELAY_MS (tests only): sleep this long before each copy, so
 * that a test can see the application run on during the flush and kill the job in it. */
void eng_copy_delay_init(const char *ms);

#endif
