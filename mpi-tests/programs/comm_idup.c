/* test: Comm_idup (several pending at once, mixed with non-blocking collectives on the parent),
 * Comm_idup_with_info (MPI-4, emulated on Open MPI 4.1), the dups' isolation and attributes */
/* ranks: 2 4 */
#include "mt.h"

#define NDUP 6

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    MPI_Comm c[NDUP];
    MPI_Request q[2 * NDUP];
    int in[NDUP], out[NDUP];
    for (int i = 0; i < NDUP; i++) {
        in[i] = r + i;
        CHECK_MPI(MPI_Iallreduce(&in[i], &out[i], 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[2 * i]));
        CHECK_MPI(MPI_Comm_idup(MPI_COMM_WORLD, &c[i], &q[2 * i + 1]));
    }
    CHECK_MPI(MPI_Waitall(2 * NDUP, q, MPI_STATUSES_IGNORE));
    /* nothing in flight: the replay modes rebuild every object here, the idup'd ones included */
    MPI_Barrier(MPI_COMM_WORLD);
    long sum = 0;
    for (int i = 0; i < NDUP; i++) {
        CHECK(out[i] == n * (n - 1) / 2 + n * i);
        int cmp = -1, sz = 0, rk = -1;
        MPI_Comm_compare(MPI_COMM_WORLD, c[i], &cmp);
        MPI_Comm_size(c[i], &sz);
        MPI_Comm_rank(c[i], &rk);
        CHECK(cmp == MPI_CONGRUENT && sz == n && rk == r);
        /* a message on one dup is not seen on another */
        int tok = 100 * i + r, got = -1, flag = 1;
        MPI_Request sq;
        MPI_Isend(&tok, 1, MPI_INT, (r + 1) % n, 7 + i, c[i], &sq);
        /* tag 7 + i travels on c[i] only */
        MPI_Iprobe(MPI_ANY_SOURCE, 7 + i, i ? c[i - 1] : MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        CHECK(!flag);
        MPI_Recv(&got, 1, MPI_INT, (r + n - 1) % n, 7 + i, c[i], MPI_STATUS_IGNORE);
        MPI_Wait(&sq, MPI_STATUS_IGNORE);
        CHECK(got == 100 * i + (r + n - 1) % n);
        sum += got;
    }
    /* attributes are copied by idup like by dup */
    int key, val = 42, *v = NULL, flag = 0;
    MPI_Comm_create_keyval(MPI_COMM_DUP_FN, MPI_COMM_NULL_DELETE_FN, &key, NULL);
    MPI_Comm_set_attr(c[0], key, &val);
    MPI_Comm a;
    MPI_Request qa;
    CHECK_MPI(MPI_Comm_idup(c[0], &a, &qa));
    MPI_Wait(&qa, MPI_STATUS_IGNORE);
    MPI_Comm_get_attr(a, key, &v, &flag);
    CHECK(flag && *v == 42);
    MPI_Comm_free(&a);
    MPI_Comm_free_keyval(&key);
    /* with info */
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "mpi_assert_no_any_tag", "true");
    MPI_Comm wi;
    MPI_Request qi;
    CHECK_MPI(MPI_Comm_idup_with_info(MPI_COMM_WORLD, info, &wi, &qi));
    MPI_Info_free(&info);
    int done = 0;
    while (!done) MPI_Test(&qi, &done, MPI_STATUS_IGNORE);
    int s = 0;
    MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, wi);
    CHECK(s == n * (n - 1) / 2);
    MPI_Comm_free(&wi);
    for (int i = 0; i < NDUP; i++) MPI_Comm_free(&c[i]);
    mt_printf("idup tokens %ld sum %d\n", sum, s);
    return mt_finish("comm_idup");
}
