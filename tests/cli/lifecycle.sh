#!/usr/bin/env bash
# A job lives and dies with its coordinator (`ckpt-mpi run`/`restart`):
#  - kill -9 of `ckpt-mpi run` on Open MPI and on MPICH, of `ckpt-mpi restart`,
#    and of `ckpt-mpi run` in the middle of a 512 MiB checkpoint: every launcher
#    and rank process of the job (pids collected before the kill) is gone
#    within 5 s;
#  - the generation that last one was writing stays incomplete until the next
#    coordinator opens the directory, which removes it;
#  - a second `run` on a directory in use is refused in one line;
#  - a stale coordinator.sock (left by a killed run, or a bare socket file) is
#    reported as such and replaced by the next run;
#  - `restart` waits for processes of an earlier job on the directory and
#    refuses in one line when they outlive the wait;
#  - a lower half told to (CKPT_MPI_DIE_WITH_PARENT=1) dies with its parent,
#    and one not told outlives it.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
started=()  # every pid this script started or found in one of its jobs
# Kills what is left of ours, by pid; a pid that ended and was reused by someone else's
# process is spared: ours name $WORK in their command line or environment.
before_removing_work() {
    local p
    for p in "${started[@]}" $(pgrep -f "$WORK"); do
        grep -qsF "$WORK" "/proc/$p/cmdline" "/proc/$p/environ" && kill -9 "$p" 2>/dev/null
    done
    { wait; } 2>/dev/null
}

cc -O2 "$HERE/slow_counter.c" -o "$WORK/slow_counter"
# Two ranks that keep talking (an Allreduce every 100 ms) for a minute.
cat >"$WORK/ticker.c" <<'C'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, n = argc > 1 ? atoi(argv[1]) : 600;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    setvbuf(stdout, NULL, _IOLBF, 0);
    long sum = 0;
    for (int i = 0; i < n; i++) {
        long x = i + rank, y = 0;
        MPI_Allreduce(&x, &y, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        sum += y;
        if (rank == 0) printf("tick %d\n", i);
        usleep(100000);
    }
    if (rank == 0) printf("done %ld\n", sum);
    MPI_Finalize();
    return 0;
}
C
mpicc.mpich -O2 "$WORK/ticker.c" -o "$WORK/ticker"
# 512 MiB of data that does not compress into zero pages, then a long quiet run.
cc -O2 "$HERE/big_memory.c" -o "$WORK/big"

# connected D N: wait up to 60 s until N ranks are connected to D's coordinator.
connected() {
    local i
    for i in $(seq 600); do
        "$CKPT_MPI" status --ckpt-dir "$1" 2>/dev/null | grep -q "$2 of $2 ranks connected" && return 0
        sleep 0.1
    done
    return 1
}

