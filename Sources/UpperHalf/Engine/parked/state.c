/* The engine's process-wide state. All of it is static storage in the upper
 * half, so it travels in the image and the parked world can read and write it
 * without allocating. */
#define _GNU_SOURCE
#include "parked.h"

struct eng eng;
static struct ckpt_img_mailbox mailbox __attribute__((used)) = {.magic = CKPT_MAILBOX_MAGIC_COMPRESS, .ckpt_after = -1};

struct ckpt_img_mailbox *eng_mailbox(void) { return &mailbox; }

/* Which threads are the upper half's. A thread running on a lower-half TCB is
 * parked only if it is one of these (it is then inside an MPI call and comes
 * back); others belong to the lower half. */
static volatile uint32_t upper_tids[ENG_MAX_THREADS * 4];
#define NTIDS (sizeof upper_tids / sizeof upper_tids[0])

void eng_tid_add(uint32_t tid)
{
    for (size_t i = 0; i < NTIDS; i++) {
        uint32_t zero = 0;
        if (__atomic_compare_exchange_n(&upper_tids[i], &zero, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}
void eng_tid_remove(uint32_t tid)
{
    for (size_t i = 0; i < NTIDS; i++)
        if (__atomic_load_n(&upper_tids[i], __ATOMIC_ACQUIRE) == tid) {
            __atomic_store_n(&upper_tids[i], 0, __ATOMIC_RELEASE);
            return;
        }
}
int eng_is_upper_tid(long tid)
{
    for (size_t i = 0; i < NTIDS; i++)
        if (__atomic_load_n(&upper_tids[i], __ATOMIC_ACQUIRE) == (uint32_t)tid)
            return 1;
    return 0;
}
void eng_retid(long old_tid, long new_tid)
{
    for (size_t i = 0; i < NTIDS; i++)
        if (__atomic_load_n(&upper_tids[i], __ATOMIC_ACQUIRE) == (uint32_t)old_tid) {
            __atomic_store_n(&upper_tids[i], (uint32_t)new_tid, __ATOMIC_RELEASE);
            return;
        }
}

/* The upper half's fd table (DESIGN §2): at a checkpoint the marked fds are
 * described (image.c) and the lower half reopens them at restore. */
static volatile uint8_t tracked[ENG_MAX_FDS];

void eng_fd_mark(int fd)
{
    if (fd >= 0 && fd < ENG_MAX_FDS)
        tracked[fd] = 1;
}
int eng_fd_tracked(int fd) { return fd >= 0 && fd < ENG_MAX_FDS && tracked[fd]; }
void eng_fd_untrack(int fd)
{
    if (fd >= 0 && fd < ENG_MAX_FDS)
        tracked[fd] = 0;
}
