/* How the checkpoint engine (libckpt-engine.so) and the MPI face (libmpi.so.12)
 * work together on a consistent cut (DESIGN §4, docs/checkpoint-protocol.md).
 * Both live in the upper half; the face registers these at start-up, the engine
 * drives them from its checkpoint thread and lends its coordinator connection. */
#ifndef CKPT_MPI_OPS_H
#define CKPT_MPI_OPS_H

#include <stddef.h>
#include <stdint.h>

#define CKPT_MPI_OPS_VERSION 2

struct ckpt_mpi_ops {
    uint32_t version;
    /* In the suspend signal's handler: is this thread inside a face entry point? */
    int (*in_critical)(void);
    /* CHECKPOINT: freeze collectives, send the first CUTREPORT. -1 (message in
     * err) when this rank cannot be cut (MPI already finalised). */
    int (*cut_begin)(uint64_t generation, char *err, int errlen);
    /* TARGETS: the `t=` list. */
    void (*cut_targets)(uint64_t generation, const char *list);
    /* Application threads parked after CUT: this rank's SENT counts ("c0,c1,..."). */
    int (*drain_sent)(char *buf, int cap);
    /* EXPECT's `from=` list: receive until the counts match, complete the sends,
     * cancel unmatched receives. 0, or -1 with a message. */
    int (*drain)(const char *expect, char *err, int errlen);
    /* While waiting for WRITE: keep MPI progressing for the other ranks' drains. */
    void (*progress)(void);
    /* The checkpoint is over (written, restored, or abandoned): post again what
     * the drain cancelled (unless restored: the new lower half does that on its
     * first call) and let collectives go on. */
    void (*finish)(int restored);
    /* The job stops after this checkpoint (STOP): application threads stay
     * parked for good; end MPI in the lower half the way a finishing program
     * would, so the launcher sees an ordinary exit. */
    void (*stop)(void);
};

/* Provided by the engine. */
int ckpt_engine_set_mpi_ops(const struct ckpt_mpi_ops *ops);
/* Sends one protocol line (with its newline) to the coordinator; -1 if none. */
int ckpt_engine_send_line(const char *line, size_t n);

#endif
