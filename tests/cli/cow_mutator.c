/* cow_mutator MIB STEPS: MIB MiB of pages rewritten at full speed, one step
 * after another, to catch a copy-on-write checkpoint that saves a page as it
 * was after the cut. Every page carries the number of the step that last
 * wrote it and contents derived from (page, step); each step first checks
 * that every page holds exactly the previous step's values (a page saved
 * later than the cut holds a newer step and is reported as BAD), then
 * rewrites it. The step in progress is in the thread's own variables, so a
 * restarted run resumes mid-step and must end with the uninterrupted run's
 * output. It also counts SIGCHLDs and children it could reap with
 * waitpid(-1): it has none of its own, so a checkpoint writer must show in
 * neither. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define WORDS 512 /* per 4 KiB page */

static volatile sig_atomic_t sigchld;
static void on_chld(int s) { (void)s; sigchld++; }

static uint64_t base_of(uint64_t page, uint64_t step)
{
    uint64_t z = page * 0x9e3779b97f4a7c15ULL + step * 0xbf58476d1ce4e5b9ULL + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cow_mutator MIB STEPS\n");
        return 2;
    }
    uint64_t pages = (uint64_t)atol(argv[1]) << 8, steps = (uint64_t)atol(argv[2]);
    uint64_t *mem = malloc(pages * 4096);
    if (!mem)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    long bad = 0, reaped = 0;
    for (uint64_t s = 0; s < steps; s++) {
        for (uint64_t p = 0; p < pages; p++) {
            uint64_t *w = mem + p * WORDS;
            if (s > 0) {
                uint64_t b = base_of(p, s - 1);
                int ok = w[0] == s - 1;
                for (int i = 1; ok && i < WORDS; i += 73)
                    ok = w[i] == b + (uint64_t)i;
                if (!ok && bad++ < 5)
                    printf("BAD page %llu at step %llu: holds step %llu\n", (unsigned long long)p,
                           (unsigned long long)s, (unsigned long long)w[0]);
            }
            uint64_t b = base_of(p, s);
            w[0] = s;
            for (int i = 1; i < WORDS; i++)
                w[i] = b + (uint64_t)i;
        }
        if (waitpid(-1, NULL, WNOHANG) > 0)
            reaped++;
        printf("step %llu\n", (unsigned long long)s);
    }
    uint64_t h = 0;
    for (uint64_t i = 0; i < pages * WORDS; i++)
        h = (h ^ mem[i]) * 0x100000001b3ULL;
    printf("hash %016llx bad %ld sigchld %d reaped %ld\n", (unsigned long long)h, bad, (int)sigchld, reaped);
    return bad != 0;
}
