/* The face's part of the consistent cut (DESIGN §4, docs/consistent-cut.md):
 * per-communicator collective counts and the gate (§4.1), per-peer message
 * counts, request records and drained messages (§4.2). The hot path is inline
 * here: a few loads and stores per call, no lock, no call while no checkpoint
 * is pending. */
#ifndef CKPT_FACE_CUT_H
#define CKPT_FACE_CUT_H

#include "cut_rules.h"
#include "face_runtime.h"

/* ------------------------------------------------------------ communicators */

/* What the cut knows of one communicator. Lives in the upper half (so in the
 * image): ids, counts and member lists survive a restart unchanged. */
struct face_comm {
    union { /* the cut's rules (cut_rules.h) take the head */
        struct cut_comm cut;
        struct {
            uint64_t id;     /* cut_comm_id.h: the same on every member */
            int64_t started; /* collectives this rank has started on it */
            int64_t target;  /* while a checkpoint is pending: may start up to this many */
        };
    };
    int32_t live;       /* 0 once freed (or never known) */
    int32_t counted;    /* takes part in the cut: more than one rank in it */
    int16_t inter;
    int16_t pseudo;     /* no handle: the ranks a call collective over part of a communicator waits for */
    int32_t rsize;      /* ranks a peer argument can name: the remote group of an intercommunicator */
    int32_t nmembers;
    int32_t group_ordinal; /* intercommunicators this rank made with these members before */
    int32_t *members;   /* sorted world ranks, local and remote group */
    int32_t *world_of;  /* peer rank -> world rank; NULL when they are equal */
};

#define FACE_COMM_CHUNK_BITS 12
#define FACE_COMM_CHUNKS (1u << (26 - FACE_COMM_CHUNK_BITS))
/* A power of two: the hot path indexes chunks of them with a shift. */
_Static_assert(sizeof(struct face_comm) == 64, "struct face_comm grew");
extern struct face_comm face_world, face_self;
extern struct face_comm *face_comm_chunks[FACE_COMM_CHUNKS];

/* The cut's view of a communicator handle, NULL when it has none. */
static inline struct face_comm *face_comm_of(int32_t comm)
{
    uint32_t u = (uint32_t)comm;
    if (__builtin_expect(u >> 30 == 2, 1)) {
        uint32_t i = u & CKPT_SLOT_MASK;
        struct face_comm *c = face_comm_chunks[i >> FACE_COMM_CHUNK_BITS];
        return c && c[i & ((1u << FACE_COMM_CHUNK_BITS) - 1)].live ? &c[i & ((1u << FACE_COMM_CHUNK_BITS) - 1)] : NULL;
    }
    if (comm == CKPT_MPI_COMM_WORLD)
        return face_world.live ? &face_world : NULL;
    if (comm == CKPT_MPI_COMM_SELF)
        return face_self.live ? &face_self : NULL;
    return NULL;
}

/* After a communicator-creating call returned `child` (made from `parent`). */
void face_comm_created(int32_t parent, int32_t child);
/* The same for an MPI_Comm_idup that completed: the parent's id and count when it started. */
void face_comm_created_at(uint64_t parent_id, int64_t ordinal, int32_t child);
/* Before MPI_Comm_free / MPI_Comm_disconnect. */
void face_comm_freeing(int32_t comm);
/* MPI_COMM_WORLD and MPI_COMM_SELF, once MPI is initialised. */
void face_comms_init(void);
/* The target a pending cut already set for a communicator id not made yet (face_cut.c). */
uint64_t face_cut_known_target(uint64_t id);

/* ------------------------------------------------------- collectives (§4.1) */

/* A checkpoint is being cut: gate every collective. The hot path's copy of the
 * rules' pending flag (face_cut.c publishes it under the cut lock). */
extern volatile uint32_t face_cut_pending;
extern volatile uint32_t face_in_gate;     /* a thread is between the pending test and its count */
extern struct face_comm *volatile face_act_coll; /* inside a blocking collective on this one */
extern volatile int64_t face_act_n;

void face_cut_gate(struct face_comm *c);
/* Runs fn under the cut's lock once no checkpoint is pending (waiting at a safe point). */
void face_cut_outside(void (*fn)(void));
/* Memory for code that runs while application threads are parked (face_parked_memory.c). */
void *face_parked_alloc(size_t n);
void face_parked_free(void *p);
/* The engine's STOP (face_init.c). */
void ckpt_face_stop(void);
void face_cut_activity_changed(void);
/* The cut's side of the engine's ops table (ckpt_mpi_ops.h), registered by the
 * lifecycle (face_init.c): freeze and report, learn the raised targets, release. */
int face_cut_begin(uint64_t generation, char *err, int errlen);
void face_cut_targets(uint64_t generation, const char *list);
void face_cut_finish(int restored);

/* Counts the start of a collective on `c`; waits first while a checkpoint
 * caps it. The flag and the membarrier() in the freeze make the test and the
 * count atomic with respect to the freeze without a fence here. */
