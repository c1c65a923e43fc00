#!/usr/bin/env bash
# --local-dir (two-level checkpoints): ranks write their images to a node-local
# directory and resume at once while the images are copied to the checkpoint
# directory; the generation is complete only after every copy and the manifest.
# Checkpoint, kill every process, restart (local copies present, local dir
# wiped, a damaged local copy) and compare with an uninterrupted run; a kill
# during the flush and a copy that fills the shared disk leave the previous
# generation the newest complete one; with --keep the local directory keeps no
# generation the shared one pruned. Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
mpicc.mpich -O2 "$HERE/stop-programs/ticker.c" -o "$WORK/ticker" || { ko "build ticker"; exit 1; }
STEPS=300
timeout 60 mpiexec.mpich -n 2 "$WORK/ticker" $STEPS >"$WORK/ref.out" 2>/dev/null
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
kill_job() { pkill -9 -f "$1/" 2>/dev/null; sleep 0.5; }
# The restarted run's output must be exactly the end of the uninterrupted one.
is_tail_of_ref() {
    [ -s "$1" ] && [ "$(tail -1 "$1")" = "$(tail -1 "$WORK/ref.out")" ] &&
        [ "$(tail -n "$(lines "$1")" "$WORK/ref.out")" = "$(cat "$1")" ]
}
# A run of the ticker in the background with job dir $d and local dir $L; $1 is the copy delay in ms.
start_job() {
    local delay=$1; shift
    (cd "$d" && CKPT_MPI_TEST_COPY_DELAY_MS=$delay exec timeout 120 "$CKPT_MPI" run -np 2 --mpi mpich --ckpt-dir "$d/ck" \
        --local-dir "$L" "$@" -- "$WORK/ticker" $STEPS 20000 line >"$d/a.out" 2>"$d/a.err") &
    job=$!
}
job_id() { sed -n 's/.*"job_id" *: *"\([^"]*\)".*/\1/p' "$1/job.json" | head -1; }

# ---- checkpoint with a slow copy; the application runs during the flush
d="$WORK/a" L="$WORK/a-local"
mkdir -p "$d"
start_job 3000
sleep 1.5
t0=$(date +%s%3N)
timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >"$d/ck.out" 2>"$d/ck.err" &
client=$!
sleep 1.5
n1=$(lines "$d/a.out")
sleep 0.5
n2=$(lines "$d/a.out")
jid=$(job_id "$d/ck")
local_gen="$L/$jid/gen-000001"
if [ -f "$local_gen/rank-0000.img" ] && [ -f "$local_gen/rank-0001.img" ] && [ ! -e "$d/ck/gen-000001/MANIFEST.json" ] &&
    [ "$n2" -gt "$n1" ]; then
    ok "images in the local dir, the application runs on ($n1 -> $n2 lines) and gen 1 is not complete during the copy"
else
    ko "during the copy: local images $(ls "$local_gen" 2>/dev/null | tr '\n' ' '), manifest $(ls "$d/ck/gen-000001" 2>/dev/null | tr '\n' ' '), lines $n1 -> $n2"
fi
wait $client
crc=$?
ck_ms=$(( $(date +%s%3N) - t0 ))
if [ $crc -eq 0 ] && [ -f "$d/ck/gen-000001/MANIFEST.json" ] && [ "$ck_ms" -ge 3000 ] &&
    cmp -s "$local_gen/rank-0000.img" "$d/ck/gen-000001/rank-0000.img"; then
    ok "gen 1 complete only after the copy (${ck_ms} ms with a 3 s copy delay), shared image identical to the local one"
else
    ko "checkpoint: rc $crc after $ck_ms ms: $(head -1 "$d/ck.err") $(ls "$d/ck/gen-000001" 2>/dev/null | tr '\n' ' ')"
fi
kill_job "$d"
kill -9 $job 2>/dev/null; wait $job 2>/dev/null
cp -a "$L" "$WORK/a-local-saved"

