/* The communicator table (face_comm_table.c), below the cut and the drain
 * that walk it and face_comms.c that fills it. */
#ifndef CKPT_FACE_COMM_TABLE_H
#define CKPT_FACE_COMM_TABLE_H

#include "face_cut.h"

/* MPI_Comm_create_group and MPI_Intercomm_create are counted on a
 * pseudo-communicator of the ranks they wait for (face_comms.c); the list is
 * only ever prepended, so the engine's thread may walk it meanwhile. */
struct face_pseudo {
    struct face_comm c;
    struct face_pseudo *next;
};
extern struct face_pseudo *face_pseudo_head;
extern int32_t face_my_world_rank;

/* Every live communicator the cut reports (world first, pseudo-communicators
 * last); stops at the first fn that returns nonzero. */
int face_comm_each(int (*fn)(int32_t handle, struct face_comm *c, void *arg), void *arg);
int32_t face_world_rank(void);

#endif
