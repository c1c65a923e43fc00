/* test: with MPI_ERRORS_RETURN, invalid rank/tag/count/comm/type/root/op errors are returned with the right class; Error_string/Error_class work */
/* ranks: 1 2 */
#include "mt.h"

static int cls(int rc) { int c = -1; MPI_Error_class(rc, &c); return c; }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Errhandler eh;
    MPI_Comm_get_errhandler(MPI_COMM_WORLD, &eh);
    CHECK(eh == MPI_ERRORS_ARE_FATAL);
    MPI_Errhandler_free(&eh);
    CHECK_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    MPI_Comm_get_errhandler(MPI_COMM_WORLD, &eh);
    CHECK(eh == MPI_ERRORS_RETURN);
    MPI_Errhandler_free(&eh);
    int n = mt_size, buf[4] = {0}, rc;
    char line[MT_LINE]; int o = 0;
    /* invalid destination rank */
    rc = MPI_Send(buf, 1, MPI_INT, n + 5, 0, MPI_COMM_WORLD);
    CHECK(rc != MPI_SUCCESS && cls(rc) == MPI_ERR_RANK);
    o += snprintf(line + o, sizeof line - o, "rank:%d ", cls(rc) == MPI_ERR_RANK);
    /* negative tag */
    rc = MPI_Send(buf, 1, MPI_INT, 0, -7, MPI_COMM_WORLD);
    CHECK(cls(rc) == MPI_ERR_TAG);
    o += snprintf(line + o, sizeof line - o, "tag:%d ", cls(rc) == MPI_ERR_TAG);
    /* negative count */
    rc = MPI_Send(buf, -1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    CHECK(cls(rc) == MPI_ERR_COUNT);
    o += snprintf(line + o, sizeof line - o, "count:%d ", cls(rc) == MPI_ERR_COUNT);
    /* invalid root */
    rc = MPI_Bcast(buf, 1, MPI_INT, n + 3, MPI_COMM_WORLD);
    CHECK(cls(rc) == MPI_ERR_ROOT);
    o += snprintf(line + o, sizeof line - o, "root:%d ", cls(rc) == MPI_ERR_ROOT);
    /* null datatype */
    rc = MPI_Send(buf, 1, MPI_DATATYPE_NULL, 0, 0, MPI_COMM_WORLD);
    CHECK(cls(rc) == MPI_ERR_TYPE);
    o += snprintf(line + o, sizeof line - o, "type:%d ", cls(rc) == MPI_ERR_TYPE);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    /* uncommitted derived type */
    MPI_Datatype t; MPI_Type_contiguous(2, MPI_INT, &t);
    rc = MPI_Send(buf, 1, t, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
    CHECK(cls(rc) == MPI_ERR_TYPE);
    MPI_Type_free(&t);
    /* truncation on receive */
    int big[4] = {1, 2, 3, 4}, small[2];
    MPI_Request q;
    MPI_Isend(big, 4, MPI_INT, mt_rank, 3, MPI_COMM_WORLD, &q);
    MPI_Status st;
    rc = MPI_Recv(small, 2, MPI_INT, mt_rank, 3, MPI_COMM_WORLD, &st);
    CHECK(cls(rc) == MPI_ERR_TRUNCATE);
    MPI_Wait(&q, MPI_STATUS_IGNORE);
    o += snprintf(line + o, sizeof line - o, "truncate:%d ", cls(rc) == MPI_ERR_TRUNCATE);
    /* Error_string on every class we saw: returns success and nonempty text (text not printed) */
    int classes[] = {MPI_SUCCESS, MPI_ERR_RANK, MPI_ERR_TAG, MPI_ERR_COUNT, MPI_ERR_ROOT, MPI_ERR_TYPE, MPI_ERR_TRUNCATE, MPI_ERR_OTHER};
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        char s[MPI_MAX_ERROR_STRING]; int len = -1;
        if (MPI_Error_string(classes[i], s, &len) == MPI_SUCCESS && len > 0 && len < MPI_MAX_ERROR_STRING) ok++;
        int c; MPI_Error_class(classes[i], &c); CHECK(c == classes[i]);
    }
    CHECK(ok == 8);
    CHECK(MPI_ERR_LASTCODE >= MPI_ERR_OTHER && MPI_SUCCESS == 0);
    snprintf(line + o, sizeof line - o, "strings:%d", ok);
    /* still functional afterwards */
    int s = 0, one = 1;
    MPI_Allreduce(&one, &s, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(s == n);
    if (mt_rank == 0) printf("%s\n", line);
    mt_printf("after-errors allreduce %d\n", s);
    return mt_finish("err_return");
}
