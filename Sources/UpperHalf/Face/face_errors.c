/* MPI errors in the face: the lower half always returns errors (its
 * communicators use MPI_ERRORS_RETURN) and the face applies the errhandler the
 * application chose, so user errhandlers run in the upper half with virtual
 * handles and survive a change of lower half. */
#include <string.h>
#include <unistd.h>
#include "ckpt_raw.h"
#include "face_runtime.h"

void ckpt_face_log(const char *a, const char *b, const char *c)
{
    char line[1024];
    size_t n = 0;
    for (const char *s = a; s && *s && n < sizeof line - 2; s++) line[n++] = *s;
    for (const char *s = b; s && *s && n < sizeof line - 2; s++) line[n++] = *s;
    for (const char *s = c; s && *s && n < sizeof line - 2; s++) line[n++] = *s;
    line[n++] = '\n';
    ssize_t w = write(2, line, n);
    (void)w;
}

void ckpt_face_abort(int rc)
{
    ckpt_wait_stderr_read(); /* MPI_Abort ends the job: the line logged first must get out */
    uint64_t world = ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_WORLD);
    if (ckpt_T && world)
        CKPT_CROSS(ckpt_T->Abort(world, rc ? rc : 1));
    _exit(rc ? rc : 1);
}

void ckpt_face_error_text(int rc, char *buf, int cap)
{
    int len = 0;
    buf[0] = 0;
    if (ckpt_T)
        CKPT_CROSS(ckpt_T->Error_string(rc, buf, &len));
    buf[cap - 1] = 0;
}

int ckpt_face_error(MPI_Comm comm, int rc, const char *fn)
{
    int32_t eh = ckpt_shadow_get_errhandler(comm, CKPT_MPI_ERRORS_ARE_FATAL);
    if (eh == CKPT_MPI_ERRORS_RETURN)
        return rc;
    if ((uint32_t)eh >> 30 == 2) {
        MPI_Comm_errhandler_function *f =
            (MPI_Comm_errhandler_function *)(uintptr_t)ckpt_to_real(CKPT_KIND_ERRHANDLER, eh);
        if (f) {
            MPI_Comm c = comm;
            int code = rc;
            f(&c, &code);
            return rc;
        }
    }
    ckpt_face_fatal(rc, fn);
}

void ckpt_face_fatal(int rc, const char *fn)
{
    char text[CKPT_MPI_MAX_ERROR_STRING];
    ckpt_face_error_text(rc, text, sizeof text);
    ckpt_face_log("ckpt-mpi: fatal error in ", fn, ":");
    ckpt_face_log("  ", text, "");
    ckpt_face_abort(rc);
}

int ckpt_unsupported(const char *fn)
{
    ckpt_face_log("ckpt-mpi: ", fn, " is not supported by ckpt-mpi yet (see docs/mpi-coverage.md); aborting the job");
    ckpt_face_abort(1);
}

CKPT_EXPORT int PMPI_Comm_create_errhandler(MPI_Comm_errhandler_function *fn, MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    *errhandler = ckpt_shadow_alloc(CKPT_KIND_ERRHANDLER, (uint64_t)(uintptr_t)fn);
    return 0;
}
CKPT_EXPORT int MPI_Comm_create_errhandler(MPI_Comm_errhandler_function *, MPI_Errhandler *)
    __attribute__((alias("PMPI_Comm_create_errhandler")));

static int valid_comm(MPI_Comm comm) { return ckpt_to_real(CKPT_KIND_COMM, comm) != 0; }

CKPT_EXPORT int PMPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler)
{
    CKPT_ENTER();
    if (!valid_comm(comm))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_COMM, "MPI_Comm_set_errhandler");
    ckpt_shadow_set_errhandler(comm, errhandler);
    return 0;
}
CKPT_EXPORT int MPI_Comm_set_errhandler(MPI_Comm, MPI_Errhandler) __attribute__((alias("PMPI_Comm_set_errhandler")));

CKPT_EXPORT int PMPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    if (!valid_comm(comm))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_COMM, "MPI_Comm_get_errhandler");
    *errhandler = ckpt_shadow_get_errhandler(comm, CKPT_MPI_ERRORS_ARE_FATAL);
    return 0;
}
CKPT_EXPORT int MPI_Comm_get_errhandler(MPI_Comm, MPI_Errhandler *) __attribute__((alias("PMPI_Comm_get_errhandler")));

/* The slot is kept: communicators may still use the errhandler (MPI allows freeing it early). */
CKPT_EXPORT int PMPI_Errhandler_free(MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    *errhandler = CKPT_MPI_ERRHANDLER_NULL;
    return 0;
}
CKPT_EXPORT int MPI_Errhandler_free(MPI_Errhandler *) __attribute__((alias("PMPI_Errhandler_free")));

CKPT_EXPORT int PMPI_Comm_call_errhandler(MPI_Comm comm, int errorcode)
{
    CKPT_ENTER();
    (void)ckpt_face_error(comm, errorcode, "MPI_Comm_call_errhandler");
    return 0;
}
CKPT_EXPORT int MPI_Comm_call_errhandler(MPI_Comm, int) __attribute__((alias("PMPI_Comm_call_errhandler")));
