/* test: Comm_size/rank/dup/dup_with_info/compare/set_name/get_name/free behave and dups are isolated */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n, r, res;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    CHECK(n == mt_size && r == mt_rank);
    MPI_Comm d, di;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "mpi_assert_no_any_tag", "false");
    CHECK_MPI(MPI_Comm_dup_with_info(MPI_COMM_WORLD, info, &di));
    MPI_Info_free(&info);
    int dn, dr;
    MPI_Comm_size(d, &dn); MPI_Comm_rank(d, &dr);
    CHECK(dn == n && dr == r);
    MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_WORLD, &res); CHECK(res == MPI_IDENT);
    MPI_Comm_compare(MPI_COMM_WORLD, d, &res);              CHECK(res == MPI_CONGRUENT);
    MPI_Comm_compare(d, di, &res);                          CHECK(res == MPI_CONGRUENT);
    MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_SELF, &res);
    CHECK(res == (n == 1 ? MPI_CONGRUENT : MPI_UNEQUAL));
    /* names: predefined defaults, then set on the dup */
    char name[MPI_MAX_OBJECT_NAME]; int len;
    MPI_Comm_get_name(MPI_COMM_WORLD, name, &len);
    CHECK(strcmp(name, "MPI_COMM_WORLD") == 0 && len == 14);
    MPI_Comm_get_name(MPI_COMM_SELF, name, &len);
    CHECK(strcmp(name, "MPI_COMM_SELF") == 0);
    MPI_Comm_get_name(d, name, &len);
    CHECK(len == 0 && name[0] == 0);
    CHECK_MPI(MPI_Comm_set_name(d, "my dup comm"));
    MPI_Comm_get_name(d, name, &len);
    CHECK(strcmp(name, "my dup comm") == 0 && len == 11);
    MPI_Comm_set_name(MPI_COMM_WORLD, "renamed world");
    MPI_Comm_get_name(MPI_COMM_WORLD, name, &len);
    CHECK(strcmp(name, "renamed world") == 0);
    /* isolation: same tag on world and on dup must not cross-match */
    int right = (r + 1) % n, left = (r + n - 1) % n, a = 1000 + r, b = 2000 + r, ga = -1, gb = -1;
    MPI_Request q[4];
    MPI_Irecv(&gb, 1, MPI_INT, left, 5, d, &q[0]);
    MPI_Irecv(&ga, 1, MPI_INT, left, 5, MPI_COMM_WORLD, &q[1]);
    MPI_Isend(&a, 1, MPI_INT, right, 5, MPI_COMM_WORLD, &q[2]);
    MPI_Isend(&b, 1, MPI_INT, right, 5, d, &q[3]);
    MPI_Waitall(4, q, MPI_STATUSES_IGNORE);
    CHECK(ga == 1000 + left && gb == 2000 + left);
    int s = 0;
    MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, di);
    CHECK(s == n * (n - 1) / 2);
    CHECK_MPI(MPI_Comm_free(&d));
    CHECK_MPI(MPI_Comm_free(&di));
    CHECK(d == MPI_COMM_NULL && di == MPI_COMM_NULL);
    /* many dup/free cycles must not leak context ids */
    for (int i = 0; i < 200; i++) { MPI_Comm t; MPI_Comm_dup(MPI_COMM_WORLD, &t); MPI_Comm_free(&t); }
    mt_printf("ga %d gb %d allreduce %d\n", ga, gb, s);
    return mt_finish("comm_basic");
}
