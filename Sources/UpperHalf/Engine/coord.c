/* The coordinator client's conversation (docs/checkpoint-protocol.md): wait
 * for CHECKPOINT, run the collective cut and the drain with the face, write
 * the image, report WRITTEN or FAILED, and for stop=1 hold for the verdict. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "coord.h"
#include "coord_link.h"
#include "copy.h"

static void report_result(int fd, int rc, uint64_t gen, const char *err)
{
    char buf[600];
    struct sbuf s = {buf, 0, sizeof buf};
    if (rc == 0) {
        sb_str(&s, "WRITTEN gen=");
        sb_u64(&s, gen);
        sb_str(&s, " bytes=");
        sb_u64(&s, eng.last_bytes);
        sb_str(&s, " pause_ms=");
        sb_u64(&s, eng.stop_ns / 1000000);
        sb_str(&s, " write_ms=");
        sb_u64(&s, eng.last_write_ns / 1000000);
        uint64_t parent = eng_dirty_parent_of(gen);
        if (parent) {
            sb_str(&s, " parent=");
            sb_u64(&s, parent);
        }
        if (eng_dirty_scan_ns()) { /* tracking on (run --incremental) */
            sb_str(&s, " scan_us=");
            sb_u64(&s, eng_dirty_scan_ns() / 1000);
        }
    } else {
        sb_str(&s, "FAILED gen=");
        sb_u64(&s, gen);
        sb_str(&s, " error=");
        sb_str(&s, err);
    }
    sb_str(&s, "\n");
    if (fd >= 0) {
        ckpt_engine_send_line(buf, s.n);
    } else { /* CKPT_MPI_CKPT_AFTER (a debugging aid): the result goes to stderr */
        eng_write_all(2, "ckpt-mpi[engine]: ", 18);
        eng_write_all(2, buf, s.n);
    }
}

/* The coordinator is gone (ckpt-mpi was killed, or its host): nobody can
 * checkpoint or stop this rank any more, so it must not live on as an orphan. */
static __attribute__((noreturn)) void coordinator_lost(void)
{
    if (eng.verbose)
        eng_log("the coordinator is gone; this rank stops", "");
    ckpt_sys2(SYS_kill, ckpt_sys0(SYS_getpid), SIGKILL);
    ckpt_sys1(SYS_exit_group, 137);
    __builtin_unreachable();
}

/* STOP after a committed generation: the application never runs again in this
 * process (its output after the cut belongs to the restarted job). MPI is
 * finalised so the launcher sees an ordinary end and prints nothing alarming. */
static __attribute__((noreturn)) void stop_process(void)
{
    const struct ckpt_mpi_ops *ops = eng_mpi_ops();
    if (ops && ops->stop)
        ops->stop();
    ckpt_sys1(SYS_exit_group, 0);
    __builtin_unreachable();
}

/* A checkpoint with stop=1: once this rank's image is durable it says WRITTEN
 * and, threads still parked, waits for the coordinator's verdict: STOP (the
 * generation is committed) ends the process, ABORT resumes the application. */
struct hold {
    struct eng_reader *rd;
    uint64_t gen;
    int answered; /* WRITTEN was sent from the hold */
    const char *local, *shared; /* --local-dir: the image is written to local, copied to shared */
};

/* --local-dir: copies the image into the shared directory and says COPIED
 * (or FAILED: the coordinator abandons the generation, the previous one stays). */
static int copy_and_report(struct eng_reader *rd, const char *local, const char *shared, uint64_t gen)
{
    char err[400];
    struct sbuf e = {err, 0, sizeof err};
    err[0] = 0;
    uint64_t t0 = eng_now_ns();
    if (eng_copy_image(local, shared, &e) < 0) {
        if (rd) /* the coordinator reports it, once for the job */
            report_result(rd->fd, -1, gen, err);
        else
            eng_log("checkpoint copy to the shared directory failed: ", err);
        return -1;
    }
    eng_prune_local(local, shared);
    char b[128];
    struct sbuf s = {b, 0, sizeof b};
    sb_str(&s, "COPIED gen=");
    sb_u64(&s, gen);
    sb_str(&s, " copy_ms=");
    sb_u64(&s, (eng_now_ns() - t0) / 1000000);
    sb_str(&s, "\n");
    if (rd)
        ckpt_engine_send_line(b, s.n);
    return 0;
}

