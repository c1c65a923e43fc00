/* face_calls.c - per-call cost of a face, one rank (no partner to be descheduled on a
 * busy machine): MPI_Comm_rank and an 8-byte MPI_Sendrecv to self, best of 7 reps, ns.
 * Build it with mpicc.mpich and with mpicc.openmpi and run each natively and under
 * `ckpt-mpi run -np 1 --mpi M`: the difference between the two builds under ckpt-mpi is
 * the Open MPI face's boundary (docs/openmpi-face.md, "Overhead"). */
#include <mpi.h>
#include <stdio.h>
static double best(int which, long n)
{
    double b = 1e9;
    int r, buf = 1, got;
    MPI_Status st;
    for (int rep = 0; rep < 7; rep++) {
        double t = MPI_Wtime();
        for (long i = 0; i < n; i++) {
            if (which == 0) MPI_Comm_rank(MPI_COMM_WORLD, &r);
            else MPI_Sendrecv(&buf, 1, MPI_INT, 0, 7, &got, 1, MPI_INT, 0, 7, MPI_COMM_SELF, &st);
        }
        t = (MPI_Wtime() - t) / n * 1e9;
        if (t < b) b = t;
    }
    return b;
}
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    double a = best(0, 1000000), s = best(1, 200000);
    printf("comm_rank_ns %.1f sendrecv_self_ns %.1f\n", a, s);
    MPI_Finalize();
    return 0;
}