# job_pids COORDINATOR D: the coordinator's descendants (launcher, hydra_pmi_proxy,
# orted, ranks: whatever their session or process group) and every process that
# carries the job's marker for D in its environment.
job_pids() {
    local todo=$1 d=$2 p c all=""
    while [ -n "$todo" ]; do
        p=${todo%% *}; [ "$p" = "$todo" ] && todo="" || todo=${todo#* }
        all="$all $p"
        for c in $(pgrep -P "$p"); do todo="${todo:+$todo }$c"; done
    done
    all="$all $(grep -lzxF "CKPT_MPI_JOB_DIR=$d" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3)"
    for p in $all; do echo "$p"; done | sort -un
}

# alive PIDS...: those still running (a zombie has ended; only its parent's wait is missing).
alive() {
    local p s
    for p in "$@"; do
        s=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
        [ -n "$s" ] && [ "$s" != Z ] && echo "$p"
    done
}

names() { local p; for p in "$@"; do cat "/proc/$p/comm" 2>/dev/null; done | sort | tr '\n' ' '; }

# kill_and_watch NAME COORDINATOR D EXPECTED-NAMES [OR-NAMES]: kill -9 the coordinator, then every
# process of the job (collected before) must have ended within 5 s. Zombies have ended:
# reaping them is up to init, which here does it in batches every second or two.
kill_and_watch() {
    local name=$1 coordinator=$2 d=$3 expected=$4 or=${5:-}
    local pids others have
    pids=$(job_pids "$coordinator" "$d")
    started+=($pids)
    others=$(for p in $pids; do [ "$p" != "$coordinator" ] && echo "$p"; done)
    have=$(names $others)
    if [ "$have" != "$expected" ] && [ "$have" != "$or" ]; then
        ko "$name: the job's processes before the kill are '$have', not '$expected'${or:+ or '$or'}"
        return 1
    fi
    local t0 t1 left
    t0=$(date +%s%N)
    kill -9 "$coordinator"
    while :; do
        left=$(alive $others)
        t1=$(date +%s%N)
        [ -z "$left" ] && break
        [ $(((t1 - t0) / 1000000)) -gt 5000 ] && break
        sleep 0.02
    done
    if [ -n "$left" ]; then
        ko "$name: still alive 5 s after kill -9 of ckpt-mpi: $(ps -o pid=,comm= -p "$(echo $left | tr ' ' ,)" | tr '\n' ' ')"
        return 1
    fi
    # For the record: when init has reaped them too (it is not ours to hurry).
    local t2 p reaped=""
    while :; do
        reaped=yes
        for p in $others; do [ -e "/proc/$p" ] && reaped="" && break; done
        t2=$(date +%s%N)
        [ -n "$reaped" ] || [ $(((t2 - t0) / 1000000)) -gt 5000 ] && break
        sleep 0.02
    done
    ok "$name: kill -9 of ckpt-mpi, all $(echo $others | wc -w) processes of its job ($have) dead in $(((t1 - t0) / 1000000)) ms,"\
" $([ -n "$reaped" ] && echo "reaped by init in $(((t2 - t0) / 1000000)) ms" || echo "not all reaped by init after 5 s")"
}

# 1, 2. kill -9 of `ckpt-mpi run` on each MPI.
for mpi in openmpi mpich; do
    D="$WORK/ck-$mpi"
    "$CKPT_MPI" run -np 2 --mpi $mpi --ckpt-dir "$D" -- "$WORK/ticker" 600 >"$WORK/$mpi.out" 2>"$WORK/$mpi.err" &
    job=$!
disown $job  # to be killed: no "Killed" line from bash
    started+=($job)
    if ! connected "$D" 2; then ko "run-$mpi: the ranks never connected ($(head -1 "$WORK/$mpi.err"))"; continue; fi
    [ $mpi = openmpi ] && expected="mpirun.openmpi ticker ticker " || expected="hydra_pmi_proxy mpiexec.mpich ticker ticker "
    kill_and_watch "run-$mpi" $job "$D" "$expected"
done

# 3. A stale socket (from the killed Open MPI run): status says so, the next run replaces it.
D="$WORK/ck-openmpi"
st=$("$CKPT_MPI" status --ckpt-dir "$D" 2>&1)
if [ -S "$D/coordinator.sock" ] && echo "$st" | grep -q '^state: not running (coordinator.sock is stale'; then
    ok "stale socket: status says $(echo "$st" | grep '^state:')"
else
    ko "stale socket: status says '$(echo "$st" | grep '^state:')'"
fi
"$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>"$WORK/stale-ck.err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/stale-ck.err")" -eq 1 ] && grep -q 'no ckpt-mpi job is running.*stale' "$WORK/stale-ck.err"; then
    ok "stale socket: checkpoint refused in one line"
else
    ko "stale socket: checkpoint (rc=$rc) said: $(cat "$WORK/stale-ck.err")"
fi
"$WORK/slow_counter" 10 | tail -1 >"$WORK/ref10"
timeout 60 "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 10 >"$WORK/stale.out" 2>"$WORK/stale.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/stale.out")" = "$(cat "$WORK/ref10")" ] && [ ! -e "$D/coordinator.sock" ]; then
    ok "stale socket left by a killed run: the next run works"
