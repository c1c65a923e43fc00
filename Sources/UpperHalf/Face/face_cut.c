/* The rank side of the collective cut (DESIGN §4.1, docs/consistent-cut.md) on
 * the application's threads inside MPI calls and on the engine's thread: the
 * rules themselves are Sources/CutRules (cut_rules.h), tested exhaustively; this
 * file holds them under the cut lock, parks capped threads on a futex, and sends
 * the reports to the coordinator through the engine's connection. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "ckpt_mpi_ops.h"
#include "face_comm_table.h"
#include "face_cut.h"
#include "face_engine.h"
#include "face_parked.h"


volatile uint32_t face_cut_pending;
volatile uint32_t face_in_gate;
struct face_comm *volatile face_act_coll;
volatile int64_t face_act_n;
volatile int32_t face_act_p2p_comm, face_act_p2p_peer;
volatile int face_act_p2p;


static pthread_mutex_t cut_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile uint32_t cut_seq; /* bumped on every raise and on release: wakes capped threads */
static struct face_comm *capped_on;
static char *last_body;

/* Targets received for ids this rank has not made yet. */
static struct cut_target known[1024];
static struct cut_rank rules = {.known = known, .known_cap = sizeof known / sizeof known[0]};

uint64_t face_cut_known_target(uint64_t id) { return (uint64_t)cut_initial_target(&rules, id); }

/* ------------------------------------------------------------------ reports */

struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        while (cap < t->n + n + 1)
            cap *= 2;
        /* Not malloc: a report may be made by a thread that must still leave a
         * face call while others are already parked, one maybe holding malloc's lock. */
        char *q = face_parked_alloc(cap);
        if (!q)
            return;
        if (t->p) {
            memcpy(q, t->p, t->n + 1);
            face_parked_free(t->p);
        }
        t->p = q;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = 0;
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static void putu(struct text *t, uint64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    put(t, b, (size_t)n);
}

static void putid(struct text *t, uint64_t id)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%016llx", (unsigned long long)id);
    put(t, b, (size_t)n);
}

/* Sorted ranks as ranges: 0-3,5,7-9. */
static void put_ranges(struct text *t, const int32_t *r, int n)
{
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && r[j + 1] == r[j] + 1)
            j++;
        if (i)
            puts_(t, ",");
        putu(t, (uint64_t)r[i]);
        if (j > i) {
            puts_(t, "-");
            putu(t, (uint64_t)r[j]);
        }
        i = j + 1;
    }
}

static int put_comm(int32_t handle, struct face_comm *c, void *arg)
{
    (void)handle;
    struct text *t = arg;
    if (!c->counted || !c->members)
        return 0;
    if (t->p && t->p[t->n - 1] != '=')
        puts_(t, ";");
    putid(t, c->id);
    puts_(t, ":");
    putu(t, (uint64_t)c->started);
    puts_(t, ":");
    put_ranges(t, c->members, c->nmembers);
    if (c->pseudo)
        puts_(t, ":g"); /* its members are behind on it before they first call it */
    return 0;
}

/* Before MPI_Init the rank is the launcher's (the engine reads the same variables). */
static int report_rank(void)
{
    if (ckpt_face_state() >= 1)
        return face_world_rank();
    static const char *const names[] = {"CKPT_MPI_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v >= '0' && *v <= '9')
            return atoi(v);
    }
    return 0;
}

/* Sends a report if anything changed since the last one. Holds cut_lock. */
static void report_locked(int force)
{
    if (!rules.pending || !ckpt_engine_send_line)
        return;
    struct text body = {0};
    puts_(&body, "act=");
    struct face_comm *coll = face_act_coll;
    switch (cut_activity_of(ckpt_face_state() == 2, capped_on != NULL, coll != NULL, face_act_p2p)) {
    case CUT_FINISHED:
        puts_(&body, "finished");
        break;
    case CUT_CAPPED:
        puts_(&body, "capped:");
        putid(&body, capped_on->id);
        break;
    case CUT_IN_COLLECTIVE:
        puts_(&body, "coll:");
        putid(&body, coll->id);
        puts_(&body, ":");
        putu(&body, (uint64_t)face_act_n);
        break;
    case CUT_BLOCKED_P2P: {
        puts_(&body, "p2p:");
        struct face_comm *c = face_comm_of(face_act_p2p_comm);
        int peer = face_act_p2p_peer;
        if (c && peer >= 0 && peer < c->rsize) {
            putu(&body, (uint64_t)(c->world_of ? c->world_of[peer] : peer));
        } else if (c && c->members) { /* ANY_SOURCE, or a wait on several requests */
            put_ranges(&body, c->members, c->nmembers);
        } else {
            puts_(&body, "0");
            if (face_nranks > 1) {
                puts_(&body, "-");
                putu(&body, (uint64_t)(face_nranks - 1));
            }
        }
        break;
    }
    case CUT_RUNNING:
        puts_(&body, "running");
        break;
    }
    puts_(&body, " comms=");
    if (ckpt_face_state() >= 1)
        face_comm_each(put_comm, &body);
    if (!body.p)
        return;
    int64_t seq = cut_next_report(&rules, force || !last_body || strcmp(last_body, body.p));
    if (!seq) {
        face_parked_free(body.p);
        return;
    }
    face_parked_free(last_body);
    last_body = body.p;
    struct text line = {0};
    puts_(&line, "CUTREPORT gen=");
    putu(&line, rules.generation);
    puts_(&line, " rank=");
    putu(&line, (uint64_t)report_rank());
    puts_(&line, " seq=");
    putu(&line, (uint64_t)seq);
    puts_(&line, " ");
    puts_(&line, body.p);
    puts_(&line, "\n");
    if (line.p) {
        ckpt_engine_send_line(line.p, line.n);
        if (ckpt_boot_info && (ckpt_boot_info->flags & CKPT_BOOT_DEBUG))
            (void)!write(2, line.p, line.n);
    }
    face_parked_free(line.p);
}

