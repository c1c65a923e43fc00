/* What the consistent cut knows of each communicator (docs/consistent-cut.md,
 * "Communicator ids"): its id, its members as world ranks, and how its peer
 * ranks map to world ranks for the drain's per-peer counts. Computed once when
 * the communicator is made, kept in the upper half across restarts. */
#include <string.h>

#include "face_comm_table.h"

static int bookkeeping = 1;


static struct face_comm *slot_for(int32_t comm)
{
    uint32_t u = (uint32_t)comm;
    if (u >> 30 != 2)
        return NULL;
    uint32_t i = u & CKPT_SLOT_MASK;
    struct face_comm **chunk = &face_comm_chunks[i >> FACE_COMM_CHUNK_BITS];
    if (!*chunk) {
        *chunk = calloc(1u << FACE_COMM_CHUNK_BITS, sizeof(struct face_comm));
        if (!*chunk)
            return NULL;
    }
    return &(*chunk)[i & ((1u << FACE_COMM_CHUNK_BITS) - 1)];
}

static void clear(struct face_comm *c)
{
    free(c->members);
    free(c->world_of);
    memset(c, 0, sizeof *c);
}

void face_comms_init(void)
{
    int n = 1, me = 0;
    CKPT_CROSS(ckpt_T->Comm_size(ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_WORLD), &n));
    CKPT_CROSS(ckpt_T->Comm_rank(ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_WORLD), &me));
    face_nranks = n;
    face_my_world_rank = me;
    /* Benchmark aid (benchmarks/run-overhead.sh --bookkeeping): without the counts
     * the cost of the cut's bookkeeping can be measured; such a job cannot be
     * checkpointed consistently. */
    const char *off = getenv("CKPT_MPI_BENCH_NO_CUT_COUNTS");
    bookkeeping = !(off && *off == '1');
    if (bookkeeping) {
        face_sent = calloc((size_t)n, sizeof(int64_t));
        face_recvd = calloc((size_t)n, sizeof(int64_t));
    }
    clear(&face_world);
    face_world.live = 1;
    face_world.counted = n > 1 && bookkeeping;
    face_world.rsize = n;
    face_world.nmembers = n;
    /* MPI_Init during a checkpoint's cut: the world's target may be known already. */
    face_world.target = (int64_t)face_cut_known_target(0);
    face_world.members = malloc(sizeof(int32_t) * (size_t)n);
    for (int i = 0; face_world.members && i < n; i++)
        face_world.members[i] = i;
    clear(&face_self);
    face_self.live = 1;
    face_self.rsize = 1;
    face_self.nmembers = 1;
    face_self.members = malloc(sizeof(int32_t));
    face_self.world_of = malloc(sizeof(int32_t));
    if (face_self.members)
        face_self.members[0] = me;
    if (face_self.world_of)
        face_self.world_of[0] = me;
}

