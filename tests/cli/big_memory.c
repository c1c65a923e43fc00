/* 512 MiB of pseudo-random heap, then STEPS lines 50 ms apart (argv[1], default
 * 60), then a sum over the heap: a checkpoint takes long enough to be killed
 * in the middle, and a restore that lost a page prints another sum. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 60;
    size_t n = (size_t)512 << 20;
    unsigned long *p = malloc(n), x = 88172645463325252UL, sum = 0;
    for (size_t i = 0; i < n / 8; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; p[i] = x; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int s = 0; s < steps; s++) { printf("step %d\n", s); usleep(50000); }
    for (size_t i = 0; i < n / 8; i += 512) sum += p[i];
    printf("done %lu\n", sum);
    return 0;
}
