/* What every face entry point uses: the crossing into the lower half, handle
 * translation through the shadow tables, error reporting (DESIGN §2, §3). */
#ifndef CKPT_FACE_RUNTIME_H
#define CKPT_FACE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ckpt_abi.h"
#include "ckpt_boot.h"
#include "ckpt_calltable.h"
#include "ckpt_shadow_slots.h"
#include "face_abi.h"
#include "face_mpi.generated.h"

#define CKPT_EXPORT __attribute__((visibility("default")))
#define CKPT_STACK_ARRAY 32

/* Set by the face's constructor from the boot struct of the lower half. */
extern const struct ckpt_calltable *ckpt_T;
extern struct ckpt_boot *ckpt_boot_info;
extern int ckpt_has_fsgsbase;

/* The lower-half FS base of this (upper) thread; 0 until its first call. */
extern __thread uint64_t ckpt_lower_fs __attribute__((tls_model("initial-exec")));
uint64_t ckpt_thread_attach(void);

/* What the crossing knows of MPI's life in this process (written by face_init.c). */
struct face_life {
    int initialized, finalized;
    int finalizing;     /* inside MPI_Finalize's own barrier */
    int required_level; /* the thread level asked for: a new lower half is initialised with it */
};
extern struct face_life face_life;
/* Set when the process was restored into a new lower half and MPI there is not
 * initialised yet: the first thread that calls into it runs face_rebind_once
 * (lazily, so MPI sees an application thread, not the engine's, first). */
extern volatile int face_needs_rebind;
extern void (*face_rebind_once)(void);
/* For the cut: 0 before MPI_Init, 1 while MPI runs, 2 once MPI_Finalize started. */
int ckpt_face_state(void);
/* The engine's STOP: ends MPI in the lower half as a finishing program would. */
void ckpt_face_stop(void);

static inline void ckpt_set_fs(uint64_t fs)
{
    if (__builtin_expect(ckpt_has_fsgsbase, 1)) {
        __asm__ volatile("wrfsbase %0" : : "r"(fs) : "memory");
    } else {
        /* A raw syscall: libc's wrapper would write errno through the wrong TLS. */
        long ret;
        __asm__ volatile("syscall" : "=a"(ret) : "0"(158L /* arch_prctl */), "D"(0x1002L /* ARCH_SET_FS */), "S"(fs)
                         : "rcx", "r11", "memory");
        (void)ret;
    }
}

/* A thread inside a face entry point is never stopped for a checkpoint: the
 * engine's suspend handler asks face_in_critical() and tries again later, so a
 * checkpoint never sees a call half-recorded (a request the lower half made but
 * the shadow table does not know yet). Wait loops leave it explicitly at their
 * safe point. */
extern __thread int face_crit __attribute__((tls_model("initial-exec")));
static inline int face_crit_begin(void)
{
    face_crit++;
    __asm__ volatile("" ::: "memory");
    return 0;
}
static inline void face_crit_end(int *unused)
{
    (void)unused;
    __asm__ volatile("" ::: "memory");
    face_crit--;
}

/* First thing in every entry point: the thread's first call (and the first call
 * after a restart, which rebuilds the MPI state) binds it to the lower half
 * before any handle is translated. */
#define CKPT_ENTER()                                                                      \
    int ckpt_crit_guard_ __attribute__((cleanup(face_crit_end), unused)) = face_crit_begin(); \
    do {                                                                                  \
        if (__builtin_expect(ckpt_lower_fs == 0, 0))                                      \
            (void)ckpt_thread_attach();                                                   \
    } while (0)

/* After a safe point (the process may have been restored into a new lower half). */
static inline void ckpt_reenter(void)
{
    if (__builtin_expect(ckpt_lower_fs == 0, 0))
        (void)ckpt_thread_attach();
}