static void hold_for_verdict(void *arg)
{
    struct hold *h = arg;
    report_result(h->rd->fd, 0, h->gen, "");
    /* A stopping job resumes nothing, so the copy is made here, before the
     * verdict (raw system calls only: the other threads are parked). */
    if (h->local)
        copy_and_report(h->rd, h->local, h->shared, h->gen);
    h->answered = 1;
    for (;;) {
        char *line = eng_read_line(h->rd, -1);
        if (line == (char *)-1)
            coordinator_lost();
        if (eng_is_verb(line, "STOP", h->gen))
            stop_process();
        if (eng_is_verb(line, "ABORT", h->gen))
            return;
    }
}

/* One checkpoint of a process without MPI, answered on rd (or logged when rd
 * is NULL). Returns 1 when the process was restored from it. */
int eng_checkpoint_and_report(struct eng_reader *rd, const char *dir, const char *local, uint64_t gen, int stop)
{
    char err[400];
    struct hold h = {rd, gen, 0, local, dir};
    int rc = eng_checkpoint_with(local ? local : dir, gen, NULL, NULL, stop && rd ? hold_for_verdict : NULL, &h, err,
                                 sizeof err);
    if (rc == 1)
        return 1;
    if (!h.answered) {
        report_result(rd ? rd->fd : -1, rc, gen, err);
        /* the application runs again: this is the background part of --local-dir */
        if (rc == 0 && local)
            copy_and_report(rd, local, dir, gen);
    }
    eng_writing_done();
    return 0;
}

/* The drain (DESIGN §4.2), every application thread parked: counts out, the
 * expected counts in, receive, then keep MPI progressing until every rank has
 * drained (a rank that resumed early would send messages into the others' drains). */
struct mpi_step {
    struct eng_reader *rd;
    uint64_t gen;
    int lost; /* the connection ended */
};

/* The coordinator's next line of this generation with `verb`, keeping MPI
 * progressing meanwhile: every thread is parked, but a rank still finishing a
 * passive-target epoch (one-sided, face_win.c) may need this rank's progress
 * to end it. NULL on ABORT or a lost connection (st->lost). */
static char *await_verb(struct mpi_step *st, const char *verb, const struct ckpt_mpi_ops *ops)
{
    for (;;) {
        char *line = eng_read_line(st->rd, 1);
        if (!line) {
            if (ops)
                ops->progress();
            continue;
        }
        if (line == (char *)-1) {
            st->lost = 1;
            return NULL;
        }
        if (eng_is_verb(line, verb, st->gen))
            return line;
        if (eng_is_verb(line, "ABORT", st->gen))
            return NULL;
    }
}

static int mpi_between(void *arg, struct sbuf *err)
{
    struct mpi_step *st = arg;
    const struct ckpt_mpi_ops *ops = eng_mpi_ops();
    static char buf[1 << 16];
    struct sbuf s = {buf, 0, sizeof buf};
    sb_str(&s, "SENT gen=");
    sb_u64(&s, st->gen);
    sb_str(&s, " to=");
    if (ops) {
        s.n += (size_t)ops->drain_sent(buf + s.n, (int)(sizeof buf - s.n - 2));
    } else { /* no MPI in this process: it sent nothing */
        for (int i = 0; i < eng.nranks; i++)
            sb_str(&s, i ? ",0" : "0");
    }
    sb_str(&s, "\n");
    ckpt_engine_send_line(buf, s.n);
    char *line = await_verb(st, "EXPECT", ops);
    if (!line)
        return -2;
    if (ops) {
        char e[400];
        if (ops->drain(eng_value_of(line, "from"), e, sizeof e) < 0) {
            sb_str(err, e);
            return -1;
        }
    }
    eng_send_fmt_u64("DRAINED gen=", st->gen, "\n");
    return await_verb(st, "WRITE", ops) ? 0 : -2;
}

/* A checkpoint of an MPI rank: the collective cut, then the drain and the image.
 * Returns 1 when restored, -1 when the connection ended, else 0. */
