/* The contract between the two halves of a rank (DESIGN.md §2).
 *
 * The lower half (ckpt-lower-<mpi>) owns one `struct ckpt_boot` for the life of
 * the process. Before it starts the application's ld.so it puts the struct's
 * address, in hex, into the upper half's environment as CKPT_MPI_BOOT; the face
 * library reads it in its constructor. Everything the upper half may call in
 * the lower half is reached through this struct, never by symbol lookup, so the
 * lower half can be replaced by another MPI on restart. */
#ifndef CKPT_BOOT_H
#define CKPT_BOOT_H

#include <stdint.h>

#define CKPT_BOOT_MAGIC   0x31697069746b6370ULL /* "pcktipi1" little-endian */
#define CKPT_BOOT_VERSION 1u
#define CKPT_BOOT_ENV     "CKPT_MPI_BOOT"

/* Bits of ckpt_boot.flags. */
#define CKPT_BOOT_FSGSBASE 0x1u /* wrfsbase/rdfsbase usable (AT_HWCAP2 bit 1) */
#define CKPT_BOOT_DEBUG    0x2u /* CKPT_MPI_DEBUG was set */
#define CKPT_BOOT_OVERSUB  0x4u /* more ranks than cores: wait loops yield */

struct ckpt_calltable; /* generated: ckpt_calltable.h */

/* One recorded lower-half mapping (kept by the patched mmap family). */
struct ckpt_lower_region {
    uint64_t start, end;
};

struct ckpt_boot {
    uint64_t magic;
    uint32_t version;
    uint32_t flags;
    /* FS base of the lower half's main thread: what the upper half loads
     * before calling through `table` from the main thread. */
    uint64_t lower_fs;
    /* NULL in ckpt-lower-nompi. */
    const struct ckpt_calltable *table;
    /* Non-zero while a checkpoint is pending; lower-half wait loops watch it
     * and return CKPT_PENDING instead of blocking (DESIGN §2). */
    volatile uint32_t *pending;
    /* "openmpi", "mpich" or "none". */
    const char *flavour;
    /* Address range reserved for the lower half (identical for every
     * flavour) and the mappings the lower half made after its set-up. */
    uint64_t arena_start, arena_end;
    struct ckpt_lower_region *regions;
    volatile uint32_t *region_count;
    uint32_t region_capacity;
    /* Non-zero while a lazy restore (`restart --lazy`) still brings pages
     * in; the engine waits (futex) for 0 before it writes an image. */
    volatile uint32_t lazy_restore;
    /* Called (through the crossing) by each upper thread other than the main
     * one before its first call: returns the FS base the thread must use in
     * the lower half. Runs on a lower-half helper thread; never NULL. */
    uint64_t (*thread_fs)(void);
    /* Upper-half entry the lower half calls back into for user functions
     * (reduction ops ...); set by the face at start-up. */
    void *upcall;
};

/* Returned by call-table entries whose wait loop left because `*pending`
 * became non-zero; the operation is still in progress (see the entry's doc). */
#define CKPT_PENDING (-77177)

#endif
