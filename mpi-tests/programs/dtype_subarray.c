/* test: Type_create_subarray/create_darray/create_resized and get_extent/get_true_extent/size agree with hand-computed layouts */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, sz;
    MPI_Aint lb, ext, tlb, text;
    /* 2-D subarray 3x4 at (1,2) in a 6x8 C-order int array */
    int sizes[2] = {6, 8}, subs[2] = {3, 4}, starts[2] = {1, 2};
    MPI_Datatype sa;
    CHECK_MPI(MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &sa));
    MPI_Type_commit(&sa);
    MPI_Type_size(sa, &sz); MPI_Type_get_extent(sa, &lb, &ext); MPI_Type_get_true_extent(sa, &tlb, &text);
    CHECK(sz == 48 && lb == 0 && ext == 6 * 8 * 4);
    CHECK(tlb == (1 * 8 + 2) * 4 && text == ((3 * 8 + 5) - (1 * 8 + 2) + 1) * 4);
    int big[48], packed[12], pos = 0;
    for (int i = 0; i < 48; i++) big[i] = i;
    MPI_Pack(big, 1, sa, packed, sizeof packed, &pos, MPI_COMM_SELF);
    long s1 = 0;
    for (int i = 0; i < 12; i++) { CHECK(packed[i] == (1 + i / 4) * 8 + 2 + i % 4); s1 += packed[i]; }
    /* Fortran order subarray */
    MPI_Datatype sf;
    MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_FORTRAN, MPI_INT, &sf);
    MPI_Type_commit(&sf);
    pos = 0; MPI_Pack(big, 1, sf, packed, sizeof packed, &pos, MPI_COMM_SELF);
    long s2 = 0;
    for (int i = 0; i < 12; i++) { CHECK(packed[i] == (2 + i / 3) * 6 + 1 + i % 3); s2 += packed[i]; }
    /* darray: 8x8 block-distributed over a n x 1 process grid */
    int gs[2] = {8, 8}, distr[2] = {MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_NONE};
    int dargs[2] = {MPI_DISTRIBUTE_DFLT_DARG, MPI_DISTRIBUTE_DFLT_DARG}, ps[2] = {n, 1};
    MPI_Datatype da;
    CHECK_MPI(MPI_Type_create_darray(n, r, 2, gs, distr, dargs, ps, MPI_ORDER_C, MPI_INT, &da));
    MPI_Type_commit(&da);
    MPI_Type_size(da, &sz); MPI_Type_get_extent(da, &lb, &ext);
    int rows = 8 / n;
    CHECK(sz == rows * 8 * 4 && ext == 64 * 4 && lb == 0);
    int g64[64], mine[64];
    for (int i = 0; i < 64; i++) g64[i] = 1000 + i;
    pos = 0; MPI_Pack(g64, 1, da, mine, sizeof mine, &pos, MPI_COMM_SELF);
    for (int i = 0; i < rows * 8; i++) CHECK(mine[i] == 1000 + r * rows * 8 + i);
    /* cyclic darray along dim 1 (cols), block size 1 */
    int distc[2] = {MPI_DISTRIBUTE_NONE, MPI_DISTRIBUTE_CYCLIC}, ps2[2] = {1, n};
    MPI_Datatype dc;
    MPI_Type_create_darray(n, r, 2, gs, distc, dargs, ps2, MPI_ORDER_C, MPI_INT, &dc);
    MPI_Type_commit(&dc);
    pos = 0; MPI_Pack(g64, 1, dc, mine, sizeof mine, &pos, MPI_COMM_SELF);
    int cols = 8 / n;
    long s3 = 0;
    for (int i = 0; i < 8 * cols; i++) { CHECK(mine[i] == 1000 + (i / cols) * 8 + r + (i % cols) * n); s3 += mine[i]; }
    /* resized: make a vector interleave by shrinking extent */
    MPI_Datatype col, colr;
    MPI_Type_vector(8, 1, 8, MPI_INT, &col);
    MPI_Type_create_resized(col, 0, sizeof(int), &colr);
    MPI_Type_commit(&colr);
    MPI_Type_get_extent(colr, &lb, &ext); MPI_Type_get_true_extent(colr, &tlb, &text);
    CHECK(lb == 0 && ext == 4 && tlb == 0 && text == (7 * 8 + 1) * 4);
    int tr[64];
    pos = 0; MPI_Pack(g64, 8, colr, tr, sizeof tr, &pos, MPI_COMM_SELF);   /* transpose */
    for (int i = 0; i < 64; i++) CHECK(tr[i] == 1000 + (i % 8) * 8 + i / 8);
    /* resized with nonzero lb */
    MPI_Datatype lbt;
    MPI_Type_create_resized(MPI_INT, -8, 24, &lbt);
    MPI_Type_get_extent(lbt, &lb, &ext); MPI_Type_size(lbt, &sz);
    CHECK(lb == -8 && ext == 24 && sz == 4);
    mt_printf("sub-c %ld sub-f %ld darray-rows %d cyclic-sum %ld\n", s1, s2, rows, s3);
    MPI_Type_free(&sa); MPI_Type_free(&sf); MPI_Type_free(&da); MPI_Type_free(&dc);
    MPI_Type_free(&col); MPI_Type_free(&colr); MPI_Type_free(&lbt);
    return mt_finish("dtype_subarray");
}
