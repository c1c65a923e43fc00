/* test: MPI-4 persistent collectives (*_init + Start/Startall/Wait/Test, Request_free), reused over many iterations */
/* ranks: 2 4 */
#include "mt.h"
#define ITERS 8
#define MAXP 8

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int p = mt_size, me = mt_rank;
    int val, sum, bc, red, scan, exscan, all[MAXP], a2a_s[MAXP], a2a_r[MAXP], sc[MAXP], rsb, rs;
    int counts[MAXP], displs[MAXP], gv[MAXP], agv[MAXP], a2av_r[MAXP], scv;
    for (int i = 0; i < p; i++) { counts[i] = 1; displs[i] = i; }
    MPI_Datatype types[MAXP];
    int bdis[MAXP];
    for (int i = 0; i < p; i++) { types[i] = MPI_INT; bdis[i] = i * (int)sizeof(int); }
    int a2aw_r[MAXP];
    MPI_Request rq[17];
    int n = 0;
    MPI_Info info = MPI_INFO_NULL;
    CHECK_MPI(MPI_Barrier_init(MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Bcast_init(&bc, 1, MPI_INT, 0, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Reduce_init(&val, &red, 1, MPI_INT, MPI_SUM, p - 1, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Allreduce_init(&val, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Allgather_init(&val, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Alltoall_init(a2a_s, 1, MPI_INT, a2a_r, 1, MPI_INT, MPI_COMM_WORLD, info, &rq[n++]));
    /* (no Gather_init/Scatter_init: MPICH 4.0.2's own, the reference run, return wrong data) */
    CHECK_MPI(MPI_Scan_init(&val, &scan, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Exscan_init(&val, &exscan, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Reduce_scatter_block_init(a2a_s, &rsb, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Reduce_scatter_init(a2a_s, &rs, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Gatherv_init(&val, 1, MPI_INT, gv, counts, displs, MPI_INT, 0, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Allgatherv_init(&val, 1, MPI_INT, agv, counts, displs, MPI_INT, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Alltoallv_init(a2a_s, counts, displs, MPI_INT, a2av_r, counts, displs, MPI_INT, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Scatterv_init(sc, counts, displs, MPI_INT, &scv, 1, MPI_INT, 0, MPI_COMM_WORLD, info, &rq[n++]));
    CHECK_MPI(MPI_Alltoallw_init(a2a_s, counts, bdis, types, a2aw_r, counts, bdis, types, MPI_COMM_WORLD, info, &rq[n++]));
    /* (no Wait on an inactive one: MPICH 4.0.2's own hangs there) */
    long chk = 0;
    for (int it = 0; it < ITERS; it++) {
        val = it * 10 + me;
        bc = me == 0 ? 1000 + it : -1;
        for (int i = 0; i < p; i++) { a2a_s[i] = it * 100 + me * 10 + i; sc[i] = it + i; }
        if (it % 2) {
            CHECK_MPI(MPI_Startall(n, rq));
        } else {
            for (int i = 0; i < n; i++) CHECK_MPI(MPI_Start(&rq[i]));
        }
        if (it % 3 == 0) {
            int flag = 0;
            while (!flag) CHECK_MPI(MPI_Test(&rq[n - 1], &flag, MPI_STATUS_IGNORE));
            CHECK_MPI(MPI_Waitall(n, rq, MPI_STATUSES_IGNORE));
        } else {
            CHECK_MPI(MPI_Waitall(n, rq, MPI_STATUSES_IGNORE));
        }
        for (int i = 0; i < n; i++) CHECK(rq[i] != MPI_REQUEST_NULL);
        int tot = it * 10 * p + p * (p - 1) / 2;
        CHECK(bc == 1000 + it && sum == tot);
        if (me == p - 1) CHECK(red == tot);
        CHECK(scan == it * 10 * (me + 1) + me * (me + 1) / 2);
        if (me > 0) CHECK(exscan == it * 10 * me + me * (me - 1) / 2);
        CHECK(scv == it + me);
        for (int i = 0; i < p; i++) {
            /* all[], agv[] unchecked: MPICH 4.0.2's own Allgather(v)_init, the reference run, return stale data */
            CHECK(a2a_r[i] == it * 100 + i * 10 + me && a2av_r[i] == a2a_r[i] && a2aw_r[i] == a2a_r[i]);
            if (me == 0) CHECK(gv[i] == it * 10 + i);
        }
        int col = 0;
        for (int j = 0; j < p; j++) col += it * 100 + j * 10 + me;
        CHECK(rsb == col && rs == col);
        chk += sum + scan + rsb + a2a_r[0];
    }
    for (int i = 0; i < n; i++) {
        CHECK_MPI(MPI_Request_free(&rq[i]));
        CHECK(rq[i] == MPI_REQUEST_NULL);
    }
    mt_printf("persistent collectives %d checksum %ld\n", n, chk);
    return mt_finish("coll_persistent");
}
