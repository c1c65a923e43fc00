/* The rank side of the collective cut's rules (include/cut_rules.h). */
#include "cut_rules.h"

void cut_begin(struct cut_rank *g, uint64_t generation)
{
    g->generation = generation;
    g->pending = 1;
    g->nknown = 0;
    g->sequence = 0;
}

void cut_freeze(struct cut_comm *c) { c->target = c->started; }

int cut_may_start(const struct cut_rank *g, const struct cut_comm *c)
{
    return !g->pending || c->started + 1 <= c->target;
}

int cut_accepts(const struct cut_rank *g, uint64_t generation) { return g->pending && generation == g->generation; }

void cut_learn(struct cut_rank *g, uint64_t id, int64_t target)
{
    uint32_t i = 0;
    while (i < g->nknown && g->known[i].id != id)
        i++;
    if (i < g->nknown) {
        if (g->known[i].target < target)
            g->known[i].target = target;
    } else if (i < g->known_cap) {
        /* Full: a communicator made later starts capped at 0 and is raised again. */
        g->known[g->nknown++] = (struct cut_target){id, target};
    }
}

void cut_raise(struct cut_comm *c, uint64_t id, int64_t target)
{
    if (c->id == id && c->target < target)
        c->target = target;
}

int64_t cut_initial_target(const struct cut_rank *g, uint64_t id)
{
    if (!g->pending)
        return 0;
    for (uint32_t i = 0; i < g->nknown; i++)
        if (g->known[i].id == id)
            return g->known[i].target;
    return 0;
}

int64_t cut_next_report(struct cut_rank *g, int changed)
{
    if (!g->pending || (!changed && g->sequence))
        return 0;
    return ++g->sequence;
}

enum cut_activity cut_activity_of(int finished, int capped, int in_collective, int blocked_p2p)
{
    if (finished)
        return CUT_FINISHED;
    if (capped)
        return CUT_CAPPED;
    if (in_collective)
        return CUT_IN_COLLECTIVE;
    if (blocked_p2p)
        return CUT_BLOCKED_P2P;
    return CUT_RUNNING;
}

void cut_release(struct cut_rank *g) { g->pending = 0; }
