/* test: MPI_Status_c2f/f2c keep source, tag, error, count and cancelled; MPI_Comm_get_parent of an unspawned process is MPI_COMM_NULL */
/* ranks: 2 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Comm parent = MPI_COMM_WORLD;
    CHECK_MPI(MPI_Comm_get_parent(&parent));
    CHECK(parent == MPI_COMM_NULL);
    int peer = 1 - mt_rank, buf[7] = {1, 2, 3, 4, 5, 6, 7}, in[7];
    MPI_Status st;
    CHECK_MPI(MPI_Sendrecv(buf, 7, MPI_INT, peer, 40 + mt_rank, in, 7, MPI_INT, peer, 40 + peer, MPI_COMM_WORLD, &st));
    MPI_Fint f[MPI_F_STATUS_SIZE];
    MPI_Status back, back2;
    CHECK_MPI(MPI_Status_c2f(&st, f));
    CHECK_MPI(MPI_Status_f2c(f, &back));
/* (the F08 conversions live in MPICH's libmpifort, not libmpich: a C program cannot link them natively) */
    back2 = back;
    int count = -1, cancelled = 1;
    CHECK_MPI(MPI_Get_count(&back2, MPI_INT, &count));
    CHECK_MPI(MPI_Test_cancelled(&back2, &cancelled));
    CHECK(back2.MPI_SOURCE == peer && back2.MPI_TAG == 40 + peer && count == 7 && cancelled == 0);
    /* MPI_F_SOURCE and MPI_F_TAG: where a Fortran status keeps them */
    CHECK(f[MPI_F_SOURCE] == peer && f[MPI_F_TAG] == 40 + peer);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rc = MPI_Status_c2f(MPI_STATUS_IGNORE, f), cls = -1;
    MPI_Error_class(rc, &cls);
    CHECK(rc != MPI_SUCCESS);
    mt_printf("status roundtrip source %d tag %d count %d; ignore refused %d\n", back2.MPI_SOURCE, back2.MPI_TAG, count, rc != MPI_SUCCESS);
    return mt_finish("status_fortran");
}
