/* The constructor record: encoding on the way in, decoding on replay. Kept off
 * the hot path (only object-making calls record). */
#include <string.h>

#include "face_replay.h"

void ckpt_rec_begin(struct ckpt_rec *r, uint32_t fn)
{
    r->w = r->stack;
    r->n = 0;
    r->cap = 64;
    r->fn = fn;
}

void ckpt_rec_word(struct ckpt_rec *r, uint64_t v)
{
    if (r->n == r->cap) {
        uint64_t *bigger = malloc(sizeof(uint64_t) * r->cap * 2);
        if (!bigger)
            return;
        memcpy(bigger, r->w, sizeof(uint64_t) * r->n);
        if (r->w != r->stack)
            free(r->w);
        r->w = bigger;
        r->cap *= 2;
    }
    r->w[r->n++] = v;
}

void ckpt_rec_ints(struct ckpt_rec *r, const int *a, int n)
{
    n = a && n > 0 ? n : 0;
    ckpt_rec_word(r, (uint64_t)n);
    for (int i = 0; i < n; i++)
        ckpt_rec_word(r, (uint64_t)(int64_t)a[i]);
}

void ckpt_rec_aints(struct ckpt_rec *r, const void *a, int n)
{
    const int64_t *v = a;
    n = a && n > 0 ? n : 0;
    ckpt_rec_word(r, (uint64_t)n);
    for (int i = 0; i < n; i++)
        ckpt_rec_word(r, (uint64_t)v[i]);
}

void ckpt_rec_weights(struct ckpt_rec *r, const int *w, int n)
{
    const int *neutral = ckpt_weights_arg(w);
    if (neutral == CKPT_UNWEIGHTED_SENTINEL || neutral == CKPT_WEIGHTS_EMPTY_SENTINEL) {
        ckpt_rec_word(r, neutral == CKPT_UNWEIGHTED_SENTINEL ? 1 : 2);
        return;
    }
    ckpt_rec_word(r, 0);
    ckpt_rec_ints(r, w, n);
}

void ckpt_rec_string(struct ckpt_rec *r, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    ckpt_rec_word(r, (uint64_t)n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = 0;
        memcpy(&v, s + i, n - i < 8 ? n - i : 8);
        ckpt_rec_word(r, v);
    }
}

void ckpt_rec_end(struct ckpt_rec *r)
{
    ckpt_shadow_record(r->fn, r->w, r->n);
    if (r->w != r->stack)
        free(r->w);
}

static void *keep(struct ckpt_dec *d, void *p)
{
    if (!p || d->nallocs == (int)(sizeof d->allocs / sizeof d->allocs[0])) {
        d->error = 1;
        free(p);
        return NULL;
    }
    d->allocs[d->nallocs++] = p;
    return p;
}

uint64_t ckpt_dec_word(struct ckpt_dec *d)
{
    if (d->i >= d->n) {
        d->error = 1;
        return 0;
    }
    return d->w[d->i++];
}

int *ckpt_dec_ints(struct ckpt_dec *d)
{
    uint64_t n = ckpt_dec_word(d);
    int *a = keep(d, calloc(n + 1, sizeof(int)));
    for (uint64_t i = 0; a && i < n; i++)
        a[i] = (int)ckpt_dec_word(d);
    return a;
}

ckpt_aint_t *ckpt_dec_aints(struct ckpt_dec *d)
{
    uint64_t n = ckpt_dec_word(d);
    ckpt_aint_t *a = keep(d, calloc(n + 1, sizeof(ckpt_aint_t)));
    for (uint64_t i = 0; a && i < n; i++)
        a[i] = (ckpt_aint_t)ckpt_dec_word(d);
    return a;
}

uint64_t *ckpt_dec_handles(struct ckpt_dec *d, unsigned kind, int32_t **virtuals)
{
    uint64_t n = ckpt_dec_word(d);
    uint64_t *a = keep(d, calloc(n + 1, sizeof(uint64_t)));
    int32_t *v = virtuals ? keep(d, calloc(n + 1, sizeof(int32_t))) : NULL;
    if (v) {
        v[0] = (int32_t)n; /* the count travels in front of the handles */
        *virtuals = v + 1;
    }
    for (uint64_t i = 0; a && i < n; i++) {
        int32_t h = (int32_t)ckpt_dec_word(d);
        a[i] = ckpt_to_real(kind, h);
        if (v)
            v[i + 1] = h;
    }
    return a;
}

void ckpt_dec_set_outputs(struct ckpt_dec *d, unsigned kind, const int32_t *virtuals, const uint64_t *reals)
{
    (void)d;
    if (!virtuals || !reals)
        return;
    for (int32_t i = 0; i < virtuals[-1]; i++)
        ckpt_shadow_set_real(kind, virtuals[i], reals[i]);
}

const int *ckpt_dec_weights(struct ckpt_dec *d)
{
    uint64_t flag = ckpt_dec_word(d);
    if (flag == 1)
        return CKPT_UNWEIGHTED_SENTINEL;
    if (flag == 2)
        return CKPT_WEIGHTS_EMPTY_SENTINEL;
    return ckpt_dec_ints(d);
}

const char *ckpt_dec_string(struct ckpt_dec *d)
{
    uint64_t n = ckpt_dec_word(d);
    char *s = keep(d, calloc(n + 8, 1));
    for (uint64_t i = 0; s && i < n; i += 8) {
        uint64_t v = ckpt_dec_word(d);
        memcpy(s + i, &v, 8);
    }
    if (s)
        s[n] = 0;
    return s;
}

/* Outputs replay does not need (flags, counts, contents) land here. */
void *ckpt_dec_scratch(struct ckpt_dec *d) { return keep(d, calloc(1, 1 << 20)); }

void ckpt_dec_free(struct ckpt_dec *d)
{
    for (int i = 0; i < d->nallocs; i++)
        free(d->allocs[i]);
    d->nallocs = 0;
}

int ckpt_cartdim(MPI_Comm comm)
{
    int nd = 0;
    CKPT_CROSS(ckpt_T->Cartdim_get(ckpt_to_real(CKPT_KIND_COMM, comm), &nd));
    return nd;
}

int ckpt_sum(const int *a, int n)
{
    int s = 0;
    for (int i = 0; a && i < n; i++)
        s += a[i];
    return s;
}
