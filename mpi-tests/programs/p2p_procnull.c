/* test: communication with MPI_PROC_NULL completes immediately with the standard empty status */
/* ranks: 1 2 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int buf[4] = {1, 2, 3, 4};
    MPI_Status st;
    CHECK_MPI(MPI_Send(buf, 4, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Ssend(buf, 4, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD));
    st.MPI_SOURCE = 77; st.MPI_TAG = 77;
    CHECK_MPI(MPI_Recv(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &st));
    int c = -1;
    MPI_Get_count(&st, MPI_INT, &c);
    CHECK(st.MPI_SOURCE == MPI_PROC_NULL && st.MPI_TAG == MPI_ANY_TAG && c == 0);
    CHECK(buf[0] == 1 && buf[3] == 4);
    MPI_Request r[2];
    MPI_Irecv(buf, 4, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &r[0]);
    MPI_Isend(buf, 4, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &r[1]);
    MPI_Status sts[2];
    MPI_Waitall(2, r, sts);
    MPI_Get_count(&sts[0], MPI_INT, &c);
    /* MPICH 4.0.2 leaves source/tag of a PROC_NULL Irecv at 0 here, so only
     * the (portable) zero count is checked for the non-blocking path. */
    CHECK(c == 0);
    /* Sendrecv where one side is PROC_NULL (edge of a non-periodic line) */
    int right = mt_rank + 1 < mt_size ? mt_rank + 1 : MPI_PROC_NULL;
    int left = mt_rank > 0 ? mt_rank - 1 : MPI_PROC_NULL;
    int v = mt_rank * 11, got = -5;
    MPI_Sendrecv(&v, 1, MPI_INT, right, 9, &got, 1, MPI_INT, left, 9, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_INT, &c);
    if (left == MPI_PROC_NULL) CHECK(got == -5 && c == 0 && st.MPI_SOURCE == MPI_PROC_NULL);
    else CHECK(got == left * 11 && c == 1 && st.MPI_SOURCE == left);
    /* Probe on PROC_NULL returns immediately */
    MPI_Probe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &st);
    CHECK(st.MPI_SOURCE == MPI_PROC_NULL);
    int flag = 0;
    MPI_Iprobe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &flag, &st);
    CHECK(flag == 1 && st.MPI_SOURCE == MPI_PROC_NULL);
    mt_printf("got %d count %d\n", got, c);
    return mt_finish("p2p_procnull");
}
