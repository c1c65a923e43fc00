/* bigmem_common.h - what bigmem.c and bigmem_mpi.c share: the clock, the
 * xorshift64* generator that fills the buffer, and the order-dependent hash
 * that proves a restarted run ended with the same memory. */
#ifndef BIGMEM_COMMON_H
#define BIGMEM_COMMON_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>

/* A step gap longer than this means the program was stopped. */
#define GAP_S 0.5

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xs_state;

static inline uint64_t xorshift64s(void)
{
    uint64_t x = xs_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    xs_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Word-wise multiply-rotate hash over the whole buffer (order-dependent). */
static uint64_t hash_buf(const uint64_t *w, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= w[i] * 0xC2B2AE3D27D4EB4FULL;
        h = (h << 31) | (h >> 33);
        h *= 0x9E3779B97F4A7C15ULL;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return h;
}

#endif
