/* What the rest of the upper half registered with the engine: the restore
 * hooks (a restored process runs in a NEW lower half, and whoever caches its
 * boot struct, call table or FS bases rebinds here) and the MPI face's cut
 * operations. Registration happens at start-up; the hooks run parked. */
#define _GNU_SOURCE
#include "parked.h"

#define MAX_HOOKS 16

static const struct ckpt_mpi_ops *volatile mpi_ops;

static struct {
    ckpt_engine_restore_fn fn;
    void *arg;
} restore_hooks[MAX_HOOKS];
static struct {
    ckpt_engine_thread_fn fn;
    void *arg;
} thread_hooks[MAX_HOOKS];
static volatile int nrestore_hooks, nthread_hooks;

int ckpt_engine_set_mpi_ops(const struct ckpt_mpi_ops *ops)
{
    if (!ops || ops->version != CKPT_MPI_OPS_VERSION)
        return -1;
    mpi_ops = ops;
    return 0;
}
const struct ckpt_mpi_ops *eng_mpi_ops(void) { return mpi_ops; }

int ckpt_engine_on_restore(ckpt_engine_restore_fn fn, void *arg)
{
    int i = __atomic_fetch_add(&nrestore_hooks, 1, __ATOMIC_ACQ_REL);
    if (i >= MAX_HOOKS)
        return -1;
    restore_hooks[i].arg = arg;
    __atomic_store_n(&restore_hooks[i].fn, fn, __ATOMIC_RELEASE);
    return 0;
}
int ckpt_engine_on_thread_restore(ckpt_engine_thread_fn fn, void *arg)
{
    int i = __atomic_fetch_add(&nthread_hooks, 1, __ATOMIC_ACQ_REL);
    if (i >= MAX_HOOKS)
        return -1;
    thread_hooks[i].arg = arg;
    __atomic_store_n(&thread_hooks[i].fn, fn, __ATOMIC_RELEASE);
    return 0;
}

void eng_run_restore_hooks(struct ckpt_boot *boot)
{
    int n = __atomic_load_n(&nrestore_hooks, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n && i < MAX_HOOKS; i++) {
        ckpt_engine_restore_fn fn = __atomic_load_n(&restore_hooks[i].fn, __ATOMIC_ACQUIRE);
        if (fn)
            fn(boot, restore_hooks[i].arg);
    }
}

void eng_run_thread_hooks(void)
{
    int n = __atomic_load_n(&nthread_hooks, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n && i < MAX_HOOKS; i++) {
        ckpt_engine_thread_fn fn = __atomic_load_n(&thread_hooks[i].fn, __ATOMIC_ACQUIRE);
        if (fn)
            fn(thread_hooks[i].arg);
    }
}

struct ckpt_boot *ckpt_engine_boot(void) { return eng.boot; }
uint64_t ckpt_engine_restore_count(void) { return eng_mailbox()->restored; }
int ckpt_engine_signal(void) { return eng.sig; }
