/* The small library every cp_*.c links with (like zdtm's lib/): rank and size,
 * CHECK, naps, hashing, deterministic work, and the one final report.
 * Compiled once by the harness (lib/cplib.c) and linked into every program. */
#ifndef CPLIB_H
#define CPLIB_H
#define _GNU_SOURCE
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* This rank and the world size, set by cp_init / cp_init_thread. */
extern int rank, size;

/* On failure: a message on stderr, then MPI_Abort (the run exits non-zero). */
#define CHECK(c) do { if (!(c)) cp_fail(__FILE__, __LINE__, #c); } while (0)
#define MPICHK(call) CHECK((call) == MPI_SUCCESS)
__attribute__((noreturn)) void cp_fail(const char *file, int line, const char *what);

/* MPI_Init, rank, size, and the rank counts every program is written for (2-4;
 * arrays hold 64). */
void cp_init(int *argc, char ***argv);
/* The same with MPI_Init_thread; returns the level provided. */
int cp_init_thread(int *argc, char ***argv, int required);
/* The only output: rank 0 prints, at the very end, the NV values gathered from
 * every rank and a total (so a restarted run prints exactly what an
 * uninterrupted run does); then MPI_Finalize. */
int cp_finish(const char *name, const uint64_t *v, int nv);

/* A scratch file name of this run, the same on every rank (collective over
 * MPI_COMM_WORLD): $TMPDIR (or .) / NAME.<rank 0's pid>.EXT, so that runs side
 * by side and a restarted run (which keeps the name: it is in the image) never
 * meet each other's files. */
void cp_scratch_path(char *buf, size_t cap, const char *name, const char *ext);

void nap(int ms);
/* splitmix64 finaliser */
uint64_t h64(uint64_t x);
/* order-dependent combination */
uint64_t fold(uint64_t acc, uint64_t v);
/* Deterministic CPU work (no MPI): about 1.6 ns per iteration here. */
uint64_t spin(uint64_t iters, uint64_t x);
#endif
