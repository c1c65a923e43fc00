/* MPI_Info objects made before MPI_Init (MPI-4 allows them; Open MPI 4.1's
 * lower half aborts): kept in the upper half, their keys in a list, and
 * recorded as the face records them after MPI_Init. At MPI_Init the record of
 * these calls is replayed into the lower half, which gives every such handle
 * its lower-half object (the same replay a restart does), and the lists go. */
#include <string.h>

#include "face_info_early.h"
#include "face_replay.h"

struct early_key {
    struct early_key *next;
    char *key, *value;
};
struct early_info {
    struct early_key *keys; /* in insertion order, as MPICH and Open MPI keep them */
};

static int any_early;

static struct early_info *early_of(MPI_Info info)
{
    if (info == CKPT_MPI_INFO_NULL)
        return NULL;
    return (struct early_info *)(uintptr_t)ckpt_to_real(CKPT_KIND_INFO, info);
}

static struct early_key **find(struct early_info *e, const char *key)
{
    struct early_key **k = &e->keys;
    while (*k && strcmp((*k)->key, key) != 0)
        k = &(*k)->next;
    return k;
}

static int bad_key(const char *key)
{
    return !key || !*key || strlen(key) > CKPT_MPI_MAX_INFO_KEY;
}

static int fail(int rc, const char *fn) { return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, fn); }

static int32_t early_new(void)
{
    struct early_info *e = calloc(1, sizeof *e);
    if (!e)
        return 0;
    any_early = 1;
    return ckpt_virtual_new(CKPT_KIND_INFO, (uint64_t)(uintptr_t)e);
}

int face_info_early_create(MPI_Info *info)
{
    int32_t v = early_new();
    if (!v)
        return fail(CKPT_MPI_ERR_NO_MEM, "MPI_Info_create");
    *info = v;
    struct ckpt_rec r;
    ckpt_rec_begin(&r, CKPT_FN_Info_create);
    ckpt_rec_word(&r, (uint64_t)(int64_t)v);
    ckpt_rec_end(&r);
    return 0;
}

static int set(struct early_info *e, const char *key, const char *value)
{
    struct early_key **k = find(e, key);
    char *v = strdup(value);
    if (!v)
        return CKPT_MPI_ERR_NO_MEM;
    if (*k) {
        free((*k)->value);
        (*k)->value = v;
        return 0;
    }
    struct early_key *n = calloc(1, sizeof *n);
    if (!n || !(n->key = strdup(key))) {
        free(n);
        free(v);
        return CKPT_MPI_ERR_NO_MEM;
    }
    n->value = v;
    *k = n;
    return 0;
}

int face_info_early_set(MPI_Info info, const char *key, const char *value)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_set");
    if (bad_key(key))
        return fail(CKPT_MPI_ERR_INFO_KEY, "MPI_Info_set");
    if (!value || strlen(value) > CKPT_MPI_MAX_INFO_VAL)
        return fail(CKPT_MPI_ERR_INFO_VALUE, "MPI_Info_set");
    int rc = set(e, key, value);
    if (rc)
        return fail(rc, "MPI_Info_set");
    struct ckpt_rec r;
    ckpt_rec_begin(&r, CKPT_FN_Info_set);
    ckpt_rec_word(&r, (uint64_t)(int64_t)info);
    ckpt_rec_string(&r, key);
    ckpt_rec_string(&r, value);
    ckpt_rec_end(&r);
    return 0;
}

int face_info_early_delete(MPI_Info info, const char *key)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_delete");
    if (bad_key(key))
        return fail(CKPT_MPI_ERR_INFO_KEY, "MPI_Info_delete");
    struct early_key **k = find(e, key), *gone = *k;
    if (!gone)
        return fail(CKPT_MPI_ERR_INFO_NOKEY, "MPI_Info_delete");
    *k = gone->next;
    free(gone->key);
    free(gone->value);
    free(gone);
    struct ckpt_rec r;
    ckpt_rec_begin(&r, CKPT_FN_Info_delete);
    ckpt_rec_word(&r, (uint64_t)(int64_t)info);
    ckpt_rec_string(&r, key);
    ckpt_rec_end(&r);
    return 0;
}

int face_info_early_get(MPI_Info info, const char *key, int valuelen, char *value, int *flag)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_get");
    if (bad_key(key))
        return fail(CKPT_MPI_ERR_INFO_KEY, "MPI_Info_get");
    if (valuelen < 0)
        return fail(CKPT_MPI_ERR_ARG, "MPI_Info_get");
    struct early_key *k = *find(e, key);
    *flag = k != NULL;
    if (k) {
        /* at most valuelen characters and the terminator, as the standard says */
        size_t n = strlen(k->value);
        if (n > (size_t)valuelen)
            n = (size_t)valuelen;
        memcpy(value, k->value, n);
        value[n] = 0;
    }
    return 0;
}

