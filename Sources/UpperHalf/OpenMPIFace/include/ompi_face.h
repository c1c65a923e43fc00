/* The Open MPI face (libmpi.so.40): shared by the generated entries and the runtime.
 * See docs/openmpi-face.md. */
#ifndef CKPT_OMPI_FACE_H
#define CKPT_OMPI_FACE_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>

#define OF_EXPORT __attribute__((visibility("default")))
/* Arrays of up to this many handles/statuses are converted on the stack. */
#define OF_STACK 64

/* Open MPI's MPI_Status (spec/openmpi-abi.json "status"). */
struct of_status {
    int MPI_SOURCE;
    int MPI_TAG;
    int MPI_ERROR;
    int _cancelled;
    size_t _ucount;
};
/* The MPICH face's MPI_Status. */
struct mp_status {
    int count_lo;
    int count_hi_and_cancelled;
    int MPI_SOURCE;
    int MPI_TAG;
    int MPI_ERROR;
};
#define MP_STATUS_IGNORE ((struct mp_status *)1)
#define MP_STATUSES_IGNORE ((struct mp_status *)1)

/* Every Open MPI handle the face hands out, predefined or not, points at an int
 * holding the MPICH face's handle: converting in is one load. */
#define OF_H(x) (*(const int32_t *)(x))
/* MPI_IN_PLACE is (void *)1 in Open MPI, (void *)-1 in MPICH; MPI_BOTTOM is 0 in both. */
#define OF_BUF(x) ((const void *)(x) == (const void *)1 ? (void *)-1 : (void *)(x))

/* The constants' maps and the predefined objects' reverse map (ompi_convert.generated.c). */
#include "ompi_convert.generated.h"
/* The Open MPI handle for MPICH-face handle `h` of handle kind `kind` (index in the
 * generator's HandleType.all): the predefined object, or one stable wrapper per handle. */
void *of_out(int kind, int32_t h);
/* Fortran handles of user objects (wrappers from of_out): the index of `c`, given the first
 * after the kind's predefined ones (`base`) the first time it is asked for; and the wrapper an
 * index names, NULL if none. `kind` as for of_out. */
int of_f_index(int kind, void *c, int base);
void *of_f_object(int kind, int f, int base);
void *of_alloc(size_t bytes);
void *of_sym(const char *name);
/* Loads the MPICH face (libmpi.so.12, locally) and what the runtime needs of it; once
 * (the generated entries' constructor calls it before resolving their procedures). */
void of_bind(void);
int of_unsupported(const char *name);
/* The MPICH face's MPI_COMM_WORLD, which an unsupported call aborts. */
extern const int32_t of_mpich_comm_world;
/* Open MPI's MPI_User_function: the datatype comes as a pointer to an Open MPI handle. */
typedef void of_user_fn(void *, void *, int *, void **);
void *of_op_trampoline(void *fn);
void *of_errhandler_trampoline(void *fn);
/* Keyvals: the application's copy/delete functions and extra state, kept as the MPICH face's extra state. */
void *of_keyval_fns_new(void *copy, void *del, void *extra);
int of_copy_with(int kind, int32_t obj, int keyval, void *fns, void *in, void *out, int *flag);
int of_delete_with(int kind, int32_t obj, int keyval, void *attr, void *fns);
/* which: 0 for MPI_HOST, 1 for MPI_IO. */
void of_attr_rank_out(int which, void *attribute_val);
/* MPI_UNWEIGHTED and MPI_WEIGHTS_EMPTY ((int *)2 and 3) → the MPICH face's markers. */
int *of_weights(const int *w);
/* The peers of a communicator (remote group of an intercommunicator): w-collectives' array length. */
int of_comm_peers(int32_t comm);
/* In- or out-degree of a topology (the MPICH face's topology type values): neighbour w-collectives. */
int of_neighbors(int32_t comm, int out, int graph, int cart, int dist_graph);

/* Sum of n degrees: the implicit length of MPI_Dist_graph_create's arrays. */
static inline int ckpt_sum(const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
}

static inline void of_status_in(struct mp_status *m, const struct of_status *o)
{
    m->MPI_SOURCE = of_rank_in(o->MPI_SOURCE);
    m->MPI_TAG = o->MPI_TAG;
    m->MPI_ERROR = of_err_in(o->MPI_ERROR);
    m->count_lo = (int)(uint32_t)o->_ucount;
    m->count_hi_and_cancelled = (int)((uint32_t)(o->_ucount >> 32) << 1 | (o->_cancelled ? 1u : 0u));
}

static inline void of_status_out(struct of_status *o, const struct mp_status *m)
{
    o->MPI_SOURCE = of_rank_out(m->MPI_SOURCE);
    o->MPI_TAG = m->MPI_TAG;
    o->MPI_ERROR = of_err_out(m->MPI_ERROR);
    o->_cancelled = m->count_hi_and_cancelled & 1;
    o->_ucount = (size_t)(uint32_t)m->count_lo | (size_t)((uint32_t)m->count_hi_and_cancelled >> 1) << 32;
}

#endif
