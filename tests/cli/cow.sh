#!/usr/bin/env bash
# Copy-on-write checkpoints (the default writer): the application is stopped
# only while the cut is reached and a writer child is forked, and runs at full
# speed while the child writes the image. cow_mutator rewrites every page of
# 256 MiB at each step and checks that each page holds the previous step's
# values, so an image with a page saved after the cut restarts into a BAD line
# or another hash. Checks: the pause is a small part of the write and the
# application made progress during it; kill -9 + restart ends exactly as the
# uninterrupted run; a job that goes on after a COW checkpoint ends exactly as
# it too (no SIGCHLD, nothing for its waitpid(-1)); the writer process is
# named only with --verbose and takes no signal; CKPT_MPI_WRITER=inline still works and stops the
# application for the whole write; a writer that cannot write fails the
# checkpoint in one line and leaves the previous generation the newest; an
# application that ends while its image is written (CKPT_MPI_TEST_WRITE_DELAY_MS
# holds the writer back) waits for it, so the generation completes, also for
# MPI ranks that went through MPI_Finalize meanwhile.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
cc -O2 -Wall "$HERE/cow_mutator.c" -o "$WORK/cm" || { ko "build cow_mutator"; finish; exit 1; }
MIB=256
STEPS=${COW_STEPS:-60}
timeout 300 "$WORK/cm" $MIB $STEPS >"$WORK/ref.out" 2>&1
REF="$(tail -1 "$WORK/ref.out")"
case "$REF" in "hash "*" bad 0 sigchld 0 reaped 0") ;; *) ko "reference run: $REF"; finish; exit 1 ;; esac
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
field() { sed -n "s/.*\"$2\" *: *\\([0-9.]*\\).*/\\1/p" "$1" | head -1; }
is_tail_of_ref() {  # is_tail_of_ref <output> [reference output]
    local ref=${2:-$WORK/ref.out}
    [ -s "$1" ] && [ "$(tail -n "$(lines "$1")" "$ref")" = "$(cat "$1")" ]
}
# start <name> [env...]: the mutator under ckpt-mpi in the background, until it has done 3 steps
start() {
    local n=$1; shift
    rm -rf "$WORK/$n"
    env "$@" timeout 300 "$CKPT_MPI" run --no-mpi --ckpt-dir "$WORK/$n" ${VERBOSE:+--verbose} -- "$WORK/cm" $MIB $STEPS \
        >"$WORK/$n.out" 2>"$WORK/$n.err" </dev/null &
    job=$!
    for _ in $(seq 600); do [ "$(lines "$WORK/$n.out")" -ge 3 ] && return 0; sleep 0.05; done
    return 1
}
# checkpoint <name>: sets ck_rc, before/after (output lines), pause, write
checkpoint() {
    before=$(lines "$WORK/$1.out")
    timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$WORK/$1" >"$WORK/$1.ck" 2>&1
    ck_rc=$?
    after=$(lines "$WORK/$1.out")
    local m; m=$(ls "$WORK/$1"/gen-*/MANIFEST.json 2>/dev/null | tail -1)
    pause=$(field "$m" pause_ms); write=$(field "$m" write_ms)
}
restart_matches() {  # restart_matches <name> <label> [reference output]
    local ref=${3:-$WORK/ref.out} want
    want=$(tail -1 "$ref")
    timeout 300 "$CKPT_MPI" restart "$WORK/$1" >"$WORK/$1.r.out" 2>"$WORK/$1.r.err" </dev/null
    local rc=$?
    if [ $rc -eq 0 ] && is_tail_of_ref "$WORK/$1.r.out" "$ref" && [ "$(tail -1 "$WORK/$1.r.out")" = "$want" ]; then
        ok "$2: kill -9 + restart resumes at the cut and ends as the uninterrupted run ($(lines "$WORK/$1.r.out") lines: $want)"
    else
        ko "$2: restart rc $rc, last line '$(tail -1 "$WORK/$1.r.out")' (want '$want'), $(grep -m1 BAD "$WORK/$1.r.out") $(tail -1 "$WORK/$1.r.err")"
    fi
}

# ---- COW: the application runs during the write; restart from the cut
if start cow; then
    checkpoint cow
    if [ $ck_rc -eq 0 ] && [ -n "$pause" ] && [ -n "$write" ] && [ $((pause * 3)) -le "$write" ] && [ $((after - before)) -ge 2 ]; then
        ok "cow: application stopped ${pause} ms of a ${write} ms write and did $((after - before)) steps meanwhile"
    else
        ko "cow: checkpoint rc $ck_rc ($(cat "$WORK/cow.ck")), pause ${pause:-?} ms, write ${write:-?} ms, steps during it $((after - before))"
    fi
    if grep -qi "writer" "$WORK/cow.err"; then ko "cow: the writer process shows without --verbose: $(grep -i -m1 writer "$WORK/cow.err")"
    else ok "cow: nothing about the writer process on stderr without --verbose"; fi
    sleep 1
    pkill -9 -f "$WORK/cm" 2>/dev/null
    wait $job 2>/dev/null
    restart_matches cow cow
