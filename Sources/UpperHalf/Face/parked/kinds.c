/* The kinds with checkpoint and restart hooks (include/face_kinds.h), in
 * restart order. Files and requests need only what the replay made (their
 * communicators, types, infos); windows come last, since reopening a fence or
 * lock_all epoch is collective and waits for the other ranks' rebind.
 *
 * Requests are tested before communicators are probed in each drain pass: a
 * receive the lower half completes is the application's, only what no posted
 * receive took is drained. The loops allocate nothing: the drain runs them with
 * application threads parked. */
#include <stddef.h>

#include "face_kinds.h"
#include "face_files.h"
#include "face_requests.h"
#include "face_win.h"

static int files_drained(void)
{
    face_files_save_positions();
    return 0;
}
static int requests_rebind(int in_place) { return in_place ? 0 : face_requests_rebind(); }
static int files_rebind(int in_place) { (void)in_place; return face_files_rebind(); }
static int wins_rebind(int in_place) { (void)in_place; return face_wins_rebind(); }

const struct face_kind_ops face_kinds[] = {
    {.name = "file", .drained = files_drained, .release = face_files_test_close, .rebind = files_rebind},
    {.name = "request", .drain_step = face_requests_drain_step, .drained = face_requests_drained,
     .finish = face_requests_resume, .rebind = requests_rebind},
    {.name = "communicator", .drain_step = face_comms_drain_step},
    {.name = "window", .quiesce = face_wins_quiesce, .drained = face_wins_drained, .release = face_wins_release_lower,
     .rebind = wins_rebind},
};
const unsigned face_kind_count = sizeof face_kinds / sizeof face_kinds[0];

void face_kinds_quiesce(void)
{
    for (unsigned i = 0; i < face_kind_count; i++)
        if (face_kinds[i].quiesce)
            face_kinds[i].quiesce();
}

int face_kinds_drain_step(struct face_drain_pass *pass)
{
    for (unsigned i = 0; i < face_kind_count; i++)
        if (face_kinds[i].drain_step && face_kinds[i].drain_step(pass))
            return 1;
    return 0;
}

int face_kinds_drained(void)
{
    for (unsigned i = 0; i < face_kind_count; i++)
        if (face_kinds[i].drained && face_kinds[i].drained())
            return 1;
    return 0;
}

void face_kinds_finish(void)
{
    for (unsigned i = 0; i < face_kind_count; i++)
        if (face_kinds[i].finish)
            face_kinds[i].finish();
}

void face_kinds_release(void)
{
    for (unsigned i = 0; i < face_kind_count; i++)
        if (face_kinds[i].release)
            face_kinds[i].release();
}

int face_kinds_rebind(int in_place)
{
    for (unsigned i = 0; i < face_kind_count; i++) {
        int rc = face_kinds[i].rebind ? face_kinds[i].rebind(in_place) : 0;
        if (rc)
            return rc;
    }
    return 0;
}
