/* The checkpoint image of one rank (DESIGN.md §5, docs/image-format.md).
 *
 * Shared by the writer (the engine, upper half), the reader (the lower half's
 * --restore) and `ckpt-mpi inspect` (Swift, Sources/CkptMPI/Image/ImageFile.swift,
 * which must be kept in step with this file). All integers little-endian,
 * all structs naturally aligned with explicit padding, sizes fixed below.
 *
 *   offset 0                 struct ckpt_img_header          (CKPT_IMG_HEADER_SIZE bytes)
 *   hdr.threads_off          struct ckpt_img_thread  [nthreads]
 *   hdr.fds_off              struct ckpt_img_fd      [nfds]
 *   hdr.sigs_off             struct ckpt_img_sigaction[64]   (signals 1..64)
 *   hdr.regions_off          struct ckpt_img_region  [nregions]
 *   hdr.extents_off          struct ckpt_img_extent  [nextents]
 *   hdr.strings_off          NUL-terminated strings (paths), strings_size bytes
 *   hdr.files_off            struct ckpt_img_file    [nfiles]  (format 2: files mapped by reference)
 *   hdr.frames_off           struct ckpt_img_frame   [nframes] (CKPT_IMG_FEAT_ZSTD: compressed data)
 *   hdr.data_off             page data (page-aligned), data_size bytes
 *   hdr.file_size            total size: anything shorter is a truncated image
 *
 * Integrity: hdr.meta_checksum = ckpt_img_hash over [0, data_off) with the
 * meta_checksum field read as 0. Each region's checksum covers its extents'
 * data in file order: ckpt_img_hash chained over each extent's data cut in
 * pieces of CKPT_IMG_HASH_CHUNK bytes (the last piece of an extent shorter). A reader checks
 * magic, then version, then meta_checksum, then file_size, then regions; from format 2
 * also each file mapped by reference (size and ckpt_img_file_hash) before restoring. */
#ifndef CKPT_IMAGE_H
#define CKPT_IMAGE_H

#include <stdint.h>

#define CKPT_IMG_MAGIC       0x474d49544b43ULL /* "CKTIMG\0\0" little-endian */
#define CKPT_IMG_VERSION     2u /* 2: CKPT_REG_FILE_PRIVATE regions and the file table */
#define CKPT_IMG_VERSION_MIN 1u /* the oldest format a reader still reads (1: no by-reference regions) */
/* Format 3 = format 2 + `features`: optional encodings a reader must understand.
 * The writer writes 3 only when it sets a feature bit, so images without any stay
 * readable by format-2 readers; a reader refuses a bit it does not know. */
#define CKPT_IMG_VERSION_FEATURES 3u
/* The data is zstd frames (struct ckpt_img_frame); extents and checksums keep
 * their meaning over the uncompressed data (docs/image-format.md, "Compression"). */
#define CKPT_IMG_FEAT_ZSTD (1ull << 0)
/* A frame holds at most this many bytes of uncompressed data: one piece of the
 * restore's read plan (whole pages of one region, in extent order). */
#define CKPT_IMG_FRAME_MAX (8ULL << 20)
/* An incremental image: regions flagged CKPT_REGF_PARENT store only the pages
 * written since the parent image (parent_generation, parent_meta_checksum); their
 * other pages are the parent's, assembled recursively down to a full image. */
#define CKPT_IMG_FEAT_PARENT (1ull << 1)
#define CKPT_IMG_FEATURES_KNOWN (CKPT_IMG_FEAT_ZSTD | CKPT_IMG_FEAT_PARENT) /* the bits this build reads */
#define CKPT_IMG_HEADER_SIZE 4096u
#define CKPT_IMG_PAGE        4096u
#define CKPT_IMG_HASH_CHUNK  (32ULL << 20)
#define CKPT_IMG_JOB_ID_SIZE 40u /* ckpt_img_header.job_id, NUL-terminated */
#define CKPT_IMG_ABI_SIZE    16u /* ckpt_img_header.program_abi, NUL-terminated */

/* ckpt_img_region.kind */
#define CKPT_REG_ANON        1u /* private memory (anonymous, heap, stack, or a private file mapping): data stored */
#define CKPT_REG_SHARED_ANON 2u /* MAP_SHARED without a live file (anonymous shared, deleted file): data stored */
#define CKPT_REG_FILE_SHARED 3u /* MAP_SHARED of a file: re-mapped by path + offset, no data */
#define CKPT_REG_NONE        4u /* PROT_NONE reservation: re-reserved, no data */
/* Format 2: a private file mapping stored by reference. Restored by mapping the
 * file again (MAP_PRIVATE, same offset); its extents are the pages that differ
 * from the file (copy-on-write copies), written on top. Pages not covered by an
 * extent come from the file, not zero. path_off names the file; the file table
 * entry with the same path_off holds its identity and hash. */