else
    ko "cow: the job did not start ($(tail -1 "$WORK/cow.err"))"
fi

# ---- COW, the job goes on to its end after two checkpoints (verbose names the writer)
if VERBOSE=1 start on; then
    checkpoint on; rc1=$ck_rc
    checkpoint on; rc2=$ck_rc
    wait $job
    jrc=$?
    if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $jrc -eq 0 ] && cmp -s "$WORK/on.out" "$WORK/ref.out"; then
        ok "cow: a job checkpointed twice runs on to the uninterrupted run's output (no SIGCHLD, nothing reaped)"
    else
        ko "cow: go on: checkpoints rc $rc1/$rc2, job rc $jrc, last line '$(tail -1 "$WORK/on.out")' (want '$REF')"
    fi
    if grep -q "image writer process [0-9]* started" "$WORK/on.err"; then ok "cow: --verbose names the writer process"
    else ko "cow: --verbose does not name the writer process"; fi
else
    ko "cow: the job did not start ($(tail -1 "$WORK/on.err"))"
fi

# ---- inline writer (CKPT_MPI_WRITER=inline): stopped for the whole write
if start inl CKPT_MPI_WRITER=inline; then
    checkpoint inl
    if [ $ck_rc -eq 0 ] && [ -n "$pause" ] && [ -n "$write" ] && [ "$pause" -ge "$write" ]; then
        ok "inline: application stopped ${pause} ms for a ${write} ms write"
    else
        ko "inline: checkpoint rc $ck_rc ($(cat "$WORK/inl.ck")), pause ${pause:-?} ms, write ${write:-?} ms"
    fi
    sleep 0.5
    pkill -9 -f "$WORK/cm" 2>/dev/null
    wait $job 2>/dev/null
    restart_matches inl inline
else
    ko "inline: the job did not start"
fi

# ---- a writer that cannot write, or is killed: one line, the job runs on, gen 1 stays the newest
rank_pid() { timeout 30 "$CKPT_MPI" status --ckpt-dir "$WORK/$1" --json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["ranks_connected"][0]["pid"])' 2>/dev/null; }
if start fail; then
    checkpoint fail; rc1=$ck_rc
    pid=$(rank_pid fail)
    # the writer inherits the limit: its write fails with EFBIG (it blocks SIGXFSZ)
    prlimit --pid "$pid" --fsize=10000000:
    checkpoint fail; rc2=$ck_rc; msg2=$(cat "$WORK/fail.ck")
    prlimit --pid "$pid" --fsize=unlimited:
    # a writer killed in the middle
    timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$WORK/fail" >"$WORK/fail.ck" 2>&1 &
    client=$!
    w=""; for _ in $(seq 400); do w=$(pgrep -P "$pid" -x ckpt-writer) && break; sleep 0.01; done
    [ -n "$w" ] && kill -9 $w
    wait $client; rc3=$?; msg3=$(cat "$WORK/fail.ck")
    gens=$(ls "$WORK/fail" | grep -c '^gen-')
    if [ $rc1 -eq 0 ] && [ $rc2 -ne 0 ] && [ "$(printf '%s\n' "$msg2" | wc -l)" -eq 1 ] && [[ "$msg2" == *"write(image)"*"too large"* ]] &&
        [ "$gens" -eq 1 ] && [ -f "$WORK/fail/gen-000001/MANIFEST.json" ] && kill -0 $job 2>/dev/null; then
        ok "cow: a failed write is one line ($msg2), the job runs on, gen 1 stays the only one"
    else
        ko "cow: failed write: rc $rc1/$rc2, '$msg2', $(ls "$WORK/fail" | tr '\n' ' ')"
    fi
    if [ -n "$w" ] && [ $rc3 -ne 0 ] && [[ "$msg3" == *"killed by signal 9"* ]] && [ "$gens" -eq 1 ] && kill -0 $job 2>/dev/null; then
        ok "cow: a killed writer fails its checkpoint in one line ($msg3), the job runs on"
    else
        ko "cow: killed writer ${w:-not found}: rc $rc3, '$msg3', $(ls "$WORK/fail" | tr '\n' ' ')"
    fi
    checkpoint fail
    pkill -9 -f "$WORK/cm" 2>/dev/null
    wait $job 2>/dev/null
    if [ $ck_rc -eq 0 ]; then restart_matches fail "cow after two failed checkpoints"; else ko "cow: no checkpoint after the failures: $(cat "$WORK/fail.ck")"; fi
else
    ko "fail: the job did not start"
