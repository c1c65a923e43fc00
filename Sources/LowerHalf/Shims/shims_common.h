/* Conversions every shim needs, compiled against the implementation's own
 * mpi.h (one translation unit per lower-half flavour). */
#ifndef CKPT_SHIMS_COMMON_H
#define CKPT_SHIMS_COMMON_H

#include <mpi.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt_abi.h"
#include "ckpt_boot.h"
#include "ckpt_calltable.h"

#if defined(OPEN_MPI) && OPEN_MPI
#define CKPT_HANDLES_ARE_POINTERS 1
#else
#define CKPT_HANDLES_ARE_POINTERS 0
#endif
#define CKPT_STACK_ARRAY 32

#include "shims_convert.generated.h"

static struct ckpt_boot *ck_boot;
static volatile uint32_t *ck_pending;
static int ck_oversubscribed;
/* Oversubscribed MPICH ranks run blocking collectives as non-blocking ones plus
 * a yielding wait (MPICH polls without yielding; Open MPI yields by itself once
 * mpi_yield_when_idle is set, and its blocking algorithms are faster). */
static int ck_collectives_yield;

static inline int ckin_rank(int r)
{
    if (__builtin_expect(r >= 0, 1))
        return r;
    if (r == CKPT_MPI_ANY_SOURCE)
        return MPI_ANY_SOURCE;
    if (r == CKPT_MPI_PROC_NULL)
        return MPI_PROC_NULL;
    if (r == CKPT_MPI_ROOT)
        return MPI_ROOT;
    return r;
}

static inline int ckout_rank(int r)
{
    if (__builtin_expect(r >= 0, 1))
        return r;
    if (r == MPI_ANY_SOURCE)
        return CKPT_MPI_ANY_SOURCE;
    if (r == MPI_PROC_NULL)
        return CKPT_MPI_PROC_NULL;
    if (r == MPI_ROOT)
        return CKPT_MPI_ROOT;
    return r;
}

static inline void *ckin_buf(const void *p)
{
    return p == CKPT_MPI_IN_PLACE ? MPI_IN_PLACE : (void *)p;
}

static inline const int *ckin_weights(const int *w)
{
    if (w == CKPT_UNWEIGHTED_SENTINEL)
        return MPI_UNWEIGHTED;
    if (w == CKPT_WEIGHTS_EMPTY_SENTINEL)
        return MPI_WEIGHTS_EMPTY;
    return w;
}

/* The implementation's status -> MPICH layout with our byte count. */
static inline void ck_status_out(const MPI_Status *n, struct ckpt_status *s)
{
#if CKPT_HANDLES_ARE_POINTERS
    int64_t bytes = (int64_t)n->_ucount;
    int cancelled = n->_cancelled ? 1 : 0;
#else
    int64_t bytes = (int64_t)(uint32_t)n->count_lo | ((int64_t)((uint32_t)n->count_hi_and_cancelled >> 1) << 32);
    int cancelled = n->count_hi_and_cancelled & 1;
#endif
    s->count_lo = (int)(uint32_t)bytes;
    s->count_hi_and_cancelled = (int)(((uint32_t)(bytes >> 32) << 1) | (uint32_t)cancelled);
    s->source = ckout_rank(n->MPI_SOURCE);
    s->tag = n->MPI_TAG;
    s->error = n->MPI_ERROR == MPI_SUCCESS ? 0 : ck_err(n->MPI_ERROR);
}

static inline void ck_statuses_out(const MPI_Status *n, struct ckpt_status *s, int count)
{
    for (int i = 0; i < count; i++)
        ck_status_out(&n[i], &s[i]);
}

/* Waits for one request without holding the thread here once a checkpoint is
 * pending (DESIGN §2); oversubscribed ranks yield so their peers can run. */
static inline int ck_wait(MPI_Request *r, MPI_Status *st)
{
    unsigned spins = 0;
    for (;;) {
        int flag = 0;
        int rc = MPI_Test(r, &flag, st);
        if (rc != MPI_SUCCESS || flag)
            return rc;
        if (__builtin_expect(*ck_pending != 0, 0))
            return CKPT_PENDING;
        if (ck_oversubscribed && ++spins >= 16) {
            spins = 0;
            sched_yield();
        }
    }
}

static inline void ck_backoff(unsigned *spins)
{
    if (ck_oversubscribed && ++*spins >= 16) {
        *spins = 0;
        sched_yield();
    }
}

/* Completes a started collective, yielding between polls (oversubscribed ranks).
 * It does not leave for a pending checkpoint: the collective cut completes
 * every started collective (DESIGN §4.1). */
static inline int ck_wait_collective(int rc, MPI_Request *r)
{
    if (rc != MPI_SUCCESS)
        return rc;
    for (;;) {
        int flag = 0;
        rc = MPI_Test(r, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || flag)
            return rc;
        sched_yield();
    }
}

static inline int ck_result(int rc) { return rc == CKPT_PENDING ? rc : ck_err(rc); }

#endif
