/* 4 threads and main computing floating-point recurrences without system
 * calls: the checkpoint interrupts them in the middle of user code, so every
 * general and SSE register must come back exactly. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
static long iters;
static void *spin(void *arg)
{
    double a = 1.0 + (long)arg, b = 0.5, c = 0.25, d = 0.125;
    uint64_t k = (uint64_t)(long)arg * 977;
    for (long i = 0; i < iters; i++) {
        a += (double)(i & 1023) * 1e-3;
        b = b * 1.0000000001 + a * 1e-15;
        c += (double)(k >> 52) * 1e-9;
        d = d * 0.9999999 + c * 1e-9;
        k = k * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    static char out[8][128];
    snprintf(out[(long)arg], sizeof out[0], "%.12f %.12f %.12f %.12f %016llx", a, b, c, d, (unsigned long long)k);
    return out[(long)arg];
}
int main(int argc, char **argv)
{
    iters = argc > 1 ? atol(argv[1]) : 500000000L;
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, spin, (void *)(i + 1));
    char *mine = spin((void *)0);
    printf("main: %s\n", mine);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d: %s\n", i + 1, (char *)r);
    }
    return 0;
}