static inline struct face_comm *face_coll_count(struct face_comm *c)
{
    if (!c || !c->counted)
        return NULL;
    face_in_gate = 1;
    __asm__ volatile("" ::: "memory");
    if (__builtin_expect(face_cut_pending != 0, 0)) {
        face_cut_gate(c); /* clears face_in_gate */
        return c;
    }
    c->started++;
    __asm__ volatile("" ::: "memory");
    face_in_gate = 0;
    return c;
}

static inline struct face_comm *face_coll_begin(int32_t comm) { return face_coll_count(face_comm_of(comm)); }

/* Inside a blocking collective on `c` (counted already): the cut must know. */
static inline struct face_comm *face_coll_inside(struct face_comm *c)
{
    if (c) {
        face_act_n = c->started;
        face_act_coll = c;
        if (__builtin_expect(face_cut_pending != 0, 0))
            face_cut_activity_changed();
    }
    return c;
}

static inline struct face_comm *face_coll_enter(int32_t comm) { return face_coll_inside(face_coll_begin(comm)); }

/* MPI_Comm_create_group and MPI_Intercomm_create (face_comms.c): collective over
 * fewer ranks than their communicator, counted on pseudo-communicators. */
struct face_comm *face_coll_enter_group(int32_t comm, int32_t group);
struct face_comm *face_coll_enter_intercomm(int32_t local_comm, int local_leader, int32_t peer_comm,
                                            int remote_leader);

static inline void face_coll_leave(struct face_comm *c)
{
    if (c) {
        face_act_coll = NULL;
        if (__builtin_expect(face_cut_pending != 0, 0))
            face_cut_activity_changed();
    }
}

/* A rank blocked in point-to-point waits for its peer: the cut's waits-for edge. */
extern volatile int32_t face_act_p2p_comm, face_act_p2p_peer;
extern volatile int face_act_p2p;

static inline void face_p2p_enter(int32_t comm, int peer)
{
    face_act_p2p_comm = comm;
    face_act_p2p_peer = peer;
    face_act_p2p = 1;
    if (__builtin_expect(face_cut_pending != 0, 0))
        face_cut_activity_changed();
}

static inline void face_p2p_leave(void)
{
    face_act_p2p = 0;
    if (__builtin_expect(face_cut_pending != 0, 0))
        face_cut_activity_changed();
}

/* ---------------------------------------------- point-to-point counts (§4.2) */

extern int64_t *face_sent, *face_recvd; /* by world rank; NULL before MPI_Init */
extern int32_t face_nranks;

static inline void face_count(int64_t *counts, int32_t comm, int peer, int64_t by)
{
    if (peer < 0 || !counts)
        return; /* MPI_PROC_NULL, ANY_SOURCE */
    struct face_comm *c = face_comm_of(comm);
    if (!c || peer >= c->rsize)
        return;
    int w = c->world_of ? c->world_of[peer] : peer;
    if ((unsigned)w < (unsigned)face_nranks) {
        if (ckpt_shadow_threaded)
            __atomic_fetch_add(&counts[w], by, __ATOMIC_RELAXED);
        else
            counts[w] += by;
    }
}
static inline void face_count_send(int32_t comm, int dest) { face_count(face_sent, comm, dest, 1); }
/* A send that was cancelled: it never reaches the peer's count. */
static inline void face_uncount_send(int32_t comm, int dest) { face_count(face_sent, comm, dest, -1); }
static inline void face_count_recv(int32_t comm, int source) { face_count(face_recvd, comm, source, 1); }

/* ------------------------------------------------------------------ requests */

enum face_req_type {
    FACE_REQ_OTHER = 0, /* sends, non-blocking collectives, ...: complete by the cut */
    FACE_REQ_RECV,      /* Irecv: cancelled at the cut when unmatched, posted again after */
    FACE_REQ_MRECV,     /* Imrecv: its message was matched already */
    FACE_REQ_PSEND,     /* persistent send: made again after a restart */
    FACE_REQ_PRECV,     /* persistent receive: made again; restarted when it was active */
    FACE_REQ_MESSAGE,   /* an MPI_Message from Mprobe/Improbe */
    FACE_REQ_PCOLL,     /* persistent collective (MPI-4, face_mpi4.c): inactive = upper half only */
    FACE_REQ_IDUP,      /* MPI_Comm_idup (face_idup.c): binds its communicator when it completes */
    FACE_REQ_GREQ,      /* generalized request (face_greq.c): upper half only */
};

enum face_req_state {
    FACE_REQ_LIVE = 0,   /* the lower half has it */
    FACE_REQ_DONE,       /* completed by the drain: the lower half holds a completed stand-in */
    FACE_REQ_REPOST,     /* cancelled by the drain: to be posted again */
};

struct face_drained;

