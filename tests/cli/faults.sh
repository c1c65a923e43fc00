#!/usr/bin/env bash
# Faults through the ckpt-mpi command: nothing already saved is ever lost.
#  - the checkpoint directory fills up: `checkpoint` fails with one line, the job
#    keeps running, and the previous generation still restarts;
#  - the job is SIGKILLed while a checkpoint is being written: the previous
#    generation still restarts;
#  - restart with another rank count, or from a directory with no checkpoint:
#    one-line refusal;
#  - a stopped (SIGSTOP) coordinator: `checkpoint --timeout 3` fails in about 3 s
#    with one line; after SIGCONT the abandoned request is taken and the job
#    finishes with the right answer; `status` meanwhile says "not answering" in 5 s.
# Prints PASS/FAIL lines and "N passed, N failed".
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../../.build/release/ckpt-mpi}"
WORK="$(mktemp -d)"
cleanup() { umount "$WORK/small" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }
cc -O2 "$HERE/slow_counter.c" -o "$WORK/slow_counter"
"$WORK/slow_counter" 80 | tail -1 >"$WORK/ref"

# 1. Full disk: a 40 MiB tmpfs holds one generation (well under 1 MiB since
# libraries are stored by reference); then it is filled up entirely.
mkdir -p "$WORK/small"
if mount -t tmpfs -o size=40m none "$WORK/small"; then
    D="$WORK/small/ck"
    "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 80 >"$WORK/full.out" 2>"$WORK/full.err" &
    job=$!
    sleep 0.8
    "$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>&1
    head -c 40m /dev/zero >"$WORK/small/filler" 2>/dev/null
    "$CKPT_MPI" checkpoint --ckpt-dir "$D" >"$WORK/c2.out" 2>"$WORK/c2.err"
    rc=$?
    wait $job
    jobrc=$?
    lines=$(wc -l <"$WORK/c2.err")
    if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -q 'No space left' "$WORK/c2.err" && [ $jobrc -eq 0 ] &&
        [ "$(tail -1 "$WORK/full.out")" = "$(cat "$WORK/ref")" ] && [ ! -e "$D/gen-000002/MANIFEST.json" ]; then
        ok "full-disk: checkpoint refused in one line, job finished ($(cat "$WORK/c2.err"))"
    else
        ko "full-disk (checkpoint rc=$rc, job rc=$jobrc, $(cat "$WORK/c2.err"))"
    fi
    # The failed generation goes entirely, and its clean-up does not fail on the way.
    if [ ! -e "$D/gen-000002" ] && ! grep -q 'could not remove' "$WORK/full.err"; then
        ok "full-disk: the failed generation is removed entirely"
    else
        ko "full-disk: the failed generation is left ($(ls -A "$D/gen-000002" 2>&1 | tr '\n' ' '); $(grep 'could not remove' "$WORK/full.err"))"
    fi
    rm -f "$WORK/small/filler"
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$D" >"$WORK/r1.out" 2>/dev/null)
    if [ "$(tail -1 "$WORK/r1.out")" = "$(cat "$WORK/ref")" ]; then ok "full-disk: previous generation restarts"
    else ko "full-disk: previous generation did not restart"; fi
    umount "$WORK/small"
else
    ko "full-disk: cannot mount a tmpfs"
fi

# 2. SIGKILL of the whole job in the middle of a (large) checkpoint.
cc -O2 "$HERE/big_memory.c" -o "$WORK/big"
D="$WORK/ck2"
"$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/big" >"$WORK/k.out" 2>/dev/null &
job=$!
sleep 2.5
"$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>&1
"$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>&1 &
sleep 0.05
pkill -9 -f "$WORK/big"; pkill -9 -f "ckpt-mpi run --no-mpi --ckpt-dir $D"
wait $job 2>/dev/null
wait 2>/dev/null
"$WORK/big" | tail -1 >"$WORK/bigref"
(cd "$WORK" && timeout 120 "$CKPT_MPI" restart "$D" >"$WORK/k2.out" 2>"$WORK/k2.err")
if [ "$(tail -1 "$WORK/k2.out")" = "$(cat "$WORK/bigref")" ]; then
    ok "kill-during-checkpoint: a complete generation restarts ($("$CKPT_MPI" list "$D" | tr -s ' ' | cut -d' ' -f1,2 | tr '\n' ' '))"
else
    ko "kill-during-checkpoint ($(head -2 "$WORK/k2.err"))"
fi

