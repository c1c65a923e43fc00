/* User-defined error classes and codes (face_error_classes.c), which the
 * error reporting and the attribute MPI_LASTUSEDCODE read. */
#ifndef CKPT_FACE_ERRORS_H
#define CKPT_FACE_ERRORS_H

int ckpt_is_user_error(int code);
/* The class of an error code: predefined codes are classes already. */
int ckpt_error_class_of(int code);
/* Copies the string of a user code; returns 0 if `code` is not one. */
int ckpt_user_error_string(int code, char *out, int *len);
/* The largest error code in use (MPI_LASTUSEDCODE), or -1 when none was added. */
int ckpt_last_user_code(void);

#endif
