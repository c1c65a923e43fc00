/* test: Neighbor_allgather(v)/Neighbor_alltoall(v/w) and their non-blocking forms on a dist-graph and a Cartesian ring */
/* ranks: 2 4 */
/* (np>=2 only: with one process the graph would have parallel edges, whose matching order MPI-3.1 leaves open */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* dist graph: in-neighbours {r-1, r-2}, out-neighbours {r+1, r+2} (mod n) */
    int in[2] = {(r + n - 1) % n, (r + 2 * n - 2) % n}, out[2] = {(r + 1) % n, (r + 2) % n};
    MPI_Comm g;
    MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 2, in, MPI_UNWEIGHTED, 2, out, MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &g);
    int me = 10 * r, ag[2] = {-1, -1};
    CHECK_MPI(MPI_Neighbor_allgather(&me, 1, MPI_INT, ag, 1, MPI_INT, g));
    CHECK(ag[0] == 10 * in[0] && ag[1] == 10 * in[1]);
    int two[2] = {me, me + 1};
    /* allgatherv: every rank sends 2 values, stored at displacements 0 and 2 */
    int rc2[2] = {2, 2}, rd2[2] = {0, 2}, agv4[4];
    CHECK_MPI(MPI_Neighbor_allgatherv(two, 2, MPI_INT, agv4, rc2, rd2, MPI_INT, g));
    CHECK(agv4[0] == 10 * in[0] && agv4[1] == 10 * in[0] + 1 && agv4[2] == 10 * in[1] && agv4[3] == 10 * in[1] + 1);
    /* alltoall: send distinct value per out-neighbour */
    int sb[2] = {100 * r + 1, 100 * r + 2}, rb[2] = {-1, -1};
    CHECK_MPI(MPI_Neighbor_alltoall(sb, 1, MPI_INT, rb, 1, MPI_INT, g));
    CHECK(rb[0] == 100 * in[0] + 1 && rb[1] == 100 * in[1] + 2);
    int sc[2] = {1, 1}, sd[2] = {1, 0};   /* swap send order via displs */
    int rdd[2] = {0, 1}, rvb2[2] = {-1, -1};
    CHECK_MPI(MPI_Neighbor_alltoallv(sb, sc, sd, MPI_INT, rvb2, sc, rdd, MPI_INT, g));
    CHECK(rvb2[0] == 100 * in[0] + 2 && rvb2[1] == 100 * in[1] + 1);
    MPI_Aint wsd[2] = {sizeof(int), 0}, wrd[2] = {0, sizeof(int)};
    MPI_Datatype wt[2] = {MPI_INT, MPI_INT};
    int rwb[2] = {-1, -1};
    CHECK_MPI(MPI_Neighbor_alltoallw(sb, sc, wsd, wt, rwb, sc, wrd, wt, g));
    CHECK(rwb[0] == rvb2[0] && rwb[1] == rvb2[1]);
    /* non-blocking forms, all in flight together */
    int nag[2], nagv[4], na2a[2], na2av[2], na2aw[2];
    MPI_Request q[5];
    MPI_Ineighbor_allgather(&me, 1, MPI_INT, nag, 1, MPI_INT, g, &q[0]);
    MPI_Ineighbor_allgatherv(two, 2, MPI_INT, nagv, rc2, rd2, MPI_INT, g, &q[1]);
    MPI_Ineighbor_alltoall(sb, 1, MPI_INT, na2a, 1, MPI_INT, g, &q[2]);
    MPI_Ineighbor_alltoallv(sb, sc, sd, MPI_INT, na2av, sc, rdd, MPI_INT, g, &q[3]);
    MPI_Ineighbor_alltoallw(sb, sc, wsd, wt, na2aw, sc, wrd, wt, g, &q[4]);
    CHECK_MPI(MPI_Waitall(5, q, MPI_STATUSES_IGNORE));
    CHECK(memcmp(nag, ag, sizeof ag) == 0 && memcmp(nagv, agv4, sizeof agv4) == 0);
    CHECK(memcmp(na2a, rb, sizeof rb) == 0 && memcmp(na2av, rvb2, sizeof rvb2) == 0 && memcmp(na2aw, rwb, sizeof rwb) == 0);
    /* Cartesian non-periodic line: neighbours are (left,right), PROC_NULL at ends */
    MPI_Comm line; int dim = n, per = 0;
    MPI_Cart_create(MPI_COMM_WORLD, 1, &dim, &per, 0, &line);
    int cb[2] = {-5, -5};
    MPI_Neighbor_allgather(&me, 1, MPI_INT, cb, 1, MPI_INT, line);
    CHECK(cb[0] == (r > 0 ? 10 * (r - 1) : -5) && cb[1] == (r < n - 1 ? 10 * (r + 1) : -5));
    mt_printf("ag %d %d agv %d %d %d %d a2a %d %d a2av %d %d cart %d %d\n", ag[0], ag[1], agv4[0], agv4[1], agv4[2],
              agv4[3], rb[0], rb[1], rvb2[0], rvb2[1], cb[0], cb[1]);
    MPI_Comm_free(&g); MPI_Comm_free(&line);
    return mt_finish("topo_neighbor");
}
