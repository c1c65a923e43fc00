/* test: Cancel of an unmatched Irecv is observed by Test_cancelled; Request_get_status does not free; Request_free on active send */
/* ranks: 1 2 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int buf = -1;
    MPI_Request r;
    MPI_Status st;
    /* receive that can never match (tag never sent) */
    MPI_Irecv(&buf, 1, MPI_INT, MPI_ANY_SOURCE, 4242, MPI_COMM_WORLD, &r);
    int flag = 1;
    CHECK_MPI(MPI_Request_get_status(r, &flag, &st));
    CHECK(flag == 0 && r != MPI_REQUEST_NULL);
    CHECK_MPI(MPI_Cancel(&r));
    CHECK_MPI(MPI_Wait(&r, &st));
    int canc = 0;
    CHECK_MPI(MPI_Test_cancelled(&st, &canc));
    CHECK(canc == 1 && buf == -1 && r == MPI_REQUEST_NULL);

    /* completed request: get_status reports done but keeps the handle */
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size;
    int v = 100 + mt_rank, got = -1;
    MPI_Request rr;
    MPI_Irecv(&got, 1, MPI_INT, left, 1, MPI_COMM_WORLD, &rr);
    MPI_Send(&v, 1, MPI_INT, right, 1, MPI_COMM_WORLD);
    flag = 0;
    while (!flag) MPI_Request_get_status(rr, &flag, &st);
    CHECK(rr != MPI_REQUEST_NULL && st.MPI_SOURCE == left && st.MPI_TAG == 1);
    int c2 = 1;
    MPI_Test_cancelled(&st, &c2);
    CHECK(c2 == 0);
    MPI_Wait(&rr, &st);
    CHECK(rr == MPI_REQUEST_NULL && got == 100 + left);

    /* Request_free on an in-flight send: message must still arrive */
    int w = 200 + mt_rank, g2 = -1;
    MPI_Request sr;
    MPI_Irecv(&g2, 1, MPI_INT, left, 2, MPI_COMM_WORLD, &rr);
    MPI_Isend(&w, 1, MPI_INT, right, 2, MPI_COMM_WORLD, &sr);
    CHECK_MPI(MPI_Request_free(&sr));
    CHECK(sr == MPI_REQUEST_NULL);
    MPI_Wait(&rr, &st);
    CHECK(g2 == 200 + left);
    MPI_Barrier(MPI_COMM_WORLD);   /* w must stay valid until peers received it */

    /* get_status on MPI_REQUEST_NULL returns flag=1 with empty status */
    MPI_Request nul = MPI_REQUEST_NULL;
    flag = 0;
    MPI_Request_get_status(nul, &flag, &st);
    CHECK(flag == 1);
    mt_printf("cancelled %d got %d %d\n", canc, got, g2);
    return mt_finish("req_cancel");
}
