/* test: answers the standard fixes whatever the MPI: Dims_create's balanced split, Cart_map/Graph_map
 * MPI_UNDEFINED outside the topology, COMM_TYPE_HW_GUIDED without info, LASTUSEDCODE, UNIVERSE_SIZE,
 * Comm_free_keyval after its attribute was deleted, copy callbacks' errors returned by Comm_dup/Type_dup */
/* ranks: 2 4 */
#include "mt.h"

static int copy_fails(MPI_Comm c, int k, void *x, void *in, void *out, int *flag)
{
    (void)c; (void)k; (void)x; (void)in; (void)out; *flag = 0;
    return MPI_ERR_OTHER;
}
static int tcopy_fails(MPI_Datatype t, int k, void *x, void *in, void *out, int *flag)
{
    (void)t; (void)k; (void)x; (void)in; (void)out; *flag = 0;
    return MPI_ERR_OTHER;
}

/* A delete callback that frees its keyval (through its own copy of the handle). */
static int delete_frees(MPI_Comm c, int k, void *v, void *x)
{
    (void)c; (void)v; (void)x;
    return MPI_Comm_free_keyval(&k);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* Dims_create: the standard asks for dimensions as close to each other as possible, non-increasing */
    static const int cases[][2] = {{72, 2}, {6, 3}, {24, 3}, {1, 1}, {16, 4}, {30, 3}, {7, 2}, {64, 3}, {1, 3}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int d[4] = {0, 0, 0, 0};
        CHECK_MPI(MPI_Dims_create(cases[i][0], cases[i][1], d));
        if (r == 0) printf("dims %d %d -> %d %d %d %d\n", cases[i][0], cases[i][1], d[0], d[1], d[2], d[3]);
    }
    int fixed[3] = {0, 3, 0};
    CHECK_MPI(MPI_Dims_create(24, 3, fixed));
    int fixed2[2] = {4, 0};
    CHECK_MPI(MPI_Dims_create(12, 2, fixed2));
    if (r == 0) printf("dims fixed -> %d %d %d / %d %d\n", fixed[0], fixed[1], fixed[2], fixed2[0], fixed2[1]);
    /* Cart_map / Graph_map onto one rank: the others are outside */
    int one = 1, per = 0, cm = -5, gm = -5, idx = 0, edges = 0;
    CHECK_MPI(MPI_Cart_map(MPI_COMM_WORLD, 1, &one, &per, &cm));
    CHECK_MPI(MPI_Graph_map(MPI_COMM_WORLD, 1, &idx, &edges, &gm));
    CHECK(r == 0 ? cm == 0 && gm == 0 : cm == MPI_UNDEFINED && gm == MPI_UNDEFINED);
    /* MPI_COMM_TYPE_HW_GUIDED needs the mpi_hw_resource_type hint: without it, MPI_COMM_NULL */
#ifdef MPI_COMM_TYPE_HW_GUIDED /* MPI-4: not in Open MPI 4.1's mpi.h (the Open MPI face) */
    MPI_Comm hw = MPI_COMM_WORLD;
    CHECK_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_HW_GUIDED, 0, MPI_INFO_NULL, &hw));
    CHECK(hw == MPI_COMM_NULL);
#endif
    /* predefined attributes */
    int *v = NULL, flag = 0;
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_LASTUSEDCODE, &v, &flag));
    CHECK(flag && *v >= MPI_ERR_LASTCODE);
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &v, &flag));
    CHECK(!flag || *v >= n);
    /* free a keyval after its only attribute was deleted */
    int key = MPI_KEYVAL_INVALID;
    CHECK_MPI(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &key, NULL));
    CHECK_MPI(MPI_Comm_set_attr(MPI_COMM_WORLD, key, &one));
    CHECK_MPI(MPI_Comm_delete_attr(MPI_COMM_WORLD, key));
    CHECK_MPI(MPI_Comm_free_keyval(&key));
    CHECK(key == MPI_KEYVAL_INVALID);
    /* ... and after a delete callback freed it (a copy of the handle is freed again) */
    MPI_Comm dd;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_SELF, &dd));
    CHECK_MPI(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, delete_frees, &key, NULL));
    int key_copy = key;
    CHECK_MPI(MPI_Comm_set_attr(MPI_COMM_SELF, key, NULL));
    CHECK_MPI(MPI_Comm_set_attr(dd, key, NULL));
    CHECK_MPI(MPI_Comm_free(&dd));
    CHECK_MPI(MPI_Comm_free_keyval(&key));
    CHECK_MPI(MPI_Comm_free_keyval(&key_copy));
    /* a copy callback's error is the dup's error, and no dup is made */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK_MPI(MPI_Comm_create_keyval(copy_fails, MPI_COMM_NULL_DELETE_FN, &key, NULL));
    CHECK_MPI(MPI_Comm_set_attr(MPI_COMM_WORLD, key, &one));
    MPI_Comm d = MPI_COMM_WORLD;
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &d), cls = -1;
    MPI_Error_class(rc, &cls);
    CHECK(rc != MPI_SUCCESS && cls == MPI_ERR_OTHER && d == MPI_COMM_NULL);
    CHECK_MPI(MPI_Comm_delete_attr(MPI_COMM_WORLD, key));
    CHECK_MPI(MPI_Comm_free_keyval(&key));
    MPI_Datatype t, t2 = MPI_INT;
    MPI_Type_contiguous(2, MPI_INT, &t);
    CHECK_MPI(MPI_Type_create_keyval(tcopy_fails, MPI_TYPE_NULL_DELETE_FN, &key, NULL));
    CHECK_MPI(MPI_Type_set_attr(t, key, &one));
    rc = MPI_Type_dup(t, &t2);
    MPI_Error_class(rc, &cls);
    CHECK(rc != MPI_SUCCESS && cls == MPI_ERR_OTHER && t2 == MPI_DATATYPE_NULL);
    CHECK_MPI(MPI_Type_free_keyval(&key));
    MPI_Type_free(&t);
    /* constants printed by name: the Open MPI face's values differ */
    mt_printf("cart-map %d graph-map %d dup-error-class-other %d\n", cm == MPI_UNDEFINED ? -1 : cm,
              gm == MPI_UNDEFINED ? -1 : gm, cls == MPI_ERR_OTHER);
    return mt_finish("std_answers");
}
