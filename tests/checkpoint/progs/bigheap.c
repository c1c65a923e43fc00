/* N MiB of pseudo-random heap, modified while running, verified by hash. */
#include <stdio.h>
#include <stdlib.h>
#include "common.h"
static uint64_t xs(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}
int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 256;
    int steps = argc > 2 ? atoi(argv[2]) : 30;
    size_t n = mib << 17; /* 8-byte words */
    uint64_t *a = malloc(n * 8), seed = 42;
    if (!a)
        return 1;
    for (size_t i = 0; i < n; i++)
        a[i] = xs(&seed);
    for (int s = 0; s < steps; s++) {
        for (size_t i = (size_t)s * 4099; i < n; i += n / 64 + 1)
            a[i] ^= xs(&seed);
        nap_ms(100);
    }
    uint64_t h = FNV0;
    for (size_t i = 0; i < n; i++)
        h = (h ^ a[i]) * 0x100000001b3ULL;
    printf("heap %zu MiB hash=%016llx\n", mib, (unsigned long long)h);
    return 0;
}
