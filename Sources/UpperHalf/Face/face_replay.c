/* Replay of the constructor record into the current lower half: after a
 * restart (the lifecycle's rebind) and, as a test aid, in the middle of a run.
 * Above the generated replay, which is above the record's coding (face_record.c). */
#include "face_replay.h"
#include "face_kinds.h"

/* Replays every recorded call in program order against the current lower half. */
int ckpt_face_replay_all(void)
{
    uint64_t count = ckpt_shadow_record_count();
    uint32_t cap = 1024;
    uint64_t *buf = malloc(sizeof(uint64_t) * cap);
    for (uint64_t i = 0; buf && i < count; i++) {
        uint32_t fn = 0;
        uint32_t n = ckpt_shadow_record_copy(i, &fn, buf, cap);
        if (n > cap) {
            free(buf);
            cap = n;
            buf = malloc(sizeof(uint64_t) * cap);
            if (!buf)
                break;
            n = ckpt_shadow_record_copy(i, &fn, buf, cap);
        }
        int rc = ckpt_replay_call(fn, buf, n);
        if (rc) {
            free(buf);
            (void)face_idup_replay_end();
            return rc;
        }
    }
    if (!buf)
        return CKPT_MPI_ERR_NO_MEM;
    free(buf);
    return face_idup_replay_end();
}

/* Test aid: CKPT_MPI_TEST_REPLAY_AT_BARRIER=N replays the whole record into the
 * current lower half at the N-th MPI_Barrier, so every later call runs on
 * objects rebuilt by replay; a program's output must not change. */
static int replay_at_barrier = -1;

void ckpt_test_hook_barrier(void)
{
    if (face_life.finalizing)
        return;
    if (replay_at_barrier < 0) {
        const char *s = getenv("CKPT_MPI_TEST_REPLAY_AT_BARRIER");
        replay_at_barrier = s ? atoi(s) : 0;
    }
    if (replay_at_barrier > 0 && --replay_at_barrier == 0) {
        /* Files are reopened as after a restart, from the pointers a checkpoint
         * keeps; windows reopen their epochs; requests stay live in this lower half. */
        face_kinds_release();
        int rc = ckpt_face_replay_all();
        if (!rc)
            rc = face_kinds_rebind(1);
        if (rc)
            ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "replay of the constructor record");
        else if (ckpt_boot_info->flags & CKPT_BOOT_DEBUG) {
            char n[24];
            int len = 0;
            for (uint64_t v = ckpt_shadow_record_count(); len == 0 || v; v /= 10)
                n[len++] = (char)('0' + v % 10);
            char r[24];
            for (int i = 0; i < len; i++)
                r[i] = n[len - 1 - i];
            r[len] = 0;
            ckpt_face_log("ckpt-mpi: replayed ", r, " recorded calls into the lower half");
        }
    }
}
