/* The first half of the user-space execve: find the program like execvp,
 * follow "#!" like the kernel, check the ELF, map it and its PT_INTERP.
 *
 * All upper-half mappings are made with raw mmap and no address (the
 * libc mmap is patched and would put them in the arena): the kernel places
 * them top-down below the lower-half zone, as it would for any mapping the
 * application makes later. Errors are one line, exit 127 (not found) or 126. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lh_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct elf_file {
    const char *path;
    int fd;
    Elf64_Ehdr eh;
    Elf64_Phdr ph[128];
};

static char resolved[4096];

/* execvp's search: the first executable regular file in PATH; EACCES if
 * only non-executable candidates exist, ENOENT if none. */
static const char *search_path(const char *prog)
{
    if (strchr(prog, '/'))
        return prog;
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    int saw_eacces = 0;
    for (const char *p = path;;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n + strlen(prog) + 2 <= sizeof resolved) {
            if (n == 0)
                strcpy(resolved, prog); /* empty entry = current directory */
            else {
                memcpy(resolved, p, n);
                resolved[n] = '/';
                strcpy(resolved + n + 1, prog);
            }
            struct stat st;
            if (stat(resolved, &st) == 0 && S_ISREG(st.st_mode)) {
                if (access(resolved, X_OK) == 0)
                    return resolved;
                saw_eacces = 1;
            }
        }
        if (!c)
            break;
        p = c + 1;
    }
    if (saw_eacces)
        lh_die(126, "%s: execvp: %s", prog, strerror(EACCES));
    lh_die(127, "%s: execvp: %s", prog, strerror(ENOENT));
}

/* Open as execve would: regular file, executable for us. */
static int open_exec(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        lh_die(errno == ENOENT || errno == ENOTDIR ? 127 : 126, "%s: open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0)
        lh_die(126, "%s: fstat: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        lh_die(126, "%s: execve: %s", path, strerror(S_ISDIR(st.st_mode) ? EISDIR : EACCES));
    if (access(path, X_OK) != 0)
        lh_die(126, "%s: execve: %s", path, strerror(errno));
    return fd;
}

static void read_elf(struct elf_file *f)
{
    ssize_t n = pread(f->fd, &f->eh, sizeof f->eh, 0);
    if (n < 0)
        lh_die(126, "%s: read: %s", f->path, strerror(errno));
    const unsigned char *id = f->eh.e_ident;
    if (n < (ssize_t)sizeof f->eh || memcmp(id, ELFMAG, SELFMAG))
        lh_die(126, "%s: execve: %s (not an ELF file)", f->path, strerror(ENOEXEC));
    if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB || f->eh.e_machine != EM_X86_64)
        lh_die(126, "%s: execve: %s (not an x86-64 ELF64 file)", f->path, strerror(ENOEXEC));
    if (f->eh.e_type != ET_EXEC && f->eh.e_type != ET_DYN)
        lh_die(126, "%s: execve: %s (ELF type %u is not executable)", f->path, strerror(ENOEXEC),
               f->eh.e_type);
    if (f->eh.e_phentsize != sizeof(Elf64_Phdr) || f->eh.e_phnum == 0 || f->eh.e_phnum > 128)
        lh_die(126, "%s: execve: %s (bad program headers)", f->path, strerror(ENOEXEC));
    size_t sz = (size_t)f->eh.e_phnum * sizeof(Elf64_Phdr);
    if (pread(f->fd, f->ph, sz, (off_t)f->eh.e_phoff) != (ssize_t)sz)
        lh_die(126, "%s: execve: %s (truncated program headers)", f->path, strerror(ENOEXEC));
}

static int prot_of(uint32_t pf)
{
    return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) | (pf & PF_X ? PROT_EXEC : 0);
}

