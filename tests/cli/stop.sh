#!/usr/bin/env bash
# Nothing runs after the image: a job stopped by `checkpoint --kill`,
# `--kill-after-checkpoint` on a signal, or a checkpoint that lands inside
# MPI_Finalize, then restarted (on the other MPI), prints exactly what an
# uninterrupted run prints, byte for byte: the stopped job's output followed
# by the restarted job's. The stop is clean (exit 75, no launcher banner, no
# process of the job left). Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
BANNER='BAD TERMINATION|exiting improperly|exited on signal|YOUR APPLICATION|mpirun noticed|killed by signal'
now_ms() { date +%s%3N; }

for p in ticker finalize_late threads_ticker; do
    mpicc.mpich -O2 -pthread "$HERE/stop-programs/$p.c" -o "$WORK/$p" || { ko "build $p"; exit 1; }
done
cc -O2 "$HERE/slow_counter.c" -o "$WORK/slow_counter"

# stop_case NAME HOW DELAY RUN-OPTIONS RESTART-OPTIONS PROGRAM ARGS...
#   HOW: kill (checkpoint --kill from another shell) or signal (USR1 to ckpt-mpi
#   run started with --checkpoint-signal USR1 --kill-after-checkpoint).
stop_case() {
    local name=$1 how=$2 delay=$3 ropts=$4 opts=$5; shift 5
    local d="$WORK/$name"
    mkdir -p "$d"
    # One uninterrupted run per program, rank count and arguments: the cases share it.
    local np; np=$(sed -n 's/.*-np \([0-9]*\).*/\1/p' <<<"$opts")
    local ref; ref="$WORK/ref.np${np:-0}.$(echo "$*" | md5sum | cut -c1-12).out"
    if [ ! -s "$ref" ]; then
        if [[ "$opts" == *--no-mpi* ]]; then
            "$@" >"$ref" 2>/dev/null
        else
            timeout 120 mpiexec.mpich -n "$np" "$@" >"$ref" 2>/dev/null
        fi
    fi
    cp "$ref" "$d/ref.out"
    local extra=""
    [ "$how" = signal ] && extra="--checkpoint-signal USR1 --kill-after-checkpoint"
    # A batch system's pre-emption: TERM takes the checkpoint, and the requeued job's own command line resumes it.
    [ "$how" = term ] && extra="--resume --checkpoint-signal TERM --kill-after-checkpoint"
    # shellcheck disable=SC2086
    (cd "$d" && exec timeout 120 "$CKPT_MPI" run $opts $extra --ckpt-dir "$d/ck" -- "$@" >"$d/a.out" 2>"$d/a.err") &
    local job=$!
    sleep "$delay"
    if [ "$how" = kill ]; then
        if ! timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>"$d/ck.err"; then
            ko "$name: checkpoint failed: $(head -1 "$d/ck.err")"; kill -9 $job 2>/dev/null; wait $job 2>/dev/null; return
        fi
    else
        local sig=USR1; [ "$how" = term ] && sig=TERM
        pkill -$sig -f "^$CKPT_MPI run .*--ckpt-dir $d/ck" || { ko "$name: no ckpt-mpi to signal"; return; }
    fi
    local t0; t0=$(now_ms)
    wait $job
    local rc=$? stop_ms=$(( $(now_ms) - t0 ))
    local left; left=$(pgrep -f "$d/" | grep -vx "$$" | wc -l)
    # shellcheck disable=SC2086
    if [ "$how" = term ]; then
        (cd "$d" && timeout 120 "$CKPT_MPI" run $opts $extra --ckpt-dir "$d/ck" -- "$@" >"$d/b.out" 2>"$d/b.err")
    else
        (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" $ropts >"$d/b.out" 2>"$d/b.err")
    fi
    local rrc=$?
    [ "$how" = term ] && ! grep -q "restarting gen-000001" "$d/b.err" && { ko "$name: run --resume did not restart gen 1: $(head -1 "$d/b.err")"; return; }
    local why=""
    [ $rc -eq 75 ] || why="stopped run exited $rc, not 75 ($(grep -v '^ckpt-mpi: note' "$d/a.err" | head -1))"
    [ -z "$why" ] && [ "$left" -eq 0 ] || why="${why:-$left processes of the stopped job left}"
    [ -z "$why" ] && grep -Eq "$BANNER" "$d/a.out" "$d/a.err" && why="launcher noise: $(grep -Eh -m1 "$BANNER" "$d/a.out" "$d/a.err")"
    [ -z "$why" ] && [ $rrc -ne 0 ] && why="restart exited $rrc: $(tail -1 "$d/b.err")"
    [ -z "$why" ] && ! cat "$d/a.out" "$d/b.out" | cmp -s - "$d/ref.out" &&
        why="output differs from an uninterrupted run ($(wc -l <"$d/a.out")+$(wc -l <"$d/b.out") lines, reference $(wc -l <"$d/ref.out"))"
    if [ -z "$why" ]; then
        ok "$name ($(wc -l <"$d/a.out") lines before the stop, $(wc -l <"$d/b.out") after the restart; the job ended $stop_ms ms after the checkpoint)"
    else
        ko "$name: $why"
    fi
}

stop_case ticker-openmpi-to-mpich kill 1.5 "--mpi mpich" "-np 2 --mpi openmpi" "$WORK/ticker" 2000
stop_case ticker-mpich-to-openmpi kill 1.5 "--mpi openmpi" "-np 2 --mpi mpich" "$WORK/ticker" 2000
stop_case finalize-mpich-to-openmpi kill 1.5 "--mpi openmpi" "-np 2 --mpi mpich" "$WORK/finalize_late" 3
stop_case finalize-openmpi-to-mpich kill 1.5 "--mpi mpich" "-np 2 --mpi openmpi" "$WORK/finalize_late" 3
stop_case threads-openmpi-to-mpich kill 1.5 "--mpi mpich" "-np 2 --mpi openmpi" "$WORK/threads_ticker" 2000

stop_case signal-ticker-mpich signal 1.5 "--mpi openmpi" "-np 2 --mpi mpich" "$WORK/ticker" 2000
stop_case term-resume-ticker-openmpi term 1.5 "" "-np 2 --mpi openmpi" "$WORK/ticker" 2000
stop_case no-mpi kill 1.0 "" "--no-mpi" "$WORK/slow_counter" 60

finish
