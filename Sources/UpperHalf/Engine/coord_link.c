/* The engine's link to the coordinator: connecting (Unix socket or TCP), the
 * HMAC challenge over TCP, HELLO, and protocol lines in and out
 * (docs/checkpoint-protocol.md). Raw system calls: the drain uses these while
 * the application's threads are parked. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <ckpt_hmac.h>
#include "coord_link.h"

static volatile int coord_fd = -1;
static volatile int send_lock;

void eng_coord_set_fd(int fd) { coord_fd = fd; }

int ckpt_engine_send_line(const char *line, size_t n)
{
    while (__atomic_exchange_n(&send_lock, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    int fd = coord_fd;
    int rc = fd >= 0 ? eng_write_all(fd, line, n) : -1;
    __atomic_store_n(&send_lock, 0, __ATOMIC_RELEASE);
    return rc;
}

/* "tcp:ADDR:PORT" (IPv6 as [ADDR]): a coordinator on another host. Returns the
 * socket or -errno (-EINVAL for a malformed endpoint). */
static int coord_connect_tcp(const char *spec)
{
    char host[64];
    const char *colon, *start = spec;
    size_t hl;
    if (*spec == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return -EINVAL;
        start = spec + 1;
        hl = (size_t)(close - start);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            return -EINVAL;
        hl = (size_t)(colon - spec);
    }
    if (hl == 0 || hl >= sizeof host)
        return -EINVAL;
    memcpy(host, start, hl);
    host[hl] = 0;
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return -EINVAL;
        port = port * 10 + (*p - '0');
    }
    if (port < 1 || port > 65535)
        return -EINVAL;
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    memset(&a6, 0, sizeof a6);
    memset(&a4, 0, sizeof a4);
    const void *addr;
    long len, family;
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        addr = &a4, len = sizeof a4, family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        addr = &a6, len = sizeof a6, family = AF_INET6;
    } else {
        return -EINVAL;
    }
    long fd = ckpt_sys3(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    long r;
    while ((r = ckpt_sys3(SYS_connect, fd, addr, len)) == -EINTR)
        ;
    if (r < 0) {
        ckpt_sys1(SYS_close, fd);
        return (int)r;
    }
    /* The cut is many small request/answer lines: Nagle would hold each one back. */
    int one = 1;
    ckpt_sys5(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return (int)fd;
}

int eng_coord_connect(const char *path)
{
    if (!strncmp(path, "tcp:", 4))
        return coord_connect_tcp(path + 4);
    long fd = ckpt_sys3(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, strnlen(path, sizeof a.sun_path - 1));
    long r = ckpt_sys3(SYS_connect, fd, &a, sizeof a);
    if (r < 0) {
        ckpt_sys1(SYS_close, fd);
        return (int)r;
    }
    return (int)fd;
}

int eng_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        long w = ckpt_sys3(SYS_write, fd, p, n);
        if (w == -EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void eng_hello(int fd)
{
    char buf[512], host[65];
    struct sbuf s = {buf, 0, sizeof buf};
    memset(host, 0, sizeof host);
    struct {
        char f[6][65];
    } un;
    if (ckpt_sys1(SYS_uname, &un) == 0)
        memcpy(host, un.f[1], 64);
    sb_str(&s, "HELLO rank=");
    sb_u64(&s, (uint64_t)eng.rank);
    sb_str(&s, " nranks=");
    sb_u64(&s, (uint64_t)eng.nranks);
    sb_str(&s, " pid=");
    sb_u64(&s, (uint64_t)ckpt_sys0(SYS_getpid));
    sb_str(&s, " host=");
    sb_str(&s, host[0] ? host : "unknown");
    sb_str(&s, " flavour=");
    sb_str(&s, eng.boot && eng.boot->flavour ? eng.boot->flavour : "none");
    sb_str(&s, "\n");
    eng_write_all(fd, buf, s.n);
}

const char *eng_field(const char *line, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = line; *p;) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            p += kl + 1;
            size_t n = 0;
            while (p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < cap) {
                out[n] = p[n];
                n++;
            }
            out[n] = 0;
            return out;
        }
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

/* The next line (NUL-terminated, without its newline); NULL on timeout; (char *)-1 when the connection ended. */
char *eng_read_line(struct eng_reader *r, int timeout_ms)
{
    if (r->used) {
        memmove(r->buf, r->buf + r->used, r->have - r->used);
        r->have -= r->used;
        r->used = 0;
    }
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->have);
        if (nl) {
            *nl = 0;
            r->used = (size_t)(nl - r->buf) + 1;
            return r->buf;
        }
        if (r->have == sizeof r->buf)
            r->have = 0; /* absurd line: drop it */
        if (timeout_ms >= 0) {
            struct pollfd p = {r->fd, POLLIN, 0};
            long n = ckpt_sys3(SYS_poll, &p, 1, timeout_ms);
            if (n == 0)
                return NULL;
            if (n == -EINTR)
                continue;
        }
        long n = ckpt_sys3(SYS_read, r->fd, r->buf + r->have, sizeof r->buf - r->have);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return (char *)-1;
        r->have += (size_t)n;
    }
}

