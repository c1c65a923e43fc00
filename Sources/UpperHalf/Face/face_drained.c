/* Drained messages (DESIGN §4.2): what the drain received into upper-half
 * memory, delivered first to the matching receive or probe, in arrival order. */
#include "face_requests.h"

struct face_drained *volatile face_drained_head;
static struct face_drained *drained_tail;

static int matches(const struct face_drained *m, int32_t comm, int source, int tag)
{
    return m->comm == comm && (source == CKPT_MPI_ANY_SOURCE || source == m->source)
           && (tag == CKPT_MPI_ANY_TAG || tag == m->tag);
}

struct face_drained *face_drained_find(int32_t comm, int source, int tag)
{
    for (struct face_drained *m = face_drained_head; m; m = m->next)
        if (matches(m, comm, source, tag))
            return m;
    return NULL;
}

void face_drained_unlink(struct face_drained *m)
{
    struct face_drained *prev = NULL;
    for (struct face_drained *p = face_drained_head; p; prev = p, p = p->next) {
        if (p != m)
            continue;
        if (prev)
            prev->next = p->next;
        else
            face_drained_head = p->next;
        if (drained_tail == p)
            drained_tail = prev;
        p->next = NULL;
        return;
    }
}

void face_drained_status(const struct face_drained *m, MPI_Status *status)
{
    if ((uintptr_t)status <= 1)
        return;
    struct ckpt_status *s = (struct ckpt_status *)status;
    s->count_lo = (int)(uint32_t)m->bytes;
    s->count_hi_and_cancelled = (int)((uint32_t)(m->bytes >> 32) << 1);
    s->source = m->source;
    s->tag = m->tag;
    s->error = 0;
}

int face_drained_deliver(struct face_drained *m, void *buf, int count, MPI_Datatype datatype, MPI_Status *status)
{
    face_drained_unlink(m);
    uint64_t dt = ckpt_to_real(CKPT_KIND_DATATYPE, datatype);
    int size = 0, rc, position = 0;
    CKPT_CROSS(rc = ckpt_T->Type_size(dt, &size));
    int64_t fits = (int64_t)count * size;
    int64_t take = m->bytes < fits ? m->bytes : fits;
    int elements = size > 0 ? (int)(take / size) : 0;
    if (!rc && elements > 0)
        CKPT_CROSS(rc = ckpt_T->Unpack(m->data, (int)m->bytes, &position, buf, elements, dt,
                                       ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_WORLD)));
    face_drained_status(m, status);
    if (!rc && m->bytes > fits)
        rc = CKPT_MPI_ERR_TRUNCATE;
    face_parked_free(m->data);
    face_parked_free(m);
    return rc;
}

void face_drained_append(struct face_drained *m)
{
    m->next = NULL;
    if (drained_tail)
        drained_tail->next = m;
    else
        face_drained_head = m;
    drained_tail = m;
}
