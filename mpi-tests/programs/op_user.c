/* test: user ops via Op_create (commutative and non-commutative 2x2 matrix product), Op_commutative, Op_free, use in Reduce/Allreduce/Scan/Reduce_local */
/* ranks: 1 2 4 */
#include "mt.h"

/* non-commutative: inout = in * inout for 2x2 integer matrices (row-major) */
static void matmul(void *in, void *inout, int *len, MPI_Datatype *dt) {
    (void)dt;
    long *a = in, *b = inout;
    for (int k = 0; k < *len; k++, a += 4, b += 4) {
        long c[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
                     a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
        memcpy(b, c, sizeof c);
    }
}
/* commutative: elementwise max of absolute values */
static void absmax(void *in, void *inout, int *len, MPI_Datatype *dt) {
    (void)dt;
    int *a = in, *b = inout;
    for (int i = 0; i < *len; i++) { int x = abs(a[i]), y = abs(b[i]); b[i] = x > y ? x : y; }
}

static void mat_of(int r, long *m) { m[0] = 1; m[1] = r + 1; m[2] = r; m[3] = 1; }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, comm;
    MPI_Op mm, am;
    CHECK_MPI(MPI_Op_create(matmul, 0, &mm));
    CHECK_MPI(MPI_Op_create(absmax, 1, &am));
    MPI_Op_commutative(mm, &comm); CHECK(comm == 0);
    MPI_Op_commutative(am, &comm); CHECK(comm == 1);
    MPI_Op_commutative(MPI_SUM, &comm); CHECK(comm == 1);
    MPI_Datatype mat;
    MPI_Type_contiguous(4, MPI_LONG, &mat); MPI_Type_commit(&mat);
    /* expected: M0 * M1 * ... * M(n-1) (rank order) */
    long exp[4] = {1, 0, 0, 1}, m[4], res[4];
    for (int i = 0; i < n; i++) { mat_of(i, m); matmul(exp, m, &(int){1}, NULL); memcpy(exp, m, sizeof m); }
    mat_of(r, m);
    for (int root = 0; root < n; root++) {
        memset(res, 0, sizeof res);
        MPI_Reduce(m, res, 1, mat, mm, root, MPI_COMM_WORLD);
        if (r == root) CHECK(memcmp(res, exp, sizeof exp) == 0);
    }
    MPI_Allreduce(m, res, 1, mat, mm, MPI_COMM_WORLD);
    CHECK(memcmp(res, exp, sizeof exp) == 0);
    /* Scan: prefix product M0*...*Mr */
    long pre[4] = {1, 0, 0, 1}, sc[4];
    for (int i = 0; i <= r; i++) { long t[4]; mat_of(i, t); matmul(pre, t, &(int){1}, NULL); memcpy(pre, t, sizeof t); }
    MPI_Scan(m, sc, 1, mat, mm, MPI_COMM_WORLD);
    CHECK(memcmp(sc, pre, sizeof pre) == 0);
    /* Reduce_local order: inout = in op inout */
    long a[4], b[4]; mat_of(1, a); mat_of(2, b);
    long ab[4]; memcpy(ab, b, sizeof b); matmul(a, ab, &(int){1}, NULL);
    MPI_Reduce_local(a, b, 1, mat, mm);
    CHECK(memcmp(b, ab, sizeof ab) == 0);
    /* commutative op on ints, multiple elements */
    int v[3] = {(r % 2 ? -1 : 1) * (r * 3 + 1), -r, 7}, mx[3];
    MPI_Allreduce(v, mx, 3, MPI_INT, am, MPI_COMM_WORLD);
    CHECK(mx[0] == (n - 1) * 3 + 1 && mx[1] == n - 1 && mx[2] == 7);
    /* user op on MPI_IN_PLACE + Reduce_scatter_block */
    int *blk = malloc(sizeof(int) * n), out = 0;
    for (int i = 0; i < n; i++) blk[i] = (i == r) ? -100 : i - r;
    MPI_Reduce_scatter_block(blk, &out, 1, MPI_INT, am, MPI_COMM_WORLD);
    CHECK(out == (n == 1 ? -100 : 100));   /* np=1: op never applied */
    free(blk);
    CHECK_MPI(MPI_Op_free(&mm)); CHECK_MPI(MPI_Op_free(&am));
    CHECK(mm == MPI_OP_NULL && am == MPI_OP_NULL);
    MPI_Type_free(&mat);
    if (r == 0) printf("product [%ld %ld; %ld %ld] absmax %d %d %d\n", exp[0], exp[1], exp[2], exp[3], mx[0], mx[1], mx[2]);
    mt_printf("scan [%ld %ld; %ld %ld]\n", sc[0], sc[1], sc[2], sc[3]);
    return mt_finish("op_user");
}
