/* What the engine's thread runs while application threads are parked (DESIGN
 * §4.2): the point-to-point drain (face_drain.c). Allocates only through
 * face_parked_alloc. */
#ifndef CKPT_FACE_PARKED_H
#define CKPT_FACE_PARKED_H

#include "face_cut.h"

/* This rank's sent counts per world rank, as the coordinator's comma list. */
int face_drain_sent(char *buf, int cap);
/* Receives until every count in `expect` is matched; 0 or -1 with `err` filled. */
int face_drain(const char *expect, char *err, int errlen);
/* Lets the lower half progress while the drain waits for peers. */
void face_drain_progress(void);
/* After the image (restored: in a new lower half, where the rebind does it). */
void face_drain_finish(int restored);

#endif
