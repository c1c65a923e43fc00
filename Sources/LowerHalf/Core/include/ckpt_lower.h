/* Lower-half core of ckpt-lower-<flavour> (DESIGN.md §2, docs/lower-half.md).
 *
 * A flavour executable is only a call table plus a main() that hands control
 * to ckpt_lower_main(); everything about the address space, the mmap
 * interposition and the user-space execve of the application lives here so
 * every flavour produces the same layout. */
#ifndef CKPT_LOWER_H
#define CKPT_LOWER_H

#include <stdint.h>
#include <ckpt_boot.h>

/* The fixed lower-half zone, identical for every flavour and every run.
 *   [CKPT_LOWER_ARENA_START, CKPT_LOWER_ARENA_END)  64 GiB allocation arena:
 *        every mmap the lower half makes after set-up lands here.
 *   [CKPT_LOWER_ARENA_END, CKPT_LOWER_ZONE_END)     the lower half's exe-time
 *        libraries, ld.so, vdso and stack; free gaps filled with PROT_NONE.
 * ckpt_boot.arena_start/arena_end describe the whole zone: nothing of the
 * upper half is ever mapped inside it. */
#define CKPT_LOWER_ARENA_START 0x7fef00000000ULL
#define CKPT_LOWER_ARENA_END   0x7fff00000000ULL
#define CKPT_LOWER_ZONE_END    0x800000000000ULL
/* Reserved after the lower executable (PIE, loaded at 0x555555554000 under
 * ADDR_NO_RANDOMIZE) so a larger flavour's executable and brk heap on restart
 * can never meet an upper-half mapping made at launch. */
#define CKPT_LOWER_EXE_ZONE_SIZE (1ULL << 30)

struct ckpt_lower_flavour {
    const char *name;                        /* "none", "openmpi", "mpich" */
    const struct ckpt_calltable *table;      /* NULL for nompi */
    /* May be NULL. Called once the arena, the mmap patch and the brk guard are
     * in place (so everything MPI maps lands in the arena) and before the
     * application is loaded. */
    void (*prepare)(struct ckpt_boot *boot);
};

/* Never returns on success (the application's exit ends the process). */
int ckpt_lower_main(int argc, char **argv, char **envp, const struct ckpt_lower_flavour *flavour);

/* Sets (unless the user already did) the environment that keeps MPI
 * libraries from installing their own memory hooks or signal handlers.
 * ckpt_lower_main calls it before its re-exec, because UCX reads its UCX_MEM_*
 * knobs in library constructors, which run before main. The variables it adds
 * are removed again from the application's environment. Idempotent. */
void ckpt_lower_quiet_mpi_env(void);

/* The process's boot struct (valid after set-up; what CKPT_MPI_BOOT points to). */
struct ckpt_boot *ckpt_lower_boot(void);

#endif