struct face_req {
    uint8_t type, state, active, mode; /* mode: persistent send flavour 0 std 1 sync 2 buffered 3 ready */
    uint8_t has_status; /* the application's wait returns `status` (the drain or a drained message completed it) */
    uint8_t counted;    /* its receive is counted already */
    uint8_t freed;      /* MPI_Request_free while active: the face owns it until it completes */
    uint8_t reserved;
    int32_t comm, peer, tag, count, datatype;
    int32_t freed_next; /* freed: the next one the face still owns, 0 = none */
    void *buf;
    struct face_drained *message; /* FACE_REQ_MESSAGE of a drained message */
    struct ckpt_status status;    /* has_status: what the application's wait returns */
    int32_t companion;            /* MPI_Isendrecv: the hidden send that must complete too, 0 = none */
    void *tmp;                    /* freed with the companion (or by it, once freed): Isendrecv_replace's packed copy */
    /* FACE_REQ_IDUP: the new communicator (0 once bound), the parent's id and
     * collective count when it started (the new id derives from them), the info
     * of idup_with_info (a lower-half copy, 0 = none), and the cell the lower
     * half writes the new communicator into (native MPI_Comm). */
    struct face_greq *greq; /* FACE_REQ_GREQ: its callbacks and state */
    int32_t idup_comm;
    uint64_t idup_parent_id;
    int64_t idup_ordinal;
    uint64_t idup_info;
    uint64_t idup_cell;
};

#define FACE_REQ_CHUNK_BITS 12
#define FACE_REQ_CHUNKS (1u << (26 - FACE_REQ_CHUNK_BITS))
extern struct face_req *face_req_chunks[FACE_REQ_CHUNKS];
struct face_req *face_req_chunk_new(uint32_t chunk);

/* The record of a request handle (made on first use), NULL for other handles. */
static inline struct face_req *face_req_of(int32_t req)
{
    uint32_t u = (uint32_t)req;
    if (u >> 30 != 2 || ((u >> 26) & 0xf) != CKPT_KIND_REQUEST)
        return NULL;
    uint32_t i = u & CKPT_SLOT_MASK;
    struct face_req *c = face_req_chunks[i >> FACE_REQ_CHUNK_BITS];
    if (__builtin_expect(!c, 0))
        c = face_req_chunk_new(i >> FACE_REQ_CHUNK_BITS);
    return c ? &c[i & ((1u << FACE_REQ_CHUNK_BITS) - 1)] : NULL;
}

/* A new request handle: its record starts empty (the slot may be reused). */
static inline int32_t face_req_new(uint64_t real, uint8_t type, int32_t comm)
{
    int32_t v = ckpt_virtual_new(CKPT_KIND_REQUEST, real);
    struct face_req *r = face_req_of(v);
    if (r) {
        r->type = type;
        r->state = FACE_REQ_LIVE;
        r->has_status = 0;
        r->counted = 0;
        r->active = 0;
        r->mode = 0;
        r->comm = comm;
        r->message = NULL;
        r->companion = 0;
        r->tmp = NULL;
    }
    return v;
}

/* The real handle of a drained message (never a lower-half handle). */
#define FACE_REAL_DRAINED 0xd7a1ed0000000001ull
/* The real handle of an inactive persistent collective: nothing in the lower half
 * (the drain skips it as a marker; completion calls pass MPI_REQUEST_NULL for it). */
#define FACE_REAL_PCOLL_IDLE 0xd7a1ed0000000004ull
/* The real handle of a generalized request: nothing in the lower half (completion
 * calls pass MPI_REQUEST_NULL for it, the drain skips it as a marker). */
#define FACE_REAL_GREQ 0xd7a1ed0000000006ull
/* The real handle of a communicator whose MPI_Comm_idup has not completed. */
#define FACE_REAL_IDUP_PENDING 0xd7a1ed0000000005ull

/* ----------------------------------------------------------- drained messages */

struct face_drained {
    struct face_drained *next;
    int32_t comm, source, tag;
    int64_t bytes;
    unsigned char *data;
};
extern struct face_drained *volatile face_drained_head;

/* First drained message matching (comm, source, tag), NULL if none. */
struct face_drained *face_drained_find(int32_t comm, int source, int tag);
/* Takes it off the queue. */
void face_drained_unlink(struct face_drained *m);
/* Copies it into (buf, count, datatype) and fills the status; frees it. */
int face_drained_deliver(struct face_drained *m, void *buf, int count, MPI_Datatype datatype, MPI_Status *status);
void face_drained_status(const struct face_drained *m, MPI_Status *status);

/* MPI_Wait for the face itself (a blocking call whose request a checkpoint caught). */
int face_wait_one(int32_t *request, MPI_Status *status);
/* MPI_Test for the face itself. */
int face_test_one(int32_t *request, int *flag, MPI_Status *status);

/* After a restart (face_init.c's rebind): make every recorded request again. */
int face_requests_rebind(void);
/* Counts a completed request's receive, once, and gives back a status the drain kept. */
void face_req_completed(int32_t v, struct face_req *r, struct ckpt_status *st);

#endif
