/* The fixed lower-half zone and the allocator behind the patched mmap.
 *
 * Kernel-chosen mappings go top-down from mmap_base (just below the stack).
 * Once every free byte from the lower half's exe-time mappings down to
 * CKPT_LOWER_ARENA_START is occupied (the libraries themselves, PROT_NONE
 * fillers, the arena reservation), any mapping the kernel places later -
 * i.e. everything of the upper half - lands below the zone. Lower-half
 * mappings are placed by us, inside the arena, so the two never mix.
 *
 * All state is static: the allocator runs inside mmap, which malloc calls. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include "lh_internal.h"

volatile int lh_vm_lock;

struct ext {
    uint64_t s, e;
};
#define FREE_CAP 8192
static struct ext free_ext[FREE_CAP]; /* sorted, disjoint, non-adjacent */
static int nfree;
static uint64_t leaked_bytes; /* freed ranges the full free list could not take */

struct ckpt_lower_region lh_regions[LH_REGION_CAP];
volatile uint32_t lh_region_count;

static struct lh_map maps[4096];

long lh_reserve(uint64_t start, uint64_t end, int replace)
{
    if (end <= start)
        return 0;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (replace ? MAP_FIXED : MAP_FIXED_NOREPLACE);
    return lh_mmap_raw(start, end - start, PROT_NONE, flags, -1, 0);
}

/* ---- free extents of the arena ---- */

static void free_insert(uint64_t s, uint64_t e)
{
    int i = 0;
    while (i < nfree && free_ext[i].e < s)
        i++;
    /* merge with neighbours that touch or overlap */
    if (i < nfree && free_ext[i].s <= e) {
        if (s < free_ext[i].s)
            free_ext[i].s = s;
        if (e > free_ext[i].e)
            free_ext[i].e = e;
        while (i + 1 < nfree && free_ext[i + 1].s <= free_ext[i].e) {
            if (free_ext[i + 1].e > free_ext[i].e)
                free_ext[i].e = free_ext[i + 1].e;
            memmove(&free_ext[i + 1], &free_ext[i + 2], (size_t)(nfree - i - 2) * sizeof free_ext[0]);
            nfree--;
        }
        return;
    }
    if (nfree == FREE_CAP) {
        leaked_bytes += e - s; /* stays reserved, just never reused */
        return;
    }
    memmove(&free_ext[i + 1], &free_ext[i], (size_t)(nfree - i) * sizeof free_ext[0]);
    free_ext[i].s = s;
    free_ext[i].e = e;
    nfree++;
}

/* Remove [s,e) from the free list (it became allocated). */
void lh_arena_claim(uint64_t s, uint64_t e)
{
    if (s < CKPT_LOWER_ARENA_START)
        s = CKPT_LOWER_ARENA_START;
    if (e > CKPT_LOWER_ARENA_END)
        e = CKPT_LOWER_ARENA_END;
    for (int i = 0; i < nfree && s < e; i++) {
        struct ext *x = &free_ext[i];
        if (x->e <= s || x->s >= e)
            continue;
        if (x->s >= s && x->e <= e) { /* swallowed */
            memmove(x, x + 1, (size_t)(nfree - i - 1) * sizeof *x);
            nfree--;
            i--;
        } else if (x->s < s && x->e > e) { /* split */
            if (nfree == FREE_CAP) {
                leaked_bytes += x->e - e;
                x->e = s;
                return;
            }
            memmove(x + 2, x + 1, (size_t)(nfree - i - 1) * sizeof *x);
            x[1].s = e;
            x[1].e = x->e;
            x->e = s;
            nfree++;
            return;
        } else if (x->s < s) {
            x->e = s;
        } else {
            x->s = e;
        }
    }
}

uint64_t lh_arena_alloc(uint64_t len, uint64_t hint, uint64_t align)
{
    if (!len || len > CKPT_LOWER_ARENA_END - CKPT_LOWER_ARENA_START)
        return 0;
    if (align < LH_PAGE)
        align = LH_PAGE;
    /* A hint inside a free arena extent is honoured (ld.so and a few
     * libraries pass one); any other hint would leave the zone. */
    if (hint && hint % align == 0) {
        for (int i = 0; i < nfree; i++)
            if (free_ext[i].s <= hint && hint + len <= free_ext[i].e && hint + len > hint) {
                lh_arena_claim(hint, hint + len);
                return hint;
            }
    }
    for (int i = 0; i < nfree; i++) {
        uint64_t a = (free_ext[i].s + align - 1) & ~(align - 1);
        if (a + len <= free_ext[i].e && a + len > a) {
            lh_arena_claim(a, a + len);
            return a;
        }
    }
    return 0;
}

