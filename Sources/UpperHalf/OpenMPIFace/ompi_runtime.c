/* The Open MPI face's runtime: binding to the MPICH face and the handle wrappers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ompi_face.h"

static void *mpich_face;

static void of_die(const char *a, const char *b)
{
    /* One line, before any MPI exists to report through. */
    char line[512];
    int n = snprintf(line, sizeof line, "ckpt-mpi: %s%s\n", a, b);
    if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    _exit(127);
}

void *of_sym(const char *name)
{
    /* Looked up in libmpi.so.12 itself: in the global scope the MPI names are ours. */
    void *p = dlsym(mpich_face, name);
    if (!p) of_die("the MPICH face lacks ", name);
    return p;
}

static int *mp_unweighted, *mp_weights_empty;
static int (*mp_comm_test_inter)(int32_t, int *);
static int (*mp_comm_size)(int32_t, int *);
static int (*mp_comm_remote_size)(int32_t, int *);

void of_bind(void)
{
    if (mpich_face) return;
    mpich_face = dlopen("libmpi.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!mpich_face) of_die("libmpi.so.40 (the Open MPI face) cannot load the MPICH face: ", dlerror());
    mp_unweighted = *(int **)of_sym("MPI_UNWEIGHTED");
    mp_weights_empty = *(int **)of_sym("MPI_WEIGHTS_EMPTY");
    mp_comm_test_inter = of_sym("PMPI_Comm_test_inter");
    mp_comm_size = of_sym("PMPI_Comm_size");
    mp_comm_remote_size = of_sym("PMPI_Comm_remote_size");
}

/* The application's signal installers must reach the MPICH face's (face_signals.c), which
 * defers a handler while its thread is in the lower half: libmpi.so.12 is loaded locally, so
 * without these the calls would bind straight to libc and a handler could run on the MPI's TLS.
 * Before the constructor has bound (another library's constructor), libc is the only choice. */
static void *of_signal_sym(const char *name)
{
    void *p = mpich_face ? dlsym(mpich_face, name) : NULL;
    return p ? p : dlsym(RTLD_NEXT, name);
}

__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static int (*f)(int, const struct sigaction *, struct sigaction *);
    if (!f || !mpich_face) f = (int (*)(int, const struct sigaction *, struct sigaction *))of_signal_sym("sigaction");
    return f(sig, act, old);
}

#define OF_SIMPLE_INSTALLER(name)                                                          \
    __attribute__((visibility("default"))) sighandler_t name(int sig, sighandler_t handler) \
    {                                                                                      \
        static sighandler_t (*f)(int, sighandler_t);                                       \
        if (!f || !mpich_face) f = (sighandler_t (*)(int, sighandler_t))of_signal_sym(#name); \
        return f(sig, handler);                                                            \
    }
OF_SIMPLE_INSTALLER(signal)
OF_SIMPLE_INSTALLER(bsd_signal)
OF_SIMPLE_INSTALLER(sysv_signal)

int *of_weights(const int *w)
{
    if (w == (const int *)2) return mp_unweighted;
    if (w == (const int *)3) return mp_weights_empty;
    return (int *)w;
}

int of_comm_peers(int32_t comm)
{
    int inter = 0, n = 0;
    if (mp_comm_test_inter(comm, &inter) != 0) return 0;
    if ((inter ? mp_comm_remote_size : mp_comm_size)(comm, &n) != 0) return 0;
    return n;
}

int of_unsupported(const char *name)
{
    /* As the MPICH face does: one line, time for the launcher to forward it, then the whole
     * job ends (one rank exiting alone could leave the others waiting for it). */
    char line[256];
    int n = snprintf(line, sizeof line, "ckpt-mpi: %s is not supported by ckpt-mpi's Open MPI face yet (see docs/openmpi-face.md); aborting the job\n", name);
    if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    int (*abort_job)(int32_t, int) = (int (*)(int32_t, int))dlsym(mpich_face, "PMPI_Abort");
    if (abort_job) abort_job(of_mpich_comm_world, 1);
    _exit(1);
}

/* For the libmpi_cxx.so.40 stub (Sources/UpperHalf/OpenMPICxx): its symbols fail through here. */
OF_EXPORT int ompi_ckpt_mpi_unsupported(const char *name) { return of_unsupported(name); }

/* What mpicxx.h's inline MPI::Op makes every C++ program import from libmpi.so.40. Only
 * the C++ bindings call it, and a program that uses those is refused before it starts. */
OF_EXPORT void ompi_op_set_cxx_callback(void *op, void (*fn)(void)) { (void)op; (void)fn; of_unsupported("MPI::Op::Init (C++ bindings)"); }

void *of_alloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p) of_die("out of memory converting handles", "");
    return p;
}

