/* test: Comm_create_errhandler user handler is invoked with the comm and error code, Comm_call_errhandler, add_error_class/code/string */
/* ranks: 1 2 */
#include "mt.h"

static int calls = 0, last_class = -1;
static MPI_Comm last_comm = MPI_COMM_NULL;

static void handler(MPI_Comm *comm, int *code, ...) {
    calls++;
    last_comm = *comm;
    MPI_Error_class(*code, &last_class);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Errhandler eh, got;
    CHECK_MPI(MPI_Comm_create_errhandler(handler, &eh));
    MPI_Comm d;
    MPI_Comm_dup(MPI_COMM_WORLD, &d);
    CHECK_MPI(MPI_Comm_set_errhandler(d, eh));
    MPI_Comm_get_errhandler(d, &got);
    CHECK(got == eh);
    MPI_Errhandler_free(&got);
    int buf = 0, rc;
    rc = MPI_Send(&buf, 1, MPI_INT, mt_size + 1, 0, d);
    CHECK(rc != MPI_SUCCESS && calls == 1 && last_class == MPI_ERR_RANK && last_comm == d);
    rc = MPI_Recv(&buf, 1, MPI_INT, 0, -5, d, MPI_STATUS_IGNORE);
    CHECK(calls == 2 && last_class == MPI_ERR_TAG);
    /* explicit call */
    CHECK_MPI(MPI_Comm_call_errhandler(d, MPI_ERR_OTHER));
    CHECK(calls == 3 && last_class == MPI_ERR_OTHER);
    /* dup inherits the errhandler */
    MPI_Comm d2;
    MPI_Comm_dup(d, &d2);
    rc = MPI_Bcast(&buf, 1, MPI_INT, -3, d2);
    CHECK(calls == 4 && last_class == MPI_ERR_ROOT && last_comm == d2);
    /* user-defined error class/code/string */
    int myclass, mycode, c;
    CHECK_MPI(MPI_Add_error_class(&myclass));
    CHECK_MPI(MPI_Add_error_code(myclass, &mycode));
    CHECK_MPI(MPI_Add_error_string(mycode, "ckpt-mpi test error"));
    MPI_Error_class(mycode, &c);
    CHECK(c == myclass && myclass > MPI_ERR_LASTCODE - 1);
    char s[MPI_MAX_ERROR_STRING]; int len;
    MPI_Error_string(mycode, s, &len);
    CHECK(strcmp(s, "ckpt-mpi test error") == 0 && len == 19);
    MPI_Comm_call_errhandler(d, mycode);
    CHECK(calls == 5 && last_class == myclass);
    /* the world comm is unaffected: ERRORS_RETURN there, no handler call */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    rc = MPI_Send(&buf, 1, MPI_INT, mt_size + 1, 0, MPI_COMM_WORLD);
    CHECK(rc != MPI_SUCCESS && calls == 5);
    CHECK_MPI(MPI_Errhandler_free(&eh));
    CHECK(eh == MPI_ERRHANDLER_NULL);
    /* handler still attached to d after freeing our handle */
    rc = MPI_Send(&buf, 1, MPI_INT, mt_size + 1, 0, d);
    CHECK(calls == 6);
    MPI_Comm_free(&d2); MPI_Comm_free(&d);
    mt_printf("handler calls %d last-class-is-user %d\n", calls, last_class == myclass);
    return mt_finish("err_user");
}
