/* /proc/self/maps parsed into a caller array with raw syscalls: the layout
 * code runs while the mmap family is being rewired and must not allocate. */
#include <fcntl.h>
#include <string.h>
#include "lh_internal.h"

static char maps_buf[1 << 20];
static char exe_path[4096];

int lh_read_maps(struct lh_map *out, int cap)
{
    if (!exe_path[0]) {
        long n = ckpt_sys3(SYS_readlink, "/proc/self/exe", exe_path, sizeof exe_path - 1);
        exe_path[n > 0 ? n : 0] = 0;
    }
    long fd = ckpt_sys3(SYS_open, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    size_t len = 0;
    for (;;) {
        long r = ckpt_sys3(SYS_read, fd, maps_buf + len, sizeof maps_buf - 1 - len);
        if (r < 0 && r != -4 /* EINTR */) {
            ckpt_sys1(SYS_close, fd);
            return (int)r;
        }
        if (r == 0 || len + (size_t)r >= sizeof maps_buf - 1)
            break;
        if (r > 0)
            len += (size_t)r;
    }
    ckpt_sys1(SYS_close, fd);
    maps_buf[len] = 0;

    int count = 0;
    for (const char *p = maps_buf; *p && count < cap;) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        struct lh_map *m = &out[count];
        m->start = ckpt_scan_hex(&p);
        p++;
        m->end = ckpt_scan_hex(&p);
        p++;
        m->prot = (p[0] == 'r' ? 1 : 0) | (p[1] == 'w' ? 2 : 0) | (p[2] == 'x' ? 4 : 0);
        /* skip perms, offset, dev, inode to the path column */
        for (int field = 0; field < 4 && p < eol; field++) {
            while (p < eol && *p != ' ')
                p++;
            while (p < eol && *p == ' ')
                p++;
        }
        size_t nl = (size_t)(eol - p);
        m->name[0] = 0;
        if (nl && exe_path[0] && nl == strlen(exe_path) && !memcmp(p, exe_path, nl))
            strcpy(m->name, "exe");
        else if (nl && p[0] == '[' && nl < sizeof m->name) {
            memcpy(m->name, p, nl);
            m->name[nl] = 0;
        }
        count++;
        p = *eol ? eol + 1 : eol;
    }
    return count;
}
