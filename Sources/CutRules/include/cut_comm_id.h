/* Communicator ids for the consistent cut (docs/consistent-cut.md, "Communicator
 * ids"): the one definition, inline so the face (face_comms.c) computes them on its
 * own and Swift (CommID) imports the same code for the coordinator's tests and logs. */
#ifndef CKPT_CUT_COMM_ID_H
#define CKPT_CUT_COMM_ID_H

#include <stdint.h>

/* splitmix64's finaliser. */
static inline uint64_t cut_id_mix(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The communicator made by the creating_call-th collective on `parent` whose lowest
 * world rank is `lowest`; never 0, which is MPI_COMM_WORLD. */
static inline uint64_t cut_id_derived(uint64_t parent, int64_t creating_call, int64_t lowest)
{
    uint64_t h = cut_id_mix(parent ^ 0x6a09e667f3bcc908ull);
    h = cut_id_mix(h ^ (uint64_t)creating_call);
    h = cut_id_mix(h ^ ((uint64_t)lowest * 0x9e3779b97f4a7c15ull));
    return h ? h : 1;
}

/* The communicator (ordinal >= 1) or pseudo-communicator (ordinal 0) of a call
 * collective over the n sorted world ranks `members`. */
static inline uint64_t cut_id_group(uint64_t parent, const int32_t *members, int32_t n, int64_t ordinal)
{
    uint64_t h = cut_id_mix(parent ^ 0xbb67ae8584caa73bull);
    h = cut_id_mix(h ^ (uint64_t)(int64_t)n);
    for (int32_t i = 0; i < n; i++)
        h = cut_id_mix(h ^ (uint64_t)(int64_t)members[i]);
    h = cut_id_mix(h ^ (uint64_t)ordinal);
    return h ? h : 1;
}

#endif
