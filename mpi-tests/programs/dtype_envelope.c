/* test: Type_dup/get_envelope/get_contents report the constructor and arguments; named types report MPI_COMBINER_NAMED */
/* ranks: 1 2 */
#include "mt.h"

static const char *comb(int c) {
    switch (c) {
    case MPI_COMBINER_NAMED: return "named";       case MPI_COMBINER_DUP: return "dup";
    case MPI_COMBINER_CONTIGUOUS: return "contig"; case MPI_COMBINER_VECTOR: return "vector";
    case MPI_COMBINER_HVECTOR: return "hvector";   case MPI_COMBINER_INDEXED: return "indexed";
    case MPI_COMBINER_HINDEXED: return "hindexed"; case MPI_COMBINER_INDEXED_BLOCK: return "indexed_block";
    case MPI_COMBINER_STRUCT: return "struct";     case MPI_COMBINER_SUBARRAY: return "subarray";
    case MPI_COMBINER_RESIZED: return "resized";   default: return "other";
    }
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int ni, na, nd, c;
    MPI_Type_get_envelope(MPI_DOUBLE, &ni, &na, &nd, &c);
    CHECK(c == MPI_COMBINER_NAMED && ni == 0 && na == 0 && nd == 0);
    MPI_Datatype v, vd, s, res, ints[4];
    MPI_Type_vector(3, 2, 7, MPI_DOUBLE, &v);
    MPI_Type_get_envelope(v, &ni, &na, &nd, &c);
    CHECK(c == MPI_COMBINER_VECTOR && ni == 3 && na == 0 && nd == 1);
    int iv[8]; MPI_Aint av[8]; MPI_Datatype dv[4];
    MPI_Type_get_contents(v, ni, na, nd, iv, av, dv);   /* exact sizes: OMPI 4.1.4 crashes on larger ones */
    CHECK(iv[0] == 3 && iv[1] == 2 && iv[2] == 7 && dv[0] == MPI_DOUBLE);
    CHECK_MPI(MPI_Type_dup(v, &vd));
    MPI_Type_get_envelope(vd, &ni, &na, &nd, &c);
    CHECK(c == MPI_COMBINER_DUP && ni == 0 && na == 0 && nd == 1);
    MPI_Type_get_contents(vd, 0, 0, 1, iv, av, dv);
    int ni2, na2, nd2, c2;
    MPI_Type_get_envelope(dv[0], &ni2, &na2, &nd2, &c2);
    CHECK(c2 == MPI_COMBINER_VECTOR);
    MPI_Type_free(&dv[0]);                              /* derived handles returned must be freed */
    /* dup is usable and equivalent */
    MPI_Type_commit(&vd);
    int sz1, sz2; MPI_Aint lb1, e1, lb2, e2;
    MPI_Type_size(v, &sz1); MPI_Type_size(vd, &sz2);
    MPI_Type_get_extent(v, &lb1, &e1); MPI_Type_get_extent(vd, &lb2, &e2);
    CHECK(sz1 == sz2 && e1 == e2 && lb1 == lb2 && sz1 == 48 && e1 == 16 * 8);
    /* struct */
    int bl[2] = {2, 1}; MPI_Aint dp[2] = {0, 16}; MPI_Datatype ty[2] = {MPI_INT, v};
    MPI_Type_create_struct(2, bl, dp, ty, &s);
    MPI_Type_get_envelope(s, &ni, &na, &nd, &c);
    CHECK(c == MPI_COMBINER_STRUCT && ni == 3 && na == 2 && nd == 2);
    MPI_Type_get_contents(s, 3, 2, 2, iv, av, dv);
    CHECK(iv[0] == 2 && iv[1] == 2 && iv[2] == 1 && av[0] == 0 && av[1] == 16 && dv[0] == MPI_INT);
    MPI_Type_get_envelope(dv[1], &ni2, &na2, &nd2, &c2);
    CHECK(c2 == MPI_COMBINER_VECTOR);
    MPI_Type_free(&dv[1]);
    MPI_Type_create_resized(s, 0, 200, &res);
    MPI_Type_get_envelope(res, &ni, &na, &nd, &c);
    CHECK(c == MPI_COMBINER_RESIZED && ni == 0 && na == 2 && nd == 1);
    MPI_Type_get_contents(res, 0, 2, 1, iv, av, dv);
    CHECK(av[0] == 0 && av[1] == 200);
    MPI_Type_free(&dv[0]);
    /* a few more combiners */
    int b3[2] = {1, 2}, d3[2] = {0, 4}; MPI_Aint h3[2] = {0, 32};
    MPI_Type_contiguous(4, MPI_INT, &ints[0]);
    MPI_Type_create_hvector(2, 1, 64, MPI_INT, &ints[1]);
    MPI_Type_indexed(2, b3, d3, MPI_INT, &ints[2]);
    MPI_Type_create_hindexed(2, b3, h3, MPI_INT, &ints[3]);
    char line[MT_LINE]; int o = 0;
    MPI_Datatype all[8] = {MPI_INT, v, vd, s, res, ints[0], ints[1], ints[2]};
    for (int i = 0; i < 8; i++) { MPI_Type_get_envelope(all[i], &ni, &na, &nd, &c); o += snprintf(line + o, sizeof line - o, "%s(%d,%d,%d) ", comb(c), ni, na, nd); }
    MPI_Type_get_envelope(ints[3], &ni, &na, &nd, &c);
    snprintf(line + o, sizeof line - o, "%s(%d,%d,%d)", comb(c), ni, na, nd);
    if (mt_rank == 0) printf("%s\n", line);
    MPI_Type_free(&v); MPI_Type_free(&vd); MPI_Type_free(&s); MPI_Type_free(&res);
    for (int i = 0; i < 4; i++) MPI_Type_free(&ints[i]);
    return mt_finish("dtype_envelope");
}
