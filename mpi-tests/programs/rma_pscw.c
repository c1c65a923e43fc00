/* test: post-start-complete-wait between ring neighbours, with Win_test on the exposure side */
/* ranks: 2 3 4 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size, left = (r + n - 1) % n, right = (r + 1) % n;
    int *box;
    CHECK_MPI(MPI_Alloc_mem(2 * sizeof(int), MPI_INFO_NULL, &box));
    box[0] = box[1] = -1;
    MPI_Win win;
    CHECK_MPI(MPI_Win_create(box, 2 * sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    MPI_Group world, lg, rg;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_incl(world, 1, &left, &lg);
    MPI_Group_incl(world, 1, &right, &rg);
    long sum = 0;
    for (int step = 0; step < 4; step++) {
        CHECK_MPI(MPI_Win_post(lg, 0, win));
        CHECK_MPI(MPI_Win_start(rg, 0, win));
        int v = r * 10 + step;
        CHECK_MPI(MPI_Put(&v, 1, MPI_INT, right, step % 2, 1, MPI_INT, win));
        CHECK_MPI(MPI_Win_complete(win));
        if (step % 2) {
            int flag = 0;
            while (!flag) CHECK_MPI(MPI_Win_test(win, &flag));
        } else {
            CHECK_MPI(MPI_Win_wait(win));
        }
        CHECK(box[step % 2] == left * 10 + step);
        sum += box[step % 2];
    }
    MPI_Group_free(&lg); MPI_Group_free(&rg); MPI_Group_free(&world);
    MPI_Group g;
    CHECK_MPI(MPI_Win_get_group(win, &g));
    int gs = 0;
    MPI_Group_size(g, &gs);
    CHECK(gs == n);
    MPI_Group_free(&g);
    CHECK_MPI(MPI_Win_free(&win));
    MPI_Free_mem(box);
    mt_printf("sum=%ld", sum);
    return mt_finish("rma_pscw");
}
