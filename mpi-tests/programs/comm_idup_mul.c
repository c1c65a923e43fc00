/* test: several Comm_idup outstanding at once (of the world, of a split, of a dup), completed by
 * Waitall, Waitany, Testsome and Test loops in rank-dependent orders; each dup works and is isolated */
/* ranks: 2 4 */
#include "mt.h"

#define NDUP 5

/* A token ring on c: returns the token received from the left neighbour. */
static int ring(MPI_Comm c, int tag, int tok)
{
    int n, r, got = -1;
    MPI_Comm_size(c, &n);
    MPI_Comm_rank(c, &r);
    MPI_Sendrecv(&tok, 1, MPI_INT, (r + 1) % n, tag, &got, 1, MPI_INT, (r + n - 1) % n, tag, c, MPI_STATUS_IGNORE);
    return got;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    MPI_Comm half, base;
    MPI_Comm_split(MPI_COMM_WORLD, r % 2, r, &half);
    MPI_Comm_dup(MPI_COMM_WORLD, &base);
    MPI_Comm parents[NDUP] = {MPI_COMM_WORLD, half, base, MPI_COMM_WORLD, half};
    MPI_Comm c[NDUP];
    MPI_Request q[NDUP];
    for (int i = 0; i < NDUP; i++)
        CHECK_MPI(MPI_Comm_idup(parents[i], &c[i], &q[i]));
    /* completion in a rank-dependent way */
    int done = 0, order = 0;
    if (r % 3 == 0) {
        CHECK_MPI(MPI_Waitall(NDUP, q, MPI_STATUSES_IGNORE));
        done = NDUP;
    } else if (r % 3 == 1) {
        while (done < NDUP) {
            int idx = -1;
            CHECK_MPI(MPI_Waitany(NDUP, q, &idx, MPI_STATUS_IGNORE));
            CHECK(idx >= 0 && idx < NDUP && q[idx] == MPI_REQUEST_NULL);
            done++;
        }
    } else {
        while (done < NDUP) {
            int out = 0, idx[NDUP];
            CHECK_MPI(MPI_Testsome(NDUP, q, &out, idx, MPI_STATUSES_IGNORE));
            if (out != MPI_UNDEFINED) done += out;
        }
    }
    for (int i = 0; i < NDUP; i++) CHECK(q[i] == MPI_REQUEST_NULL);
    /* the replay modes rebuild every object here, from the idups' start and completion entries */
    MPI_Barrier(MPI_COMM_WORLD);
    long sum = 0;
    for (int i = 0; i < NDUP; i++) {
        int cmp = -1, sz = 0, psz = 0;
        MPI_Comm_compare(parents[i], c[i], &cmp);
        MPI_Comm_size(c[i], &sz);
        MPI_Comm_size(parents[i], &psz);
        CHECK(cmp == MPI_CONGRUENT && sz == psz);
        sum += ring(c[i], i, 1000 * i + r);
        int s = 0;
        MPI_Allreduce(&r, &s, 1, MPI_INT, MPI_SUM, c[i]);
        sum += s;
        order++;
    }
    /* the dups of one parent are distinct communicators */
    int cmp = -1;
    MPI_Comm_compare(c[0], c[3], &cmp);
    CHECK(cmp == MPI_CONGRUENT);
    /* a Test loop completes one more */
    MPI_Comm last;
    MPI_Request ql;
    CHECK_MPI(MPI_Comm_idup(c[2], &last, &ql));
    int flag = 0;
    while (!flag) CHECK_MPI(MPI_Test(&ql, &flag, MPI_STATUS_IGNORE));
    sum += ring(last, 99, r);
    MPI_Comm_free(&last);
    for (int i = 0; i < NDUP; i++) MPI_Comm_free(&c[i]);
    MPI_Comm_free(&half);
    MPI_Comm_free(&base);
    mt_printf("dups %d sum %ld\n", order, sum);
    (void)n;
    return mt_finish("comm_idup_mul");
}
