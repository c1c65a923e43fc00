/* test: Mprobe/Improbe + Mrecv/Imrecv receive exactly the matched message (incl. MPI_MESSAGE_NO_PROC) */
/* ranks: 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Status st;
    MPI_Message msg;
    if (mt_rank != 0) {
        int a[4] = {mt_rank, mt_rank * 2, mt_rank * 3, mt_rank * 4};
        MPI_Send(a, mt_rank, MPI_INT, 0, 1, MPI_COMM_WORLD);    /* first: count = rank */
        MPI_Send(a, 4, MPI_INT, 0, 2, MPI_COMM_WORLD);          /* second: 4 ints */
    } else {
        long sum = 0;
        for (int k = 1; k < mt_size; k++) {           /* blocking Mprobe + Mrecv */
            CHECK_MPI(MPI_Mprobe(MPI_ANY_SOURCE, 1, MPI_COMM_WORLD, &msg, &st));
            CHECK(msg != MPI_MESSAGE_NULL);
            int src = st.MPI_SOURCE, c;
            MPI_Get_count(&st, MPI_INT, &c);
            CHECK(c == src);
            int b[4] = {0};
            CHECK_MPI(MPI_Mrecv(b, c, MPI_INT, &msg, &st));
            CHECK(msg == MPI_MESSAGE_NULL && st.MPI_SOURCE == src && st.MPI_TAG == 1);
            for (int i = 0; i < c; i++) { CHECK(b[i] == src * (i + 1)); sum += b[i]; }
        }
        int got = 0;
        while (got < mt_size - 1) {                   /* Improbe polling + Imrecv */
            int flag = 0;
            CHECK_MPI(MPI_Improbe(MPI_ANY_SOURCE, 2, MPI_COMM_WORLD, &flag, &msg, &st));
            if (!flag) continue;
            int src = st.MPI_SOURCE, b[4];
            MPI_Request r;
            CHECK_MPI(MPI_Imrecv(b, 4, MPI_INT, &msg, &r));
            MPI_Wait(&r, &st);
            int c; MPI_Get_count(&st, MPI_INT, &c);
            CHECK(c == 4 && st.MPI_SOURCE == src && st.MPI_TAG == 2);
            for (int i = 0; i < 4; i++) { CHECK(b[i] == src * (i + 1)); sum += b[i]; }
            got++;
        }
        printf("mprobe-sum %ld\n", sum);
    }
    /* Mprobe on MPI_PROC_NULL yields MPI_MESSAGE_NO_PROC; Mrecv of it is empty */
    CHECK_MPI(MPI_Mprobe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &msg, &st));
    CHECK(msg == MPI_MESSAGE_NO_PROC && st.MPI_SOURCE == MPI_PROC_NULL);
    int dummy = 42;
    MPI_Mrecv(&dummy, 1, MPI_INT, &msg, &st);
    int c; MPI_Get_count(&st, MPI_INT, &c);
    CHECK(c == 0 && dummy == 42 && st.MPI_TAG == MPI_ANY_TAG);
    if (mt_rank == 0) printf("no_proc ok count %d\n", c);
    return mt_finish("p2p_mprobe");
}
