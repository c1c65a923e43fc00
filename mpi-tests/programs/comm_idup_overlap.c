/* test: idups of overlapping communicators started in different orders on different ranks
 * (only a non-blocking idup avoids a deadlock), then Comm_create_group on the results */
/* ranks: 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* lo = ranks 0..n-1 without the last for n > 2, else the world; hi = the world without rank 0 for n > 2 */
    MPI_Comm lo, hi, w2;
    MPI_Comm_dup(MPI_COMM_WORLD, &w2);
    if (n > 2) {
        MPI_Comm_split(MPI_COMM_WORLD, r < n - 1 ? 0 : MPI_UNDEFINED, r, &lo);
        MPI_Comm_split(MPI_COMM_WORLD, r > 0 ? 0 : MPI_UNDEFINED, r, &hi);
    } else {
        MPI_Comm_dup(MPI_COMM_WORLD, &lo);
        MPI_Comm_dup(MPI_COMM_WORLD, &hi);
    }
    MPI_Comm in[3] = {lo, hi, w2}, out[3] = {MPI_COMM_NULL, MPI_COMM_NULL, MPI_COMM_NULL};
    MPI_Request q[3] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    /* odd ranks go backwards */
    for (int k = 0; k < 3; k++) {
        int i = r % 2 ? 2 - k : k;
        if (in[i] != MPI_COMM_NULL) CHECK_MPI(MPI_Comm_idup(in[i], &out[i], &q[i]));
    }
    CHECK_MPI(MPI_Waitall(3, q, MPI_STATUSES_IGNORE));
    MPI_Barrier(MPI_COMM_WORLD); /* the replay modes rebuild the objects here */
    long sum = 0;
    for (int i = 0; i < 3; i++) {
        if (out[i] == MPI_COMM_NULL) continue;
        int s = 0, sz = 0;
        MPI_Comm_size(out[i], &sz);
        MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, out[i]);
        sum += 10 * s + sz;
    }
    /* Comm_create_group of the even ranks of the world's idup */
    MPI_Group g, ev;
    MPI_Comm_group(out[2], &g);
    int ne = (n + 1) / 2, ranks[64];
    for (int i = 0; i < ne; i++) ranks[i] = 2 * i;
    MPI_Group_incl(g, ne, ranks, &ev);
    MPI_Comm evc = MPI_COMM_NULL;
    if (r % 2 == 0) {
        CHECK_MPI(MPI_Comm_create_group(out[2], ev, 3, &evc));
        int s = 0;
        MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, evc);
        sum += 1000 * s;
        /* and an idup of that */
        MPI_Comm e2;
        MPI_Request qe;
        CHECK_MPI(MPI_Comm_idup(evc, &e2, &qe));
        MPI_Wait(&qe, MPI_STATUS_IGNORE);
        MPI_Barrier(e2);
        MPI_Comm_free(&e2);
        MPI_Comm_free(&evc);
    }
    MPI_Group_free(&ev);
    MPI_Group_free(&g);
    for (int i = 0; i < 3; i++) {
        if (out[i] != MPI_COMM_NULL) MPI_Comm_free(&out[i]);
        if (in[i] != MPI_COMM_NULL) MPI_Comm_free(&in[i]);
    }
    mt_printf("sum %ld\n", sum);
    return mt_finish("comm_idup_overlap");
}
