/* The background flush of --local-dir (SCR's two levels): the image a rank
 * wrote to its node-local directory goes to the shared generation directory,
 * with copy_file_range (in-kernel, no user-space buffer) and read/write where
 * the kernel cannot copy between those file systems. Only once every rank's
 * copy is durable does the coordinator write the manifest, so a copy that
 * fails or is killed leaves the previous complete generation the newest one. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "copy.h"

static long copy_delay_ms;

void eng_copy_delay_init(const char *ms)
{
    long v = 0;
    for (const char *p = ms; p && *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (*p - '0');
    copy_delay_ms = v;
}

int eng_make_dirs(const char *path, struct sbuf *err)
{
    static char p[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof p) {
        sb_str(err, "local directory path too long");
        return -1;
    }
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        long r = ckpt_sys2(SYS_mkdir, p, 0700);
        p[i] = c;
        if (r < 0 && r != -EEXIST) {
            sb_err(err, "mkdir(local directory)", r);
            return -1;
        }
    }
    return 0;
}

static void image_path(struct sbuf *b, const char *dir, const char *suffix)
{
    char d4[5] = {(char)('0' + eng.rank / 1000 % 10), (char)('0' + eng.rank / 100 % 10),
                  (char)('0' + eng.rank / 10 % 10), (char)('0' + eng.rank % 10), 0};
    sb_str(b, dir);
    sb_str(b, "/rank-");
    sb_str(b, d4);
    sb_str(b, ".img");
    sb_str(b, suffix);
}

/* read/write fallback: one static buffer (the copier never runs twice at once). */
static long copy_by_hand(long in, long out, uint64_t off, uint64_t size)
{
    static char buf[1 << 20];
    while (off < size) {
        long r = ckpt_sys4(SYS_pread64, in, buf, sizeof buf, off);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? r : -EIO;
        for (long done = 0; done < r;) {
            long w = ckpt_sys4(SYS_pwrite64, out, buf + done, (uint64_t)(r - done), off + (uint64_t)done);
            if (w == -EINTR)
                continue;
            if (w <= 0)
                return w < 0 ? w : -EIO;
            done += w;
        }
        off += (uint64_t)r;
    }
    return 0;
}

int eng_copy_image(const char *from_dir, const char *to_dir, struct sbuf *err)
{
    static char from[4200], tmp[4200], to[4200];
    struct sbuf f = {from, 0, sizeof from}, t = {tmp, 0, sizeof tmp}, d = {to, 0, sizeof to};
    image_path(&f, from_dir, "");
    image_path(&t, to_dir, ".tmp");
    image_path(&d, to_dir, "");
    if (copy_delay_ms > 0)
        eng_sleep_ms(copy_delay_ms);
    long in = -1, out = -1, dir = -1, r;
    int rc = -1;
    in = ckpt_sys3(SYS_open, from, O_RDONLY | O_CLOEXEC, 0);
    if (in < 0) {
        sb_err(err, "copy: open(local image)", in);
        goto out;
    }
    struct stat st;
    r = ckpt_sys2(SYS_fstat, in, &st);
    if (r < 0) {
        sb_err(err, "copy: fstat(local image)", r);
        goto out;
    }
    /* the coordinator made the shared generation directory: never through a symlink */
    dir = ckpt_sys3(SYS_open, to_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (dir < 0) {
        sb_err(err, "copy: open(checkpoint directory)", dir);
        goto out;
    }
    out = ckpt_sys3(SYS_open, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        sb_err(err, "copy: open(shared image)", out);
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size, off = 0;
    while (off < size) {
        r = ckpt_sys6(SYS_copy_file_range, in, 0, out, 0, (long)(size - off < (1UL << 30) ? size - off : (1UL << 30)), 0);
        if (r == -EINTR)
            continue;
        if (r == -EXDEV || r == -ENOSYS || r == -EINVAL || r == -EOPNOTSUPP || r == 0) {
            /* copy_file_range without offsets moved both files' positions: go on by offset */
            r = copy_by_hand(in, out, off, size);
            off = size;
        } else if (r > 0) {
            off += (uint64_t)r;
            continue;
        }
        if (r < 0) {
            sb_err(err, "copy: write(shared image)", r);
            goto out;
        }
    }
    r = ckpt_sys1(SYS_fdatasync, out);
    if (r < 0) {
        sb_err(err, "copy: fdatasync(shared image)", r);
        goto out;
    }
    r = ckpt_sys1(SYS_close, out);
    out = -1;
    if (r < 0) {
        sb_err(err, "copy: close(shared image)", r);
        goto out;
    }
    r = ckpt_sys2(SYS_rename, tmp, to);
    if (r < 0) {
        sb_err(err, "copy: rename(shared image)", r);
        goto out;
    }
    r = ckpt_sys1(SYS_fsync, dir);
    if (r < 0) {
        sb_err(err, "copy: fsync(checkpoint directory)", r);
        goto out;
    }
    rc = 0;
out:
    if (out >= 0) {
        ckpt_sys1(SYS_close, out);
        ckpt_sys1(SYS_unlink, tmp); /* a partial copy must not fill the shared disk */
    } else if (rc < 0 && tmp[0]) {
        ckpt_sys1(SYS_unlink, tmp);
    }
    if (in >= 0)
        ckpt_sys1(SYS_close, in);
    if (dir >= 0)
        ckpt_sys1(SYS_close, dir);
    return rc;
}