#define CKPT_REG_FILE_PRIVATE 5u

/* ckpt_img_region.flags */
#define CKPT_REGF_STACK 0x1u /* [stack] */
#define CKPT_REGF_HEAP  0x2u /* [heap] */
#define CKPT_REGF_FILE  0x4u /* had a backing file (path in path_off) */
/* CKPT_IMG_FEAT_PARENT: the pages of this region not covered by an extent are
 * the parent image's at the same address (without the flag: zero, or the file's). */
#define CKPT_REGF_PARENT 0x8u

/* ckpt_img_fd.kind */
#define CKPT_FD_REGULAR     1u /* reopened by path, flags, offset */
#define CKPT_FD_DIR         2u /* reopened by path (O_DIRECTORY) */
#define CKPT_FD_UNSUPPORTED 3u /* pipe, socket, device, ...: reported, /dev/null put in its place */

/* ckpt_img_thread.flags */
#define CKPT_THR_MAIN   0x1u /* the process's main thread (restored on the launcher's own thread) */
#define CKPT_THR_ENGINE 0x2u /* the engine's checkpoint thread (parked at its own save point) */

/* What a thread resumes from: the callee-saved state of a call to the
 * engine's save point (ckpt_ctx_save), which returns 1 when resumed by a
 * restore. Everything else (caller-saved registers, FPU/SSE, the signal mask
 * the application had) is in the signal frame on the thread's own stack,
 * which the handler's return (rt_sigreturn) reloads. */
struct ckpt_img_ctx {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip; /* offsets 0..56: used by asm */
    uint64_t fs_base;                                /* 64 */
    uint64_t sigmask;                                /* 72: mask to install before resuming */
};

struct ckpt_img_thread {
    struct ckpt_img_ctx ctx;
    uint64_t tid;            /* tid at checkpoint time (informational) */
    uint64_t flags;          /* CKPT_THR_* */
    uint64_t tid_addr;       /* &struct pthread.tid of this thread (fs_base + tid_offset), 0 if unknown */
    uint64_t robust_head;    /* set_robust_list() head, 0 if none */
    uint64_t rseq_area;      /* rseq area to register, 0 if none */
    uint64_t app_sigmask;    /* the mask the application had when interrupted */
    uint64_t gregs[23];      /* the interrupted registers (ucontext gregs, REG_* order) */
    uint64_t pad;
    uint8_t fxsave[512];     /* the interrupted FPU/SSE state (fxsave layout) */
};

struct ckpt_img_fd {
    int32_t fd;
    uint32_t kind;           /* CKPT_FD_* */
    uint32_t flags;          /* F_GETFL */
    uint32_t fdflags;        /* F_GETFD (FD_CLOEXEC) */
    int64_t offset;          /* lseek(fd, 0, SEEK_CUR), -1 if not seekable */
    int64_t size;            /* st_size at checkpoint (regular files), -1 otherwise */
    uint64_t path_off;       /* into strings */
    uint64_t dev, ino;       /* st_dev, st_ino at checkpoint */
};

/* The kernel's struct sigaction (rt_sigaction with an 8-byte mask). */
struct ckpt_img_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

struct ckpt_img_region {
    uint64_t start, end;
    uint32_t prot;           /* PROT_* */
    uint32_t kind;           /* CKPT_REG_* */
    uint32_t flags;          /* CKPT_REGF_* */
    uint32_t nextents;
    uint64_t first_extent;   /* index into the extent table */
    uint64_t file_offset;    /* offset in the backing file (CKPT_REG_FILE_SHARED, CKPT_REG_FILE_PRIVATE) */
    uint64_t path_off;       /* into strings, 0 = none (strings[0] is always "") */
    uint64_t data_bytes;     /* sum of its extents' sizes */
    uint64_t checksum;       /* ckpt_img_hash chained over its extents' data */
};

/* A run of stored (non-zero) pages of one region. Pages of a region not
 * covered by an extent are zero. */
struct ckpt_img_extent {
    uint64_t addr;           /* page-aligned */
    uint64_t len;            /* page multiple */
    uint64_t file_off;       /* page-aligned offset in the image */
};

/* A file that CKPT_REG_FILE_PRIVATE regions map (format 2), as it was at the
 * checkpoint. A restore refuses a file whose size or hash differs (its pages
 * would not be the ones the process saw); dev, ino and mtime say what changed. */
struct ckpt_img_file {
    uint64_t path_off;       /* into strings; the regions of this file have the same path_off */
    uint64_t dev, ino;       /* st_dev, st_ino */
    int64_t size;            /* st_size */
    int64_t mtime_ns;        /* st_mtim */
    uint64_t hash;           /* ckpt_img_file_hash of its contents */
};

