/* MIB MiB of pseudo-random memory in three mappings (a dense heap whose
 * extents span several read pieces and hash chunks, a holey one with a zero
 * page every 97 pages so its data is many short extents, a read-only one),
 * "ready", STEPS lines 50 ms apart, then a hash of every word: a restore that
 * lost, moved or mixed up any page prints another hash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fill_pattern.h"

static uint64_t hash(const uint64_t *p, size_t bytes, uint64_t h)
{
    for (size_t i = 0; i < bytes / 8; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 320, steps = argc > 2 ? (size_t)atol(argv[2]) : 40;
    size_t dense = mib / 2 << 20, holey = mib / 4 << 20, ro = (mib - mib / 2 - mib / 4) << 20;
    uint64_t *a = fill(dense, 0), *b = fill(holey, 1), *c = fill(ro, 0);
    mprotect(c, ro, PROT_READ);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    for (size_t s = 0; s < steps; s++) { printf("step %zu\n", s); usleep(50000); }
    printf("hash %016llx\n", (unsigned long long)hash(c, ro, hash(b, holey, hash(a, dense, 14695981039346656037ULL))));
    return 0;
}
