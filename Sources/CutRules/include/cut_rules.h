/* The rank side of the collective cut (DESIGN §4.1, docs/consistent-cut.md): the
 * rules, and nothing else. Plain state in, decisions out; no MPI, no locks, no
 * futexes, no threads, no allocation. The face (face_cut.c) calls them under its
 * cut lock and does the waiting, the reporting and the MPI around them; the Swift
 * simulations (RankGate, CollectiveCutTests) call the same functions, so the
 * exhaustive checks cover the code that runs.
 *
 * Freeze: every target := the rank's own started count. Rule: start collective n
 * on C only if no checkpoint is pending or n <= target(C). Targets only grow. */
#ifndef CKPT_CUT_RULES_H
#define CKPT_CUT_RULES_H

#include <stdint.h>

#include "cut_comm_id.h"

/* One communicator as the cut sees it (the head of the face's struct face_comm). */
struct cut_comm {
    uint64_t id;     /* cut_comm_id.h: the same on every member */
    int64_t started; /* collectives this rank has started on it */
    int64_t target;  /* while a checkpoint is pending: may start up to this many */
};

/* A target the coordinator sent for an id, kept for communicators made later. */
struct cut_target {
    uint64_t id;
    int64_t target;
};

/* The rank's cut: one per rank. `known` is the caller's storage (known_cap entries). */
struct cut_rank {
    uint64_t generation; /* the checkpoint being cut, while pending */
    int64_t sequence;    /* of the last report of this generation */
    uint32_t pending;
    uint32_t nknown;
    uint32_t known_cap;
    uint32_t reserved;
    struct cut_target *known;
};

/* What a rank reports it is doing (docs/consistent-cut.md, RankActivity). */
enum cut_activity {
    CUT_RUNNING = 0,
    CUT_CAPPED,
    CUT_IN_COLLECTIVE,
    CUT_BLOCKED_P2P,
    CUT_FINISHED,
};

/* The checkpoint request: pending from now on, nothing learnt, no report sent.
 * Then cut_freeze on every communicator the rank holds. */
void cut_begin(struct cut_rank *g, uint64_t generation);
/* Caps a communicator at what this rank has started. */
void cut_freeze(struct cut_comm *c);
/* May this rank start its next collective on c? */
int cut_may_start(const struct cut_rank *g, const struct cut_comm *c);
/* Are targets for this generation to be taken? */
int cut_accepts(const struct cut_rank *g, uint64_t generation);
/* Takes a target for `id` (max-merge): into the list for communicators not made yet. */
void cut_learn(struct cut_rank *g, uint64_t id, int64_t target);
/* Takes a target for `id` on c if it is that communicator (max-merge). */
void cut_raise(struct cut_comm *c, uint64_t id, int64_t target);
/* The target of a communicator made now: what was learnt for its id, else 0. */
int64_t cut_initial_target(const struct cut_rank *g, uint64_t id);
/* The sequence number of the report to send, 0 for none: one is sent while pending
 * when its content `changed` since the last one (always for the first). */
int64_t cut_next_report(struct cut_rank *g, int changed);
/* What to report: finishing beats a cap, a cap beats waiting in a collective, which
 * beats waiting for a point-to-point peer. */
enum cut_activity cut_activity_of(int finished, int capped, int in_collective, int blocked_p2p);
/* After the checkpoint is written (or abandoned): collectives run freely again. */
void cut_release(struct cut_rank *g);

#endif
