/* Shared-memory windows (MPI_Win_allocate_shared, docs/one-sided.md): one
 * MAP_SHARED mapping of a file every member maps, the segments laid out
 * contiguously in rank order. The face owns the memory; the lower half only
 * gets a Win_create over each rank's own segment, so RMA works on any MPI. */
#ifndef CKPT_FACE_WIN_SHARED_H
#define CKPT_FACE_WIN_SHARED_H

#include "face_runtime.h"

struct face_shm {
    char *map;       /* this rank's view of the whole window */
    uint64_t len;    /* of the mapping (whole pages, at least one) */
    int32_t n, me;   /* members of the window's communicator, this rank's index */
    int64_t *seg;    /* per member: size, disp_unit, offset in the mapping */
    char *snap;      /* this rank's segment as of the cut (the image holds it, not the mapping) */
    uint64_t snap_len;
};

/* Collective on `comm` (the lower half's handle of the window's communicator):
 * every member on one host, the file made, mapped by all and unlinked. 0 or an
 * MPI error code; `why` gets one line on failure. */
int face_shm_create(struct face_shm *s, int64_t size, int disp_unit, uint64_t comm, char *why, int cap);
/* The replay on a new lower half (or the same one, for the test hook): a new
 * file, each rank's segment written from its snapshot (or its current view),
 * mapped again over the same address. Aborts with one line when the members
 * are no longer on one host. */
int face_shm_remake(struct face_shm *s, uint64_t comm);
/* The drain, every application thread parked: once every member has completed
 * its RMA operations (a barrier), keep a copy of this rank's segment. */
int face_shm_snapshot(struct face_shm *s, uint64_t comm); /* 0, or -1: no copy, the checkpoint must fail */
/* After the image (or a failed checkpoint): the copy is no longer needed. */
void face_shm_drop_snapshot(struct face_shm *s);
/* Win_free: unmap and forget. */
void face_shm_release(struct face_shm *s);

#endif
