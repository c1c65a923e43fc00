/* Desc: objects made through the deprecated and removed MPI-1/2 names, used across
 *       checkpoints. A keyval (Keyval_create, own copy/delete callbacks) with an attribute
 *       (Attr_put) on a duplicate of the world, an errhandler (Errhandler_create +
 *       Errhandler_set), hvector/hindexed/struct types (Type_hvector, Type_hindexed,
 *       Type_struct over MPI_Address displacements). Every round each rank sends to its
 *       right neighbour with each type, reads the attribute (Attr_get), the errhandler
 *       (Errhandler_get) and the extents (Type_extent/lb/ub); every fourth round a dup
 *       copies the attributes through the callbacks (and MPI_DUP_FN for a keyval made at
 *       round 9), Attr_delete runs the delete callback, the errhandler is called.
 * Survives: keyvals, attributes, errhandlers and datatypes made through the MPI-1 names
 *           (replay recreates them through their successors), MPI_DUP_FN callbacks
 * Ranks: 2 3 4
 * Runtime: 5 s
 */
#include "cplib.h"
#include "../programs/mpi1_removed.h"
#define ROUNDS 32

struct rec { int id; double val; char tag[5]; };

static int nhandled, lastcode;
#define KEYVAL_COPY_OF(v) ((v) * 2)
#include "../programs/counting_keyval.h"
static void handler(MPI_Comm *comm, int *code, ...) {
    (void)comm;
    nhandled++;
    lastcode = *code;
}

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t v[5] = {0, 0, 0, 0, 0};
    static long extra;

    MPI_Comm cw;
    MPICHK(MPI_Comm_dup(MPI_COMM_WORLD, &cw));
    int kv, kv_dup = MPI_KEYVAL_INVALID;
    MPICHK(MPI_Keyval_create(copy_fn, del_fn, &kv, &extra));
    MPICHK(MPI_Attr_put(cw, kv, (void *)(long)(rank + 3)));
    MPI_Errhandler eh;
    MPICHK(MPI_Errhandler_create(handler, &eh));
    MPICHK(MPI_Errhandler_set(cw, eh));

    MPI_Datatype hv, hi, st;
    MPICHK(MPI_Type_hvector(3, 2, (MPI_Aint)(5 * sizeof(int)), MPI_INT, &hv));
    int hbl[3] = {2, 1, 3};
    MPI_Aint hdis[3] = {0, (MPI_Aint)(4 * sizeof(int)), (MPI_Aint)(7 * sizeof(int))};
    MPICHK(MPI_Type_hindexed(3, hbl, hdis, MPI_INT, &hi));
    struct rec probe;
    MPI_Aint base, sdis[3];
    MPICHK(MPI_Address(&probe, &base));
    MPICHK(MPI_Address(&probe.id, &sdis[0]));
    MPICHK(MPI_Address(&probe.val, &sdis[1]));
    MPICHK(MPI_Address(probe.tag, &sdis[2]));
    for (int i = 0; i < 3; i++) sdis[i] -= base;
    int sbl[3] = {1, 1, 5};
    MPI_Datatype sty[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
    MPICHK(MPI_Type_struct(3, sbl, sdis, sty, &st));
    MPICHK(MPI_Type_commit(&hv));
    MPICHK(MPI_Type_commit(&hi));
    MPICHK(MPI_Type_commit(&st));

    for (int r = 0; r < ROUNDS; r++) {
        int hs[14], hr[14], is[10], ir[10];
        struct rec rs[2], rr[2];
        for (int i = 0; i < 14; i++) { hs[i] = rank * 1000 + r * 14 + i; hr[i] = -1; }
        for (int i = 0; i < 10; i++) { is[i] = rank * 500 + r * 10 + i; ir[i] = -1; }
        memset(rs, 0, sizeof rs);
        memset(rr, 0, sizeof rr);
        for (int k = 0; k < 2; k++) {
            rs[k].id = rank * 100 + r * 2 + k;
            rs[k].val = rank + r * 0.25 + k;
            snprintf(rs[k].tag, sizeof rs[k].tag, "%c%02d", 'a' + k, r);
        }
        MPI_Request rq[6];
        MPICHK(MPI_Irecv(hr, 1, hv, left, 1, cw, &rq[0]));
        MPICHK(MPI_Irecv(ir, 1, hi, left, 2, cw, &rq[1]));
        MPICHK(MPI_Irecv(rr, 2, st, left, 3, cw, &rq[2]));
        nap(30 + 20 * ((rank + r) % 4));
        MPICHK(MPI_Isend(hs, 1, hv, right, 1, cw, &rq[3]));
        MPICHK(MPI_Isend(is, 1, hi, right, 2, cw, &rq[4]));
        MPICHK(MPI_Isend(rs, 2, st, right, 3, cw, &rq[5]));
        MPICHK(MPI_Waitall(6, rq, MPI_STATUSES_IGNORE));
        int hsel[14] = {1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0};
        for (int i = 0; i < 14; i++) {
            CHECK(hr[i] == (hsel[i] ? left * 1000 + r * 14 + i : -1));
            v[0] = fold(v[0], (uint64_t)(int64_t)hr[i]);
        }
        int isel[10] = {1, 1, 0, 0, 1, 0, 0, 1, 1, 1};
        for (int i = 0; i < 10; i++) {
            CHECK(ir[i] == (isel[i] ? left * 500 + r * 10 + i : -1));
            v[1] = fold(v[1], (uint64_t)(int64_t)ir[i]);
        }
        for (int k = 0; k < 2; k++) {
            char t[5];
            snprintf(t, sizeof t, "%c%02d", 'a' + k, r);
            CHECK(rr[k].id == left * 100 + r * 2 + k && rr[k].val == left + r * 0.25 + k && strcmp(rr[k].tag, t) == 0);
            v[2] = fold(v[2], (uint64_t)rr[k].id);
        }

        /* The MPI-1 queries answer the same after every restart. */
        void *val;
        int flag;
        MPICHK(MPI_Attr_get(cw, kv, &val, &flag));
        CHECK(flag && (long)val == rank + 3);
        MPI_Errhandler got;
        MPICHK(MPI_Errhandler_get(cw, &got));
        CHECK(got == eh);
        MPICHK(MPI_Errhandler_free(&got));
        MPI_Aint ext, lb, ub;
        MPICHK(MPI_Type_extent(hv, &ext));
        MPICHK(MPI_Type_lb(hi, &lb));
        MPICHK(MPI_Type_ub(hi, &ub));
        CHECK(ext == (MPI_Aint)(12 * sizeof(int)) && lb == 0 && ub == (MPI_Aint)(10 * sizeof(int)));
        MPICHK(MPI_Type_extent(st, &ext));
        CHECK(ext == (MPI_Aint)sizeof(struct rec));

        if (r == 9) {
            MPICHK(MPI_Keyval_create(MPI_DUP_FN, MPI_NULL_DELETE_FN, &kv_dup, NULL));
            MPICHK(MPI_Attr_put(cw, kv_dup, (void *)(long)(100 + rank)));
        }
        if (r % 4 == 3) {
            MPI_Comm d;
            MPICHK(MPI_Comm_dup(cw, &d));
            MPICHK(MPI_Attr_get(d, kv, &val, &flag));
            CHECK(flag && (long)val == 2 * (rank + 3));
            if (kv_dup != MPI_KEYVAL_INVALID) {
                MPICHK(MPI_Attr_get(d, kv_dup, &val, &flag));
                CHECK(flag && (long)val == 100 + rank);
            }
            MPICHK(MPI_Comm_call_errhandler(d, MPI_ERR_OTHER));
            CHECK(lastcode == MPI_ERR_OTHER);
            MPICHK(MPI_Attr_delete(d, kv));
            CHECK(lastdel == 2 * (rank + 3));
            MPICHK(MPI_Comm_free(&d));
            v[3] = fold(v[3], (uint64_t)(ncopy * 1000 + ndel * 10 + nhandled));
        }
        v[4] = fold(v[4], (uint64_t)(extra * 7 + r));
    }
    MPICHK(MPI_Comm_free(&cw));
    CHECK(lastdel == rank + 3);
    MPICHK(MPI_Keyval_free(&kv));
    MPICHK(MPI_Keyval_free(&kv_dup));
    MPICHK(MPI_Errhandler_free(&eh));
    MPI_Type_free(&hv);
    MPI_Type_free(&hi);
    MPI_Type_free(&st);
    return cp_finish("cp_deprecated", v, 5);
}
