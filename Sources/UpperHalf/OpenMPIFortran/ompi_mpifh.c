/* What the generated entries of our libmpi_mpifh.so.40 share: memory and strings. */
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>
#include "ompi_mpifh.h"

void *off_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        static const char line[] = "ckpt-mpi: out of memory converting a Fortran MPI call's arguments\n";
        (void)!write(2, line, sizeof line - 1);
        _exit(127);
    }
    return p;
}

char *off_string_in(const char *f, size_t len)
{
    size_t a = 0, b = len;
    while (a < b && f[a] == ' ') a++;
    while (b > a && f[b - 1] == ' ') b--;
    char *c = off_alloc(b - a + 1);
    memcpy(c, f + a, b - a);
    c[b - a] = 0;
    return c;
}

void off_string_out(char *f, size_t len, const char *c)
{
    size_t n = strlen(c);
    if (n > len) n = len;
    memcpy(f, c, n);
    memset(f + n, ' ', len - n);
}

/* mpifort.openmpi links a `use mpi` program against this library alone (--as-needed drops
 * libmpi.so.40), so the Open MPI face this library calls must join the global scope itself,
 * before the first call binds (lazily) to its PMPI_ procedures. */
__attribute__((constructor)) static void off_load_face(void)
{
    if (dlopen("libmpi.so.40", RTLD_LAZY | RTLD_GLOBAL)) return;
    const char *e = dlerror();
    static const char head[] = "ckpt-mpi: libmpi_mpifh.so.40 cannot load the Open MPI face (libmpi.so.40): ";
    (void)!write(2, head, sizeof head - 1);
    (void)!write(2, e ? e : "?", e ? strlen(e) : 1);
    (void)!write(2, "\n", 1);
    _exit(127);
}

/* Generalized requests made from Fortran: the three Fortran functions and the address of the
 * application's extra state (what Open MPI passes them, so a callback that changes it is
 * seen by the next one and by the application) travel as the C extra state to three fixed C
 * callbacks. Upper-half heap and fixed code: a pending request survives a restart. */
struct off_greq {
    void (*query)(intptr_t *, int *, int *);
    void (*free_fn)(intptr_t *, int *);
    void (*cancel)(intptr_t *, int *, int *);
    intptr_t *extra;
};

void *off_greq_new(void *query, void *free_fn, void *cancel, intptr_t *extra)
{
    struct off_greq *g = off_alloc(sizeof *g);
    g->query = (void (*)(intptr_t *, int *, int *))query;
    g->free_fn = (void (*)(intptr_t *, int *))free_fn;
    g->cancel = (void (*)(intptr_t *, int *, int *))cancel;
    g->extra = extra;
    return g;
}

/* Open MPI's Fortran status is its C status read as INTEGERs. */
int off_greq_query_fn(void *e, void *status)
{
    struct off_greq *g = e;
    int ierr = 0;
    if (g->query) g->query(g->extra, (int *)status, &ierr);
    return ierr;
}

/* The C face calls it last. */
int off_greq_free_fn(void *e)
{
    struct off_greq *g = e;
    int ierr = 0;
    if (g->free_fn) g->free_fn(g->extra, &ierr);
    free(g);
    return ierr;
}

int off_greq_cancel_fn(void *e, int complete)
{
    struct off_greq *g = e;
    int ierr = 0, logical = complete ? 1 : 0; /* gfortran's .TRUE. */
    if (g->cancel) g->cancel(g->extra, &logical, &ierr);
    return ierr;
}
