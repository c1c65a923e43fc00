#include <stdio.h>
#include <stdlib.h>
#include "common.h"
int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 30;
    volatile uint64_t h = FNV0;
    double x = 1.0; /* FPU/SSE state across the checkpoint */
    for (int i = 0; i < steps; i++) {
        h = fnv(h, &i, sizeof i);
        x = x * 1.0001 + 0.5;
        nap_ms(100);
    }
    printf("counter=%d hash=%016llx x=%.6f\n", steps, (unsigned long long)h, x);
    return 0;
}