/* One zstd frame of a compressed image (CKPT_IMG_FEAT_ZSTD). Frames cover the
 * uncompressed data stream, [hdr.data_off, hdr.data_off + hdr.data_size) in the
 * extents' file_off coordinates (what an uncompressed image would hold there),
 * in order and without gaps; each lies inside one region and holds whole pages.
 * A frame whose csize equals ulen is stored as is (it did not compress). */
struct ckpt_img_frame {
    uint64_t uoff;           /* start in the uncompressed stream (extents' file_off) */
    uint64_t ulen;           /* uncompressed bytes, a page multiple, <= CKPT_IMG_FRAME_MAX */
    uint64_t file_off;       /* page-aligned offset of the frame in the image */
    uint64_t csize;          /* bytes of the frame (zero padding to the next page follows) */
};

/* Where the lower half that restores tells the upper half about its new
 * world. Lives in the engine; the image records its address
 * (hdr.mailbox_addr) and the restoring lower half fills it before any upper
 * thread runs again. */
#define CKPT_MAILBOX_MAGIC 0x786f626c69616d63ULL
struct ckpt_img_mailbox {
    uint64_t magic;
    uint64_t restored;       /* incremented by each restore */
    uint64_t boot;           /* the new struct ckpt_boot * */
    int64_t ckpt_after;      /* CKPT_MPI_CKPT_AFTER of the new environment, -1 = unset */
    int32_t rank, nranks;    /* of the new environment */
    char coord[512];         /* CKPT_MPI_COORD of the new environment, "" = unset */
    char ckpt_dir[512];      /* CKPT_MPI_CKPT_DIR of the new environment, "" = unset */
    char image[512];         /* the image it was restored from */
    /* Appended; present only when magic is CKPT_MAILBOX_MAGIC_SECRET, so a lower half never
     * writes past the mailbox of an engine built before it. */
    char secret[80];         /* CKPT_MPI_SECRET (64 hex digits) of the new environment, "" = unset */
    /* Appended; present only when magic is CKPT_MAILBOX_MAGIC_COMPRESS. */
    char compress[32];       /* CKPT_MPI_COMPRESS of the new environment, "" = unset (keep the job's) */
};
#define CKPT_MAILBOX_MAGIC_SECRET 0x3274657263657363ULL
/* The layout of MAGIC_SECRET, from an engine that waits for boot->lazy_restore
 * before it writes an image: only such a process may resume before its pages
 * are all in (`restart --lazy`). */
#define CKPT_MAILBOX_MAGIC_LAZY 0x317a616c63657363ULL
/* MAGIC_LAZY's engine that also has `compress` (and so waits for
 * boot->lazy_restore too): a lower half writes `compress` only for this magic. */
#define CKPT_MAILBOX_MAGIC_COMPRESS 0x327a616c63657363ULL

struct ckpt_img_header {
    uint64_t magic;          /* CKPT_IMG_MAGIC */
    uint32_t version;        /* CKPT_IMG_VERSION */
    uint32_t header_size;    /* CKPT_IMG_HEADER_SIZE */
    uint64_t meta_checksum;  /* see above */
    uint64_t file_size;
    /* who */
    int32_t rank, nranks;
    uint64_t generation;
    uint64_t created_unix_ns;
    uint64_t pid;
    char flavour[16];        /* "none", "openmpi", "mpich" */
    char host[64];
    char face_abi[16];       /* "mpich" or "" */
    /* tables */
    uint32_t nthreads, nfds, nregions, reserved0;
    uint64_t nextents;
    uint64_t threads_off, fds_off, sigs_off, regions_off, extents_off, strings_off, strings_size;
    uint64_t data_off, data_size;
    uint64_t mem_bytes;      /* total size of all saved ranges */
    /* process state */
    uint64_t mailbox_addr;   /* struct ckpt_img_mailbox * in the upper half */
    uint64_t tid_offset;     /* offsetof(struct pthread, tid) found at start-up, 0 = unknown */
    uint64_t robust_offset;  /* robust list head - THREAD_SELF, 0 = unknown */
    int64_t rseq_offset;     /* upper libc's __rseq_offset */
    uint32_t rseq_size;      /* upper libc's __rseq_size, 0 = not registered */
    uint32_t suspend_signal;
    uint64_t vdso_start, vdso_end, vvar_start, vvar_end;
    uint64_t itimer[3][4];   /* ITIMER_REAL/VIRTUAL/PROF: interval sec,usec, value sec,usec */
    uint64_t umask;
    uint64_t pause_ns;       /* application pause up to the start of the write */
    char cwd[1024];
    uint64_t sigpending;     /* process-wide pending signals (bit n-1 = signal n), raised again at restore */
    /* Appended after every older field so no offset moved: images written before it read as zero. */
    char job_id[CKPT_IMG_JOB_ID_SIZE]; /* the job's identity (CKPT_MPI_JOB_ID, 32 hex digits), "" = unknown */
    /* The MPI ABI the program was linked against, i.e. which face serves it: "mpich"
     * (libmpi.so.12), "openmpi" (libmpi.so.40, the Open MPI face in front of the MPICH
     * one) or "none"; "" = unknown (images written before the field). face_abi above is
     * the ABI the call table serves, "mpich" for both faces. */
    char program_abi[CKPT_IMG_ABI_SIZE];
    /* Format 2: the files mapped by reference (zero in format 1). */
    uint64_t files_off;
    uint32_t nfiles, reserved1;
    /* Format 3: CKPT_IMG_FEATURES_KNOWN bits (0 in formats 1 and 2). */
    uint64_t features;
    /* CKPT_IMG_FEAT_PARENT: the image this one is a delta of, in the same checkpoint
     * directory (gen-NNNNNN/rank-RRRR.img of the same rank), and its meta_checksum. */
    uint64_t parent_generation;
    uint64_t parent_meta_checksum;
    /* CKPT_IMG_FEAT_ZSTD: the frame table; stored_size bytes of frames (page-padded)
     * start at data_off, data_size stays the uncompressed size. Zero otherwise. */
    uint64_t frames_off, nframes;
    uint64_t stored_size;
    int32_t zstd_level;      /* informational */
    uint32_t reserved2;
};

