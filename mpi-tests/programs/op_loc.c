/* test: MPI_MAXLOC/MINLOC with MPI_DOUBLE_INT, MPI_2INT, MPI_FLOAT_INT, MPI_LONG_INT, MPI_SHORT_INT incl. tie-breaking to the lowest index */
/* ranks: 1 2 4 */
#include "mt.h"

typedef struct { double v; int i; } dint;
typedef struct { float v; int i; } fint;
typedef struct { long v; int i; } lint;
typedef struct { short v; int i; } sint;

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    /* values peak in the middle, two ranks tie for max when n is even */
    dint d[2] = {{-(double)((r - n / 2) * (r - n / 2)) + 0.5, r}, {(double)(r % 2), r}}, dm[2], dn[2];
    MPI_Allreduce(d, dm, 2, MPI_DOUBLE_INT, MPI_MAXLOC, MPI_COMM_WORLD);
    MPI_Allreduce(d, dn, 2, MPI_DOUBLE_INT, MPI_MINLOC, MPI_COMM_WORLD);
    CHECK(dm[0].i == n / 2 && dm[0].v == 0.5);
    CHECK(dm[1].i == (n > 1 ? 1 : 0) && dn[1].i == 0 && dn[1].v == 0.0);   /* ties -> lowest index */
    int ip[2] = {10 - r, r * 7}, im[2], in_[2];
    MPI_Allreduce(ip, im, 1, MPI_2INT, MPI_MAXLOC, MPI_COMM_WORLD);
    MPI_Allreduce(ip, in_, 1, MPI_2INT, MPI_MINLOC, MPI_COMM_WORLD);
    CHECK(im[0] == 10 && im[1] == 0 && in_[0] == 10 - (n - 1) && in_[1] == (n - 1) * 7);
    fint f = {(float)(r == n - 1 ? 100 : r), r}, fm;
    MPI_Reduce(&f, &fm, 1, MPI_FLOAT_INT, MPI_MAXLOC, 0, MPI_COMM_WORLD);
    if (r == 0) CHECK(fm.v == (n == 1 ? 100.0f : 100.0f) && fm.i == n - 1);
    lint l = {1000000000L * (r % 3), r}, lm, ln;
    MPI_Allreduce(&l, &lm, 1, MPI_LONG_INT, MPI_MAXLOC, MPI_COMM_WORLD);
    MPI_Allreduce(&l, &ln, 1, MPI_LONG_INT, MPI_MINLOC, MPI_COMM_WORLD);
    int emax = n >= 3 ? 2 : n - 1;
    CHECK(lm.i == emax && lm.v == 1000000000L * emax && ln.i == 0 && ln.v == 0);
    sint s = {(short)(-r), r}, sm;
    MPI_Allreduce(&s, &sm, 1, MPI_SHORT_INT, MPI_MINLOC, MPI_COMM_WORLD);
    CHECK(sm.v == -(n - 1) && sm.i == n - 1);
    /* Scan with MAXLOC: running maximum position */
    int sp[2] = {(r * 5) % 7, r}, sres[2];
    MPI_Scan(sp, sres, 1, MPI_2INT, MPI_MAXLOC, MPI_COMM_WORLD);
    int bv = -1, bi = -1;
    for (int i = 0; i <= r; i++) if ((i * 5) % 7 > bv) { bv = (i * 5) % 7; bi = i; }
    CHECK(sres[0] == bv && sres[1] == bi);
    if (r == 0)
        printf("dmax %.1f@%d dmin %.1f@%d 2int max %d@%d min %d@%d long %ld@%d short %d@%d\n", dm[0].v, dm[0].i, dn[1].v,
               dn[1].i, im[0], im[1], in_[0], in_[1], lm.v, lm.i, (int)sm.v, sm.i);
    mt_printf("scanmaxloc %d@%d\n", sres[0], sres[1]);
    return mt_finish("op_loc");
}
