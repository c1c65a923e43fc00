/* Desc: communicator trees. Every round: split MPI_COMM_WORLD (colours vary;
 *       sometimes one rank gets MPI_UNDEFINED), dup the part, split the dup again,
 *       (Comm_idup in odd rounds), run collectives on all three, free them in varying orders; every third
 *       round the dup survives as a "chain" communicator used in later rounds (its
 *       predecessor is freed). Once: Comm_create from a group.
 * Survives: communicators from Comm_split (some MPI_UNDEFINED), Comm_dup, Comm_idup, a split
 *           of a dup, Comm_create from a group; a chain communicator whose parents
 *           were freed; groups
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 32

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[4] = {0, 0, 0, 0};
    MPI_Comm chain = MPI_COMM_NULL;
    for (int r = 0; r < ROUNDS; r++) {
        int color;
        if (r % 4 == 3) color = rank == size - 1 ? MPI_UNDEFINED : 0;
        else if (r % 2 == 0) color = rank % 2;
        else color = rank < size / 2;
        int mode = (r % 4 == 3) ? 0 : r % 3;   /* 1: b becomes the chain (all ranks have a) */
        MPI_Comm a = MPI_COMM_NULL, b = MPI_COMM_NULL, c = MPI_COMM_NULL;
        MPICHK(MPI_Comm_split(MPI_COMM_WORLD, color, (r % 2) ? -rank : rank, &a));
        nap(15 + 20 * ((rank + r) % 3));
        if (a != MPI_COMM_NULL) {
            int ar, as;
            MPI_Comm_rank(a, &ar);
            MPI_Comm_size(a, &as);
            if (r % 2) { /* odd rounds: the non-blocking dup, waited for at once */
                MPI_Request q;
                MPICHK(MPI_Comm_idup(a, &b, &q));
                MPICHK(MPI_Wait(&q, MPI_STATUS_IGNORE));
            } else {
                MPICHK(MPI_Comm_dup(a, &b));
            }
            int64_t x = rank + 1, s = 0;
            MPICHK(MPI_Allreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, a));
            v[0] = fold(v[0], (uint64_t)s * 1000 + (uint64_t)as);
            int64_t bc = ar == 0 ? (int64_t)(rank * 1000 + r) : -1;
            MPICHK(MPI_Bcast(&bc, 1, MPI_INT64_T, 0, b));
            v[1] = fold(v[1], (uint64_t)bc);
            MPICHK(MPI_Comm_split(b, ar % 2, as - ar, &c));
            int cs;
            MPI_Comm_size(c, &cs);
            int64_t ga[64];
            int64_t me = (int64_t)rank * 10 + r;
            MPICHK(MPI_Allgather(&me, 1, MPI_INT64_T, ga, 1, MPI_INT64_T, c));
            for (int i = 0; i < cs; i++) v[2] = fold(v[2], (uint64_t)ga[i]);
            nap(10 + 20 * ((rank * 7 + r) % 3));
            MPICHK(MPI_Barrier(c));
            switch (mode) {
            case 0: MPI_Comm_free(&a); MPI_Comm_free(&b); MPI_Comm_free(&c); break;
            case 1:
                MPI_Comm_free(&c); MPI_Comm_free(&a);
                if (chain != MPI_COMM_NULL) MPI_Comm_free(&chain);
                chain = b;
                break;
            default: MPI_Comm_free(&b); MPI_Comm_free(&c); MPI_Comm_free(&a); break;
            }
        }
        /* chain was made by all members of its split; those use it now */
        if (chain != MPI_COMM_NULL) {
            int64_t x = (int64_t)h64((uint64_t)(rank + r)) >> 4, m = 0;
            MPICHK(MPI_Allreduce(&x, &m, 1, MPI_INT64_T, MPI_MAX, chain));
            v[3] = fold(v[3], (uint64_t)m);
        }
        if (r == ROUNDS / 2) {                    /* Comm_create from a group */
            MPI_Group wg, g;
            MPI_Comm_group(MPI_COMM_WORLD, &wg);
            int ex = 0;
            MPICHK(MPI_Group_excl(wg, 1, &ex, &g));
            MPI_Comm cc;
            MPICHK(MPI_Comm_create(MPI_COMM_WORLD, g, &cc));
            CHECK((rank == 0) == (cc == MPI_COMM_NULL));
            if (cc != MPI_COMM_NULL) {
                int64_t x = rank, s = 0;
                MPICHK(MPI_Allreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, cc));
                v[3] = fold(v[3], (uint64_t)s);
                MPI_Comm_free(&cc);
            }
            MPI_Group_free(&g);
            MPI_Group_free(&wg);
        }
        MPICHK(MPI_Barrier(MPI_COMM_WORLD));
    }
    if (chain != MPI_COMM_NULL) MPI_Comm_free(&chain);
    return cp_finish("cp_comm_tree", v, 4);
}
