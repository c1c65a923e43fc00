/* The engine's entry points the face calls (Sources/UpperHalf/Engine). The
 * engine is optional (a job can run without checkpoints), so every one is a
 * weak reference, NULL when no engine is loaded. */
#ifndef CKPT_FACE_ENGINE_H
#define CKPT_FACE_ENGINE_H

#include <stddef.h>

#include "ckpt_boot.h"
#include "ckpt_mpi_ops.h"

typedef void (*ckpt_engine_restore_fn)(struct ckpt_boot *new_boot, void *arg);
typedef void (*ckpt_engine_thread_fn)(void *arg);
int ckpt_engine_on_restore(ckpt_engine_restore_fn fn, void *arg) __attribute__((weak));
int ckpt_engine_on_thread_restore(ckpt_engine_thread_fn fn, void *arg) __attribute__((weak));
int ckpt_engine_set_mpi_ops(const struct ckpt_mpi_ops *ops) __attribute__((weak));
int ckpt_engine_send_line(const char *line, size_t n) __attribute__((weak));
/* The engine's suspend signal, which stays its own. */
int ckpt_engine_signal(void) __attribute__((weak));
int ckpt_engine_image_keep_out(uint64_t start, uint64_t end, int on) __attribute__((weak));

#endif