int eng_is_verb(const char *line, const char *verb, uint64_t gen)
{
    size_t n = strlen(verb);
    if (strncmp(line, verb, n) || (line[n] != ' ' && line[n] != 0))
        return 0;
    char g[32];
    return eng_field(line, "gen", g, sizeof g) && strtoull(g, NULL, 10) == gen;
}

const char *eng_value_of(const char *line, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p++)
        if ((p == line || p[-1] == ' ') && p[kl] == '=')
            return p + kl + 1;
    return "";
}

void eng_send_fmt_u64(const char *a, uint64_t v, const char *b)
{
    char buf[160];
    struct sbuf s = {buf, 0, sizeof buf};
    sb_str(&s, a);
    sb_u64(&s, v);
    sb_str(&s, b);
    ckpt_engine_send_line(buf, s.n);
}

/* Over TCP the coordinator first sends CHALLENGE nonce=<hex>; the answer
 * AUTH mac=HMAC-SHA256(secret, nonce) proves this rank belongs to the job
 * without the secret crossing the wire. 0, or -1 with the reason in err. */
int eng_answer_challenge(struct eng_reader *rd, int fd, struct sbuf *err)
{
    uint8_t secret[CKPT_SECRET_SIZE], nonce[CKPT_NONCE_SIZE], mac[CKPT_SHA256_SIZE];
    if (ckpt_hex_decode(eng_mailbox()->secret, secret, sizeof secret) < 0) {
        sb_str(err, "CKPT_MPI_SECRET is missing or not 64 hex digits, needed for a coordinator on TCP");
        return -1;
    }
    char *line = eng_read_line(rd, 30000);
    char hex[2 * CKPT_NONCE_SIZE + 2];
    if (!line || line == (char *)-1 || strncmp(line, "CHALLENGE ", 10) || !eng_field(line, "nonce", hex, sizeof hex) ||
        ckpt_hex_decode(hex, nonce, sizeof nonce) < 0) {
        memset(secret, 0, sizeof secret);
        sb_str(err, !line ? "no CHALLENGE from the coordinator within 30 s"
                    : line == (char *)-1 ? "the coordinator closed the connection before its CHALLENGE"
                                         : "the coordinator did not send a valid CHALLENGE");
        return -1;
    }
    ckpt_hmac_sha256(secret, sizeof secret, nonce, sizeof nonce, mac);
    memset(secret, 0, sizeof secret);
    char buf[16 + 2 * CKPT_SHA256_SIZE];
    memcpy(buf, "AUTH mac=", 9);
    ckpt_hex_encode(mac, sizeof mac, buf + 9);
    buf[9 + 2 * CKPT_SHA256_SIZE] = '\n';
    return eng_write_all(fd, buf, 10 + 2 * CKPT_SHA256_SIZE) < 0 ? (sb_str(err, "write(AUTH) failed"), -1) : 0;
}