static void map_elf(struct elf_file *f, struct lh_image *img)
{
    uint64_t lo = ~0ULL, hi = 0, align = LH_PAGE;
    for (int i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        if (p->p_type != PT_LOAD)
            continue;
        if (LH_PAGE_DOWN(p->p_vaddr) < lo)
            lo = LH_PAGE_DOWN(p->p_vaddr);
        if (p->p_vaddr + p->p_memsz > hi)
            hi = p->p_vaddr + p->p_memsz;
        if (p->p_align > align && (p->p_align & (p->p_align - 1)) == 0 && p->p_align <= (1ULL << 30))
            align = p->p_align; /* the kernel honours large p_align for ET_DYN too */
    }
    if (hi <= lo)
        lh_die(126, "%s: execve: %s (no PT_LOAD)", f->path, strerror(ENOEXEC));
    hi = LH_PAGE_UP(hi);
    uint64_t span = hi - lo, bias;
    long r;
    if (f->eh.e_type == ET_DYN) {
        r = lh_mmap_raw(0, span + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (CKPT_SYS_ERR(r))
            lh_die(126, "%s: mmap(%lu bytes): %s", f->path, (unsigned long)span, strerror((int)-r));
        uint64_t start = ((uint64_t)r + align - 1) & ~(align - 1);
        if (start > (uint64_t)r)
            ckpt_sys2(SYS_munmap, r, start - (uint64_t)r);
        if ((uint64_t)r + span + align > start + span)
            ckpt_sys2(SYS_munmap, start + span, (uint64_t)r + span + align - (start + span));
        bias = start - lo;
    } else {
        r = lh_mmap_raw(lo, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
                        -1, 0);
        if (CKPT_SYS_ERR(r) || (uint64_t)r != lo)
            lh_die(126, "%s: mmap(%#lx-%#lx, fixed): %s", f->path, (unsigned long)lo, (unsigned long)hi,
                   strerror(CKPT_SYS_ERR(r) ? (int)-r : EEXIST));
        bias = 0;
    }
    for (int i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        if (p->p_type != PT_LOAD || !p->p_memsz)
            continue;
        int prot = prot_of(p->p_flags);
        uint64_t va = bias + p->p_vaddr, pg = LH_PAGE_DOWN(va);
        uint64_t fend = va + p->p_filesz, mend = LH_PAGE_UP(va + p->p_memsz);
        if ((p->p_offset & (LH_PAGE - 1)) != (p->p_vaddr & (LH_PAGE - 1)))
            lh_die(126, "%s: execve: %s (misaligned segment)", f->path, strerror(ENOEXEC));
        uint64_t fmap_end = LH_PAGE_UP(fend);
        if (p->p_filesz) {
            /* writable while we zero the bss tail of the last file page */
            int zero_tail = p->p_memsz > p->p_filesz && (fend & (LH_PAGE - 1));
            int tmp = zero_tail ? prot | PROT_WRITE : prot;
            r = lh_mmap_raw(pg, fmap_end - pg, tmp, MAP_PRIVATE | MAP_FIXED, f->fd,
                            (long)LH_PAGE_DOWN(p->p_offset));
            if (CKPT_SYS_ERR(r))
                lh_die(126, "%s: mmap(segment %d): %s", f->path, i, strerror((int)-r));
            if (zero_tail) /* the file's next bytes share the page; bss must read as zero */
                memset((void *)fend, 0, fmap_end - fend);
            if (tmp != prot)
                ckpt_sys3(SYS_mprotect, pg, fmap_end - pg, prot);
        } else {
            fmap_end = pg;
        }
        if (mend > fmap_end) {
            r = lh_mmap_raw(fmap_end, mend - fmap_end, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (CKPT_SYS_ERR(r))
                lh_die(126, "%s: mmap(bss of segment %d): %s", f->path, i, strerror((int)-r));
        }
    }
    img->bias = bias;
    img->lo = bias + lo;
    img->hi = bias + hi;
    img->entry = bias + f->eh.e_entry;
    img->phnum = f->eh.e_phnum;
    img->phent = sizeof(Elf64_Phdr);
    img->phdr = 0;
    for (int i = 0; i < f->eh.e_phnum; i++)
        if (f->ph[i].p_type == PT_PHDR)
            img->phdr = bias + f->ph[i].p_vaddr;
    if (!img->phdr) /* no PT_PHDR: the headers are wherever the segment holding e_phoff put them */
        for (int i = 0; i < f->eh.e_phnum; i++) {
            const Elf64_Phdr *p = &f->ph[i];
            if (p->p_type == PT_LOAD && f->eh.e_phoff >= p->p_offset &&
                f->eh.e_phoff + f->eh.e_phnum * sizeof(Elf64_Phdr) <= p->p_offset + p->p_filesz)
                img->phdr = bias + p->p_vaddr + (f->eh.e_phoff - p->p_offset);
        }
    if (!img->phdr)
        lh_die(126, "%s: execve: %s (program headers not loaded)", f->path, strerror(ENOEXEC));
}

static struct elf_file app_file, interp_file;
static char *script_argv_store[4096 + 8];

void lh_exec_prepare(const char *prog, char **argv, int argc, struct lh_exec *x)
{
    const char *path = search_path(prog);
    x->execfn = path;
    x->argv = argv;
    x->argc = argc;
    /* "#!interp [arg]" as the kernel does it, up to 4 levels. */
    for (int depth = 0;; depth++) {
        int fd = open_exec(path);
        char buf[256];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
            if (depth == 4)
                lh_die(126, "%s: execve: %s (#! nested too deep)", path, strerror(ELOOP));
            buf[n] = 0;
            char *nl = strchr(buf, '\n');
            if (nl)
                *nl = 0;
            char *s = buf + 2;
            while (*s == ' ' || *s == '\t')
                s++;
            char *e = s;
            while (*e && *e != ' ' && *e != '\t')
                e++;
            char *arg = NULL;
            if (*e) {
                *e++ = 0;
                while (*e == ' ' || *e == '\t')
                    e++;
                char *t = e + strlen(e);
                while (t > e && (t[-1] == ' ' || t[-1] == '\t'))
                    *--t = 0;
                if (*e)
                    arg = e;
            }
            if (!*s)
                lh_die(126, "%s: execve: %s (empty #! line)", path, strerror(ENOEXEC));
            if (x->argc + 3 > 4096)
                lh_die(126, "%s: execve: %s", path, strerror(E2BIG));
            static char *tmp[4096 + 8];
            int k = 0;
            tmp[k++] = strdup(s);
            if (arg)
                tmp[k++] = strdup(arg);
            tmp[k++] = (char *)path;
            for (int i = 1; i < x->argc; i++)
                tmp[k++] = x->argv[i];
            tmp[k] = NULL;
            memcpy(script_argv_store, tmp, (size_t)(k + 1) * sizeof(char *));
            x->argv = script_argv_store;
            x->argc = k;
            close(fd);
            path = x->argv[0];
            continue;
        }
        app_file.fd = fd;
        app_file.path = path;
        break;
    }
    x->path = path;
    read_elf(&app_file);

    const Elf64_Phdr *interp = NULL;
    for (int i = 0; i < app_file.eh.e_phnum; i++)
        if (app_file.ph[i].p_type == PT_INTERP)
            interp = &app_file.ph[i];
    if (!interp)
        lh_die(126, "%s: statically linked programs are not supported", path);
    if (interp->p_filesz < 2 || interp->p_filesz >= sizeof x->interp_path ||
        pread(app_file.fd, x->interp_path, interp->p_filesz, (off_t)interp->p_offset) !=
            (ssize_t)interp->p_filesz ||
        x->interp_path[interp->p_filesz - 1] != 0)
        lh_die(126, "%s: execve: %s (bad PT_INTERP)", path, strerror(ENOEXEC));

    interp_file.path = x->interp_path;
    interp_file.fd = open(x->interp_path, O_RDONLY | O_CLOEXEC);
    if (interp_file.fd < 0) /* the kernel reports a missing interpreter as ENOENT on the program */
        lh_die(127, "%s: open(interpreter %s): %s", path, x->interp_path, strerror(errno));
    read_elf(&interp_file);
    if (interp_file.eh.e_type != ET_DYN)
        lh_die(126, "%s: execve: %s (interpreter %s is not ET_DYN)", path, strerror(ELIBBAD), x->interp_path);
}

void lh_exec_map(struct lh_exec *x)
{
    map_elf(&app_file, &x->app);
    map_elf(&interp_file, &x->interp);
    close(app_file.fd);
    close(interp_file.fd);
    lh_log("app %s at %#lx-%#lx (entry %#lx), interp %s at %#lx-%#lx (entry %#lx)", x->path,
           (unsigned long)x->app.lo, (unsigned long)x->app.hi, (unsigned long)x->app.entry, x->interp_path,
           (unsigned long)x->interp.lo, (unsigned long)x->interp.hi, (unsigned long)x->interp.entry);
}
