/* test: Comm_split (color/key ordering, UNDEFINED), Comm_split_type SHARED, Comm_create, Comm_create_group */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* split by parity, key reverses order */
    MPI_Comm par;
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, r % 2, n - r, &par));
    int pn, pr;
    MPI_Comm_size(par, &pn); MPI_Comm_rank(par, &pr);
    int expn = (n + 1 - r % 2) / 2;
    CHECK(pn == expn && pr == expn - 1 - r / 2);
    int sum = 0;
    MPI_Allreduce(&r, &sum, 1, MPI_INT, MPI_SUM, par);
    /* MPI_UNDEFINED color gives COMM_NULL */
    MPI_Comm only0;
    MPI_Comm_split(MPI_COMM_WORLD, r == 0 ? 0 : MPI_UNDEFINED, 0, &only0);
    CHECK((r == 0) == (only0 != MPI_COMM_NULL));
    if (only0 != MPI_COMM_NULL) MPI_Comm_free(&only0);
    /* split_type shared: all our ranks are on one host */
    MPI_Comm shm;
    CHECK_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &shm));
    int sn, sr;
    MPI_Comm_size(shm, &sn); MPI_Comm_rank(shm, &sr);
    CHECK(sn == n && sr == r);
    MPI_Comm und;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_UNDEFINED, 0, MPI_INFO_NULL, &und);
    CHECK(und == MPI_COMM_NULL);
    /* Comm_create from the group of the first half (rounded up) */
    MPI_Group wg, hg;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    int half = (n + 1) / 2, range[1][3] = {{0, half - 1, 1}};
    MPI_Group_range_incl(wg, 1, range, &hg);
    MPI_Comm hc;
    CHECK_MPI(MPI_Comm_create(MPI_COMM_WORLD, hg, &hc));
    int hsum = -1;
    if (r < half) {
        CHECK(hc != MPI_COMM_NULL);
        MPI_Allreduce(&r, &hsum, 1, MPI_INT, MPI_SUM, hc);
        CHECK(hsum == half * (half - 1) / 2);
        MPI_Comm_free(&hc);
    } else CHECK(hc == MPI_COMM_NULL);
    /* Comm_create_group: only members of the last-half group call it */
    MPI_Group tg;
    int trange[1][3] = {{n / 2, n - 1, 1}};
    MPI_Group_range_incl(wg, 1, trange, &tg);
    int tsum = -1;
    if (r >= n / 2) {
        MPI_Comm tc;
        CHECK_MPI(MPI_Comm_create_group(MPI_COMM_WORLD, tg, 17, &tc));
        int tr; MPI_Comm_rank(tc, &tr);
        CHECK(tr == r - n / 2);
        MPI_Allreduce(&r, &tsum, 1, MPI_INT, MPI_SUM, tc);
        MPI_Comm_free(&tc);
    }
    MPI_Group_free(&wg); MPI_Group_free(&hg); MPI_Group_free(&tg);
    MPI_Comm_free(&par); MPI_Comm_free(&shm);
    mt_printf("parity size %d rank %d sum %d half-sum %d tail-sum %d\n", pn, pr, sum, hsum, tsum);
    return mt_finish("comm_split");
}
