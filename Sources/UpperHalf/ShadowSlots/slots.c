#include "ckpt_shadow_slots.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* What only the allocator sees: the next never-used slot, the free list (a
 * stack, so a freed slot is reused first) and the live count. It is ordinary
 * upper-half memory, so the image carries it and a restored process goes on
 * allocating where it stopped. */
static struct {
    uint32_t next;
    uint32_t nfree, free_cap;
    uint32_t *free;
    int64_t live;
} slot_alloc[CKPT_SLOT_KINDS];

static void *slots_alloc_or_die(size_t bytes)
{
    void *p = malloc(bytes);
    if (p == NULL) {
        static const char msg[] = "ckpt-mpi: out of memory for the shadow handle tables\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    return p;
}

/* Grows geometrically. The old array is kept, not freed: another thread may be
 * reading it through ckpt_slots at this moment (lookups take no lock). */
static void slots_grow(unsigned kind, uint32_t needed)
{
    struct ckpt_slot_table *t = &ckpt_slots[kind];
    uint32_t cap = t->capacity > 64 ? t->capacity : 64;
    while (cap < needed)
        cap *= 2;
    uint64_t *fresh = slots_alloc_or_die(sizeof(uint64_t) * cap);
    memset(fresh, 0, sizeof(uint64_t) * cap);
    if (t->real != NULL)
        memcpy(fresh, t->real, sizeof(uint64_t) * t->capacity);
    /* The array before its capacity: a reader that sees the new bound sees the new array. */
    __atomic_store_n(&t->real, fresh, __ATOMIC_RELEASE);
    __atomic_store_n(&t->capacity, cap, __ATOMIC_RELEASE);
}

int32_t ckpt_slots_handle(unsigned kind, uint32_t slot)
{
    return (int32_t)((2u << 30) | (kind << 26) | slot);
}

int32_t ckpt_slots_alloc(unsigned kind, uint64_t real)
{
    __typeof__(&slot_alloc[0]) a = &slot_alloc[kind];
    uint32_t slot;
    if (a->nfree > 0) {
        slot = a->free[--a->nfree];
    } else {
        if (a->next < CKPT_FIRST_USER_SLOT)
            a->next = CKPT_FIRST_USER_SLOT;
        slot = a->next++;
        if (slot >= ckpt_slots[kind].capacity)
            slots_grow(kind, slot + 1);
    }
    ckpt_slots[kind].real[slot] = real;
    a->live++;
    return ckpt_slots_handle(kind, slot);
}

void ckpt_slots_set(unsigned kind, uint32_t slot, uint64_t real)
{
    if (slot >= ckpt_slots[kind].capacity)
        slots_grow(kind, slot + 1);
    ckpt_slots[kind].real[slot] = real;
}

uint64_t ckpt_slots_real(unsigned kind, uint32_t slot)
{
    const struct ckpt_slot_table *t = &ckpt_slots[kind];
    return slot < t->capacity ? t->real[slot] : 0;
}

void ckpt_slots_release(unsigned kind, uint32_t slot)
{
    __typeof__(&slot_alloc[0]) a = &slot_alloc[kind];
    if (slot < CKPT_FIRST_USER_SLOT || slot >= a->next)
        return;
    if (a->nfree == a->free_cap) {
        uint32_t cap = a->free_cap ? a->free_cap * 2 : 64;
        uint32_t *fresh = slots_alloc_or_die(sizeof(uint32_t) * cap);
        if (a->free != NULL) {
            memcpy(fresh, a->free, sizeof(uint32_t) * a->nfree);
            free(a->free);
        }
        a->free = fresh;
        a->free_cap = cap;
    }
    ckpt_slots[kind].real[slot] = 0;
    a->free[a->nfree++] = slot;
    a->live--;
}

int64_t ckpt_slots_find(unsigned kind, uint64_t real)
{
    const struct ckpt_slot_table *t = &ckpt_slots[kind];
    if (real == 0)
        return -1;
    uint32_t end = slot_alloc[kind].next > CKPT_FIRST_USER_SLOT ? slot_alloc[kind].next : CKPT_FIRST_USER_SLOT;
    if (end > t->capacity)
        end = t->capacity;
    for (uint32_t s = 0; s < end; s++)
        if (t->real[s] == real)
            return s;
    return -1;
}

int32_t ckpt_slots_live(unsigned kind) { return (int32_t)slot_alloc[kind].live; }

/* The slot of a virtual handle of `kind`, or -1 when it is not one of ours. */
static int64_t slot_of(unsigned kind, int32_t handle)
{
    uint32_t u = (uint32_t)handle;
    if (u >> 30 != 2 || ((u >> 26) & 0xf) != kind)
        return -1;
    return u & CKPT_SLOT_MASK;
}

int32_t ckpt_shadow_alloc(uint32_t kind, uint64_t real)
{
    ckpt_shadow_lock();
    int32_t h = ckpt_slots_alloc(kind, real);
    ckpt_shadow_unlock();
    return h;
}

void ckpt_shadow_set_real(uint32_t kind, int32_t handle, uint64_t real)
{
    int64_t s = slot_of(kind, handle);
    if (s < 0)
        return;
    ckpt_shadow_lock();
    ckpt_slots_set(kind, (uint32_t)s, real);
    ckpt_shadow_unlock();
}

void ckpt_shadow_free_handle(uint32_t kind, int32_t handle)
{
    int64_t s = slot_of(kind, handle);
    if (s < 0)
        return;
    ckpt_shadow_lock();
    ckpt_slots_release(kind, (uint32_t)s);
    ckpt_shadow_unlock();
}

int32_t ckpt_shadow_live(uint32_t kind)
{
    ckpt_shadow_lock();
    int32_t n = ckpt_slots_live(kind);
    ckpt_shadow_unlock();
    return n;
}
