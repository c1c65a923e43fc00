/* test: plain MPI_Init gives a valid thread level, COMM_WORLD/SELF sizes, and Abort-free finalize */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    CHECK_MPI(MPI_Init(&argc, &argv));
    mt_setup();
    int q = -1, main_t = 0;
    CHECK_MPI(MPI_Query_thread(&q));
    CHECK(q >= MPI_THREAD_SINGLE && q <= MPI_THREAD_MULTIPLE);
    CHECK_MPI(MPI_Is_thread_main(&main_t));
    CHECK(main_t);
    int ss = -1, sr = -1;
    MPI_Comm_size(MPI_COMM_SELF, &ss);
    MPI_Comm_rank(MPI_COMM_SELF, &sr);
    CHECK(ss == 1 && sr == 0);
    CHECK(mt_rank >= 0 && mt_rank < mt_size);
    mt_printf("of %d self %d/%d main %d\n", mt_size, sr, ss, main_t);
    /* Every rank contributes rank+1: total must be n(n+1)/2 */
    long s = 0, v = mt_rank + 1;
    MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    CHECK(s == (long)mt_size * (mt_size + 1) / 2);
    if (mt_rank == 0) printf("sum %ld\n", s);
    /* Wtime is a double, Wtick positive */
    double t = MPI_Wtime();
    CHECK(t == t && MPI_Wtick() > 0);
    return mt_finish("env_init_plain");
}