/* Enter the lower half: returns the upper FS base to restore. */
static inline uint64_t ckpt_cross_in(void)
{
    uint64_t lfs = ckpt_lower_fs;
    if (__builtin_expect(lfs == 0, 0))
        lfs = ckpt_thread_attach();
    uint64_t ufs;
    /* The TCB's first word points to itself: the FS base without a syscall. */
    __asm__ volatile("mov %%fs:0, %0" : "=r"(ufs));
    ckpt_set_fs(lfs);
    return ufs;
}

/* Signals that arrived while this thread was in the lower half (face_crossing.c). */
extern volatile uint32_t face_signals_deferred;
void face_raise_deferred(void);

/* Back in the upper half: a handler that had to wait runs now, on our TLS. */
static inline void ckpt_cross_out(uint64_t ufs)
{
    ckpt_set_fs(ufs);
    if (__builtin_expect(face_signals_deferred != 0, 0))
        face_raise_deferred();
}

/* The lower half's "checkpoint pending" word (DESIGN §2). */
extern volatile uint32_t *ckpt_pending;

/* Exactly one crossing per MPI call (DESIGN §6). Nothing between the two
 * switches may touch upper-half TLS. */
#define CKPT_CROSS(stmt)                              \
    do {                                              \
        uint64_t ckpt_ufs_ = ckpt_cross_in();         \
        stmt;                                         \
        ckpt_cross_out(ckpt_ufs_);                    \
    } while (0)

/* MPIShadow (Swift): what an object carries, and the handles of kinds that carry
 * something. Requests and messages use only ckpt_shadow_slots.h (C). */
int32_t ckpt_shadow_virtual_new(uint32_t kind, uint64_t real);
void ckpt_shadow_release(uint32_t kind, int32_t handle);
void ckpt_shadow_set_predefined(uint32_t kind, int32_t handle, uint64_t real);
int32_t ckpt_shadow_lookup(uint32_t kind, uint64_t real, int32_t fallback);
void ckpt_shadow_record(uint32_t procedure, const uint64_t *words, uint32_t count);
void ckpt_shadow_set_name(uint32_t kind, int32_t handle, const char *name, int32_t max);
int32_t ckpt_shadow_get_name(uint32_t kind, int32_t handle, char *out, int32_t cap);
void ckpt_shadow_set_errhandler(int32_t comm, int32_t errhandler);
int32_t ckpt_shadow_get_errhandler(int32_t comm, int32_t fallback);
int32_t ckpt_shadow_keyval_create(uint32_t kind, const void *copy, const void *del, void *extra);
/* Puts `copy` and `del` in place of a keyval's functions, the old ones in old_copy and old_del; -1: no such keyval. */
int32_t ckpt_shadow_keyval_swap_fns(int32_t keyval, const void *copy, const void *del, const void **old_copy,
                                    const void **old_del);
int32_t ckpt_shadow_keyval_free(uint32_t kind, int32_t keyval);
int32_t ckpt_shadow_attr_set(uint32_t kind, int32_t handle, int32_t keyval, uintptr_t value);
int32_t ckpt_shadow_attr_get(uint32_t kind, int32_t handle, int32_t keyval, uintptr_t *value);
int32_t ckpt_shadow_attr_delete(uint32_t kind, int32_t handle, int32_t keyval);
int32_t ckpt_shadow_derived(uint32_t kind, int32_t parent, int32_t child, int32_t is_dup);
int32_t ckpt_shadow_freeing(uint32_t kind, int32_t handle);
uint32_t ckpt_shadow_record_copy(uint64_t index, uint32_t *fn, uint64_t *out, uint32_t cap);
uint64_t ckpt_shadow_record_count(void);

/* A virtual handle for a real one the lower half returned (0 = null). */
static inline int32_t ckpt_virtual_new(unsigned kind, uint64_t real)
{
    if (real == 0)
        return (int32_t)(kind << 26);
    if (kind == CKPT_KIND_REQUEST)
        return real == CKPT_REAL_MESSAGE_NO_PROC ? CKPT_MPI_MESSAGE_NO_PROC : ckpt_shadow_alloc(kind, real);
    return ckpt_shadow_virtual_new(kind, real);
}

