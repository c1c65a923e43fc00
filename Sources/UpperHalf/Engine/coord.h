/* coord.c: the coordinator client's conversation. */
#ifndef ENGINE_COORD_H
#define ENGINE_COORD_H

#include "coord_link.h"

/* Serves the coordinator at path until the connection ends (0; the rank stops
 * unless the coordinator refused it) or the process was restored (1). */
int eng_serve_coordinator(const char *path);

/* One checkpoint of a process without MPI, answered on rd (or logged when rd
 * is NULL); with local (--local-dir) written there and copied to dir after the
 * application resumed. Returns 1 when the process was restored from it. */
int eng_checkpoint_and_report(struct eng_reader *rd, const char *dir, const char *local, uint64_t gen, int stop);

#endif
