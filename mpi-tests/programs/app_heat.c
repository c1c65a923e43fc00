/* test: 1-D heat stencil with halo exchange (Sendrecv + Isend/Irecv alternating) gives the same Allreduce checksum for any np */
/* ranks: 1 2 4 */
#include "mt.h"
#include <math.h>
#define NG 4096
#define STEPS 400

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    int nl = NG / n, off = r * nl;
    double *u = calloc(nl + 2, sizeof(double)), *w = calloc(nl + 2, sizeof(double));
    for (int i = 1; i <= nl; i++) {
        int g = off + i - 1;
        u[i] = (g >= NG / 4 && g < NG / 2) ? 100.0 : (double)(g % 17);   /* exactly representable */
    }
    int left = r > 0 ? r - 1 : MPI_PROC_NULL, right = r < n - 1 ? r + 1 : MPI_PROC_NULL;
    const double alpha = 0.25;
    for (int s = 0; s < STEPS; s++) {
        /* fixed boundaries: ghost cells hold 0 at the global edges */
        if (left == MPI_PROC_NULL) u[0] = 0.0;
        if (right == MPI_PROC_NULL) u[nl + 1] = 0.0;
        if (s % 2 == 0) {
            MPI_Sendrecv(&u[1], 1, MPI_DOUBLE, left, 1, &u[nl + 1], 1, MPI_DOUBLE, right, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Sendrecv(&u[nl], 1, MPI_DOUBLE, right, 2, &u[0], 1, MPI_DOUBLE, left, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Request q[4];
            MPI_Irecv(&u[0], 1, MPI_DOUBLE, left, 3, MPI_COMM_WORLD, &q[0]);
            MPI_Irecv(&u[nl + 1], 1, MPI_DOUBLE, right, 4, MPI_COMM_WORLD, &q[1]);
            MPI_Isend(&u[nl], 1, MPI_DOUBLE, right, 3, MPI_COMM_WORLD, &q[2]);
            MPI_Isend(&u[1], 1, MPI_DOUBLE, left, 4, MPI_COMM_WORLD, &q[3]);
            MPI_Waitall(4, q, MPI_STATUSES_IGNORE);
        }
        if (left == MPI_PROC_NULL) u[0] = 0.0;
        if (right == MPI_PROC_NULL) u[nl + 1] = 0.0;
        for (int i = 1; i <= nl; i++) w[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
        double *t = u; u = w; w = t;
        if (s % 100 == 99) {                 /* periodic global diagnostics */
            double lmax = 0, gmax, probe[2] = {-1e300, -1e300}, gp[2];
            for (int i = 1; i <= nl; i++) {
                if (u[i] > lmax) lmax = u[i];
                if (off + i - 1 == NG / 4) probe[0] = u[i];      /* plateau edges: exact via MAX */
                if (off + i - 1 == NG / 2 - 1) probe[1] = u[i];
            }
            MPI_Allreduce(&lmax, &gmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            MPI_Allreduce(probe, gp, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (r == 0) printf("step %d max %.9f edges %.9f %.9f\n", s + 1, gmax, gp[0], gp[1]);
        }
    }
    /* checksum: gather the full field to rank 0 and sum in global order (exact same order for any np) */
    double *all = r == 0 ? malloc(sizeof(double) * NG) : NULL;
    MPI_Gather(&u[1], nl, MPI_DOUBLE, all, nl, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    double local = 0, total = 0;
    for (int i = 1; i <= nl; i++) local += u[i] * (off + i);
    MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    if (r == 0) {
        double s = 0, sw = 0;
        for (int i = 0; i < NG; i++) { s += all[i]; sw += all[i] * (i + 1); }
        CHECK(fabs(sw - total) <= 1e-9 * fabs(sw));
        printf("heat sum %.6f weighted %.6e\n", s, sw);
        free(all);
    }
    free(u); free(w);
    return mt_finish("app_heat");
}
