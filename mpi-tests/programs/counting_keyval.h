/* Communicator keyval callbacks that count their calls, for the attribute
 * tests: copy counts in the keyval's shared extra_state too and gives
 * KEYVAL_COPY_OF(value) (the including program defines it), delete records the
 * value it deleted. */
#ifndef COUNTING_KEYVAL_H
#define COUNTING_KEYVAL_H
#include <mpi.h>

static int ncopy = 0, ndel = 0;
static long lastdel = 0;

static int copy_fn(MPI_Comm old, int kv, void *extra, void *in, void *out, int *flag) {
    (void)old; (void)kv;
    ncopy++;
    *(long *)extra += 1;
    *(void **)out = (void *)(KEYVAL_COPY_OF((long)in));
    *flag = 1;
    return MPI_SUCCESS;
}
static int del_fn(MPI_Comm c, int kv, void *val, void *extra) {
    (void)c; (void)kv; (void)extra;
    ndel++;
    lastdel = (long)val;
    return MPI_SUCCESS;
}
#endif
