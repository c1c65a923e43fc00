/* Debian's libzstd (libzstd-dev) for `ckpt-mpi inspect --verify` of compressed images. */
#include <zstd.h>