/* Wrappers for user objects: one per (kind, MPICH handle), never freed, so the same MPI
 * object always has the same Open MPI handle (applications compare handles). They live
 * in upper-half memory, hence in the image: a restart keeps them, and the MPICH face's
 * handles inside them stay valid across restarts. */
struct of_obj {
    int32_t h;
    int32_t kind;
    int32_t f; /* its Fortran index once it has one (of_f_index), else 0: always a predefined one's */
};
struct of_slot {
    uint64_t key;
    struct of_obj *obj;
};
static struct of_slot *table;
static size_t table_size, table_used;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(struct of_slot *t, size_t size, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (size - 1);
    while (t[i].obj && t[i].key != key) i = (i + 1) & (size - 1);
    return i;
}

static void grow(void)
{
    size_t size = table_size ? table_size * 2 : 1024;
    struct of_slot *t = calloc(size, sizeof *t);
    if (!t) of_die("out of memory converting handles", "");
    for (size_t i = 0; i < table_size; i++)
        if (table[i].obj) t[slot_of(t, size, table[i].key)] = table[i];
    free(table);
    table = t;
    table_size = size;
}

void *of_out(int kind, int32_t h)
{
    void *pre = of_predefined_out(kind, h);
    if (pre) return pre;
    uint64_t key = (uint64_t)(uint32_t)kind << 32 | (uint32_t)h;
    pthread_mutex_lock(&table_lock);
    if (2 * (table_used + 1) > table_size) grow();
    size_t i = slot_of(table, table_size, key);
    if (!table[i].obj) {
        struct of_obj *o = malloc(sizeof *o);
        if (!o) of_die("out of memory converting handles", "");
        o->h = h;
        o->kind = kind;
        o->f = 0;
        table[i].key = key;
        table[i].obj = o;
        table_used++;
    }
    void *r = table[i].obj;
    pthread_mutex_unlock(&table_lock);
    return r;
}

/* Fortran indices of user objects, as Open MPI's f2c tables give them: per kind, the next
 * free one after the predefined indices, one per wrapper and, like the wrappers, never
 * reused. Chunks that never move, so f2c reads without the lock; static and upper-half
 * heap, so a restored job's Fortran handles still name the same objects. */
#define OF_F_CHUNK 4096
#define OF_F_CHUNKS 4096
#define OF_F_KINDS 16
static struct of_obj **f_chunks[OF_F_KINDS][OF_F_CHUNKS];
static int f_used[OF_F_KINDS];
static pthread_mutex_t f_lock = PTHREAD_MUTEX_INITIALIZER;

