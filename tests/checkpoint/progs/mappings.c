/* A private (copy-on-write) and a shared file mapping, written while running. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "common.h"
#define SZ (1 << 20)
static uint64_t file_hash(const char *p)
{
    static char buf[SZ];
    int fd = open(p, O_RDONLY);
    ssize_t n = read(fd, buf, SZ);
    close(fd);
    return fnv(FNV0, buf, n > 0 ? (size_t)n : 0);
}
int main(void)
{
    static char init[SZ];
    for (int i = 0; i < SZ; i++)
        init[i] = (char)(i * 7);
    const char *names[2] = {"priv.dat", "shared.dat"};
    for (int k = 0; k < 2; k++) {
        int fd = open(names[k], O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (write(fd, init, SZ) != SZ)
            return 1;
        close(fd);
    }
    int pf = open("priv.dat", O_RDWR), sf = open("shared.dat", O_RDWR);
    unsigned char *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, pf, 0);
    unsigned char *s = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, sf, 0);
    close(pf);
    close(sf);
    if (p == MAP_FAILED || s == MAP_FAILED)
        return 2;
    for (int step = 0; step < 30; step++) {
        for (int i = step; i < SZ; i += 4096)
            p[i] ^= (unsigned char)(step + 1), s[i] += (unsigned char)(step + 3);
        nap_ms(100);
    }
    msync(s, SZ, MS_SYNC);
    printf("private mapping %016llx, private file %016llx\n", (unsigned long long)fnv(FNV0, p, SZ),
           (unsigned long long)file_hash("priv.dat"));
    printf("shared mapping %016llx, shared file %016llx\n", (unsigned long long)fnv(FNV0, s, SZ),
           (unsigned long long)file_hash("shared.dat"));
    return 0;
}