int lh_arena_range_free(uint64_t s, uint64_t e)
{
    for (int i = 0; i < nfree; i++)
        if (free_ext[i].s <= s && e <= free_ext[i].e)
            return 1;
    return 0;
}

/* [s,e) inside the zone is no longer in use: keep it reserved so the kernel
 * cannot hand it to the upper half, and make the arena part reusable. */
void lh_zone_release(uint64_t s, uint64_t e)
{
    if (s < CKPT_LOWER_ARENA_START)
        s = CKPT_LOWER_ARENA_START;
    if (e > CKPT_LOWER_ZONE_END)
        e = CKPT_LOWER_ZONE_END;
    if (s >= e)
        return;
    lh_reserve(s, e, 1);
    uint64_t ae = e < CKPT_LOWER_ARENA_END ? e : CKPT_LOWER_ARENA_END;
    if (s < ae)
        free_insert(s, ae);
}

/* ---- recorded lower-half mappings (sorted, adjacent ones merged) ---- */

void lh_region_add(uint64_t s, uint64_t e)
{
    struct ckpt_lower_region *r = lh_regions;
    uint32_t n = lh_region_count, i = 0;
    if (s >= e)
        return;
    while (i < n && r[i].end < s)
        i++;
    if (i < n && r[i].start <= e) {
        if (s < r[i].start)
            r[i].start = s;
        if (e > r[i].end)
            r[i].end = e;
        while (i + 1 < n && r[i + 1].start <= r[i].end) {
            if (r[i + 1].end > r[i].end)
                r[i].end = r[i + 1].end;
            memmove(&r[i + 1], &r[i + 2], (n - i - 2) * sizeof r[0]);
            n--;
        }
        __atomic_store_n(&lh_region_count, n, __ATOMIC_RELEASE);
        return;
    }
    if (n == LH_REGION_CAP) {
        /* Inside the zone the whole range is the lower half's anyway; outside
         * it, widen the nearest region rather than lose a lower mapping. */
        if (lh_in_zone(s))
            return;
        uint32_t j = i < n ? i : n - 1;
        if (s < r[j].start)
            r[j].start = s;
        if (e > r[j].end)
            r[j].end = e;
        return;
    }
    memmove(&r[i + 1], &r[i], (n - i) * sizeof r[0]);
    r[i].start = s;
    r[i].end = e;
    __atomic_store_n(&lh_region_count, n + 1, __ATOMIC_RELEASE);
}

void lh_region_remove(uint64_t s, uint64_t e)
{
    struct ckpt_lower_region *r = lh_regions;
    uint32_t n = lh_region_count;
    for (uint32_t i = 0; i < n; i++) {
        if (r[i].end <= s || r[i].start >= e)
            continue;
        if (r[i].start >= s && r[i].end <= e) {
            memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof r[0]);
            n--;
            i--;
        } else if (r[i].start < s && r[i].end > e) {
            if (n == LH_REGION_CAP)
                break; /* keep the over-approximation */
            memmove(&r[i + 2], &r[i + 1], (n - i - 1) * sizeof r[0]);
            r[i + 1].start = e;
            r[i + 1].end = r[i].end;
            r[i].end = s;
            n++;
            break;
        } else if (r[i].start < s) {
            r[i].end = s;
        } else {
            r[i].start = e;
        }
    }
    __atomic_store_n(&lh_region_count, n, __ATOMIC_RELEASE);
}

/* ---- set-up ---- */

static void fill(uint64_t s, uint64_t e, const char *what)
{
    if (s >= e)
        return;
    long r = lh_reserve(s, e, 0);
    if (CKPT_SYS_ERR(r))
        lh_die(126, "mmap(%s %#lx-%#lx, PROT_NONE): %s", what, (unsigned long)s, (unsigned long)e,
               strerror((int)-r));
    lh_log("  %s %#lx-%#lx (%lu MiB)", what, (unsigned long)s, (unsigned long)e,
           (unsigned long)((e - s) >> 20));
}

