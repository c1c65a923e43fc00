/* test: Intercomm_create/Comm_test_inter/remote_size/remote_group/Intercomm_merge and intercomm p2p + collectives */
/* ranks: 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, color = r % 2;
    MPI_Comm local, inter, merged;
    MPI_Comm_split(MPI_COMM_WORLD, color, r, &local);
    int flag = 1;
    MPI_Comm_test_inter(local, &flag);
    CHECK(flag == 0);
    /* local leader 0 of each half; remote leader in world = 1 - color */
    CHECK_MPI(MPI_Intercomm_create(local, 0, MPI_COMM_WORLD, 1 - color, 99, &inter));
    MPI_Comm_test_inter(inter, &flag);
    CHECK(flag == 1);
    int ls, lr, rs;
    MPI_Comm_size(inter, &ls); MPI_Comm_rank(inter, &lr); MPI_Comm_remote_size(inter, &rs);
    CHECK(ls == (n + 1 - color) / 2 && rs == n / 2 + (color == 1 ? (n % 2) : 0) && lr == r / 2);
    MPI_Group rg, wg; int rgs;
    MPI_Comm_remote_group(inter, &rg);
    MPI_Group_size(rg, &rgs);
    CHECK(rgs == rs);
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    int zero = 0, inworld = -1;
    MPI_Group_translate_ranks(rg, 1, &zero, wg, &inworld);
    CHECK(inworld == 1 - color);
    /* p2p across: local rank i talks to remote rank i */
    int v = 100 * r, got = -1;
    MPI_Sendrecv(&v, 1, MPI_INT, lr, 3, &got, 1, MPI_INT, lr, 3, inter, MPI_STATUS_IGNORE);
    CHECK(got == 100 * (color == 0 ? r + 1 : r - 1));
    /* intercomm bcast: group 0 root (local rank 0) sends to group 1 */
    int bv = color == 0 && lr == 0 ? 777 : -1;
    int root = color == 0 ? (lr == 0 ? MPI_ROOT : MPI_PROC_NULL) : 0;
    MPI_Bcast(&bv, 1, MPI_INT, root, inter);
    if (color == 1) CHECK(bv == 777);
    /* intercomm allreduce: each side gets the sum of the other side */
    int s = 0, one = r;
    MPI_Allreduce(&one, &s, 1, MPI_INT, MPI_SUM, inter);
    int other = 0;
    for (int i = 0; i < n; i++) if (i % 2 != color) other += i;
    CHECK(s == other);
    /* merge: high=color puts group 0 first */
    CHECK_MPI(MPI_Intercomm_merge(inter, color, &merged));
    int mr, mn;
    MPI_Comm_rank(merged, &mr); MPI_Comm_size(merged, &mn);
    CHECK(mn == n);
    int expect = color == 0 ? lr : (n + 1) / 2 + lr;
    CHECK(mr == expect);
    MPI_Comm_test_inter(merged, &flag);
    CHECK(flag == 0);
    int msum = 0;
    MPI_Allreduce(&mr, &msum, 1, MPI_INT, MPI_SUM, merged);
    CHECK(msum == n * (n - 1) / 2);
    mt_printf("color %d local %d/%d remote %d merged %d xsum %d bcast %d\n", color, lr, ls, rs, mr, s, bv);
    MPI_Group_free(&rg); MPI_Group_free(&wg);
    MPI_Comm_free(&merged); MPI_Comm_free(&inter); MPI_Comm_free(&local);
    return mt_finish("comm_inter");
}
