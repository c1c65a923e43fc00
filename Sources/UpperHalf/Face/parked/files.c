/* Run by the engine's thread at the cut, application threads parked (no
 * allocation, no stdio): both file pointers of every open file, which the
 * restart seeks back to, and what the file was (device, inode, size). Both calls are local in ROMIO and OMPIO, and no I/O is
 * in flight: every started file collective completed before the cut, and an
 * independent I/O call holds its thread outside the park (face_crit). */
#include <sys/stat.h>

#include "face_files.h"

/* The table of open files lives here, below face_file.c: the cut reads it. */
struct face_file *face_file_chunks[FACE_FILE_CHUNKS];
uint32_t face_files_limit;

void face_files_save_positions(void)
{
    for (uint32_t i = 0; i < face_files_limit; i++) {
        struct face_file *f = face_file_at(i);
        if (!f || !f->open)
            continue;
        f->saved = f->saved_shared = 0;
        struct stat sb;
        f->cut_stat = stat(f->path, &sb) == 0;
        if (f->cut_stat) {
            f->cut_dev = (unsigned long long)sb.st_dev;
            f->cut_ino = (unsigned long long)sb.st_ino;
            f->cut_size = (long long)sb.st_size;
        }
        if (f->amode & FACE_MODE_SEQUENTIAL)
            continue;
        uint64_t real = ckpt_to_real(CKPT_KIND_FILE, face_file_handle(i));
        ckpt_offset_t pos = 0;
        int rc;
        CKPT_CROSS(rc = ckpt_T->File_get_position(real, &pos));
        if (rc == 0) {
            f->pos = pos;
            f->saved = 1;
        }
        CKPT_CROSS(rc = ckpt_T->File_get_position_shared(real, &pos));
        if (rc == 0) {
            f->pos_shared = pos;
            f->saved_shared = 1;
        }
    }
}
