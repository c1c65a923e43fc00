/* test: Comm_create_keyval copy/delete callbacks fire exactly when required on dup/free/delete/set; set/get/delete_attr values */
/* ranks: 1 2 4 */
#include "mt.h"

#define KEYVAL_COPY_OF(v) ((v) + 1000) /* copy = value + 1000 */
#include "counting_keyval.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    static long extra = 0;
    int kv, kv_nocopy, flag;
    void *val;
    CHECK_MPI(MPI_Comm_create_keyval(copy_fn, del_fn, &kv, &extra));
    CHECK_MPI(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &kv_nocopy, NULL));
    MPI_Comm c1, c2, c3;
    MPI_Comm_dup(MPI_COMM_WORLD, &c1);
    MPI_Comm_get_attr(c1, kv, &val, &flag);
    CHECK(flag == 0);
    CHECK_MPI(MPI_Comm_set_attr(c1, kv, (void *)7L));
    MPI_Comm_set_attr(c1, kv_nocopy, (void *)5L);
    MPI_Comm_get_attr(c1, kv, &val, &flag);
    CHECK(flag == 1 && (long)val == 7);
    /* overwrite calls delete on the old value */
    MPI_Comm_set_attr(c1, kv, (void *)8L);
    CHECK(ndel == 1 && lastdel == 7);
    /* dup copies kv (via copy_fn) but not kv_nocopy */
    MPI_Comm_dup(c1, &c2);
    CHECK(ncopy == 1 && extra == 1);
    MPI_Comm_get_attr(c2, kv, &val, &flag);
    CHECK(flag == 1 && (long)val == 1008);
    MPI_Comm_get_attr(c2, kv_nocopy, &val, &flag);
    CHECK(flag == 0);
    MPI_Comm_dup(c2, &c3);
    MPI_Comm_get_attr(c3, kv, &val, &flag);
    CHECK(ncopy == 2 && flag && (long)val == 2008);
    /* explicit delete */
    CHECK_MPI(MPI_Comm_delete_attr(c3, kv));
    CHECK(ndel == 2 && lastdel == 2008);
    MPI_Comm_get_attr(c3, kv, &val, &flag);
    CHECK(flag == 0);
    /* free calls delete for remaining attributes */
    MPI_Comm_free(&c2);
    CHECK(ndel == 3 && lastdel == 1008);
    MPI_Comm_free(&c3);
    CHECK(ndel == 3);
    /* freeing the keyval keeps existing attributes alive until comm free */
    CHECK_MPI(MPI_Comm_free_keyval(&kv));
    CHECK(kv == MPI_KEYVAL_INVALID);
    MPI_Comm_free(&c1);
    CHECK(ndel == 4 && lastdel == 8);
    MPI_Comm_free_keyval(&kv_nocopy);
    /* attribute on COMM_WORLD deleted at finalize: use a keyval whose delete fn counts */
    int kw;
    MPI_Comm_create_keyval(MPI_COMM_DUP_FN, del_fn, &kw, NULL);
    MPI_Comm_set_attr(MPI_COMM_SELF, kw, (void *)42L);
    /* type and win-less keyvals: type attributes */
    int tk; MPI_Datatype t, td;
    MPI_Type_create_keyval(MPI_TYPE_DUP_FN, MPI_TYPE_NULL_DELETE_FN, &tk, NULL);
    MPI_Type_contiguous(2, MPI_INT, &t);
    MPI_Type_set_attr(t, tk, (void *)99L);
    MPI_Type_dup(t, &td);
    MPI_Type_get_attr(td, tk, &val, &flag);
    CHECK(flag && (long)val == 99);
    MPI_Type_free(&t); MPI_Type_free(&td); MPI_Type_free_keyval(&tk);
    mt_printf("copies %d deletes %d extra %ld\n", ncopy, ndel, extra);
    int before = ndel;
    MPI_Barrier(MPI_COMM_WORLD);
    if (mt_rank == 0) printf("attr_keyval OK np=%d\n", mt_size);
    MPI_Finalize();
    /* MPI_COMM_SELF attributes are deleted first thing in MPI_Finalize */
    if (ndel != before + 1 || lastdel != 42) { fprintf(stderr, "self attr not deleted at finalize\n"); return 1; }
    if (mt_rank == 0) printf("finalize deleted self attr 1\n");
    return 0;
}
