/* MPI-IO in the face (face_file.c, parked/files.c; docs/mpi-io.md). A file
 * handle is a virtual handle of kind CKPT_KIND_FILE kept in the bits of the
 * MPICH ABI's MPI_File pointer. The face keeps what reopening the file in a new
 * lower half needs: the open (absolute path, amode, info, its own duplicate of
 * the communicator), the view, atomicity, hints, and at each checkpoint both
 * file pointers. */
#ifndef CKPT_FACE_FILES_H
#define CKPT_FACE_FILES_H

#include "face_runtime.h"
#include "face_cut.h"

/* The same values in MPICH's mpio.h and Open MPI's mpi.h (both are ROMIO's). */
#define FACE_MODE_CREATE 1
#define FACE_MODE_EXCL 64
#define FACE_MODE_DELETE_ON_CLOSE 16
#define FACE_MODE_SEQUENTIAL 256
#define FACE_SEEK_SET 600
#define FACE_MAX_DATAREP 128

#define CKPT_FACE_FILE_NULL ((MPI_File)0)

static inline int32_t face_file_v(MPI_File fh) { return (int32_t)(uint32_t)(uintptr_t)fh; }
static inline MPI_File face_file_h(int32_t v) { return (MPI_File)(uintptr_t)(uint32_t)v; }

struct face_file {
    uint8_t open;
    uint8_t atomic;
    uint8_t has_view;
    uint8_t split_active;  /* between a split collective's _begin and _end */
    uint8_t saved;         /* pos is this checkpoint's individual pointer */
    uint8_t saved_shared;  /* pos_shared is its shared pointer */
    int32_t comm;          /* the face's MPI_Comm_dup of the application's communicator */
    int32_t info;          /* the face's MPI_Info_dup of the open's info, or MPI_INFO_NULL */
    int32_t hints;         /* the last MPI_File_set_info's, the same way */
    int32_t errhandler;
    int32_t etype, filetype; /* the view's: predefined, or the face's MPI_Type_dup */
    int32_t view_info;
    int amode;
    uint64_t seq;          /* open order: the restart reopens (collectively) in it */
    long long disp;
    long long pos, pos_shared;
    int split_rc;
    struct ckpt_status split_status;
    /* The file as the last checkpoint saw it (stat of path): a restart notes a
     * file replaced or shorter since, whose contents the job did not expect. */
    uint8_t cut_stat;
    unsigned long long cut_dev, cut_ino;
    long long cut_size;
    char datarep[FACE_MAX_DATAREP];
    char *path;            /* absolute, as resolved at open */
};

/* Indexed by the handle's slot, in chunks that are made once and never move
 * (threads look records up without a lock while another opens a file);
 * upper-half memory, so the image carries them. */
#define FACE_FILE_CHUNK_BITS 10
#define FACE_FILE_CHUNKS (1u << (26 - FACE_FILE_CHUNK_BITS))
extern struct face_file *face_file_chunks[FACE_FILE_CHUNKS];
/* One past the highest slot a file ever had: where walks over the files stop. */
extern uint32_t face_files_limit;

static inline struct face_file *face_file_at(uint32_t slot)
{
    struct face_file *c = __atomic_load_n(&face_file_chunks[(slot >> FACE_FILE_CHUNK_BITS) % FACE_FILE_CHUNKS],
                                          __ATOMIC_ACQUIRE);
    return c ? &c[slot & ((1u << FACE_FILE_CHUNK_BITS) - 1)] : NULL;
}

static inline struct face_file *face_file_of(MPI_File fh)
{
    uint32_t u = (uint32_t)face_file_v(fh);
    if (u >> 30 != 2 || ((u >> 26) & 0xf) != CKPT_KIND_FILE)
        return NULL;
    struct face_file *f = face_file_at(u & CKPT_SLOT_MASK);
    return f && f->open ? f : NULL;
}

static inline int32_t face_file_handle(uint32_t slot)
{
    return (int32_t)(0x80000000u | (uint32_t)CKPT_KIND_FILE << 26 | slot);
}

/* Raises an I/O error through the file's errhandler (MPI_FILE_NULL's for a null
 * file: MPI_ERRORS_RETURN unless the application changed it) and returns it. */
int face_file_error(MPI_File fh, int rc, const char *fn);

/* Declares `f`, the open file of `fh`, or returns MPI_ERR_FILE through its errhandler. */
#define FACE_FILE_OR_ERROR(f, fh, fn)       \
    struct face_file *f = face_file_of(fh); \
    if (!f)                                 \
        return face_file_error(fh, CKPT_MPI_ERR_FILE, fn)

/* A file's collectives count on the face's communicator of the file, which the
 * application cannot free before it closes the file. */
static inline struct face_comm *face_file_coll_enter(MPI_File fh)
{
    struct face_file *f = face_file_of(fh);
    return f ? face_coll_enter(f->comm) : NULL;
}

/* At the cut, application threads parked (parked/files.c): keeps both pointers. */
void face_files_save_positions(void);
/* After a restart, once the replay made the communicators, types and infos:
 * reopens every file and sets its view, atomicity, hints and pointers back. */
int face_files_rebind(void);
/* The replay test (CKPT_MPI_TEST_REPLAY_AT_BARRIER): keeps the pointers and
 * closes every file in the lower half, which face_files_rebind then reopens. */
void face_files_test_close(void);

#endif
