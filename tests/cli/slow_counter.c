/* Counts to N with a pause per step, printing a running checksum; the final
 * line depends on every step having run exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 40;
    unsigned long sum = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long i = 1; i <= n; i++) {
        sum = sum * 31 + (unsigned long)i;
        printf("step %ld sum %lu\n", i, sum);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("done %lu\n", sum);
    return 0;
}
