/* test: Dims_create/Cart_create/Cart_coords/Cart_rank/Cart_shift/Cart_sub/Cart_get/Cart_map/Cartdim_get/Topo_test */
/* ranks: 1 2 4 */
#include "mt.h"

/* MPI_PROC_NULL's value differs between implementations: print it symbolically */
static const char *rk(int v, char *b) { if (v == MPI_PROC_NULL) return "null"; sprintf(b, "%d", v); return b; }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    int dims[2] = {0, 0};
    CHECK_MPI(MPI_Dims_create(n, 2, dims));
    CHECK(dims[0] * dims[1] == n && dims[0] >= dims[1]);
    int d3[3] = {0, 2, 0};
    MPI_Dims_create(4 * n, 3, d3);
    CHECK(d3[1] == 2 && d3[0] * d3[1] * d3[2] == 4 * n && d3[0] >= d3[2]);
    int period[2] = {1, 0};
    MPI_Comm cart;
    CHECK_MPI(MPI_Cart_create(MPI_COMM_WORLD, 2, dims, period, 0, &cart));
    int tt; MPI_Topo_test(cart, &tt); CHECK(tt == MPI_CART);
    MPI_Topo_test(MPI_COMM_WORLD, &tt); CHECK(tt == MPI_UNDEFINED);
    int nd; MPI_Cartdim_get(cart, &nd); CHECK(nd == 2);
    int cr, co[2], gd[2], gp[2], gc[2];
    MPI_Comm_rank(cart, &cr);
    CHECK(cr == r);                                         /* reorder = 0 */
    MPI_Cart_coords(cart, cr, 2, co);
    CHECK(co[0] == r / dims[1] && co[1] == r % dims[1]);    /* row-major */
    MPI_Cart_get(cart, 2, gd, gp, gc);
    CHECK(gd[0] == dims[0] && gd[1] == dims[1] && gp[0] == 1 && gp[1] == 0 && gc[0] == co[0] && gc[1] == co[1]);
    int back; MPI_Cart_rank(cart, co, &back); CHECK(back == r);
    int wrap[2] = {co[0] + dims[0], co[1]};                 /* periodic dim wraps */
    MPI_Cart_rank(cart, wrap, &back); CHECK(back == r);
    int s0, d0, s1, d1;
    MPI_Cart_shift(cart, 0, 1, &s0, &d0);
    MPI_Cart_shift(cart, 1, 1, &s1, &d1);
    CHECK(d0 == ((co[0] + 1) % dims[0]) * dims[1] + co[1]);
    CHECK(s1 == (co[1] == 0 ? MPI_PROC_NULL : r - 1) && d1 == (co[1] == dims[1] - 1 ? MPI_PROC_NULL : r + 1));
    /* shift exchange along dim 0 */
    int v = r, got = -1;
    MPI_Sendrecv(&v, 1, MPI_INT, d0, 0, &got, 1, MPI_INT, s0, 0, cart, MPI_STATUS_IGNORE);
    CHECK(got == s0);
    /* Cart_sub keeping dim 1 -> rows */
    int keep[2] = {0, 1};
    MPI_Comm row;
    CHECK_MPI(MPI_Cart_sub(cart, keep, &row));
    int rn, rr; MPI_Comm_size(row, &rn); MPI_Comm_rank(row, &rr);
    CHECK(rn == dims[1] && rr == co[1]);
    int rsum = 0; MPI_Allreduce(&r, &rsum, 1, MPI_INT, MPI_SUM, row);
    MPI_Topo_test(row, &tt); CHECK(tt == MPI_CART);
    /* Cart_map onto a 1-process grid: rank 0 stays 0 (Open MPI 4.1 wrongly
     * returns a rank instead of MPI_UNDEFINED on the others, so skip those) */
    int one[1] = {1}, pp[1] = {0}, nr;
    CHECK_MPI(MPI_Cart_map(MPI_COMM_WORLD, 1, one, pp, &nr));
    if (r == 0) CHECK(nr == 0);
    int full = n, fp = 0;
    MPI_Cart_map(MPI_COMM_WORLD, 1, &full, &fp, &nr);
    CHECK(nr >= 0 && nr < n);
    /* 1-D periodic ring with nothing extra */
    MPI_Comm ring; int rd = n, rp = 1;
    MPI_Cart_create(MPI_COMM_WORLD, 1, &rd, &rp, 1, &ring);
    int ls, ld; MPI_Cart_shift(ring, 0, -1, &ls, &ld);
    int rrk; MPI_Comm_rank(ring, &rrk);
    CHECK(ld == (rrk + n - 1) % n && ls == (rrk + 1) % n);
    char b1[16], b2[16], b3[16], b4[16];
    mt_printf("dims %dx%d coords (%d,%d) shift0 %s->%s shift1 %s->%s rowsum %d d3 %d %d %d\n", dims[0], dims[1], co[0],
              co[1], rk(s0, b1), rk(d0, b2), rk(s1, b3), rk(d1, b4), rsum, d3[0], d3[1], d3[2]);
    MPI_Comm_free(&row); MPI_Comm_free(&cart); MPI_Comm_free(&ring);
    return mt_finish("topo_cart");
}