int of_f_index(int kind, void *c, int base)
{
    struct of_obj *o = c;
    int f = __atomic_load_n(&o->f, __ATOMIC_ACQUIRE);
    if (f) return f;
    pthread_mutex_lock(&f_lock);
    if (!(f = o->f)) {
        int i = f_used[kind];
        if (i / OF_F_CHUNK >= OF_F_CHUNKS) of_die("more user objects of one kind than Fortran handles", "");
        struct of_obj **chunk = f_chunks[kind][i / OF_F_CHUNK];
        if (!chunk) {
            chunk = calloc(OF_F_CHUNK, sizeof *chunk);
            if (!chunk) of_die("out of memory converting handles", "");
            __atomic_store_n(&f_chunks[kind][i / OF_F_CHUNK], chunk, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&chunk[i % OF_F_CHUNK], o, __ATOMIC_RELEASE);
        f_used[kind] = i + 1;
        f = base + i;
        __atomic_store_n(&o->f, f, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&f_lock);
    return f;
}

void *of_f_object(int kind, int f, int base)
{
    if (f < base) return NULL;
    unsigned i = (unsigned)(f - base);
    if (i >= (unsigned)OF_F_CHUNK * OF_F_CHUNKS) return NULL;
    struct of_obj **chunk = __atomic_load_n(&f_chunks[kind][i / OF_F_CHUNK], __ATOMIC_ACQUIRE);
    return chunk ? __atomic_load_n(&chunk[i % OF_F_CHUNK], __ATOMIC_ACQUIRE) : NULL;
}

/* A rank-valued predefined attribute (MPI_HOST, MPI_IO), converted into storage of our own:
 * the MPICH face's int holds MPICH's sentinels. */
void of_attr_rank_out(int which, void *attribute_val)
{
    static int values[2];
    int *slot = &values[which];
    *slot = of_rank_out(**(int **)attribute_val);
    *(int **)attribute_val = slot;
}

int of_neighbors(int32_t comm, int out, int graph, int cart, int dist_graph)
{
    static int (*topo_test)(int32_t, int *), (*cartdim)(int32_t, int *), (*comm_rank)(int32_t, int *);
    static int (*graph_count)(int32_t, int, int *), (*dist_count)(int32_t, int *, int *, int *);
    if (!topo_test) {
        cartdim = of_sym("PMPI_Cartdim_get");
        comm_rank = of_sym("PMPI_Comm_rank");
        graph_count = of_sym("PMPI_Graph_neighbors_count");
        dist_count = of_sym("PMPI_Dist_graph_neighbors_count");
        topo_test = of_sym("PMPI_Topo_test");
    }
    int type = 0, n = 0, in = 0, outd = 0, weighted = 0, rank = 0;
    if (topo_test(comm, &type) != 0) return 0;
    if (type == cart) return cartdim(comm, &n) == 0 ? 2 * n : 0;
    if (type == graph) return comm_rank(comm, &rank) == 0 && graph_count(comm, rank, &n) == 0 ? n : 0;
    if (type == dist_graph) return dist_count(comm, &in, &outd, &weighted) == 0 ? (out ? outd : in) : 0;
    return 0;
}

/* Upper-half heap, so the MPICH face's record of the keyval (which holds this pointer as its
 * extra state) replays to the same functions after a restart. Never freed: MPI allows a freed
 * keyval's callbacks to run while attributes that use it remain. */
struct of_keyval_fns {
    int (*copy)(void *, int, void *, void *, void *, int *);
    int (*del)(void *, int, void *, void *);
    void *extra;
};

void *of_keyval_fns_new(void *copy, void *del, void *extra)
{
    struct of_keyval_fns *k = of_alloc(sizeof *k);
    k->copy = (int (*)(void *, int, void *, void *, void *, int *))copy;
    k->del = (int (*)(void *, int, void *, void *))del;
    k->extra = extra;
    return k;
}

int of_copy_with(int kind, int32_t obj, int keyval, void *fns, void *in, void *out, int *flag)
{
    struct of_keyval_fns *k = fns;
    if (!k->copy) { *flag = 0; return 0; }
    int rc = k->copy(of_out(kind, obj), of_keyval_out(keyval), k->extra, in, out, flag);
    return rc ? of_err_in(rc) : 0;
}

int of_delete_with(int kind, int32_t obj, int keyval, void *attr, void *fns)
{
    struct of_keyval_fns *k = fns;
    if (!k->del) return 0;
    int rc = k->del(of_out(kind, obj), of_keyval_out(keyval), attr, k->extra);
    return rc ? of_err_in(rc) : 0;
}
