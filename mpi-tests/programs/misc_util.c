/* test: Get_address/Aint_add/Aint_diff, Type_set/get_name, Type_match_size, Alloc_mem/Free_mem, Comm_idup, hindexed_block, *_x queries, Status_set_* */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* addresses */
    double arr[10];
    MPI_Aint a0, a5;
    MPI_Get_address(&arr[0], &a0); MPI_Get_address(&arr[5], &a5);
    CHECK(MPI_Aint_diff(a5, a0) == 5 * (MPI_Aint)sizeof(double));
    CHECK(MPI_Aint_add(a0, 40) == a5);
    /* absolute addresses with MPI_BOTTOM */
    int x = 100 + r, y = -1, bl = 1;
    MPI_Aint ax, ay; MPI_Get_address(&x, &ax); MPI_Get_address(&y, &ay);
    MPI_Datatype tx, ty;
    MPI_Type_create_hindexed(1, &bl, &ax, MPI_INT, &tx); MPI_Type_commit(&tx);
    MPI_Type_create_hindexed(1, &bl, &ay, MPI_INT, &ty); MPI_Type_commit(&ty);
    MPI_Sendrecv(MPI_BOTTOM, 1, tx, (r + 1) % n, 0, MPI_BOTTOM, 1, ty, (r + n - 1) % n, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    CHECK(y == 100 + (r + n - 1) % n);
    MPI_Type_free(&tx); MPI_Type_free(&ty);
    /* names */
    char name[MPI_MAX_OBJECT_NAME]; int len;
    MPI_Type_get_name(MPI_DOUBLE, name, &len);
    CHECK(strcmp(name, "MPI_DOUBLE") == 0);
    MPI_Datatype c3; MPI_Type_contiguous(3, MPI_INT, &c3);
    MPI_Type_set_name(c3, "triple");
    MPI_Type_get_name(c3, name, &len);
    CHECK(strcmp(name, "triple") == 0 && len == 6);
    MPI_Type_free(&c3);
    /* match size */
    MPI_Datatype m; int msz;
    MPI_Type_match_size(MPI_TYPECLASS_REAL, 8, &m); MPI_Type_size(m, &msz); CHECK(msz == 8);
    MPI_Type_match_size(MPI_TYPECLASS_INTEGER, 4, &m); MPI_Type_size(m, &msz); CHECK(msz == 4);
    /* alloc mem used as a comm buffer */
    int *mem;
    CHECK_MPI(MPI_Alloc_mem(64 * sizeof(int), MPI_INFO_NULL, &mem));
    for (int i = 0; i < 64; i++) mem[i] = r;
    MPI_Allreduce(MPI_IN_PLACE, mem, 64, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(mem[63] == n * (n - 1) / 2);
    CHECK_MPI(MPI_Free_mem(mem));
    /* non-blocking dup */
    MPI_Comm ic; MPI_Request q;
    CHECK_MPI(MPI_Comm_idup(MPI_COMM_WORLD, &ic, &q));
    MPI_Wait(&q, MPI_STATUS_IGNORE);
    int s = 0; MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, ic);
    CHECK(s == n * (n - 1) / 2);
    MPI_Comm_free(&ic);
    /* hindexed_block + size_x / extent_x / true_extent_x */
    MPI_Aint hd[3] = {0, 16, 40};
    MPI_Datatype hb; MPI_Type_create_hindexed_block(3, 2, hd, MPI_INT, &hb); MPI_Type_commit(&hb);
    MPI_Count sx, lbx, exx, tlbx, texx;
    MPI_Type_size_x(hb, &sx); MPI_Type_get_extent_x(hb, &lbx, &exx); MPI_Type_get_true_extent_x(hb, &tlbx, &texx);
    CHECK(sx == 24 && lbx == 0 && exx == 48 && tlbx == 0 && texx == 48);
    /* Get_elements_x and Status_set_elements / set_cancelled */
    MPI_Status st;
    MPI_Status_set_elements(&st, MPI_INT, 6);
    int c; MPI_Count cx;
    MPI_Get_count(&st, hb, &c); MPI_Get_elements_x(&st, hb, &cx);
    CHECK(c == 1 && cx == 6);
    MPI_Status_set_elements_x(&st, MPI_INT, 3);
    MPI_Get_count(&st, hb, &c); MPI_Get_elements(&st, hb, &len);
    CHECK(c == MPI_UNDEFINED && len == 3);
    MPI_Status_set_cancelled(&st, 1);
    int cc; MPI_Test_cancelled(&st, &cc); CHECK(cc == 1);
    MPI_Type_free(&hb);
    /* Type_get_extent on predefined pair type */
    MPI_Aint lb, ex; MPI_Type_get_extent(MPI_2INT, &lb, &ex); CHECK(lb == 0 && ex == 8);
    mt_printf("bottom-recv %d idup-sum %d hb-size %lld\n", y, s, (long long)sx);
    return mt_finish("misc_util");
}
