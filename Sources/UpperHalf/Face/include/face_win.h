/* One-sided communication (docs/one-sided.md): what the face keeps of each
 * window so that the drain can complete its epoch and a restart can recreate
 * it over the same upper-half memory and reopen its epoch. */
#ifndef CKPT_FACE_WIN_H
#define CKPT_FACE_WIN_H

#include "face_runtime.h"

/* Passive-target and PSCW epochs this thread has open: the engine does not
 * stop a thread inside one (face_init.c's in_critical), so no such epoch spans
 * a checkpoint; the lock_all epoch is the exception (completed by the drain). */
extern __thread int face_win_epochs __attribute__((tls_model("initial-exec")));

/* The drain, every application thread parked: completes every pending RMA
 * operation (an extra fence in fence epochs, flush_all in lock_all epochs). */
void face_wins_quiesce(void);
/* After the drain: nonzero when a shared window's segment could not be copied (the checkpoint fails). */
int face_wins_drained(void);
/* After the image (restored = 0) or in the restored process before any
 * application thread resumes (restored = 1): shared windows' copies go, or
 * their memory is made shared again (face_win_shared.c). */
void face_wins_image_done(int restored);
/* After the replay on a new lower half: reopen each live window's epoch. */
int face_wins_rebind(void);
/* The replay test hook (face_replay.c) replays into the same lower half: free
 * the old lower windows first (MPICH's UCX complains at exit otherwise). */
void face_wins_release_lower(void);
/* Replay of a window record (face_ops.c's ckpt_replay_custom forwards here). */
int face_win_replay(uint32_t fn, const uint64_t *words, uint32_t count);

#endif
