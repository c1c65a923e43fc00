/* Signals that land while a thread is in the lower half wait for its crossing
 * back (DESIGN §2): the queue is in face_crossing.c, the interposed installers
 * in face_signals.c. */
#ifndef CKPT_FACE_SIGNALS_H
#define CKPT_FACE_SIGNALS_H

#include <signal.h>

#include "face_runtime.h"

/* In a signal handler on lower-half TLS: holds `sig` for this thread's next crossing back. */
void face_signal_defer(int sig, const siginfo_t *si);

/* glibc declares it only for some feature macros; the face exports it. */
void (*bsd_signal(int sig, void (*handler)(int)))(int);

#endif