fi
# ---- the writer takes no signal: TERM, INT and HUP sent to it (as a terminal or a batch
# system would send them to the process group) neither kill it nor run a handler in the copy
if start sig CKPT_MPI_TEST_WRITE_DELAY_MS=1500; then
    pid=$(rank_pid sig)
    timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$WORK/sig" >"$WORK/sig.ck" 2>&1 &
    client=$!
    w=""; for _ in $(seq 400); do w=$(pgrep -P "$pid" -x ckpt-writer) && break; sleep 0.01; done
    [ -n "$w" ] && kill -TERM $w && kill -INT $w && kill -HUP $w
    wait $client; rc=$?
    pkill -9 -f "$WORK/cm" 2>/dev/null
    wait $job 2>/dev/null
    if [ -n "$w" ] && [ $rc -eq 0 ]; then
        ok "cow: the writer ignored TERM, INT and HUP and wrote gen 1 ($(cat "$WORK/sig.ck"))"
        restart_matches sig "cow after signals to the writer"
    else
        ko "cow: signals to the writer ${w:-not found}: checkpoint rc $rc: $(cat "$WORK/sig.ck")"
    fi
else
    ko "sig: the job did not start"
fi

# ---- --interval: back-to-back COW checkpoints (each write takes about the interval).
# Its own, longer run (2 s of STEPS steps could end before a loaded machine wrote two images).
rm -rf "$WORK/iv"
IV_STEPS=$((STEPS * 8))
timeout 300 "$WORK/cm" $MIB $IV_STEPS >"$WORK/iv.ref" 2>&1
timeout 300 "$CKPT_MPI" run --no-mpi --ckpt-dir "$WORK/iv" --interval 1s --keep 3 -- "$WORK/cm" $MIB $IV_STEPS \
    >"$WORK/iv.out" 2>"$WORK/iv.err" </dev/null &
job=$!
for _ in $(seq 1200); do [ "$(ls "$WORK/iv"/gen-*/MANIFEST.json 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
pkill -9 -f "$WORK/cm" 2>/dev/null
wait $job 2>/dev/null
n=$(ls "$WORK/iv"/gen-*/MANIFEST.json 2>/dev/null | wc -l)
if [ "$n" -ge 2 ] && ! grep -q "failed" "$WORK/iv.err"; then ok "--interval 1s: $n complete generations kept, none failed"
else ko "--interval 1s: $n complete generations, $(grep -m1 failed "$WORK/iv.err")"; fi
restart_matches iv "--interval" "$WORK/iv.ref"

# ---- the application ends while its image is written: the generation still completes
mpicc.mpich -O2 "$HERE/stop-programs/ticker.c" -o "$WORK/ticker" 2>/dev/null
timeout 60 mpiexec.mpich -n 2 "$WORK/ticker" 50 20000 line >"$WORK/tref.out" 2>/dev/null
for mode in nompi mpich openmpi; do
    d="$WORK/end-$mode"
    if [ $mode = nompi ]; then cmd=(run --no-mpi --ckpt-dir "$d" -- /bin/sleep 2); want=""; np=1
    else cmd=(run -np 2 --mpi $mode --ckpt-dir "$d" -- "$WORK/ticker" 50 20000 line); want="$WORK/tref.out"; np=2; fi
    CKPT_MPI_TEST_WRITE_DELAY_MS=4000 timeout 120 "$CKPT_MPI" "${cmd[@]}" >"$d.out" 2>"$d.err" </dev/null &
    job=$!
    for _ in $(seq 400); do [ -S "$d/coordinator.sock" ] && timeout 5 "$CKPT_MPI" status --ckpt-dir "$d" 2>/dev/null | grep -q "$np of $np ranks connected" && break; sleep 0.05; done
    t0=$(date +%s%3N)
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d" >"$d.ck" 2>&1
    crc=$?
    wait $job
    jrc=$?
    t1=$(date +%s%3N)
    if [ $crc -eq 0 ] && [ $jrc -eq 0 ] && [ -f "$d/gen-000001/MANIFEST.json" ] && { [ -z "$want" ] || cmp -s "$d.out" "$want"; }; then
        ok "$mode: a job that ended during a 4 s image write waited for it: gen 1 complete, job rc 0$([ -n "$want" ] && echo ", output as the native run")"
    else
        ko "$mode: ended during the write: checkpoint rc $crc ($(cat "$d.ck")), job rc $jrc, $(ls "$d" | tr '\n' ' ') $(tail -1 "$d.err")"
    fi
    if [ -n "$want" ] && [ $crc -eq 0 ]; then
        timeout 120 "$CKPT_MPI" restart "$d" >"$d.r.out" 2>"$d.r.err" </dev/null
        n=$(lines "$d.r.out")
        if [ "$n" -gt 0 ] && [ "$(tail -n "$n" "$want")" = "$(cat "$d.r.out")" ]; then ok "$mode: that generation restarts and continues the native run ($n lines)"
        else ko "$mode: restart of that generation: $(tail -1 "$d.r.out") / $(tail -1 "$d.r.err")"; fi
    fi
done
finish
