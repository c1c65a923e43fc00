/* test: contiguous/vector/hvector/indexed/hindexed/indexed_block/struct types select exactly the right elements in send and recv */
/* ranks: 1 2 4 */
#include "mt.h"
#define M 64

typedef struct { char c; double d; int i[3]; } rec_t;

static long xfer(MPI_Datatype st, int sc, MPI_Datatype rt, int rc, int *src, int *dst) {
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size;
    for (int i = 0; i < M; i++) { src[i] = mt_rank * 1000 + i; dst[i] = -1; }
    MPI_Sendrecv(src, sc, st, right, 0, dst, rc, rt, left, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    unsigned long s = 0;
    for (int i = 0; i < M; i++) s = (s * 31 + (unsigned long)(dst[i] + 7)) % 1000000007UL;  /* order-sensitive hash incl. untouched slots */
    return (long)s;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int left = (mt_rank + mt_size - 1) % mt_size, a[M], b[M], sz;
    MPI_Aint lb, ext;
    MPI_Datatype t;
    /* contiguous 5 ints */
    MPI_Type_contiguous(5, MPI_INT, &t); MPI_Type_commit(&t);
    MPI_Type_size(t, &sz); CHECK(sz == 20);
    long h1 = xfer(t, 2, MPI_INT, 10, a, b);
    for (int i = 0; i < 10; i++) CHECK(b[i] == left * 1000 + i);
    CHECK(b[10] == -1);
    MPI_Type_free(&t); CHECK(t == MPI_DATATYPE_NULL);
    /* vector: 4 blocks of 2, stride 5 */
    MPI_Type_vector(4, 2, 5, MPI_INT, &t); MPI_Type_commit(&t);
    MPI_Type_get_extent(t, &lb, &ext); MPI_Type_size(t, &sz);
    CHECK(lb == 0 && ext == 17 * 4 && sz == 32);
    long h2 = xfer(t, 1, t, 1, a, b);
    for (int i = 0; i < M; i++) CHECK(b[i] == ((i < 17 && i % 5 < 2) ? left * 1000 + i : -1));
    MPI_Type_free(&t);
    /* hvector: 3 blocks of 1 int, stride 12 bytes; receive contiguous */
    MPI_Type_create_hvector(3, 1, 12, MPI_INT, &t); MPI_Type_commit(&t);
    long h3 = xfer(t, 1, MPI_INT, 3, a, b);
    CHECK(b[0] == left * 1000 && b[1] == left * 1000 + 3 && b[2] == left * 1000 + 6 && b[3] == -1);
    MPI_Type_free(&t);
    /* indexed: blocks {3 @0, 1 @7, 2 @10} */
    int bl[3] = {3, 1, 2}, dp[3] = {0, 7, 10};
    MPI_Type_indexed(3, bl, dp, MPI_INT, &t); MPI_Type_commit(&t);
    MPI_Type_size(t, &sz); MPI_Type_get_extent(t, &lb, &ext);
    CHECK(sz == 24 && ext == 48);
    long h4 = xfer(MPI_INT, 6, t, 1, a, b);  /* scatter contiguous data into indexed layout */
    CHECK(b[0] == left * 1000 && b[2] == left * 1000 + 2 && b[7] == left * 1000 + 3 && b[11] == left * 1000 + 5 && b[3] == -1);
    MPI_Type_free(&t);
    /* hindexed (byte displacements) */
    MPI_Aint hd[2] = {4 * 20, 4 * 2};
    int hb[2] = {2, 3};
    MPI_Type_create_hindexed(2, hb, hd, MPI_INT, &t); MPI_Type_commit(&t);
    long h5 = xfer(t, 1, MPI_INT, 5, a, b);
    CHECK(b[0] == left * 1000 + 20 && b[1] == left * 1000 + 21 && b[2] == left * 1000 + 2 && b[4] == left * 1000 + 4);
    MPI_Type_free(&t);
    /* indexed_block: 3 blocks of 2 @ {1, 6, 20} */
    int ib[3] = {1, 6, 20};
    MPI_Type_create_indexed_block(3, 2, ib, MPI_INT, &t); MPI_Type_commit(&t);
    long h6 = xfer(t, 2, t, 2, a, b);          /* 2 copies: extent = 22 ints */
    MPI_Type_get_extent(t, &lb, &ext);
    CHECK(lb == 4 && ext == 21 * 4);
    CHECK(b[1] == left * 1000 + 1 && b[22] == left * 1000 + 22 && b[0] == -1 && b[3] == -1);
    MPI_Type_free(&t);
    /* struct matching a C struct, resized to sizeof */
    rec_t rs[3], rr[3];
    int sbl[3] = {1, 1, 3};
    MPI_Aint sd[3] = {offsetof(rec_t, c), offsetof(rec_t, d), offsetof(rec_t, i)};
    MPI_Datatype sty[3] = {MPI_CHAR, MPI_DOUBLE, MPI_INT}, st0;
    MPI_Type_create_struct(3, sbl, sd, sty, &st0);
    MPI_Type_create_resized(st0, 0, sizeof(rec_t), &t); MPI_Type_commit(&t);
    MPI_Type_size(t, &sz); CHECK(sz == 1 + 8 + 12);
    for (int k = 0; k < 3; k++) { memset(&rs[k], 0, sizeof rs[k]); rs[k].c = 'a' + mt_rank + k; rs[k].d = mt_rank + k * 0.25; for (int j = 0; j < 3; j++) rs[k].i[j] = mt_rank * 100 + k * 10 + j; }
    memset(rr, 0, sizeof rr);
    int right = (mt_rank + 1) % mt_size;
    MPI_Sendrecv(rs, 3, t, right, 1, rr, 3, t, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    long h7 = 0;
    for (int k = 0; k < 3; k++) {
        CHECK(rr[k].c == 'a' + left + k && rr[k].d == left + k * 0.25 && rr[k].i[2] == left * 100 + k * 10 + 2);
        h7 += rr[k].c + (long)(rr[k].d * 4) + rr[k].i[0] + rr[k].i[1] + rr[k].i[2];
    }
    MPI_Type_free(&t); MPI_Type_free(&st0);
    mt_printf("hashes %ld %ld %ld %ld %ld %ld struct %ld\n", h1, h2, h3, h4, h5, h6, h7);
    return mt_finish("dtype_derived");
}
