/* MPI_Info calls before MPI_Init, answered in the upper half (face_info_early.c). */
#ifndef CKPT_FACE_INFO_EARLY_H
#define CKPT_FACE_INFO_EARLY_H

#include "face_runtime.h"

int face_info_early_create(MPI_Info *info);
int face_info_early_set(MPI_Info info, const char *key, const char *value);
int face_info_early_delete(MPI_Info info, const char *key);
int face_info_early_get(MPI_Info info, const char *key, int valuelen, char *value, int *flag);
int face_info_early_get_valuelen(MPI_Info info, const char *key, int *valuelen, int *flag);
int face_info_early_get_nkeys(MPI_Info info, int *nkeys);
int face_info_early_get_nthkey(MPI_Info info, int n, char *key);
int face_info_early_dup(MPI_Info info, MPI_Info *newinfo);
int face_info_early_free(MPI_Info *info);
/* At MPI_Init, once the lower half runs: makes the early objects there. */
int face_info_early_init(void);

#endif
