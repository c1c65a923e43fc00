/* User-defined error classes, codes and strings (MPI_Add_error_*): kept in the
 * face, numbered above every predefined class, so they mean the same thing on
 * any lower half. */
#include <string.h>

#include "face_runtime.h"
#include "face_errors.h"

/* Above MPI_ERR_LASTCODE, where MPICH numbers them too. */
#define USER_ERR_BASE (CKPT_MPI_ERR_LASTCODE + 1)
#define USER_ERR_MAX 256

static int user_class_of[USER_ERR_MAX];
static char user_text[USER_ERR_MAX][CKPT_MPI_MAX_ERROR_STRING];
static int user_count;

int ckpt_is_user_error(int code) { return code >= USER_ERR_BASE && code < USER_ERR_BASE + user_count; }
#define is_user ckpt_is_user_error

/* The class of an error code: our predefined codes are classes already. */
int ckpt_error_class_of(int code)
{
    return is_user(code) ? user_class_of[code - USER_ERR_BASE] : code;
}

/* Copies the string of a user code; returns 0 if `code` is not one. */
int ckpt_user_error_string(int code, char *out, int *len)
{
    if (!is_user(code))
        return 0;
    size_t n = strlen(user_text[code - USER_ERR_BASE]);
    memcpy(out, user_text[code - USER_ERR_BASE], n + 1);
    *len = (int)n;
    return 1;
}

/* The largest error code in use (MPI_LASTUSEDCODE), or -1 when none was added. */
int ckpt_last_user_code(void) { return user_count ? USER_ERR_BASE + user_count - 1 : -1; }

static int add(int cls, int *out)
{
    int i = __atomic_fetch_add(&user_count, 1, __ATOMIC_RELAXED);
    if (i >= USER_ERR_MAX)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_INTERN, "MPI_Add_error_class");
    user_class_of[i] = cls < 0 ? USER_ERR_BASE + i : cls;
    *out = USER_ERR_BASE + i;
    return 0;
}

CKPT_EXPORT int PMPI_Add_error_class(int *errorclass) { return add(-1, errorclass); }
CKPT_EXPORT int MPI_Add_error_class(int *) __attribute__((alias("PMPI_Add_error_class")));

CKPT_EXPORT int PMPI_Add_error_code(int errorclass, int *errorcode)
{
    CKPT_ENTER();
    if (errorclass < 0 || (errorclass >= USER_ERR_BASE && !is_user(errorclass)))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_ARG, "MPI_Add_error_code");
    return add(errorclass, errorcode);
}
CKPT_EXPORT int MPI_Add_error_code(int, int *) __attribute__((alias("PMPI_Add_error_code")));

CKPT_EXPORT int PMPI_Add_error_string(int errorcode, const char *string)
{
    CKPT_ENTER();
    if (!is_user(errorcode))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_ARG, "MPI_Add_error_string");
    strncpy(user_text[errorcode - USER_ERR_BASE], string, CKPT_MPI_MAX_ERROR_STRING - 1);
    return 0;
}
CKPT_EXPORT int MPI_Add_error_string(int, const char *) __attribute__((alias("PMPI_Add_error_string")));

CKPT_EXPORT int PMPI_Error_string(int errorcode, char *string, int *resultlen)
{
    CKPT_ENTER();
    if (ckpt_user_error_string(errorcode, string, resultlen))
        return 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->Error_string(errorcode, string, resultlen));
    return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Error_string") : 0;
}
CKPT_EXPORT int MPI_Error_string(int, char *, int *) __attribute__((alias("PMPI_Error_string")));

/* The face's error codes are already classes (the lower half maps its codes to classes). */
CKPT_EXPORT int PMPI_Error_class(int errorcode, int *errorclass)
{
    CKPT_ENTER();
    if (errorcode < 0 || (errorcode > CKPT_MPI_ERR_LASTCODE && !ckpt_is_user_error(errorcode)))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_ARG, "MPI_Error_class");
    *errorclass = ckpt_error_class_of(errorcode);
    return 0;
}
CKPT_EXPORT int MPI_Error_class(int, int *) __attribute__((alias("PMPI_Error_class")));
