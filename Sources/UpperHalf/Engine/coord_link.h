/* coord_link.c: the connection to the coordinator and its protocol lines. */
#ifndef ENGINE_COORD_LINK_H
#define ENGINE_COORD_LINK_H

#include "parked/parked.h"

/* Lines from the coordinator, with a timeout (for the drain's progress while it waits). */
struct eng_reader {
    int fd;
    size_t have, used;
    char buf[1 << 16];
};

/* "tcp:ADDR:PORT" (IPv6 as [ADDR]) or a Unix socket path: the socket, or -errno. */
int eng_coord_connect(const char *path);
/* The socket ckpt_engine_send_line writes to (-1: none). */
void eng_coord_set_fd(int fd);
/* Over TCP: answer the coordinator's CHALLENGE; 0, or -1 with the reason in err. */
int eng_answer_challenge(struct eng_reader *rd, int fd, struct sbuf *err);
/* HELLO rank= nranks= pid= host= flavour= */
void eng_hello(int fd);

int eng_write_all(int fd, const char *p, size_t n);
/* The next line (NUL-terminated, without its newline); NULL on timeout;
 * (char *)-1 when the connection ended. */
char *eng_read_line(struct eng_reader *r, int timeout_ms);
/* The value of key=VALUE in a line, copied into out; NULL when absent. */
const char *eng_field(const char *line, const char *key, char *out, size_t cap);
/* Where key=... starts in line ("" when absent): for long list values. */
const char *eng_value_of(const char *line, const char *key);
/* Is line "VERB ..." with gen=GEN? */
int eng_is_verb(const char *line, const char *verb, uint64_t gen);
/* Sends a v b to the coordinator. */
void eng_send_fmt_u64(const char *a, uint64_t v, const char *b);

#endif
