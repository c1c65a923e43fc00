/* test: MPI_Type_create_f90_real/complex/integer give the Fortran-kind types (sizes, envelope combiner), usable in communication, also after a replay */
/* ranks: 2 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Datatype r8, c16, i8, r4;
    CHECK_MPI(MPI_Type_create_f90_real(15, 300, &r8));
    CHECK_MPI(MPI_Type_create_f90_real(6, 30, &r4));
    CHECK_MPI(MPI_Type_create_f90_complex(15, 300, &c16));
    CHECK_MPI(MPI_Type_create_f90_integer(18, &i8));
    MPI_Barrier(MPI_COMM_WORLD); /* the replay-* modes rebuild every object here */
    int s_r8, s_r4, s_c16, s_i8;
    MPI_Type_size(r8, &s_r8);
    MPI_Type_size(r4, &s_r4);
    MPI_Type_size(c16, &s_c16);
    MPI_Type_size(i8, &s_i8);
    int ni, na, nd, combiner;
    MPI_Type_get_envelope(r8, &ni, &na, &nd, &combiner);
    double x = mt_rank + 1.5, sum = 0;
    MPI_Allreduce(&x, &sum, 1, r8, MPI_SUM, MPI_COMM_WORLD);
    long long big = (long long)(mt_rank + 1) << 40, bigsum = 0;
    MPI_Allreduce(&big, &bigsum, 1, i8, MPI_SUM, MPI_COMM_WORLD);
    double z[2] = {mt_rank, -mt_rank}, zr[2] = {0, 0};
    MPI_Allreduce(z, zr, 1, c16, MPI_SUM, MPI_COMM_WORLD);
    mt_printf("sizes r8 %d r4 %d c16 %d i8 %d combiner_f90_real %d ints %d sum %.1f bigsum %lld z %.0f %.0f",
             s_r8, s_r4, s_c16, s_i8, combiner == MPI_COMBINER_F90_REAL, ni, sum, bigsum, zr[0], zr[1]);
    MPI_Finalize();
    return 0;
}
