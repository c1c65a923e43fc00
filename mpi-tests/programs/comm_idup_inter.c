/* test: Comm_idup of an intercommunicator (overlapping an Ibarrier on it), the dup's remote group,
 * intercommunicator collectives and point-to-point on it, an idup of the idup */
/* ranks: 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, color = r % 2;
    MPI_Comm local, inter, dup;
    MPI_Comm_split(MPI_COMM_WORLD, color, r, &local);
    MPI_Intercomm_create(local, 0, MPI_COMM_WORLD, 1 - color, 9, &inter);
    MPI_Request q[2];
    CHECK_MPI(MPI_Comm_idup(inter, &dup, &q[0]));
    CHECK_MPI(MPI_Ibarrier(inter, &q[1]));
    CHECK_MPI(MPI_Waitall(2, q, MPI_STATUSES_IGNORE));
    int is = 0, rs = 0, lr = -1, s = 0;
    MPI_Comm_test_inter(dup, &is);
    MPI_Comm_remote_size(dup, &rs);
    MPI_Comm_rank(dup, &lr);
    CHECK(is);
    MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, dup); /* the sum over the remote group */
    int peer = lr < rs ? lr : 0, got = -1, v = 50 + r;
    MPI_Request p[2];
    MPI_Irecv(&got, 1, MPI_INT, MPI_ANY_SOURCE, 4, dup, &p[0]);
    if (lr < rs) MPI_Isend(&v, 1, MPI_INT, peer, 4, dup, &p[1]);
    else p[1] = MPI_REQUEST_NULL;
    /* ranks without a partner in a smaller remote group get nothing: only n even is listed */
    MPI_Waitall(2, p, MPI_STATUSES_IGNORE);
    /* an idup of the idup, completed by a Test loop */
    MPI_Comm wi;
    MPI_Request qi;
    CHECK_MPI(MPI_Comm_idup(dup, &wi, &qi));
    for (int flag = 0; !flag;) MPI_Test(&qi, &flag, MPI_STATUS_IGNORE);
    int s2 = 0;
    MPI_Allreduce(&r, &s2, 1, MPI_INT, MPI_MAX, wi);
    MPI_Comm_free(&wi);
    MPI_Comm_free(&dup);
    MPI_Comm_free(&inter);
    MPI_Comm_free(&local);
    mt_printf("inter %d rsize %d sum %d got %d max %d\n", is, rs, s, got, s2);
    (void)n;
    return mt_finish("comm_idup_inter");
}
