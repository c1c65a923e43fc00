/* test: predefined attributes: MPI_TAG_UB >= 32767, MPI_WTIME_IS_GLOBAL valid, MPI_APPNUM/UNIVERSE_SIZE/HOST/IO queryable; max tag usable */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int *v, flag;
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &v, &flag));
    CHECK(flag == 1);
    int tag_ub = *v;
    CHECK(tag_ub >= 32767);
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &v, &flag));
    if (flag) CHECK(*v == 0 || *v == 1);
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_APPNUM, &v, &flag));
    if (flag) CHECK(*v >= 0);
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &v, &flag));
    if (flag) CHECK(*v >= 1);
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_HOST, &v, &flag));
    if (flag) CHECK(*v == MPI_PROC_NULL || (*v >= 0 && *v < mt_size));
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_IO, &v, &flag));
    if (flag) CHECK(*v == MPI_ANY_SOURCE || *v == MPI_PROC_NULL || (*v >= 0 && *v < mt_size));
    /* each attribute's value stays where its pointer points, whatever is asked next */
    int *tag_ub_p, *last_p;
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub_p, &flag));
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_LASTUSEDCODE, &last_p, &flag));
    CHECK(flag == 1 && *last_p >= MPI_ERR_LASTCODE);
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &v, &flag));
    CHECK(*tag_ub_p == tag_ub);
    /* (predefined attributes live on MPI_COMM_WORLD only; Open MPI does not
     *  propagate them to dups, so they are not checked there) */
    MPI_Comm d; MPI_Comm_dup(MPI_COMM_WORLD, &d);
    /* the largest tag must actually work */
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size, x = mt_rank, y = -1;
    MPI_Status st;
    MPI_Sendrecv(&x, 1, MPI_INT, right, tag_ub, &y, 1, MPI_INT, left, tag_ub, d, &st);
    CHECK(y == left && st.MPI_TAG == tag_ub);
    MPI_Comm_free(&d);
    if (mt_rank == 0) printf("tag_ub>=32767 1 max-tag-roundtrip 1\n");
    mt_printf("got %d\n", y);
    return mt_finish("attr_predef");
}