void face_cut_activity_changed(void)
{
    pthread_mutex_lock(&cut_lock);
    report_locked(0);
    pthread_mutex_unlock(&cut_lock);
}

/* ---------------------------------------------------------------------- gate */

static void futex_wait_ms(volatile uint32_t *w, uint32_t v, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, &ts, NULL, 0);
}

static void futex_wake_all(volatile uint32_t *w) { syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0); }

/* Waits (50 ms at most) for the cut to move on, as a safe point: outside the
 * lower half with nothing half-done, so the thread may be parked here. */
static void wait_at_safe_point(uint32_t seq)
{
    int depth = face_crit;
    face_crit = 0;
    futex_wait_ms(&cut_seq, seq, 50);
    face_crit = depth;
}

void face_cut_gate(struct face_comm *c)
{
    /* Before the lock: the freeze waits for this flag while holding it. */
    face_in_gate = 0;
    pthread_mutex_lock(&cut_lock);
    while (!cut_may_start(&rules, &c->cut)) {
        capped_on = c;
        report_locked(0);
        uint32_t seq = cut_seq;
        pthread_mutex_unlock(&cut_lock);
        wait_at_safe_point(seq);
        pthread_mutex_lock(&cut_lock);
    }
    capped_on = NULL;
    c->started++;
    report_locked(0);
    pthread_mutex_unlock(&cut_lock);
    /* Parked across a restart: bind to the new lower half before the caller
     * translates a single handle. */
    ckpt_reenter();
}

void face_cut_outside(void (*fn)(void))
{
    for (;;) {
        pthread_mutex_lock(&cut_lock);
        if (!rules.pending) {
            fn();
            pthread_mutex_unlock(&cut_lock);
            return;
        }
        uint32_t seq = cut_seq;
        pthread_mutex_unlock(&cut_lock);
        wait_at_safe_point(seq);
        ckpt_reenter();
    }
}

/* ------------------------------------------------------- engine's operations */

static int freeze_comm(int32_t handle, struct face_comm *c, void *arg)
{
    (void)handle;
    (void)arg;
    cut_freeze(&c->cut);
    return 0;
}

static void membarrier_all(void)
{
    static int registered = -1;
    if (registered < 0)
        registered = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    if (registered && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
        return;
    /* No membarrier: a thread's store of face_in_gate is visible well within this. */
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
}

int face_cut_begin(uint64_t generation, char *err, int errlen)
{
    /* A restored rank rebuilds its MPI state before anything is frozen: the
     * replay is collective with the other ranks' (one of them may be blocked in
     * it now, in the lower half where it cannot be parked, until this one joins). */
    if (ckpt_face_state() == 1)
        ckpt_face_ensure_bound();
    /* Under the lock: MPI_Finalize marks itself finalised under it too. */
    pthread_mutex_lock(&cut_lock);
    if (ckpt_face_state() == 2) {
        pthread_mutex_unlock(&cut_lock);
        snprintf(err, (size_t)errlen, "rank %d has called MPI_Finalize: the job is ending, nothing left to checkpoint",
                 (int)face_world_rank());
        return -1;
    }
    cut_begin(&rules, generation);
    face_cut_pending = rules.pending;
    membarrier_all();
    while (face_in_gate)
        __builtin_ia32_pause();
    face_parked_free(last_body);
    last_body = NULL;
    if (ckpt_face_state() >= 1)
        face_comm_each(freeze_comm, NULL);
    report_locked(1);
    pthread_mutex_unlock(&cut_lock);
    return 0;
}

static int raise_comm(int32_t handle, struct face_comm *c, void *arg)
{
    (void)handle;
    const struct cut_target *r = arg;
    cut_raise(&c->cut, r->id, r->target);
    return 0;
}

void face_cut_targets(uint64_t generation, const char *list)
{
    pthread_mutex_lock(&cut_lock);
    if (cut_accepts(&rules, generation)) {
        for (const char *p = list; *p && *p != ' ' && *p != '\n';) {
            char *end;
            struct cut_target r;
            r.id = strtoull(p, &end, 16);
            if (*end != ':')
                break;
            r.target = strtoll(end + 1, &end, 10);
            if (ckpt_face_state() >= 1)
                face_comm_each(raise_comm, &r);
            cut_learn(&rules, r.id, r.target);
            p = *end == ',' ? end + 1 : end;
        }
        cut_seq++;
        futex_wake_all(&cut_seq);
    }
    pthread_mutex_unlock(&cut_lock);
}

void face_cut_finish(int restored)
{
    (void)restored;
    pthread_mutex_lock(&cut_lock);
    cut_release(&rules);
    face_cut_pending = rules.pending;
    capped_on = NULL;
    cut_seq++;
    futex_wake_all(&cut_seq);
    pthread_mutex_unlock(&cut_lock);
}
