/* --local-dir keeps at most what --keep keeps: a node-local generation whose
 * shared counterpart has no manifest (pruned by --keep, or abandoned) can never
 * be restored from, so it only fills the node's disk (or RAM, on tmpfs).
 * Raw system calls and static storage, like the copier it follows. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "copy.h"

struct dirent64_ {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static int is_generation_name(const char *s)
{
    if (strncmp(s, "gen-", 4) != 0 || strlen(s) != 10)
        return 0;
    for (int i = 4; i < 10; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The directory part of path (without the trailing name) into out; 0 or -1. */
static int parent_of(const char *path, char *out, size_t cap, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= cap)
        return -1;
    memcpy(out, path, (size_t)(slash - path));
    out[slash - path] = 0;
    *name = slash + 1;
    return 0;
}

/* Removes every file of dirfd/gen, then the directory. Several ranks of a node
 * share the directory and may do this at once: whatever is gone is fine. */
static void remove_generation(long parent, const char *gen)
{
    static char buf[8192];
    long d = ckpt_sys4(SYS_openat, parent, gen, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (d < 0)
        return;
    for (;;) {
        long n = ckpt_sys3(SYS_getdents64, d, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct dirent64_ *e = (struct dirent64_ *)(buf + off);
            off += e->reclen;
            if (strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0)
                ckpt_sys3(SYS_unlinkat, d, e->name, 0);
        }
    }
    ckpt_sys1(SYS_close, d);
    ckpt_sys3(SYS_unlinkat, parent, gen, AT_REMOVEDIR);
}

void eng_prune_local(const char *local_gen, const char *shared_gen)
{
    static char lparent[4096], sparent[4096], manifest[4200], buf[8192];
    const char *current, *ignored;
    if (parent_of(local_gen, lparent, sizeof lparent, &current) < 0 ||
        parent_of(shared_gen, sparent, sizeof sparent, &ignored) < 0 || !is_generation_name(current))
        return;
    long ld = ckpt_sys3(SYS_open, lparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (ld < 0)
        return;
    for (;;) {
        long n = ckpt_sys3(SYS_getdents64, ld, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct dirent64_ *e = (struct dirent64_ *)(buf + off);
            off += e->reclen;
            /* fixed-width numbers: the name order is the generation order */
            if (!is_generation_name(e->name) || strcmp(e->name, current) >= 0)
                continue;
            struct sbuf m = {manifest, 0, sizeof manifest};
            sb_str(&m, sparent);
            sb_str(&m, "/");
            sb_str(&m, e->name);
            sb_str(&m, "/MANIFEST.json");
            if (m.n + 1 >= sizeof manifest)
                continue;
            manifest[m.n] = 0;
            struct stat st;
            if (ckpt_sys2(SYS_stat, manifest, &st) == -ENOENT)
                remove_generation(ld, e->name);
        }
    }
    ckpt_sys1(SYS_close, ld);
}
