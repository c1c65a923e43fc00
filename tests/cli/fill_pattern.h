/* The memory of the restore tests' programs (restore_data.c, lazy_data.c): a
 * mapping of pseudo-random words (xorshift64, the same sequence in every run),
 * with every 97th page left untouched when `holes` is set, so images have holes. */
#ifndef FILL_PATTERN_H
#define FILL_PATTERN_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static uint64_t x = 88172645463325252ULL;
static uint64_t next(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }

static uint64_t *fill(size_t bytes, int holes)
{
    uint64_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    for (size_t i = 0; i < bytes / 8; i++)
        if (!holes || (i / 512) % 97 != 0)
            p[i] = next();
    return p;
}
#endif