/* After a call that may replace or free a handle passed by pointer. */
static inline void ckpt_inout_update(unsigned kind, int32_t *h, uint64_t real, int32_t null_handle)
{
    int32_t v = *h;
    if (real == ckpt_to_real(kind, v))
        return;
    if (real == 0) {
        if (kind == CKPT_KIND_REQUEST)
            ckpt_shadow_free_handle(kind, v);
        else
            ckpt_shadow_release(kind, v);
        *h = null_handle;
    } else if ((uint32_t)v >> 30 == 2) {
        ckpt_shadow_set_real(kind, v, real);
    } else {
        *h = ckpt_virtual_new(kind, real);
    }
}

static inline void ckpt_record(uint32_t fn, const uint64_t *words, uint32_t n) { ckpt_shadow_record(fn, words, n); }
static inline void ckpt_object_freeing(unsigned kind, int32_t h) { (void)ckpt_shadow_freeing(kind, h); }
/* Returns the first copy callback's error (is_dup), else 0. */
static inline int ckpt_object_derived(unsigned kind, int32_t parent, int32_t child, int is_dup)
{
    return ckpt_shadow_derived(kind, parent, child, is_dup);
}
/* A dup whose copy callback failed: unmakes *child (real handle `real`), sets it
 * to the null handle and returns the error as `fn` (face_attributes.c). */
int ckpt_dup_failed(unsigned kind, int32_t parent, int32_t *child, uint64_t real, int rc, const char *fn);
/* MPI_Comm_split_type's type as the standard reads it with this info (face_topo.c). */
int face_split_type_hint(int split_type, MPI_Info info);

static inline uint64_t *ckpt_array(uint64_t *stack, int n)
{
    return n <= CKPT_STACK_ARRAY ? stack : malloc(sizeof(uint64_t) * (size_t)n);
}
static inline void ckpt_array_free(uint64_t *a, uint64_t *stack)
{
    if (a != stack)
        free(a);
}

/* MPI_STATUS_IGNORE and MPI_STATUSES_IGNORE are (MPI_Status *)1 in the MPICH ABI. */
static inline struct ckpt_status *ckpt_status_arg(MPI_Status *s)
{
    return (uintptr_t)s <= 1 ? NULL : (struct ckpt_status *)s;
}

extern int ckpt_unweighted_marker, ckpt_weights_empty_marker;
static inline const int *ckpt_weights_arg(const int *w)
{
    if (w == &ckpt_unweighted_marker)
        return CKPT_UNWEIGHTED_SENTINEL;
    if (w == &ckpt_weights_empty_marker)
        return CKPT_WEIGHTS_EMPTY_SENTINEL;
    return w;
}

/* Where a wait loop that the lower half left with CKPT_PENDING lets the
 * checkpoint stop the thread: outside the critical section, until the
 * checkpoint is over (or the process was restored). */
void ckpt_safepoint(void);

/* Raises an MPI error on `comm` (its errhandler decides) and returns it. */
int ckpt_face_error(MPI_Comm comm, int rc, const char *fn);
/* A restored rank that has made no MPI call yet rebuilds its MPI state first (face_crossing.c). */
void ckpt_face_ensure_bound(void);
/* An MPI procedure ckpt-mpi does not support: says so and ends the job. */
int ckpt_unsupported(const char *fn);
/* Writes one line to stderr (no stdio: safe before and after MPI_Finalize). */
void ckpt_face_log(const char *a, const char *b, const char *c);
/* Ends the job after the lines logged have had time to reach the launcher. */
_Noreturn void ckpt_face_abort(int rc);
/* "fatal error in FN:" and the lower half's text for RC, then ckpt_face_abort. */
_Noreturn void ckpt_face_fatal(int rc, const char *fn);
/* The lower half's text for an error code (empty before the lower half is there). */
void ckpt_face_error_text(int rc, char *buf, int cap);

/* Test aid, see face_record.c. */
void ckpt_test_hook_barrier(void);

extern const int32_t ckpt_predefined_handles[];
extern const char *const ckpt_predefined_names[];
extern const unsigned ckpt_predefined_count;

#endif