void lh_arena_setup(void)
{
    int n = lh_read_maps(maps, 4096);
    if (n < 0)
        lh_die(126, "open(/proc/self/maps): %s", strerror(-n));

    uint64_t stack_s = 0, stack_e = 0, exe_s = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(maps[i].name, "[stack]")) {
            stack_s = maps[i].start;
            stack_e = maps[i].end;
        }
        if (!strcmp(maps[i].name, "exe") && !exe_s)
            exe_s = maps[i].start;
        if (maps[i].end > CKPT_LOWER_ARENA_START && maps[i].start < CKPT_LOWER_ARENA_END)
            lh_die(126, "the lower half does not fit above %#llx: %#lx-%#lx is mapped (%s)",
                   CKPT_LOWER_ARENA_END, (unsigned long)maps[i].start, (unsigned long)maps[i].end,
                   maps[i].name[0] ? maps[i].name : "anonymous or library");
    }
    if (!stack_e)
        lh_die(126, "no [stack] in /proc/self/maps");

    lh_log("layout: arena %#llx-%#llx (%llu GiB), zone top %#llx", CKPT_LOWER_ARENA_START,
           CKPT_LOWER_ARENA_END, (CKPT_LOWER_ARENA_END - CKPT_LOWER_ARENA_START) >> 30, CKPT_LOWER_ZONE_END);
    fill(CKPT_LOWER_ARENA_START, CKPT_LOWER_ARENA_END, "arena");
    nfree = 0;
    free_insert(CKPT_LOWER_ARENA_START, CKPT_LOWER_ARENA_END);

    /* Leave the lower stack 8 MiB to grow plus the kernel's 1 MiB guard gap;
     * no one but an explicit address hint can reach above mmap_base anyway. */
    uint64_t fill_top = LH_PAGE_DOWN(stack_e - (9ULL << 20));
    if (fill_top > stack_s)
        fill_top = stack_s > (1ULL << 20) ? stack_s - (1ULL << 20) : stack_s;
    uint64_t cur = CKPT_LOWER_ARENA_END;
    for (int i = 0; i < n && cur < fill_top; i++) {
        if (maps[i].end <= cur)
            continue;
        if (maps[i].start > cur)
            fill(cur, maps[i].start < fill_top ? maps[i].start : fill_top, "zone gap");
        if (maps[i].end > cur)
            cur = maps[i].end;
    }
    if (cur < fill_top)
        fill(cur, fill_top, "zone gap");

    /* brk guard: neither half may grow a heap with brk from now on, so
     * glibc's malloc in both falls back to mmap (ours lands in the arena). */
    uint64_t brk = (uint64_t)ckpt_sys1(SYS_brk, 0);
    uint64_t guard = LH_PAGE_UP(brk);
    long g = lh_reserve(guard, guard + LH_PAGE, 0);
    if (CKPT_SYS_ERR(g) && g != -17 /* EEXIST: something already sits there */)
        lh_die(126, "mmap(brk guard %#lx): %s", (unsigned long)guard, strerror((int)-g));
    lh_log("  brk guard %#lx", (unsigned long)guard);

    /* Room after the lower executable for another flavour's larger one. */
    n = lh_read_maps(maps, 4096);
    if (exe_s) {
        uint64_t ze = exe_s + CKPT_LOWER_EXE_ZONE_SIZE;
        cur = exe_s;
        for (int i = 0; i < n && cur < ze; i++) {
            if (maps[i].end <= cur)
                continue;
            if (maps[i].start > cur)
                fill(cur, maps[i].start < ze ? maps[i].start : ze, "exe zone");
            if (maps[i].end > cur)
                cur = maps[i].end;
        }
        if (cur < ze)
            fill(cur, ze, "exe zone");
        n = lh_read_maps(maps, 4096);
    }

    /* Everything the lower half owns below the zone at this point (its
     * executable, heap, guards) goes into the region list; the zone itself
     * is described by arena_start/arena_end. */
    for (int i = 0; i < n; i++)
        if (maps[i].start < CKPT_LOWER_ARENA_START)
            lh_region_add(maps[i].start,
                          maps[i].end < CKPT_LOWER_ARENA_START ? maps[i].end : CKPT_LOWER_ARENA_START);
}
