/* Memory for what the face does while application threads are parked (the
 * drain's buffers): mapped directly, never from malloc, whose arena lock a
 * parked thread may hold (a thread stopped inside malloc would deadlock the
 * checkpoint). Small blocks are cut from 1 MiB chunks under a spin lock that
 * only the engine's thread and threads inside a face call take (neither is
 * ever parked while holding it); a block may be freed on any thread later (a
 * drained message delivered after the checkpoint), and a chunk goes back to
 * the kernel when its last block is freed. */
#include <stdint.h>
#include <sys/mman.h>

#include "face_cut.h"

#define PARKED_CHUNK (1u << 20)
#define PARKED_SMALL (64u << 10)
#define PARKED_MAGIC 0x6b726170u /* "park" */

struct parked_chunk {
    uint64_t live; /* blocks not yet freed, plus one while the chunk is being cut */
    uint64_t used;
    uint64_t pad[6];
};

struct parked_block {
    uint32_t magic;
    uint32_t own_mapping;
    uint64_t len;
    struct parked_chunk *chunk;
    uint64_t pad;
};

static struct parked_chunk *cutting;
static volatile int cutting_lock;

static void *map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void release(struct parked_chunk *c)
{
    if (__atomic_sub_fetch(&c->live, 1, __ATOMIC_ACQ_REL) == 0)
        munmap(c, PARKED_CHUNK);
}

void *face_parked_alloc(size_t n)
{
    size_t need = (n + sizeof(struct parked_block) + 15) & ~(size_t)15;
    struct parked_block *b;
    if (need > PARKED_SMALL) {
        size_t len = (need + 4095) & ~(size_t)4095;
        if (!(b = map(len)))
            return NULL;
        *b = (struct parked_block){PARKED_MAGIC, 1, len, NULL, 0};
        return b + 1;
    }
    while (__atomic_exchange_n(&cutting_lock, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    if (!cutting || cutting->used + need > PARKED_CHUNK) {
        struct parked_chunk *fresh = map(PARKED_CHUNK);
        if (!fresh) {
            __atomic_store_n(&cutting_lock, 0, __ATOMIC_RELEASE);
            return NULL;
        }
        fresh->live = 1;
        fresh->used = sizeof *fresh;
        if (cutting)
            release(cutting);
        cutting = fresh;
    }
    b = (struct parked_block *)((char *)cutting + cutting->used);
    cutting->used += need;
    __atomic_add_fetch(&cutting->live, 1, __ATOMIC_ACQ_REL);
    *b = (struct parked_block){PARKED_MAGIC, 0, need, cutting, 0};
    __atomic_store_n(&cutting_lock, 0, __ATOMIC_RELEASE);
    return b + 1; /* fresh mappings are zero and blocks are never reused */
}

void face_parked_free(void *p)
{
    if (!p)
        return;
    struct parked_block *b = (struct parked_block *)p - 1;
    if (b->magic != PARKED_MAGIC)
        return; /* not ours: never free what we did not map */
    b->magic = 0;
    if (b->own_mapping)
        munmap(b, b->len);
    else
        release(b->chunk);
}
