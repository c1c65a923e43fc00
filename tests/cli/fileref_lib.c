/* The library tests/cli/fileref.sh dlopens: a mapped file whose pages the image
 * stores by reference. Rebuilt with another FILEREF_VARIANT after a checkpoint,
 * it must make the restart refuse. */
#ifndef FILEREF_VARIANT
#define FILEREF_VARIANT 1
#endif
static long table[1024] = {FILEREF_VARIANT, 3, 5, 7}; /* .data: the test writes one word (a copy-on-write page) */

long fileref_step(long x)
{
    table[0] = table[0] * 31 + x;
    return table[0] + table[1] + FILEREF_VARIANT - 1;
}
