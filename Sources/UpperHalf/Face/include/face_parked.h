/* What the engine's thread runs while application threads are parked (DESIGN
 * §4.2): the drain (parked/drain.c, a loop over the kinds of include/face_kinds.h)
 * and the receiving it shares with the kinds' hooks (parked/receive.c).
 * Allocates only through face_parked_alloc. */
#ifndef CKPT_FACE_PARKED_H
#define CKPT_FACE_PARKED_H

#include "face_cut.h"
#include "face_kinds.h"

/* This rank's sent counts per world rank, as the coordinator's comma list. */
int face_drain_sent(char *buf, int cap);
/* Receives until every count in `expect` is matched; 0 or -1 with `err` filled. */
int face_drain(const char *expect, char *err, int errlen);
/* Lets the lower half progress while the drain waits for peers. */
void face_drain_progress(void);
/* After the image (restored: in a new lower half, where the rebind does it). */
void face_drain_finish(int restored);

/* parked/receive.c. Per world rank, the messages the peers say they sent this
 * rank (the coordinator's EXPECT), while a drain runs. */
extern int64_t *face_drain_expected;
/* Some peer sent this rank more than it has received yet. */
int face_drain_short_of_messages(void);
/* Tests the lower half's request until it completes (a drain must not block in a Wait). */
void face_drain_wait(uint64_t *real, struct ckpt_status *st);
/* The bytes of a status's count. */
int64_t face_status_bytes(const struct ckpt_status *st);
/* A drained message of `bytes` bytes in parked memory, or NULL. */
struct face_drained *face_drained_new(int64_t bytes);
/* Completes the receive into `m` that returned `rc`; 1 (and `m` gone) if it failed. */
int face_drained_wait(struct face_drained *m, int rc, uint64_t *req, struct ckpt_status *got);
/* Receives everything in flight on the lower half's communicator `real` (the
 * face's `handle`) into drained messages, counted on `counted_on` (same ranks);
 * 1 when out of parked memory. */
int face_drain_receive_all(int32_t handle, uint64_t real, int32_t counted_on, struct face_drain_pass *pass);

#endif