/* World ranks of a group of the lower half, in group order. */
static int32_t *world_ranks(uint64_t group, int n)
{
    int32_t *out = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    int *in = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    uint64_t wg = 0;
    int rc = out && in ? 0 : -1;
    if (!rc)
        CKPT_CROSS(rc = ckpt_T->Comm_group(ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_WORLD), &wg));
    for (int i = 0; !rc && i < n; i++)
        in[i] = i;
    if (!rc)
        CKPT_CROSS(rc = ckpt_T->Group_translate_ranks(group, n, in, wg, (int *)out));
    if (wg)
        CKPT_CROSS(ckpt_T->Group_free(&wg));
    free(in);
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Ordinal of an intercommunicator with these members among this rank's
 * (a member list's hash -> count; collisions only merge ordinals, which the
 * coordinator's member check would catch). */
static int next_group_ordinal(uint64_t members_hash)
{
    static struct {
        uint64_t hash;
        int count;
    } seen[256];
    for (int i = 0; i < 256; i++) {
        if (seen[i].count == 0) {
            seen[i].hash = members_hash;
            return seen[i].count = 1;
        }
        if (seen[i].hash == members_hash)
            return ++seen[i].count;
    }
    return 1;
}

/* ------------------------------------------------- pseudo-communicators */

/* MPI_Comm_create_group waits only for the members of its group, and the two
 * leaders of MPI_Intercomm_create wait for each other over peer_comm: counted
 * on their parent, such calls would make the cut wait for ranks that never
 * call them. So each is counted, like a collective, on a pseudo-communicator
 * of the ranks it waits for: CommID.group(parent, members, 0). The members
 * call them in the same order (A1), so their counts agree; the records are
 * never freed (a count must not start over) and only ever prepended, so the
 * engine's thread may walk the list while an application thread adds one. */

/* Takes `members` (sorted world ranks). */
static struct face_comm *pseudo_comm(uint64_t parent, int32_t *members, int n)
{
    uint64_t id = cut_id_group(parent, members, n, 0);
    for (struct face_pseudo *p = __atomic_load_n(&face_pseudo_head, __ATOMIC_ACQUIRE); p; p = p->next)
        if (p->c.id == id && p->c.nmembers == n && !memcmp(p->c.members, members, sizeof(int32_t) * (size_t)n)) {
            free(members);
            return &p->c;
        }
    struct face_pseudo *p = calloc(1, sizeof *p);
    if (!p) {
        free(members);
        return NULL;
    }
    p->c.id = id;
    p->c.members = members;
    p->c.nmembers = n;
    p->c.rsize = n;
    p->c.pseudo = 1;
    p->c.counted = n > 1 && bookkeeping;
    p->c.target = (int64_t)face_cut_known_target(id);
    p->c.live = 1;
    p->next = face_pseudo_head;
    __atomic_store_n(&face_pseudo_head, p, __ATOMIC_RELEASE);
    return &p->c;
}

/* The pseudo-communicator of the Comm_create_group this thread is in: the new
 * communicator's id takes its count as ordinal. */
static __thread struct face_comm *creating_group __attribute__((tls_model("initial-exec")));

struct face_comm *face_coll_enter_group(int32_t comm, int32_t group)
{
    struct face_comm *parent = face_comm_of(comm);
    uint64_t g = ckpt_to_real(CKPT_KIND_GROUP, group);
    int n = 0, rc;
    creating_group = NULL;
    if (!parent || !g)
        return NULL;
    CKPT_CROSS(rc = ckpt_T->Group_size(g, &n));
    int32_t *members = rc || n < 1 ? NULL : world_ranks(g, n);
    if (!members)
        return NULL;
    qsort(members, (size_t)n, sizeof(int32_t), cmp_i32);
    struct face_comm *c = pseudo_comm(parent->id, members, n);
    creating_group = c;
    return face_coll_inside(face_coll_count(c));
}

static int32_t world_rank_in(const struct face_comm *c, int rank)
{
    if (!c || rank < 0 || rank >= c->rsize)
        return -1;
    return c->world_of ? c->world_of[rank] : rank;
}

/* Every member waits in it for the whole of local_comm; a leader also for the
 * other leader, which no collective count of local_comm shows. A leader counts
 * the pair first: capped there, it is still behind on local_comm, so the
 * members waiting for it lead the coordinator to its cap. */
struct face_comm *face_coll_enter_intercomm(int32_t local_comm, int local_leader, int32_t peer_comm,
                                            int remote_leader)
{
    struct face_comm *local = face_comm_of(local_comm), *pair = NULL;
    if (local && !local->inter && world_rank_in(local, local_leader) == face_my_world_rank) {
        struct face_comm *peer = face_comm_of(peer_comm);
        int32_t other = world_rank_in(peer, remote_leader);
        int32_t *two = other >= 0 && other != face_my_world_rank ? malloc(2 * sizeof(int32_t)) : NULL;
        if (two) {
            two[0] = other < face_my_world_rank ? other : face_my_world_rank;
            two[1] = other < face_my_world_rank ? face_my_world_rank : other;
            pair = face_coll_count(pseudo_comm(peer->id, two, 2));
        }
    }
    struct face_comm *all = face_coll_count(local);
    return face_coll_inside(pair ? pair : all);
}

static void created(struct face_comm *p, uint64_t parent_id, int64_t ordinal, struct face_comm *group, int32_t child);

void face_comm_created(int32_t parent, int32_t child)
{
    struct face_comm *group = creating_group;
    creating_group = NULL;
    struct face_comm *p = face_comm_of(parent);
    created(p, p ? p->id : 0, p ? p->started : 0, group, child);
}

void face_comm_created_at(uint64_t parent_id, int64_t ordinal, int32_t child)
{
    created(NULL, parent_id, ordinal, NULL, child);
}

/* `p` (may be NULL) only tells an Intercomm_create from a dup of an intercommunicator. */
static void created(struct face_comm *p, uint64_t parent_id, int64_t ordinal, struct face_comm *group, int32_t child)
{
    struct face_comm *c = slot_for(child);
    if (!c)
        return;
    clear(c);
    uint64_t real = ckpt_to_real(CKPT_KIND_COMM, child);
    int inter = 0, size = 0, rsize = 0, rc;
    CKPT_CROSS(rc = ckpt_T->Comm_test_inter(real, &inter));
    if (!rc)
        CKPT_CROSS(rc = ckpt_T->Comm_size(real, &size));
    if (!rc && inter)
        CKPT_CROSS(rc = ckpt_T->Comm_remote_size(real, &rsize));
    if (rc)
        return;
    uint64_t g = 0, rg = 0;
    CKPT_CROSS(rc = ckpt_T->Comm_group(real, &g));
    int32_t *local = rc ? NULL : world_ranks(g, size);
    if (g)
        CKPT_CROSS(ckpt_T->Group_free(&g));
    int32_t *remote = NULL;
    if (inter && local) {
        CKPT_CROSS(rc = ckpt_T->Comm_remote_group(real, &rg));
        remote = rc ? NULL : world_ranks(rg, rsize);
        if (rg)
            CKPT_CROSS(ckpt_T->Group_free(&rg));
    }
    if (!local || (inter && !remote)) {
        free(local);
        free(remote);
        return;
    }
    int n = size + (inter ? rsize : 0);
    int32_t *members = malloc(sizeof(int32_t) * (size_t)n);
    if (!members) {
        free(local);
        free(remote);
        return;
    }
    memcpy(members, local, sizeof(int32_t) * (size_t)size);
    if (inter)
        memcpy(members + size, remote, sizeof(int32_t) * (size_t)rsize);
    qsort(members, (size_t)n, sizeof(int32_t), cmp_i32);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || members[m - 1] != members[i])
            members[m++] = members[i];

    /* Peer arguments name the remote group of an intercommunicator. */
    int32_t *peers = inter ? remote : local;
    int peer_count = inter ? rsize : size;
    if (inter)
        free(local);
    int identity = !inter && size == face_nranks;
    for (int i = 0; identity && i < size; i++)
        identity = local[i] == i;
    if (identity) {
        free(peers);
        peers = NULL;
    }

    c->inter = inter;
    c->rsize = peer_count;
    c->world_of = peers;
    c->members = members;
    c->nmembers = m;
    c->counted = m > 1 && bookkeeping;
    if (group && !inter) {
        /* Comm_create_group: its members agree on their count of such calls, not on the parent's. */
        c->group_ordinal = (int32_t)group->started;
        c->id = cut_id_group(parent_id, members, m, c->group_ordinal);
    } else if (inter && p && !p->inter) {
        /* Intercomm_create: collective over both groups, whose parents differ. */
        uint64_t h = cut_id_group(0, members, m, 0);
        c->group_ordinal = next_group_ordinal(h);
        c->id = cut_id_group(0, members, m, c->group_ordinal);
    } else {
        c->id = cut_id_derived(parent_id, ordinal, members[0]);
    }
    c->target = (int64_t)face_cut_known_target(c->id);
    __atomic_store_n(&c->live, 1, __ATOMIC_RELEASE);
}

void face_comm_freeing(int32_t comm)
{
    struct face_comm *c = face_comm_of(comm);
    if (c && c != &face_world && c != &face_self) {
        __atomic_store_n(&c->live, 0, __ATOMIC_RELEASE);
        free(c->members);
        free(c->world_of);
        c->members = NULL;
        c->world_of = NULL;
    }
}
