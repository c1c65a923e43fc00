/* Helpers for the checkpoint test programs: they print nothing to stdout
 * before their final result, so a restored run's stdout equals a native run's. */
#include <errno.h>
#include <stdint.h>
#include <time.h>

static inline void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    /* a checkpoint (like any signal) interrupts nanosleep: sleep the rest */
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV0 0xcbf29ce484222325ULL
