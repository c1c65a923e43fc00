/* The constructor record and its replay (DESIGN §3). See RecordEmitter.swift
 * for the word encoding. */
#ifndef CKPT_FACE_REPLAY_H
#define CKPT_FACE_REPLAY_H

#include "face_runtime.h"
#include "face_cut.h"
#include "face_info_early.h"

/* Builder used by the generated face entries after a successful constructor. */
struct ckpt_rec {
    uint64_t stack[64];
    uint64_t *w;
    uint32_t n, cap, fn;
};
void ckpt_rec_begin(struct ckpt_rec *r, uint32_t fn);
void ckpt_rec_word(struct ckpt_rec *r, uint64_t v);
void ckpt_rec_ints(struct ckpt_rec *r, const int *a, int n);
void ckpt_rec_aints(struct ckpt_rec *r, const void *a, int n);
void ckpt_rec_weights(struct ckpt_rec *r, const int *w, int n);
void ckpt_rec_string(struct ckpt_rec *r, const char *s);
void ckpt_rec_end(struct ckpt_rec *r);

/* Decoder used by the generated replay. Allocations live until ckpt_dec_free. */
struct ckpt_dec {
    const uint64_t *w;
    uint32_t n, i;
    void *allocs[32];
    int nallocs;
    int error;
};
uint64_t ckpt_dec_word(struct ckpt_dec *d);
int *ckpt_dec_ints(struct ckpt_dec *d);
ckpt_aint_t *ckpt_dec_aints(struct ckpt_dec *d);
uint64_t *ckpt_dec_handles(struct ckpt_dec *d, unsigned kind, int32_t **virtuals);
void ckpt_dec_set_outputs(struct ckpt_dec *d, unsigned kind, const int32_t *virtuals, const uint64_t *reals);
const int *ckpt_dec_weights(struct ckpt_dec *d);
const char *ckpt_dec_string(struct ckpt_dec *d);
void *ckpt_dec_scratch(struct ckpt_dec *d);
void ckpt_dec_free(struct ckpt_dec *d);

/* Length helpers for record lengths the spec leaves implicit. */
int ckpt_cartdim(MPI_Comm comm);
int ckpt_sum(const int *a, int n);

/* Generated: performs one recorded call on the current lower half. */
int ckpt_replay_call(uint32_t fn, const uint64_t *words, uint32_t count);
/* Hand-written records (user ops). */
int ckpt_replay_custom(uint32_t fn, const uint64_t *words, uint32_t count);

/* The record entry of an MPI_Comm_idup that completed (its start is CKPT_FN_Comm_idup):
 * an id beyond the spec's procedures. */
#define FACE_FN_COMM_IDUP_DONE 0x10001u
/* Replay of both idup entries (face_idup.c), and the wait for idups still pending at its end. */
int face_idup_replay(uint32_t fn, const uint64_t *words, uint32_t count);
int face_idup_replay_end(void);

/* Replays every recorded call in program order against the current lower half. */
int ckpt_face_replay_all(void);
/* The lower half's callback for a user reduction op (face_ops.c). */
void ckpt_face_op_upcall(int slot, void *in, void *inout, int *len, uint64_t real_type);

/* Rebinds the face to a new lower half after a restart: MPI init, predefined
 * handles, then every recorded call in program order. Returns 0 or an MPI error. */
int ckpt_face_rebind(struct ckpt_boot *boot);

#endif