# restart CASE [EXPECT-IN-STDERR]
restart_case() {
    local name=$1 want=${2:-}
    rm -f "$d/b.out"
    (cd "$d" && CKPT_MPI_DEBUG=1 timeout 120 "$CKPT_MPI" restart "$d/ck" --local-dir "$L" >"$d/b.out" 2>"$d/b.err")
    local rc=$?
    if [ $rc -eq 0 ] && is_tail_of_ref "$d/b.out" && { [ -z "$want" ] || grep -q "$want" "$d/b.err"; }; then
        ok "restart $name: the output continues the uninterrupted run's ($(lines "$d/b.out") lines)"
    else
        ko "restart $name: rc $rc, $(lines "$d/b.out") lines, want '$want': $(grep -m1 -E 'ckpt-mpi:|error' "$d/b.err")"
    fi
}
restart_case "from the local copies" "restoring from the local copy $local_gen/rank-0000.img"
rm -rf "$L"
restart_case "with the local dir wiped" "no local copy $local_gen/rank-0000.img"
rm -rf "$L"; cp -a "$WORK/a-local-saved" "$L"
printf 'XXXXXXXX' | dd of="$local_gen/rank-0001.img" bs=1 seek=40 conv=notrunc status=none
restart_case "with a damaged local copy (header)" "local copy $local_gen/rank-0001.img is not used (its header differs"
rm -rf "$L"; cp -a "$WORK/a-local-saved" "$L"
sz=$(stat -c %s "$local_gen/rank-0000.img")
printf 'XXXXXXXX' | dd of="$local_gen/rank-0000.img" bs=1 seek=$((sz - 5000)) conv=notrunc status=none
restart_case "with a damaged local copy (data)" "local copy $local_gen/rank-0000.img is not used (its data does not match"
rm -rf "$L" "$WORK/a-local-saved"

# ---- kill during the flush of gen 2: gen 1 stays the newest complete one
d="$WORK/b" L="$WORK/b-local"
mkdir -p "$d"
start_job 1500
sleep 1.5
timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >/dev/null 2>"$d/ck1.err" || ko "gen 1: $(head -1 "$d/ck1.err")"
timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >/dev/null 2>&1 &
client=$!
sleep 0.8
jid=$(job_id "$d/ck")
[ -f "$L/$jid/gen-000002/rank-0000.img" ] && [ ! -e "$d/ck/gen-000002/MANIFEST.json" ] && during=yes || during=no
kill_job "$d"
kill -9 $job $client 2>/dev/null; wait $job $client 2>/dev/null
(cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --local-dir "$L" >"$d/b.out" 2>"$d/b.err")
rc=$?
if [ "$during" = yes ] && [ $rc -eq 0 ] && grep -q "restarting gen-000001" "$d/b.err" && is_tail_of_ref "$d/b.out"; then
    ok "killed during the flush of gen 2: restart from gen 1 continues the uninterrupted run"
else
    ko "kill during the flush: in the flush $during, rc $rc, $(grep -m1 -E 'restarting|error' "$d/b.err")"
fi
rm -rf "$L"

# ---- --kill-after-checkpoint: the copy is made before the job stops
d="$WORK/s" L="$WORK/s-local"
mkdir -p "$d"
start_job 1000 --checkpoint-signal USR1 --kill-after-checkpoint
sleep 1.5
pkill -USR1 -f "^$CKPT_MPI run .*--ckpt-dir $d/ck"
wait $job
rc=$?
rm -rf "$L"
(cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --local-dir "$L" >"$d/b.out" 2>"$d/b.err")
rrc=$?
if [ $rc -eq 75 ] && [ -f "$d/ck/gen-000001/MANIFEST.json" ] && [ $rrc -eq 0 ] && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ref.out"; then
    ok "--kill-after-checkpoint with --local-dir: exit 75 after the copy; stopped + restarted output equals the uninterrupted run"
else
    ko "stop with --local-dir: run exit $rc, restart $rrc, $(ls "$d/ck/gen-000001" 2>/dev/null | tr '\n' ' '), $(grep -m1 -E 'failed|error' "$d/a.err" "$d/b.err")"
fi

# ---- --no-mpi: the restart names the image itself and still finds the local copy
d="$WORK/n" L="$WORK/n-local"
mkdir -p "$d"
cc -O2 "$HERE/slow_counter.c" -o "$WORK/slow_counter"
"$WORK/slow_counter" 60 >"$d/ref.out"
(cd "$d" && exec timeout 60 "$CKPT_MPI" run --no-mpi --ckpt-dir "$d/ck" --local-dir "$L" -- "$WORK/slow_counter" 60 >"$d/a.out" 2>"$d/a.err") &
job=$!
sleep 1
timeout 30 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >/dev/null 2>"$d/ck.err"
wait $job
(cd "$d" && CKPT_MPI_DEBUG=1 timeout 60 "$CKPT_MPI" restart "$d/ck" --local-dir "$L" >"$d/b.out" 2>"$d/b.err")
rc=$?
if [ $rc -eq 0 ] && grep -q "restoring from the local copy $L/" "$d/b.err" && cat "$d/a.out" "$d/b.out" | cmp -s - "$d/ref.out"; then
    ok "--no-mpi with --local-dir: restarted from the local copy, output equals the uninterrupted run"