# 3. Refusals.
"$CKPT_MPI" restart "$D" -np 3 >/dev/null 2>"$WORK/np.err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/np.err")" -eq 1 ]; then ok "restart -np 3 of a 1-rank job refused: $(cat "$WORK/np.err")"
else ko "restart with another rank count (rc=$rc)"; fi
mkdir -p "$WORK/empty"
"$CKPT_MPI" restart "$WORK/empty" >/dev/null 2>"$WORK/e.err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/e.err")" -eq 1 ]; then ok "restart without a checkpoint refused: $(cat "$WORK/e.err")"
else ko "restart without a checkpoint (rc=$rc)"; fi

# 4. A stopped coordinator: checkpoint --timeout gives up; the request is taken once it resumes.
D="$WORK/ck4"
# 300 steps (15 s): the job must outlive the 3 s + 5 s the coordinator is stopped.
"$WORK/slow_counter" 300 | tail -1 >"$WORK/ref4"
"$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/slow_counter" 300 >"$WORK/st.out" 2>"$WORK/st.err" &
job=$!
for _ in $(seq 50); do [ -S "$D/coordinator.sock" ] && break; sleep 0.1; done
sleep 0.5
kill -STOP $job
start=$(date +%s.%N)
timeout 30 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --timeout 3 >/dev/null 2>"$WORK/st.ck"
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
timeout 30 "$CKPT_MPI" status --ckpt-dir "$D" >"$WORK/st.status" 2>&1
src=$?
kill -CONT $job
wait $job
jobrc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$(wc -l <"$WORK/st.ck")" -eq 1 ] && grep -q 'did not answer within 3 s' "$WORK/st.ck" &&
    [ "$(echo "$took < 10" | bc)" -eq 1 ] && [ "$(echo "$took >= 2.9" | bc)" -eq 1 ]; then
    ok "stopped coordinator: checkpoint --timeout 3 gave up after ${took}s: $(cat "$WORK/st.ck")"
else
    ko "stopped coordinator: checkpoint rc=$rc after ${took}s: $(cat "$WORK/st.ck")"
fi
if [ $src -eq 0 ] && grep -q '^state: not answering (its coordinator (ckpt-mpi pid [0-9]*) did not answer within 5 s' "$WORK/st.status"; then
    ok "stopped coordinator: status says so: $(grep '^state' "$WORK/st.status")"
else
    ko "stopped coordinator: status rc=$src: $(head -3 "$WORK/st.status")"
fi
if [ $jobrc -eq 0 ] && [ "$(tail -1 "$WORK/st.out")" = "$(cat "$WORK/ref4")" ] && [ -f "$D/gen-000001/MANIFEST.json" ]; then
    ok "stopped coordinator: after SIGCONT the abandoned request was taken (gen-000001) and the job finished right"
else
    ko "stopped coordinator after SIGCONT (job rc=$jobrc, $(ls "$D" | tr '\n' ' ')): $(tail -2 "$WORK/st.err")"
fi

# 5. One rank's image damaged: that rank refuses in one line and the whole job ends at
# once on either MPI (under Hydra the other ranks used to wait in MPI_Init for ever).
mpicc.mpich -O2 "$HERE/stop-programs/ticker.c" -o "$WORK/ticker"
for mpi in mpich openmpi; do
    D="$WORK/ck5-$mpi"
    (cd "$WORK" && exec timeout 60 "$CKPT_MPI" run -np 2 --mpi "$mpi" --ckpt-dir "$D" -- "$WORK/ticker" 3000 >"$WORK/t5.out" 2>/dev/null) &
    job=$!
    for _ in $(seq 300); do grep -q . "$WORK/t5.out" 2>/dev/null && break; sleep 0.05; done
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >/dev/null 2>&1
    wait $job 2>/dev/null
    img="$D/gen-000001/rank-0001.img"
    if [ -f "$img" ]; then
        off=$(od -An -tu8 -j 240 -N8 "$img" | tr -d ' '); size=$(od -An -tu8 -j 248 -N8 "$img" | tr -d ' ')
        printf '\x5a\xa5\x5a\xa5' | dd of="$img" bs=1 seek=$((off + size / 2)) conv=notrunc status=none
        start=$(date +%s)
        (cd "$WORK" && timeout 100 "$CKPT_MPI" restart "$D" --mpi "$mpi" >/dev/null 2>"$WORK/t5.err")
        rc=$? took=$(($(date +%s) - start))
        if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $took -lt 30 ] && grep -q "rank-0001.img: region .* is damaged" "$WORK/t5.err"; then
            ok "one damaged rank image, restart on $mpi: the job ends in ${took}s (rc $rc): $(grep -m1 'is damaged' "$WORK/t5.err")"
        else
            ko "one damaged rank image, restart on $mpi: rc $rc after ${took}s: $(grep -v '^ckpt-mpi: note' "$WORK/t5.err" | head -2)"
        fi
    else
        ko "one damaged rank image on $mpi: no checkpoint ($(ls "$D" 2>&1 | tr '\n' ' '))"
    fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