else
    ko "stale socket left by a killed run: run rc=$rc: $(head -2 "$WORK/stale.err")"
fi
# A bare socket file nobody listens on, in a directory without anything else.
D="$WORK/ck-bare"
mkdir -p "$D"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/coordinator.sock"
timeout 60 "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 10 >"$WORK/bare.out" 2>"$WORK/bare.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/bare.out")" = "$(cat "$WORK/ref10")" ]; then
    ok "bare stale socket file: run works"
else
    ko "bare stale socket file: run rc=$rc: $(head -2 "$WORK/bare.err")"
fi

# 4. kill -9 of `ckpt-mpi run` during a 512 MiB checkpoint (--no-mpi: the lower half is its child).
D="$WORK/ck-big"
"$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/big" 600 >"$WORK/big.out" 2>"$WORK/big.err" &
job=$!
disown $job  # to be killed: no "Killed" line from bash
started+=($job)
for i in $(seq 600); do grep -q '^step' "$WORK/big.out" 2>/dev/null && break; sleep 0.05; done
if connected "$D" 1 && grep -q '^step' "$WORK/big.out"; then
    "$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>&1 &
    started+=($!)
    for i in $(seq 1000); do [ -d "$D/gen-000001" ] && break; sleep 0.005; done
    # the rank's image writer (a copy-on-write child, docs/checkpoint-protocol.md) must die with it too
    if kill_and_watch "kill-during-checkpoint" $job "$D" "big " "big ckpt-writer "; then
        if [ -d "$D/gen-000001" ] && [ ! -e "$D/gen-000001/MANIFEST.json" ] &&
            "$CKPT_MPI" list "$D" | grep -q '^gen-000001 *incomplete'; then
            ok "kill-during-checkpoint: gen-000001 stays, listed incomplete ($(ls "$D/gen-000001" | tr '\n' ' '))"
        else
            ko "kill-during-checkpoint: no half-written generation to look at (the checkpoint finished or never started): $("$CKPT_MPI" list "$D" 2>&1 | tr '\n' ' ')"
        fi
        timeout 60 "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 10 >"$WORK/next.out" 2>"$WORK/next.err"
        rc=$?
        if [ $rc -eq 0 ] && [ ! -e "$D/gen-000001" ] && [ "$(wc -l <"$WORK/next.err")" -eq 1 ] &&
            grep -q 'removed gen-000001 .*incomplete by a coordinator that died during a checkpoint' "$WORK/next.err"; then
            ok "kill-during-checkpoint: the next run removed it with one note: $(cat "$WORK/next.err")"
        else
            ko "kill-during-checkpoint: next run (rc=$rc) left $(ls "$D" | tr '\n' ' '); stderr: $(cat "$WORK/next.err")"
        fi
    fi
else
    ko "kill-during-checkpoint: the job never got going ($(head -1 "$WORK/big.err"))"
fi

# 5. A second run on a directory in use is refused in one line; the first one is unharmed.
D="$WORK/ck-two"
"$WORK/slow_counter" 60 | tail -1 >"$WORK/ref60"
"$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 60 >"$WORK/first.out" 2>"$WORK/first.err" &
first=$!
started+=($first)
if connected "$D" 1; then
    timeout 30 "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 5 >"$WORK/second.out" 2>"$WORK/second.err"
    rc=$?
    timeout 30 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>&1  # for case 6
    wait $first
    frc=$?
    if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/second.err")" -eq 1 ] && [ ! -s "$WORK/second.out" ] &&
        grep -qx "ckpt-mpi: a job is already running on $D (coordinator pid $first)" "$WORK/second.err" &&
        [ $frc -eq 0 ] && [ "$(tail -1 "$WORK/first.out")" = "$(cat "$WORK/ref60")" ]; then
        ok "second run refused: $(cat "$WORK/second.err")"
    else
        ko "second run (rc=$rc, first rc=$frc): $(cat "$WORK/second.err")"
    fi
else
    ko "second run: the first never connected"
fi

