/* checkpoint.c: one checkpoint of this process, driven from any upper thread. */
#ifndef ENGINE_CHECKPOINT_H
#define ENGINE_CHECKPOINT_H

#include "parked/parked.h"

/* Runs with every other upper thread parked, before the image is written:
 * 0 write, -1 fail (message in err), -2 abandon quietly. */
typedef int (*eng_between_fn)(void *arg, struct sbuf *err);

/* Runs with every other upper thread still parked once this rank's image is
 * durable, before anything resumes; returns to resume, or ends the process. */
typedef void (*eng_hold_fn)(void *arg);

/* 0 written, 1 returning in a restored process, -1 failed (message in errbuf),
 * -2 abandoned by `between`. */
int eng_checkpoint_with(const char *dir, uint64_t generation, eng_between_fn between, void *between_arg,
                        eng_hold_fn hold, void *hold_arg, char *errbuf, int errlen);

/* The rank has reported the checkpoint that let the application run during its
 * write (WRITTEN/FAILED, and COPIED with --local-dir): a process that was
 * exiting meanwhile may end now. */
void eng_writing_done(void);

/* lazy_wait.c: returns once a lazy restore (`restart --lazy`) has every page
 * in; at once in any other process. */
void eng_wait_lazy_restore(void);

/* The face's cut is over (written, restored or abandoned). */
void eng_mpi_finish(int restored);

#endif