_Static_assert(sizeof(struct ckpt_img_header) <= CKPT_IMG_HEADER_SIZE, "header too big");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, job_id) == 1480, "job_id follows sigpending");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, program_abi) == 1520, "program_abi follows job_id");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, files_off) == 1536, "files_off follows program_abi");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, features) == 1552, "features follows nfiles");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, parent_generation) == 1560, "parent follows features");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, parent_meta_checksum) == 1568, "parent checksum");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, frames_off) == 1576, "frames_off follows parent_meta_checksum");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, stored_size) == 1592, "stored_size follows nframes");
_Static_assert(__builtin_offsetof(struct ckpt_img_header, zstd_level) == 1600, "zstd_level follows stored_size");
_Static_assert(sizeof(struct ckpt_img_frame) == 32, "frame layout");
_Static_assert(sizeof(struct ckpt_img_file) == 48, "file layout");
_Static_assert(sizeof(struct ckpt_img_thread) == 80 + 48 + 23 * 8 + 8 + 512, "thread layout");
_Static_assert(sizeof(struct ckpt_img_region) == 72, "region layout");
_Static_assert(sizeof(struct ckpt_img_fd) == 56, "fd layout");

/* 64-bit hash of 8-byte words, 4 independent lanes (fast: several GB/s);
 * `len` must be a multiple of 32 (data is always whole pages; the metadata
 * area ends page-aligned). `h` chains: pass the previous result, or
 * CKPT_IMG_HASH_SEED. */
#define CKPT_IMG_HASH_SEED 0x9e3779b97f4a7c15ULL
static inline uint64_t ckpt_img_rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t ckpt_img_hash(uint64_t h, const void *p, uint64_t len)
{
    const uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL;
    const uint64_t *w = (const uint64_t *)p;
    uint64_t a = h + P1, b = h ^ P2, c = h, d = h - P1;
    for (uint64_t i = 0, n = len / 32; i < n; i++, w += 4) {
        a = ckpt_img_rotl(a + w[0] * P2, 31) * P1;
        b = ckpt_img_rotl(b + w[1] * P2, 31) * P1;
        c = ckpt_img_rotl(c + w[2] * P2, 31) * P1;
        d = ckpt_img_rotl(d + w[3] * P2, 31) * P1;
    }
    uint64_t r = ckpt_img_rotl(a, 1) + ckpt_img_rotl(b, 7) + ckpt_img_rotl(c, 12) + ckpt_img_rotl(d, 18) + len;
    r ^= r >> 33;
    r *= P2;
    r ^= r >> 29;
    return r;
}

/* The hash of a file mapped by reference: ckpt_img_hash chained over its
 * contents in pieces of CKPT_IMG_HASH_CHUNK, the last piece zero-padded to a
 * whole page (as the file reads through a mapping). */
#define CKPT_IMG_FILE_HASH_SEED 0x66696c6568617368ULL
static inline uint64_t ckpt_img_file_hash(const void *mapped, uint64_t size)
{
    uint64_t len = (size + CKPT_IMG_PAGE - 1) & ~(uint64_t)(CKPT_IMG_PAGE - 1), h = CKPT_IMG_FILE_HASH_SEED;
    for (uint64_t d = 0; d < len; d += CKPT_IMG_HASH_CHUNK)
        h = ckpt_img_hash(h, (const char *)mapped + d, len - d < CKPT_IMG_HASH_CHUNK ? len - d : CKPT_IMG_HASH_CHUNK);
    return h;
}

#endif
