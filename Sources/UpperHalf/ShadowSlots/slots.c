#include "ckpt_shadow_slots.h"

/* Plain C storage so the face's inline lookups compile to two loads. */
struct ckpt_slot_table ckpt_slots[CKPT_SLOT_KINDS];
uint64_t ckpt_predef[CKPT_SLOT_KINDS][256];

struct ckpt_slot_table *ckpt_slots_base(void) { return ckpt_slots; }
uint64_t *ckpt_predef_base(void) { return &ckpt_predef[0][0]; }

int ckpt_shadow_threaded;
static volatile int shadow_lock_word;

void ckpt_shadow_lock(void)
{
    if (!ckpt_shadow_threaded)
        return;
    while (__atomic_exchange_n(&shadow_lock_word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&shadow_lock_word, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

void ckpt_shadow_unlock(void)
{
    if (ckpt_shadow_threaded)
        __atomic_store_n(&shadow_lock_word, 0, __ATOMIC_RELEASE);
}
