/* SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), the one implementation both
 * the coordinator (Swift, linked as a C target) and the engine use for the TCP
 * handshake (docs/checkpoint-protocol.md). No allocation, no libc beyond
 * memcpy/memset: the engine calls it from its own thread with raw syscalls. */
#ifndef CKPT_HMAC_H
#define CKPT_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define CKPT_SHA256_SIZE 32
/* Bytes of the per-job secret (CKPT_MPI_SECRET, 64 hex digits) and of the coordinator's nonce. */
#define CKPT_SECRET_SIZE 32
#define CKPT_NONCE_SIZE 32

struct ckpt_sha256 {
    uint32_t h[8];
    uint64_t length;      /* bytes hashed so far */
    uint8_t block[64];
    uint32_t used;        /* bytes in block */
};

void ckpt_sha256_init(struct ckpt_sha256 *s);
void ckpt_sha256_update(struct ckpt_sha256 *s, const void *data, size_t n);
void ckpt_sha256_final(struct ckpt_sha256 *s, uint8_t out[CKPT_SHA256_SIZE]);
void ckpt_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                      uint8_t out[CKPT_SHA256_SIZE]);
/* 1 when the n bytes are equal, in time that does not depend on where they differ. */
int ckpt_equal_ct(const void *a, const void *b, size_t n);
/* 2n lower-case hex digits and a NUL into out (2n+1 bytes). */
void ckpt_hex_encode(const void *bytes, size_t n, char *out);
/* Exactly 2n hex digits (either case) into n bytes; 0, or -1 for anything else. */
int ckpt_hex_decode(const char *hex, void *bytes, size_t n);

#endif
