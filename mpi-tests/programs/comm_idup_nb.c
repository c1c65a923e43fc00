/* test: Comm_idup overlapping other work on the parent before its Wait: a synchronous send the
 * peer receives before its own idup, Iallreduce and Isend/Irecv started between idup and Wait */
/* ranks: 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    MPI_Comm a;
    MPI_Request qa;
    int tok = -1;
    /* even ranks start their idup first, then need the odd peer's receive: a blocking dup here would
     * wait for the odd rank, which waits in its Recv for this Ssend */
    if (r % 2 == 0) {
        CHECK_MPI(MPI_Comm_idup(MPI_COMM_WORLD, &a, &qa));
        int v = 10 + r;
        if (r + 1 < n) MPI_Ssend(&v, 1, MPI_INT, r + 1, 1, MPI_COMM_WORLD);
        CHECK_MPI(MPI_Wait(&qa, MPI_STATUS_IGNORE));
    } else {
        MPI_Recv(&tok, 1, MPI_INT, r - 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK_MPI(MPI_Comm_idup(MPI_COMM_WORLD, &a, &qa));
        CHECK_MPI(MPI_Wait(&qa, MPI_STATUS_IGNORE));
    }
    /* idup, then an Iallreduce and point-to-point on the parent, then the waits in mixed order */
    MPI_Comm b;
    MPI_Request q[4];
    int in = r + 1, out = 0, sv = 100 + r, rv = -1;
    CHECK_MPI(MPI_Comm_idup(a, &b, &q[0]));
    CHECK_MPI(MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_SUM, a, &q[1]));
    CHECK_MPI(MPI_Irecv(&rv, 1, MPI_INT, (r + n - 1) % n, 5, a, &q[2]));
    CHECK_MPI(MPI_Isend(&sv, 1, MPI_INT, (r + 1) % n, 5, a, &q[3]));
    if (r % 2) {
        MPI_Wait(&q[3], MPI_STATUS_IGNORE);
        MPI_Wait(&q[2], MPI_STATUS_IGNORE);
        MPI_Wait(&q[1], MPI_STATUS_IGNORE);
        MPI_Wait(&q[0], MPI_STATUS_IGNORE);
    } else {
        int idx = -1, flag = 0;
        while (!flag) MPI_Testany(4, q, &idx, &flag, MPI_STATUS_IGNORE);
        MPI_Waitall(4, q, MPI_STATUSES_IGNORE);
    }
    CHECK(out == n * (n + 1) / 2);
    CHECK(rv == 100 + (r + n - 1) % n);
    MPI_Barrier(MPI_COMM_WORLD); /* the replay modes rebuild the objects here: idups done, recorded twice */
    /* the new communicator is isolated from its parent: same tag, different communicator */
    int x = 200 + r, y = -1, z = -1, fl = 1;
    MPI_Request s2[2];
    MPI_Isend(&x, 1, MPI_INT, (r + 1) % n, 5, b, &s2[0]);
    MPI_Iprobe(MPI_ANY_SOURCE, 5, a, &fl, MPI_STATUS_IGNORE);
    CHECK(!fl);
    MPI_Irecv(&y, 1, MPI_INT, (r + n - 1) % n, 5, b, &s2[1]);
    MPI_Waitall(2, s2, MPI_STATUSES_IGNORE);
    MPI_Allreduce(&y, &z, 1, MPI_INT, MPI_MAX, b);
    /* Request_get_status sees an idup complete without freeing it */
    MPI_Comm d;
    MPI_Request qd;
    CHECK_MPI(MPI_Comm_idup(b, &d, &qd));
    int flag = 0;
    while (!flag) MPI_Request_get_status(qd, &flag, MPI_STATUS_IGNORE);
    CHECK(qd != MPI_REQUEST_NULL);
    MPI_Wait(&qd, MPI_STATUS_IGNORE);
    int dz = 0;
    MPI_Allreduce(&r, &dz, 1, MPI_INT, MPI_SUM, d);
    CHECK(dz == n * (n - 1) / 2);
    MPI_Comm_free(&d);
    MPI_Comm_free(&b);
    MPI_Comm_free(&a);
    mt_printf("tok %d out %d rv %d y %d z %d\n", tok, out, rv, y, z);
    return mt_finish("comm_idup_nb");
}
