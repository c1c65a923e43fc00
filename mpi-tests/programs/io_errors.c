/* test: MPI-IO errors: MPI_FILE_NULL's errhandler is MPI_ERRORS_RETURN, a missing file with MPI_MODE_RDONLY gives MPI_ERR_NO_SUCH_FILE, MPI_MODE_EXCL an existing one an error, File_set_errhandler(MPI_FILE_NULL) changes what new files get, user file errhandlers and File_call_errhandler */
/* ranks: 1 2 */
#include "mt.h"
#include <unistd.h>

static int calls, last_class;
static void handler(MPI_File *fh, int *code, ...) {
    (void)fh;
    calls++;
    MPI_Error_class(*code, &last_class);
}

static int cls(int rc) { int c = -1; MPI_Error_class(rc, &c); return c; }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    char path[256], missing[256];
    int id = mt_job_id();
    snprintf(path, sizeof path, "io_err.%d.dat", id);
    snprintf(missing, sizeof missing, "io_err.%d.missing", id);
    MPI_Errhandler eh;
    CHECK_MPI(MPI_File_get_errhandler(MPI_FILE_NULL, &eh));
    CHECK(eh == MPI_ERRORS_RETURN);
    MPI_File fh = MPI_FILE_NULL;
    int rc = MPI_File_open(MPI_COMM_WORLD, missing, MPI_MODE_RDONLY, MPI_INFO_NULL, &fh);
    CHECK(rc != MPI_SUCCESS);
    CHECK(cls(rc) == MPI_ERR_NO_SUCH_FILE);
    char text[MPI_MAX_ERROR_STRING]; int len = 0;
    CHECK_MPI(MPI_Error_string(rc, text, &len));
    CHECK(len > 0);
    /* a file that exists, opened exclusively */
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh));
    CHECK_MPI(MPI_File_get_errhandler(fh, &eh));
    CHECK(eh == MPI_ERRORS_RETURN);
    CHECK_MPI(MPI_File_close(&fh));
    MPI_File f2;
    rc = MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_EXCL | MPI_MODE_WRONLY, MPI_INFO_NULL, &f2);
    CHECK(rc != MPI_SUCCESS);
    /* a user errhandler on MPI_FILE_NULL: used by failed opens, inherited by new files */
    MPI_Errhandler mine;
    CHECK_MPI(MPI_File_create_errhandler(handler, &mine));
    CHECK_MPI(MPI_File_set_errhandler(MPI_FILE_NULL, mine));
    rc = MPI_File_open(MPI_COMM_WORLD, missing, MPI_MODE_RDONLY, MPI_INFO_NULL, &f2);
    CHECK(rc != MPI_SUCCESS && calls == 1 && last_class == MPI_ERR_NO_SUCH_FILE);
    CHECK_MPI(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_RDONLY, MPI_INFO_NULL, &fh));
    CHECK_MPI(MPI_File_get_errhandler(fh, &eh));
    CHECK(eh == mine);
    CHECK_MPI(MPI_File_call_errhandler(fh, MPI_ERR_IO));
    CHECK(calls == 2 && last_class == MPI_ERR_IO);
    /* writing a read-only file is an error, through the file's handler */
    int x = 1;
    rc = MPI_File_write(fh, &x, 1, MPI_INT, MPI_STATUS_IGNORE);
    CHECK(rc != MPI_SUCCESS && calls == 3);
    CHECK_MPI(MPI_File_set_errhandler(fh, MPI_ERRORS_RETURN));
    rc = MPI_File_write(fh, &x, 1, MPI_INT, MPI_STATUS_IGNORE);
    CHECK(rc != MPI_SUCCESS && calls == 3);
    CHECK_MPI(MPI_File_close(&fh));
    CHECK_MPI(MPI_File_set_errhandler(MPI_FILE_NULL, MPI_ERRORS_RETURN));
    CHECK_MPI(MPI_Errhandler_free(&mine));
    MPI_Barrier(MPI_COMM_WORLD);
    if (mt_rank == 0) CHECK_MPI(MPI_File_delete(path, MPI_INFO_NULL));
    MPI_Barrier(MPI_COMM_WORLD);
    rc = MPI_File_delete(missing, MPI_INFO_NULL);
    CHECK(rc != MPI_SUCCESS);
    mt_printf("handler calls %d, missing class ok %d\n", calls, cls(rc) == MPI_ERR_NO_SUCH_FILE);
    return mt_finish("io_errors");
}
