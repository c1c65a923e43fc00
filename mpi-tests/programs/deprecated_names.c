/* test: the deprecated and removed MPI-1/2 names (Attr_*, Keyval_*, Type_extent/lb/ub, Type_hvector/hindexed/struct, Errhandler_*, Address) behave as their successors, also on objects used after a replay */
/* ranks: 2 4 */
#include "mt.h"
#include "mpi1_removed.h"

#define KEYVAL_COPY_OF(v) ((v) + 100)
#include "counting_keyval.h"

static int nhandled = 0, lastcode = 0;
static void handler(MPI_Comm *comm, int *code, ...) {
    (void)comm;
    nhandled++;
    lastcode = *code;
}

struct rec { int a; double b; char c[3]; };

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    static long extra = 0;
    int kv, kv_null, kv_dup, flag;
    void *val;

    /* Keyvals and attributes through the MPI-1 names, with MPI-1 predefined callbacks. */
    CHECK_MPI(MPI_Keyval_create(copy_fn, del_fn, &kv, &extra));
    CHECK_MPI(MPI_Keyval_create(MPI_NULL_COPY_FN, MPI_NULL_DELETE_FN, &kv_null, NULL));
    CHECK_MPI(MPI_Keyval_create(MPI_DUP_FN, MPI_NULL_DELETE_FN, &kv_dup, NULL));
    MPI_Comm c1;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &c1));
    CHECK_MPI(MPI_Attr_put(c1, kv, (void *)7L));
    CHECK_MPI(MPI_Attr_put(c1, kv_null, (void *)5L));
    CHECK_MPI(MPI_Attr_put(c1, kv_dup, (void *)9L));
    CHECK_MPI(MPI_Attr_get(c1, kv, &val, &flag));
    CHECK(flag == 1 && (long)val == 7);
    /* The successor names see what the MPI-1 names stored. */
    CHECK_MPI(MPI_Comm_get_attr(c1, kv_dup, &val, &flag));
    CHECK(flag == 1 && (long)val == 9);
    int *tag_ub;
    CHECK_MPI(MPI_Attr_get(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag));
    CHECK(flag == 1 && *tag_ub >= 32767);

    /* Datatypes through the MPI-1 constructors. */
    MPI_Datatype hvec, hidx, st, resized;
    CHECK_MPI(MPI_Type_hvector(3, 2, (MPI_Aint)(4 * sizeof(int)), MPI_INT, &hvec));
    int bl[2] = {1, 2};
    MPI_Aint disp[2] = {0, (MPI_Aint)(3 * sizeof(int))};
    CHECK_MPI(MPI_Type_hindexed(2, bl, disp, MPI_INT, &hidx));
    struct rec r0;
    MPI_Aint base, addr[3];
    CHECK_MPI(MPI_Address(&r0, &base));
    CHECK_MPI(MPI_Address(&r0.a, &addr[0]));
    CHECK_MPI(MPI_Address(&r0.b, &addr[1]));
    CHECK_MPI(MPI_Address(r0.c, &addr[2]));
    MPI_Aint ga;
    CHECK_MPI(MPI_Get_address(&r0.b, &ga));
    CHECK(ga == addr[1]);
    for (int i = 0; i < 3; i++) addr[i] -= base;
    int sbl[3] = {1, 1, 3};
    MPI_Datatype types[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
    CHECK_MPI(MPI_Type_struct(3, sbl, addr, types, &st));
    CHECK_MPI(MPI_Type_create_resized(MPI_INT, -4, 16, &resized));
    MPI_Type_commit(&hvec);
    MPI_Type_commit(&hidx);
    MPI_Type_commit(&st);
    MPI_Type_commit(&resized);

    /* Errhandlers through the MPI-1 names. */
    MPI_Errhandler eh, got;
    CHECK_MPI(MPI_Errhandler_create(handler, &eh));
    CHECK_MPI(MPI_Errhandler_set(c1, eh));
    CHECK_MPI(MPI_Errhandler_get(c1, &got));
    CHECK(got == eh);
    MPI_Errhandler_free(&got);

    /* A replay (CKPT_MPI_TEST_REPLAY_AT_BARRIER) rebuilds everything above here. */
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_Aint ext, lb, ub;
    CHECK_MPI(MPI_Type_extent(hvec, &ext));
    CHECK_MPI(MPI_Type_lb(hvec, &lb));
    CHECK_MPI(MPI_Type_ub(hvec, &ub));
    CHECK(lb == 0 && ext == (MPI_Aint)(10 * sizeof(int)) && ub == ext);
    CHECK_MPI(MPI_Type_extent(resized, &ext));
    CHECK_MPI(MPI_Type_lb(resized, &lb));
    CHECK_MPI(MPI_Type_ub(resized, &ub));
    CHECK(ext == 16 && lb == -4 && ub == 12);
    CHECK_MPI(MPI_Type_extent(st, &ext));
    CHECK(ext == (MPI_Aint)sizeof(struct rec));
    int sz;
    MPI_Type_size(hidx, &sz);
    CHECK(sz == 3 * (int)sizeof(int));

    /* Move data through the MPI-1 types between rank pairs. */
    int peer = mt_rank ^ 1;
    int vbuf[10], vrecv[10], ibuf[5], irecv[5];
    struct rec rs = {mt_rank + 1, 2.5 * mt_rank, {'x', 'y', (char)('0' + mt_rank)}}, rr;
    for (int i = 0; i < 10; i++) { vbuf[i] = 100 * mt_rank + i; vrecv[i] = -1; }
    for (int i = 0; i < 5; i++) { ibuf[i] = 10 * mt_rank + i; irecv[i] = -1; }
    memset(&rr, 0, sizeof rr);
    CHECK_MPI(MPI_Sendrecv(vbuf, 1, hvec, peer, 1, vrecv, 1, hvec, peer, 1, c1, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Sendrecv(ibuf, 1, hidx, peer, 2, irecv, 1, hidx, peer, 2, c1, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Sendrecv(&rs, 1, st, peer, 3, &rr, 1, st, peer, 3, c1, MPI_STATUS_IGNORE));
    long vsum = 0;
    for (int i = 0; i < 10; i++) vsum += vrecv[i];
    mt_printf("hvector %ld hindexed %d %d %d %d %d struct %d %.1f %c%c%c", vsum, irecv[0], irecv[1], irecv[2],
              irecv[3], irecv[4], rr.a, rr.b, rr.c[0], rr.c[1], rr.c[2]);

    /* Attributes on a dup: copy_fn runs, MPI_NULL_COPY_FN drops, MPI_DUP_FN copies verbatim. */
    MPI_Comm c2;
    CHECK_MPI(MPI_Comm_dup(c1, &c2));
    CHECK(ncopy == 1 && extra == 1);
    CHECK_MPI(MPI_Attr_get(c2, kv, &val, &flag));
    CHECK(flag == 1 && (long)val == 107);
    CHECK_MPI(MPI_Attr_get(c2, kv_null, &val, &flag));
    CHECK(flag == 0);
    CHECK_MPI(MPI_Attr_get(c2, kv_dup, &val, &flag));
    CHECK(flag == 1 && (long)val == 9);
    CHECK_MPI(MPI_Attr_delete(c2, kv));
    CHECK(ndel == 1 && lastdel == 107);
    CHECK_MPI(MPI_Attr_get(c2, kv, &val, &flag));
    CHECK(flag == 0);

    /* The errhandler set by MPI_Errhandler_set is inherited by the dup and called. */
    CHECK_MPI(MPI_Comm_call_errhandler(c2, MPI_ERR_OTHER));
    CHECK(nhandled == 1 && lastcode == MPI_ERR_OTHER);
    CHECK_MPI(MPI_Errhandler_set(c2, MPI_ERRORS_RETURN));
    CHECK_MPI(MPI_Errhandler_get(c2, &got));
    CHECK(got == MPI_ERRORS_RETURN);
    MPI_Errhandler_free(&got);

    MPI_Comm_free(&c2);
    MPI_Comm_free(&c1);
    CHECK(ndel == 2 && lastdel == 7);
    CHECK_MPI(MPI_Keyval_free(&kv));
    CHECK(kv == MPI_KEYVAL_INVALID);
    CHECK_MPI(MPI_Keyval_free(&kv_null));
    CHECK_MPI(MPI_Keyval_free(&kv_dup));
    MPI_Errhandler_free(&eh);
    MPI_Type_free(&hvec);
    MPI_Type_free(&hidx);
    MPI_Type_free(&st);
    MPI_Type_free(&resized);
    mt_printf("copies %d deletes %d handled %d", ncopy, ndel, nhandled);
    return mt_finish("deprecated_names");
}