static int mpi_checkpoint(struct eng_reader *rd, const char *dir, const char *local, uint64_t gen, int stop)
{
    const struct ckpt_mpi_ops *ops = eng_mpi_ops();
    char err[400];
    if (ops) {
        if (ops->cut_begin(gen, err, sizeof err) < 0) {
            report_result(rd->fd, -1, gen, err);
            return 0;
        }
    } else { /* MPI never started here: a rank with no communicators */
        char b[160];
        struct sbuf s = {b, 0, sizeof b};
        sb_str(&s, "CUTREPORT gen=");
        sb_u64(&s, gen);
        sb_str(&s, " rank=");
        sb_u64(&s, (uint64_t)eng.rank);
        sb_str(&s, " seq=1 act=running comms=\n");
        ckpt_engine_send_line(b, s.n);
    }
    for (;;) {
        char *line = eng_read_line(rd, -1);
        if (line == (char *)-1) {
            eng_mpi_finish(0);
            return -1;
        }
        if (eng_is_verb(line, "TARGETS", gen)) {
            if (ops)
                ops->cut_targets(gen, eng_value_of(line, "t"));
        } else if (eng_is_verb(line, "CUT", gen)) {
            break;
        } else if (eng_is_verb(line, "ABORT", gen)) {
            eng_mpi_finish(0);
            return 0;
        }
    }
    struct mpi_step step = {rd, gen, 0};
    struct hold h = {rd, gen, 0, local, dir};
    int rc = eng_checkpoint_with(local ? local : dir, gen, mpi_between, &step, stop ? hold_for_verdict : NULL, &h, err,
                                 sizeof err);
    if (rc == 1)
        return 1;
    if (step.lost) {
        eng_writing_done();
        return -1;
    }
    if (rc != -2 && !h.answered) {
        report_result(rd->fd, rc, gen, err);
        /* The application runs again while this engine thread copies; a CHECKPOINT
         * sent meanwhile waits unread on the socket, so copies never overlap. */
        if (rc == 0 && local)
            copy_and_report(rd, local, dir, gen);
    }
    eng_writing_done();
    return 0;
}

/* Returns when the connection ends (0) or the process was restored (1). */
int eng_serve_coordinator(const char *path)
{
    int fd = eng_coord_connect(path);
    if (fd < 0) {
        char b[300];
        struct sbuf s = {b, 0, sizeof b};
        sb_err(&s, path, fd);
        eng_log("cannot reach the coordinator: ", b);
        return 0;
    }
    static struct eng_reader rd;
    rd.fd = fd;
    rd.have = rd.used = 0;
    if (!strncmp(path, "tcp:", 4)) {
        char b[300];
        struct sbuf s = {b, 0, sizeof b};
        if (eng_answer_challenge(&rd, fd, &s) < 0) {
            eng_log("cannot authenticate to the coordinator: ", b);
            ckpt_sys1(SYS_close, fd);
            return 0;
        }
    }
    eng_coord_set_fd(fd);
    eng_hello(fd);
    int with_cut = eng.boot && eng.boot->flavour && strcmp(eng.boot->flavour, "none") != 0;
    int refused = 0; /* the coordinator said ERROR (this rank is not part of its job) */
    for (;;) {
        char *line = eng_read_line(&rd, -1);
        if (line == (char *)-1)
            break;
        if (!strncmp(line, "ERROR", 5)) {
            refused = 1;
            eng_log("the coordinator refused this rank: ", line);
            continue;
        }
        if (strncmp(line, "CHECKPOINT", 10))
            continue;
        char gens[32], dir[4096], stops[8], parents[32], incs[8];
        uint64_t gen = eng_field(line, "gen", gens, sizeof gens) ? strtoull(gens, NULL, 10) : 0;
        /* incremental=1 parent=P: track written pages; P is the newest committed generation, which the image may be a delta of */
        eng_dirty_request(eng_field(line, "incremental", incs, sizeof incs) && !strcmp(incs, "1"),
                          eng_field(line, "parent", parents, sizeof parents) ? strtoull(parents, NULL, 10) : 0);
        int stop = eng_field(line, "stop", stops, sizeof stops) && !strcmp(stops, "1");
        if (!eng_field(line, "dir", dir, sizeof dir)) {
            ckpt_engine_send_line("FAILED gen=0 error=CHECKPOINT without dir\n", 42);
            continue;
        }
        static char local[4096];
        const char *lp = eng_field(line, "local", local, sizeof local);
        if (lp) {
            char e[400];
            struct sbuf es = {e, 0, sizeof e};
            e[0] = 0;
            if (eng_make_dirs(lp, &es) < 0) {
                report_result(fd, -1, gen, e);
                continue;
            }
        }
        int rc = with_cut ? mpi_checkpoint(&rd, dir, lp, gen, stop) : eng_checkpoint_and_report(&rd, dir, lp, gen, stop);
        if (rc == 1) {
            eng_coord_set_fd(-1); /* the old socket belonged to the old process */
            return 1;
        }
        if (rc < 0)
            break;
    }
    eng_coord_set_fd(-1);
    ckpt_sys1(SYS_close, fd);
    if (!refused)
        coordinator_lost();
    return 0;
}
