/* Private mappings of a file the image keeps by reference (format 2): a
 * read-only one, whose pages come from the file again at restore, and a
 * writable one of which only a few pages are written (stored in the image,
 * on top of the file's). The final hashes cover both. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "common.h"
#define SZ (2 << 20)
int main(void)
{
    static char init[SZ];
    for (int i = 0; i < SZ; i++)
        init[i] = (char)(i * 13 + i / 4096);
    int fd = open("ref.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, init, SZ) != SZ)
        return 1;
    unsigned char *r = mmap(NULL, SZ, PROT_READ, MAP_PRIVATE, fd, 0);
    unsigned char *w = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (r == MAP_FAILED || w == MAP_FAILED)
        return 2;
    uint64_t acc = FNV0;
    for (int step = 0; step < 30; step++) {
        w[(step * 37 % (SZ / 4096)) * 4096 + step] ^= (unsigned char)(step + 1);
        acc = fnv(acc, &r[step * 4099 % SZ], 1);
        nap_ms(100);
    }
    printf("ro %016llx rw %016llx acc %016llx\n", (unsigned long long)fnv(FNV0, r, SZ),
           (unsigned long long)fnv(FNV0, w, SZ), (unsigned long long)acc);
    return 0;
}