else
    ko "--no-mpi with --local-dir: restart rc $rc, $(grep -m1 -E 'local copy|error' "$d/b.err") $(head -1 "$d/ck.err")"
fi
rm -rf "$L"

# ---- --keep 1 over four checkpoints: the local dir keeps no generation the shared one pruned
d="$WORK/k" L="$WORK/k-local"
mkdir -p "$d"
start_job 0 --keep 1
sleep 1.5
for g in 1 2 3 4; do
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >/dev/null 2>"$d/ck$g.err" || ko "--keep 1: gen $g: $(head -1 "$d/ck$g.err")"
done
jid=$(job_id "$d/ck")
local_gens=$(ls "$L/$jid" 2>/dev/null | tr '\n' ' ')
shared_gens=$(ls -d "$d"/ck/gen-* 2>/dev/null | xargs -n1 basename | tr '\n' ' ')
kill_job "$d"; kill -9 $job 2>/dev/null; wait $job 2>/dev/null
(cd "$d" && CKPT_MPI_DEBUG=1 timeout 120 "$CKPT_MPI" restart "$d/ck" --local-dir "$L" >"$d/b.out" 2>"$d/b.err")
rc=$?
if [ "$local_gens" = "gen-000003 gen-000004 " ] && [ "$shared_gens" = "gen-000004 " ] && [ $rc -eq 0 ] &&
    grep -q "restoring from the local copy $L/$jid/gen-000004" "$d/b.err" && is_tail_of_ref "$d/b.out"; then
    ok "--keep 1 with --local-dir: local [$local_gens] beside shared [$shared_gens]; restart from the local gen 4 continues the run"
else
    ko "--keep 1 with --local-dir: local [$local_gens], shared [$shared_gens], restart rc $rc: $(grep -m1 -E 'local copy|error' "$d/b.err")"
fi
rm -rf "$L"

# ---- the shared disk fills during the copy of gen 2 (a tmpfs in a mount namespace)
d="$WORK/c" L="$WORK/c-local"
mkdir -p "$d/ck" && chmod 700 "$d/ck"
# gen 1 fits, gen 2 beside it does not
size=$(( $(stat -c %s "$WORK/a/ck/gen-000001/rank-0000.img" 2>/dev/null || echo 50000000) * 3 ))
cat >"$d/case.sh" <<CASE
mount -t tmpfs -o size=$size,mode=700 ckpt-localdir-test "$d/ck" || exit 3
cd "$d"
"$CKPT_MPI" run -np 2 --mpi mpich --ckpt-dir "$d/ck" --local-dir "$L" --checkpoint-signal USR1 -- "$WORK/ticker" $STEPS 20000 line >a.out 2>a.err &
sleep 1.5; pkill -USR1 -f "^$CKPT_MPI run .*--ckpt-dir $d/ck"
sleep 2; pkill -USR1 -f "^$CKPT_MPI run .*--ckpt-dir $d/ck"
wait
ls ck >ls.out
timeout 120 "$CKPT_MPI" restart "$d/ck" >b.out 2>b.err; echo \$? >b.rc
umount "$d/ck"
CASE
timeout 200 unshare -m bash "$d/case.sh"
failed=$(grep -c "failed" "$d/a.err")
if grep -q "gen 2 failed.*No space left on device" "$d/a.err" && [ "$failed" -eq 1 ] && [ "$(cat "$d/b.rc" 2>/dev/null)" = 0 ] &&
    grep -q "restarting gen-000001" "$d/b.err" && is_tail_of_ref "$d/b.out" && [ "$(tail -1 "$d/a.out")" = "$(tail -1 "$WORK/ref.out")" ]; then
    ok "a copy that fills the shared disk: one line ($(grep failed "$d/a.err" | cut -c1-90)...), the job runs on, gen 1 restarts"
else
    ko "full shared disk: $failed failure lines: $(grep -m2 -E 'failed|error' "$d/a.err" | tr '\n' ' '); restart rc $(cat "$d/b.rc" 2>/dev/null): $(grep -m1 -E 'restarting|error' "$d/b.err"); dir: $(cat "$d/ls.out" 2>/dev/null | tr '\n' ' ')"
fi
rm -rf "$L"
finish
