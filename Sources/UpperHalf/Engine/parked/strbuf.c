/* Small formatting without stdio: append to a bounded buffer (never past cap,
 * always NUL-terminated), and the engine's one-line log on fd 2. */
#define _GNU_SOURCE
#include <string.h>
#include "parked.h"

void sb_str(struct sbuf *b, const char *s)
{
    while (*s && b->n + 1 < b->cap)
        b->p[b->n++] = *s++;
    b->p[b->n] = 0;
}
void sb_u64(struct sbuf *b, uint64_t v)
{
    char t[24];
    int i = 0;
    do
        t[i++] = (char)('0' + v % 10);
    while ((v /= 10) && i < 23);
    while (i && b->n + 1 < b->cap)
        b->p[b->n++] = t[--i];
    b->p[b->n] = 0;
}
void sb_hex(struct sbuf *b, uint64_t v)
{
    char t[17];
    int i = 0;
    do
        t[i++] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) && i < 16);
    sb_str(b, "0x");
    while (i && b->n + 1 < b->cap)
        b->p[b->n++] = t[--i];
    b->p[b->n] = 0;
}
void sb_err(struct sbuf *b, const char *call, long neg_errno)
{
    sb_str(b, call);
    sb_str(b, ": ");
    const char *d = strerrordesc_np((int)-neg_errno);
    sb_str(b, d ? d : "unknown error");
}

void eng_log(const char *a, const char *b)
{
    char buf[600];
    struct sbuf s = {buf, 0, sizeof buf};
    sb_str(&s, "ckpt-mpi[engine]: ");
    sb_str(&s, a);
    sb_str(&s, b ? b : "");
    sb_str(&s, "\n");
    ckpt_sys3(SYS_write, 2, buf, s.n);
}
