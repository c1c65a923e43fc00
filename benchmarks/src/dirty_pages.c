/*
 * dirty_pages.c - the program of run-checkpoint.sh's incremental row.
 *
 *   dirty_pages MIB PERCENT
 *
 * Fills MIB MiB with non-zero data, prints "ready", and at each SIGUSR1
 * rewrites PERCENT % of its pages (every (100/PERCENT)-th page, a new value
 * each time) and prints "dirtied N pages". Runs until killed.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t requests;

static void on_usr1(int sig)
{
    (void)sig;
    requests++;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dirty_pages MIB PERCENT\n");
        return 2;
    }
    size_t pages = (size_t)strtol(argv[1], NULL, 10) * 256, pct = (size_t)strtol(argv[2], NULL, 10);
    if (pages == 0 || pct == 0 || pct > 100)
        return 2;
    uint64_t *buf = malloc(pages * 4096);
    if (!buf)
        return 1;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < pages * 512; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = x | 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("ready pages=%zu\n", pages);
    fflush(stdout);
    size_t stride = 100 / pct, done = 0;
    for (uint64_t round = 1;; round++) {
        while (requests == 0)
            pause();
        requests--;
        size_t n = 0;
        for (size_t p = 0; p < pages; p += stride, n++)
            for (size_t w = 0; w < 512; w += 8)
                buf[p * 512 + w] = round * 0x100000001ULL + p;
        done += n;
        printf("dirtied %zu pages\n", n);
        fflush(stdout);
    }
    return 0;
}
