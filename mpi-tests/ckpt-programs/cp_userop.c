/* Desc: user-defined reduction ops. A commutative op (element-wise sum mod a
 *       prime) and a non-commutative one (2x2 matrix product mod a prime, on a
 *       contiguous datatype) used in Allreduce, Reduce to a rotating root, Scan,
 *       Exscan, Reduce_scatter_block and an Iallreduce left in flight across a
 *       pause. Results are checked against a local computation in rank order. The
 *       non-commutative op is freed and re-created halfway.
 * Survives: user ops (commutative and not) and their functions, an Iallreduce with
 *           a user op in flight, an op freed and re-created
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 44
#define P 1000003LL

typedef struct { int64_t a, b, c, d; } mat;

static void modsum(void *in, void *inout, int *len, MPI_Datatype *dt) {
    (void)dt;
    int64_t *x = in, *y = inout;
    for (int i = 0; i < *len; i++) y[i] = (x[i] + y[i]) % P;
}
/* inout = in * inout (in comes from the lower ranks) */
static void matmul(void *in, void *inout, int *len, MPI_Datatype *dt) {
    (void)dt;
    mat *x = in, *y = inout;
    for (int i = 0; i < *len; i++) {
        mat r = {(x[i].a * y[i].a + x[i].b * y[i].c) % P, (x[i].a * y[i].b + x[i].b * y[i].d) % P,
                 (x[i].c * y[i].a + x[i].d * y[i].c) % P, (x[i].c * y[i].b + x[i].d * y[i].d) % P};
        y[i] = r;
    }
}
static mat mk(int who, int r, int k) {
    uint64_t h = h64((uint64_t)(who * 1000 + r * 10 + k));
    mat m = {(int64_t)(h % P), (int64_t)((h >> 20) % P), (int64_t)((h >> 40) % P), (int64_t)((h >> 7) % P)};
    return m;
}
static mat mul(mat x, mat y) { int one = 1; matmul(&x, &y, &one, NULL); return y; }
static int eq(mat x, mat y) { return x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d; }
static uint64_t hm(mat x) { return h64((uint64_t)x.a ^ ((uint64_t)x.b << 20) ^ ((uint64_t)x.c << 40) ^ (uint64_t)x.d); }

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[4] = {0, 0, 0, 0};
    MPI_Op osum, omat;
    MPI_Datatype tmat;
    MPICHK(MPI_Type_contiguous(4, MPI_INT64_T, &tmat));
    MPICHK(MPI_Type_commit(&tmat));
    MPICHK(MPI_Op_create(modsum, 1, &osum));
    MPICHK(MPI_Op_create(matmul, 0, &omat));
    for (int r = 0; r < ROUNDS; r++) {
        mat m[2] = {mk(rank, r, 0), mk(rank, r, 1)}, res[2], exp[2], pre[2];
        for (int k = 0; k < 2; k++) {
            exp[k] = mk(0, r, k);
            for (int i = 1; i < size; i++) exp[k] = mul(exp[k], mk(i, r, k));
            pre[k] = mk(0, r, k);                  /* inclusive prefix up to me */
            for (int i = 1; i <= rank; i++) pre[k] = mul(pre[k], mk(i, r, k));
        }
        nap(15 + 20 * ((rank * 5 + r) % 4));
        switch (r % 4) {
        case 0:
            MPICHK(MPI_Allreduce(m, res, 2, tmat, omat, MPI_COMM_WORLD));
            for (int k = 0; k < 2; k++) { CHECK(eq(res[k], exp[k])); v[0] = fold(v[0], hm(res[k])); }
            break;
        case 1: {
            int root = (r / 4) % size;
            MPICHK(MPI_Reduce(m, res, 2, tmat, omat, root, MPI_COMM_WORLD));
            if (rank == root)
                for (int k = 0; k < 2; k++) { CHECK(eq(res[k], exp[k])); v[0] = fold(v[0], hm(res[k])); }
            break;
        }
        case 2:
            MPICHK(MPI_Scan(m, res, 2, tmat, omat, MPI_COMM_WORLD));
            for (int k = 0; k < 2; k++) { CHECK(eq(res[k], pre[k])); v[1] = fold(v[1], hm(res[k])); }
            break;
        default: {
            MPI_Request rq;
            MPICHK(MPI_Iallreduce(m, res, 2, tmat, omat, MPI_COMM_WORLD, &rq));
            nap(20 + 15 * rank);
            MPICHK(MPI_Wait(&rq, MPI_STATUS_IGNORE));
            for (int k = 0; k < 2; k++) { CHECK(eq(res[k], exp[k])); v[1] = fold(v[1], hm(res[k])); }
            break;
        }
        }
        /* commutative op */
        int64_t x[64], y[64], e[64];
        int n = 2 * size;
        for (int i = 0; i < n; i++) {
            x[i] = (int64_t)(h64((uint64_t)(rank * 500 + r * 64 + i)) % P);
            e[i] = 0;
            for (int q = 0; q < size; q++) e[i] = (e[i] + (int64_t)(h64((uint64_t)(q * 500 + r * 64 + i)) % P)) % P;
        }
        MPICHK(MPI_Allreduce(x, y, n, MPI_INT64_T, osum, MPI_COMM_WORLD));
        for (int i = 0; i < n; i++) { CHECK(y[i] == e[i]); v[2] = fold(v[2], (uint64_t)y[i]); }
        MPICHK(MPI_Reduce_scatter_block(x, y, 2, MPI_INT64_T, osum, MPI_COMM_WORLD));
        CHECK(y[0] == e[2 * rank] && y[1] == e[2 * rank + 1]);
        v[3] = fold(v[3], (uint64_t)(y[0] + y[1]));
        MPICHK(MPI_Exscan(x, y, 1, MPI_INT64_T, osum, MPI_COMM_WORLD));
        if (rank > 0) {
            int64_t ex = 0;
            for (int q = 0; q < rank; q++) ex = (ex + (int64_t)(h64((uint64_t)(q * 500 + r * 64)) % P)) % P;
            CHECK(y[0] == ex);
            v[3] = fold(v[3], (uint64_t)y[0]);
        }
        if (r == ROUNDS / 2) {
            MPICHK(MPI_Op_free(&omat));
            MPICHK(MPI_Op_create(matmul, 0, &omat));
        }
    }
    MPI_Op_free(&osum);
    MPI_Op_free(&omat);
    MPI_Type_free(&tmat);
    return cp_finish("cp_userop", v, 4);
}
