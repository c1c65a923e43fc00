/* Our libmpi_mpifh.so.40 (docs/openmpi-face.md, "Fortran"): Open MPI's mpif.h entry points,
 * each converting to the Open MPI C face (libmpi.so.40) it calls. */
#ifndef OMPI_MPIFH_H
#define OMPI_MPIFH_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>

#define OFF_EXPORT __attribute__((visibility("default")))
/* Arrays of up to this many handles are converted on the stack. */
#define OFF_STACK 64

/* The Open MPI C face's unsupported-call path: one line naming the call, then the job ends. */
int ompi_ckpt_mpi_unsupported(const char *name);
void *off_alloc(size_t bytes);
/* A Fortran string (blank-padded, `len` bytes) as a C string without its leading and
 * trailing blanks, as Open MPI's bindings pass it; malloc'd. */
char *off_string_in(const char *f, size_t len);
/* A C string into a Fortran one of `len` bytes: truncated or blank-padded. */
void off_string_out(char *f, size_t len, const char *c);

/* MPI_GREQUEST_START: the Fortran callbacks and extra state as the C face's extra state, and
 * the C callbacks that call them the Fortran way (every argument by reference, ierror last). */
void *off_greq_new(void *query, void *free_fn, void *cancel, intptr_t *extra);
int off_greq_query_fn(void *e, void *status);
int off_greq_free_fn(void *e);
int off_greq_cancel_fn(void *e, int complete);

#endif
