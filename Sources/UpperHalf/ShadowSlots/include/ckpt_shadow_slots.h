/* The hot-path view of the shadow tables (DESIGN §3): dense arrays of real
 * handles indexed by the low bits of a virtual handle. MPIShadow (Swift) owns
 * and grows them; the face only reads them, inline, with no call, lock, hash
 * or reference counting on the path of an MPI call. */
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

/* Serialises shadow-table updates when the application runs MPI_THREAD_MULTIPLE;
 * a no-op otherwise, so single-threaded ranks pay nothing. */
extern int ckpt_shadow_threaded;
void ckpt_shadow_lock(void);
void ckpt_shadow_unlock(void);

#endif