# 6. restart while a process of the job is alive: refused after the wait; one that ends in time is waited for.
env CKPT_MPI_JOB_DIR="$D" sleep 60 &
survivor=$!
started+=($survivor)
t0=$(date +%s%N)
timeout 60 "$CKPT_MPI" restart "$D" >"$WORK/r1.out" 2>"$WORK/r1.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/r1.err")" -eq 1 ] && [ ! -s "$WORK/r1.out" ] &&
    grep -q "processes of an earlier job on $D are still running after 5 s: pid $survivor (sleep)" "$WORK/r1.err" &&
    [ $ms -ge 4900 ] && [ ! -e "$D/coordinator.sock" ]; then
    ok "restart beside a survivor refused after $ms ms: $(cat "$WORK/r1.err")"
else
    ko "restart beside a survivor (rc=$rc after $ms ms): $(cat "$WORK/r1.err")"
fi
kill -9 $survivor; wait $survivor 2>/dev/null
env CKPT_MPI_JOB_DIR="$D" sleep 2 &
started+=($!)
timeout 60 "$CKPT_MPI" restart "$D" >"$WORK/r2.out" 2>"$WORK/r2.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/r2.out")" = "$(cat "$WORK/ref60")" ]; then
    ok "restart waits for a survivor that ends within 5 s"
else
    ko "restart after a short-lived survivor (rc=$rc): $(head -2 "$WORK/r2.err")"
fi

# 7. kill -9 of `ckpt-mpi restart` (Open MPI, 2 ranks).
D="$WORK/ck-restart"
"$CKPT_MPI" run -np 2 --mpi openmpi --ckpt-dir "$D" -- "$WORK/ticker" 600 >/dev/null 2>"$WORK/r3.err" &
job=$!
started+=($job)
if connected "$D" 2 && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >/dev/null 2>>"$WORK/r3.err"; then
    wait $job
    "$CKPT_MPI" restart "$D" >/dev/null 2>"$WORK/r4.err" &
    job=$!
    disown $job  # to be killed: no "Killed" line from bash
    started+=($job)
    if connected "$D" 2; then
        # A restored rank is named after /proc/self/exe: the lower half's re-exec.
        kill_and_watch "restart-openmpi" $job "$D" "exe exe mpirun.openmpi "
    else
        ko "restart-openmpi: the restarted ranks never connected ($(tail -1 "$WORK/r4.err"))"
    fi
else
    ko "restart-openmpi: no checkpoint to restart from ($(tail -1 "$WORK/r3.err"))"
fi

# 8. The lower half's own tie to its parent (what makes a rank die with mpirun, orted or
# hydra_pmi_proxy even if they do not clean up): a parent that just dies, without and with
# CKPT_MPI_DIE_WITH_PARENT=1.
LOWER="$(dirname "$CKPT_MPI")/ckpt-lower-nompi"
for tied in 0 1; do
    bash -c 'env CKPT_MPI_DIE_WITH_PARENT=$1 "$2" -- "$3" 200 >/dev/null & echo $! >"$4"; wait' _ \
        $tied "$LOWER" "$WORK/slow_counter" "$WORK/lower$tied.pid" &
    parent=$!
    disown $parent
    started+=($parent)
    for i in $(seq 100); do [ -s "$WORK/lower$tied.pid" ] && break; sleep 0.05; done
    lower=$(cat "$WORK/lower$tied.pid")
    started+=($lower)
    sleep 0.5
    kill -9 $parent
    for i in $(seq 100); do [ -z "$(alive $lower)" ] && break; sleep 0.02; done
    if [ $tied = 1 ] && [ -z "$(alive $lower)" ]; then
        ok "lower half with CKPT_MPI_DIE_WITH_PARENT=1 dies with its parent"
    elif [ $tied = 0 ] && [ -n "$(alive $lower)" ]; then
        ok "lower half without it outlives its parent (as under nohup)"
        kill -9 $lower
    else
        ko "lower half (CKPT_MPI_DIE_WITH_PARENT=$tied) after its parent's kill -9: $(alive $lower | sed 's/^/alive /')"
    fi
done

finish
