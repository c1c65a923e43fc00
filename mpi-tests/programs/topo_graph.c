/* test: Graph_create/Graphdims_get/Graph_get/Graph_neighbors(_count)/Dist_graph_create(_adjacent)/Dist_graph_neighbors(_count)/Topo_test */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* graph: star with center 0, plus ring edges; build index/edges */
    int index[64], edges[256], ne = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0) { for (int j = 1; j < n; j++) edges[ne++] = j; }
        else { edges[ne++] = 0; if (n > 2) { edges[ne++] = i % (n - 1) + 1; } }
        index[i] = ne;
    }
    MPI_Comm g;
    CHECK_MPI(MPI_Graph_create(MPI_COMM_WORLD, n, index, edges, 0, &g));
    int tt; MPI_Topo_test(g, &tt); CHECK(tt == MPI_GRAPH);
    int nn, nedges; MPI_Graphdims_get(g, &nn, &nedges);
    CHECK(nn == n && nedges == ne);
    int gi[64], ge[256];
    MPI_Graph_get(g, n, ne, gi, ge);
    for (int i = 0; i < n; i++) CHECK(gi[i] == index[i]);
    for (int i = 0; i < ne; i++) CHECK(ge[i] == edges[i]);
    int cnt, nb[64];
    MPI_Graph_neighbors_count(g, r, &cnt);
    MPI_Graph_neighbors(g, r, cnt, nb);
    CHECK(cnt == index[r] - (r ? index[r - 1] : 0));
    int nbsum = 0; for (int i = 0; i < cnt; i++) nbsum += nb[i];
    /* Dist_graph_create_adjacent: directed ring, in from left, out to right */
    int left = (r + n - 1) % n, right = (r + 1) % n, w1 = 2, w2 = 3;
    MPI_Comm dg;
    CHECK_MPI(MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 1, &left, &w1, 1, &right, &w2, MPI_INFO_NULL, 0, &dg));
    MPI_Topo_test(dg, &tt); CHECK(tt == MPI_DIST_GRAPH);
    int indeg, outdeg, wgt;
    MPI_Dist_graph_neighbors_count(dg, &indeg, &outdeg, &wgt);
    CHECK(indeg == 1 && outdeg == 1 && wgt == 1);
    int src, sw, dst, dw;
    MPI_Dist_graph_neighbors(dg, 1, &src, &sw, 1, &dst, &dw);
    CHECK(src == left && dst == right && sw == 2 && dw == 3);
    /* Dist_graph_create: rank 0 specifies all edges i -> (i+2)%n, unweighted */
    int srcs[64], degs[64], dsts[64], ns = 0;
    if (r == 0) for (int i = 0; i < n; i++) { srcs[ns] = i; degs[ns] = 1; dsts[ns] = (i + 2) % n; ns++; }
    MPI_Comm dg2;
    CHECK_MPI(MPI_Dist_graph_create(MPI_COMM_WORLD, ns, srcs, degs, dsts, MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &dg2));
    MPI_Dist_graph_neighbors_count(dg2, &indeg, &outdeg, &wgt);
    CHECK(indeg == 1 && outdeg == 1 && wgt == 0);
    MPI_Dist_graph_neighbors(dg2, 1, &src, MPI_UNWEIGHTED, 1, &dst, MPI_UNWEIGHTED);
    CHECK(src == ((r - 2) % n + n) % n && dst == (r + 2) % n);
    /* Graph_map: with identity mapping each process keeps its rank */
    int nr; MPI_Graph_map(MPI_COMM_WORLD, n, index, edges, &nr);
    CHECK(nr == r);
    mt_printf("graph-neighbors %d sum %d dist in %d out %d dist2 %d->%d\n", cnt, nbsum, src, dst, r, (r + 2) % n);
    MPI_Comm_free(&g); MPI_Comm_free(&dg); MPI_Comm_free(&dg2);
    return mt_finish("topo_graph");
}
