/* Desc: derived datatypes sent and received. Every round each rank sends to its
 *       right neighbour a matrix column (vector type; received as contiguous
 *       doubles), an array of structs (struct type, resized), and an indexed
 *       selection of ints (indexed type on both sides, holes must stay untouched).
 *       The struct type is replaced by a Type_dup every fifth round; an hvector
 *       type lives from round 8 to round 18.
 * Survives: derived datatypes (vector, struct + resized, indexed, hvector,
 *           Type_dup of a committed type) and messages in flight that use them
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#include <stddef.h>
#define ROUNDS 38
#define M 8

struct rec { int id; double val[3]; char tag[6]; };

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t v[4] = {0, 0, 0, 0};

    MPI_Datatype col, st0, srec, idx, hv = MPI_DATATYPE_NULL;
    MPICHK(MPI_Type_vector(M, 1, M, MPI_DOUBLE, &col));
    MPICHK(MPI_Type_commit(&col));
    int bl[3] = {1, 3, 6};
    MPI_Aint dis[3] = {offsetof(struct rec, id), offsetof(struct rec, val), offsetof(struct rec, tag)};
    MPI_Datatype tys[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
    MPICHK(MPI_Type_create_struct(3, bl, dis, tys, &st0));
    MPICHK(MPI_Type_create_resized(st0, 0, sizeof(struct rec), &srec));
    MPICHK(MPI_Type_commit(&srec));
    MPICHK(MPI_Type_free(&st0));
    int ibl[4] = {1, 2, 3, 1}, idis[4] = {0, 4, 9, 15};
    MPICHK(MPI_Type_indexed(4, ibl, idis, MPI_INT, &idx));
    MPICHK(MPI_Type_commit(&idx));

    for (int r = 0; r < ROUNDS; r++) {
        double mat[M][M], colin[M];
        struct rec rs[3], rr[3];
        int is[16], ir[16];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) mat[i][j] = rank * 10000 + r * 100 + i * M + j;
        memset(rs, 0, sizeof rs);
        memset(rr, 0, sizeof rr);
        for (int k = 0; k < 3; k++) {
            rs[k].id = rank * 100 + r * 3 + k;
            for (int j = 0; j < 3; j++) rs[k].val[j] = rank + r * 0.5 + k * 0.25 + j;
            snprintf(rs[k].tag, sizeof rs[k].tag, "r%dk%d", r % 100, k);
        }
        for (int i = 0; i < 16; i++) { is[i] = rank * 1000 + r * 16 + i; ir[i] = -7; }
        int c = r % M;
        MPI_Request rq[6];
        MPICHK(MPI_Irecv(colin, M, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, &rq[0]));
        MPICHK(MPI_Irecv(rr, 3, srec, left, 2, MPI_COMM_WORLD, &rq[1]));
        MPICHK(MPI_Irecv(ir, 1, idx, left, 3, MPI_COMM_WORLD, &rq[2]));
        nap(25 + 25 * ((rank * 3 + r) % 4));
        MPICHK(MPI_Isend(&mat[0][c], 1, col, right, 1, MPI_COMM_WORLD, &rq[3]));
        MPICHK(MPI_Isend(rs, 3, srec, right, 2, MPI_COMM_WORLD, &rq[4]));
        MPICHK(MPI_Isend(is, 1, idx, right, 3, MPI_COMM_WORLD, &rq[5]));
        nap(10 * (r % 3));
        MPICHK(MPI_Waitall(6, rq, MPI_STATUSES_IGNORE));
        for (int i = 0; i < M; i++) {
            CHECK(colin[i] == (double)(left * 10000 + r * 100 + i * M + c));
            v[0] = fold(v[0], (uint64_t)colin[i]);
        }
        for (int k = 0; k < 3; k++) {
            char t[6];
            snprintf(t, sizeof t, "r%dk%d", r % 100, k);
            CHECK(rr[k].id == left * 100 + r * 3 + k && strcmp(rr[k].tag, t) == 0);
            for (int j = 0; j < 3; j++) {
                CHECK(rr[k].val[j] == left + r * 0.5 + k * 0.25 + j);
                v[1] = fold(v[1], (uint64_t)(rr[k].val[j] * 4));
            }
        }
        int sel[16] = {1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1};
        for (int i = 0; i < 16; i++) {
            CHECK(ir[i] == (sel[i] ? left * 1000 + r * 16 + i : -7));
            v[2] = fold(v[2], (uint64_t)(int64_t)ir[i]);
        }
        if (r % 5 == 4) {                       /* replace the struct type by a dup */
            MPI_Datatype d;
            MPICHK(MPI_Type_dup(srec, &d));
            MPICHK(MPI_Type_free(&srec));
            srec = d;
        }
        if (r == 8) {
            MPICHK(MPI_Type_create_hvector(4, 2, (MPI_Aint)(3 * sizeof(int64_t)), MPI_INT64_T, &hv));
            MPICHK(MPI_Type_commit(&hv));
        }
        if (hv != MPI_DATATYPE_NULL) {          /* Sendrecv with the hvector, contiguous on the other side */
            int64_t hs[12], hr[8];
            for (int i = 0; i < 12; i++) hs[i] = rank * 100 + r * 12 + i;
            MPICHK(MPI_Sendrecv(hs, 1, hv, right, 4, hr, 8, MPI_INT64_T, left, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int b = 0; b < 4; b++)
                for (int j = 0; j < 2; j++) {
                    CHECK(hr[b * 2 + j] == left * 100 + r * 12 + b * 3 + j);
                    v[3] = fold(v[3], (uint64_t)hr[b * 2 + j]);
                }
        }
        if (r == 18) MPICHK(MPI_Type_free(&hv));
    }
    MPI_Type_free(&col);
    MPI_Type_free(&srec);
    MPI_Type_free(&idx);
    return cp_finish("cp_dtypes", v, 4);
}
