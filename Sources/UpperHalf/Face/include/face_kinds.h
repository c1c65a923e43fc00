/* The kinds of MPI object that have something to do at a checkpoint or a
 * restart beyond the constructor record, each with the same small table of
 * hooks, listed once in restart order (parked/kinds.c). The drain, the end of a
 * checkpoint and the rebind after a restart are loops over that list, like
 * DMTCP's per-connection drain/refill/resume/postRestart and CRIU's per-kind
 * dump and restore ops.
 *
 * Two things shape the table (docs/face-layout.md). Creating and freeing an
 * object of any kind is recorded by the same generated code (the constructor
 * record), and the replay after a restart is one pass over that record in
 * program order across kinds (a communicator made from a group, a type from a
 * type): so there is no per-kind "made"/"freed" hook, and `rebind` runs after
 * the whole replay. The drain is one fixpoint over the kinds (test every
 * request, probe every communicator, until the counts match): `drain_step` is
 * one step of that loop, not a pass of its own. The communicator's cut counts
 * are the cut's own (face_cut.c walks the communicator table). */
#ifndef CKPT_FACE_KINDS_H
#define CKPT_FACE_KINDS_H

/* One pass of the drain's fixpoint: whether anything completed or arrived,
 * and how many requests must still finish before the image. */
struct face_drain_pass {
    int progressed, outstanding;
};

/* What a kind does at each step; any hook may be NULL. */
struct face_kind_ops {
    const char *name;
    /* First in the drain: end what no image may have in flight (RMA operations). */
    void (*quiesce)(void);
    /* One step of the drain's fixpoint; nonzero: out of parked memory. */
    int (*drain_step)(struct face_drain_pass *pass);
    /* After the fixpoint: keep in the upper half what the image must hold; nonzero: out of parked memory. */
    int (*drained)(void);
    /* Once the image is written, in the same lower half. */
    void (*finish)(void);
    /* The replay test hook only: let go of the lower half's objects, which `rebind` makes again. */
    void (*release)(void);
    /* After the replay, in list order; in_place: the replay test hook, same lower half. */
    int (*rebind)(int in_place);
};

/* The list, in restart order. */
extern const struct face_kind_ops face_kinds[];
extern const unsigned face_kind_count;

/* The loops over the list (parked/kinds.c): each hook of every kind in order. */
void face_kinds_quiesce(void);
int face_kinds_drain_step(struct face_drain_pass *pass);
int face_kinds_drained(void);
void face_kinds_finish(void);
void face_kinds_release(void);
/* Stops at the first kind that fails and returns its error. */
int face_kinds_rebind(int in_place);

/* The hooks, each in its kind's file. */
int face_requests_drain_step(struct face_drain_pass *pass); /* parked/requests.c */
int face_requests_drained(void);                           /* parked/requests.c */
int face_comms_drain_step(struct face_drain_pass *pass);    /* parked/comms.c */

#endif
