/* The hot-path view of the shadow tables (DESIGN §3): dense arrays of real
 * handles indexed by the low bits of a virtual handle, and their allocator
 * (slots.c). Lookups are inline, with no call, lock, hash or reference
 * counting; allocation and release are plain C too, so an MPI call that makes
 * or completes a request never enters Swift. MPIShadow (Swift) keeps what an
 * object carries (names, errhandlers, attributes) and uses the same tables. */
#ifndef CKPT_SHADOW_SLOTS_H
#define CKPT_SHADOW_SLOTS_H

#include <stdint.h>

#define CKPT_SLOT_KINDS 16
/* Virtual handles are MPICH "direct" handles: bits 30-31 = 2, bits 26-29 the
 * object kind, bits 0-25 the slot. Slots below this are reserved for the
 * predefined pair datatypes (MPI_FLOAT_INT ... 0x8c000000-4). */
#define CKPT_FIRST_USER_SLOT 16
#define CKPT_SLOT_MASK 0x03ffffffu

struct ckpt_slot_table {
    uint64_t *real;
    uint32_t capacity;
    uint32_t reserved;
};

/* Indexed by object kind. */
extern struct ckpt_slot_table ckpt_slots[CKPT_SLOT_KINDS];
/* Real handles of MPICH "builtin" handles (bits 30-31 = 1), by kind and low byte. */
extern uint64_t ckpt_predef[CKPT_SLOT_KINDS][256];

/* Virtual (face) handle -> real (lower-half) handle; 0 for null or invalid. */
static inline uint64_t ckpt_to_real(unsigned kind, int32_t h)
{
    uint32_t u = (uint32_t)h;
    if (__builtin_expect(((u >> 26) & 0xf) != kind, 0))
        return 0;
    if (u >> 30 == 2) {
        uint32_t i = u & CKPT_SLOT_MASK;
        const struct ckpt_slot_table *t = &ckpt_slots[kind];
        return __builtin_expect(i < t->capacity, 1) ? t->real[i] : 0;
    }
    if (u >> 30 == 1)
        return ckpt_predef[kind][u & 0xff];
    return 0;
}

/* The same storage as pointers, for Swift (which may not touch C globals directly). */
struct ckpt_slot_table *ckpt_slots_base(void);
uint64_t *ckpt_predef_base(void);

/* The allocator, for a caller that holds ckpt_shadow_lock (MPIShadow). */
int32_t ckpt_slots_handle(unsigned kind, uint32_t slot);
int32_t ckpt_slots_alloc(unsigned kind, uint64_t real);
void ckpt_slots_set(unsigned kind, uint32_t slot, uint64_t real);
uint64_t ckpt_slots_real(unsigned kind, uint32_t slot);
void ckpt_slots_release(unsigned kind, uint32_t slot);
/* The slot holding `real` among the slots ever used (cold path: callbacks), or -1. */
int64_t ckpt_slots_find(unsigned kind, uint64_t real);
int32_t ckpt_slots_live(unsigned kind);

/* The same, taking the lock: what the face calls. */
/* A fresh virtual handle for `real`, without the predefined check (requests, messages, errhandlers). */
int32_t ckpt_shadow_alloc(uint32_t kind, uint64_t real);
/* Replaces the real handle behind a live virtual handle (ignored for a handle not of `kind`). */
void ckpt_shadow_set_real(uint32_t kind, int32_t handle, uint64_t real);
/* Releases a handle that carries no metadata (requests, messages): the object's
 * names and attributes, if a kind has them, are MPIShadow's ckpt_shadow_release. */
void ckpt_shadow_free_handle(uint32_t kind, int32_t handle);
/* Live user handles of a kind (tests, replay). */
int32_t ckpt_shadow_live(uint32_t kind);

/* Serialises shadow-table updates when the application runs MPI_THREAD_MULTIPLE;
 * a no-op otherwise, so single-threaded ranks pay nothing. */
extern int ckpt_shadow_threaded;
void ckpt_shadow_lock(void);
void ckpt_shadow_unlock(void);

#endif