int face_info_early_get_valuelen(MPI_Info info, const char *key, int *valuelen, int *flag)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_get_valuelen");
    if (bad_key(key))
        return fail(CKPT_MPI_ERR_INFO_KEY, "MPI_Info_get_valuelen");
    struct early_key *k = *find(e, key);
    *flag = k != NULL;
    if (k)
        *valuelen = (int)strlen(k->value);
    return 0;
}

int face_info_early_get_nkeys(MPI_Info info, int *nkeys)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_get_nkeys");
    int n = 0;
    for (struct early_key *k = e->keys; k; k = k->next)
        n++;
    *nkeys = n;
    return 0;
}

int face_info_early_get_nthkey(MPI_Info info, int n, char *key)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_get_nthkey");
    struct early_key *k = e->keys;
    for (int i = 0; k && i < n; i++)
        k = k->next;
    if (n < 0 || !k)
        return fail(CKPT_MPI_ERR_ARG, "MPI_Info_get_nthkey");
    strcpy(key, k->key);
    return 0;
}

int face_info_early_dup(MPI_Info info, MPI_Info *newinfo)
{
    struct early_info *e = early_of(info);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_dup");
    int32_t v = early_new();
    if (!v)
        return fail(CKPT_MPI_ERR_NO_MEM, "MPI_Info_dup");
    struct early_info *d = early_of(v);
    for (struct early_key *k = e->keys; k; k = k->next)
        if (set(d, k->key, k->value))
            return fail(CKPT_MPI_ERR_NO_MEM, "MPI_Info_dup");
    *newinfo = v;
    struct ckpt_rec r;
    ckpt_rec_begin(&r, CKPT_FN_Info_dup);
    ckpt_rec_word(&r, (uint64_t)(int64_t)info);
    ckpt_rec_word(&r, (uint64_t)(int64_t)v);
    ckpt_rec_end(&r);
    return 0;
}

static void early_free(struct early_info *e)
{
    for (struct early_key *k = e->keys, *n; k; k = n) {
        n = k->next;
        free(k->key);
        free(k->value);
        free(k);
    }
    free(e);
}

/* The virtual handle stays (real 0) until MPI_Init's replay has seen its free. */
int face_info_early_free(MPI_Info *info)
{
    int32_t v = *info;
    struct early_info *e = early_of(v);
    if (!e)
        return fail(CKPT_MPI_ERR_INFO, "MPI_Info_free");
    early_free(e);
    ckpt_shadow_set_real(CKPT_KIND_INFO, v, 0);
    *info = CKPT_MPI_INFO_NULL;
    struct ckpt_rec r;
    ckpt_rec_begin(&r, CKPT_FN_Info_free);
    ckpt_rec_word(&r, (uint64_t)(int64_t)v);
    ckpt_rec_end(&r);
    return 0;
}

/* Only the info calls: nothing else is made before MPI_Init. */
static int early_fn(uint32_t fn)
{
    return fn == CKPT_FN_Info_create || fn == CKPT_FN_Info_set || fn == CKPT_FN_Info_delete
        || fn == CKPT_FN_Info_dup || fn == CKPT_FN_Info_free;
}

int face_info_early_init(void)
{
    if (!any_early)
        return 0;
    any_early = 0;
    uint64_t count = ckpt_shadow_record_count();
    uint32_t cap = 1024;
    uint64_t *buf = malloc(sizeof(uint64_t) * cap);
    int rc = buf ? 0 : CKPT_MPI_ERR_NO_MEM;
    for (uint64_t i = 0; !rc && i < count; i++) {
        uint32_t fn = 0;
        uint32_t n = ckpt_shadow_record_copy(i, &fn, buf, cap);
        if (n > cap) {
            free(buf);
            cap = n;
            buf = malloc(sizeof(uint64_t) * cap);
            if (!buf) {
                rc = CKPT_MPI_ERR_NO_MEM;
                break;
            }
            n = ckpt_shadow_record_copy(i, &fn, buf, cap);
        }
        if (!early_fn(fn))
            continue;
        /* a live early object: its list goes once the replay made it in the lower half */
        struct early_info *old = fn == CKPT_FN_Info_create || fn == CKPT_FN_Info_dup
            ? early_of((int32_t)buf[fn == CKPT_FN_Info_create ? 0 : 1]) : NULL;
        rc = ckpt_replay_call(fn, buf, n);
        if (old)
            early_free(old);
    }
    free(buf);
    return rc;
}
