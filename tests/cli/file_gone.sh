#!/usr/bin/env bash
# MPI-IO across a restart (docs/mpi-io.md): a job with files open
# (cp_file_collective: one opened with MPI_MODE_CREATE | MPI_MODE_EXCL) is
# stopped by a checkpoint; restarted on the other MPI it reopens them without
# repeating CREATE/EXCL and ends as an uninterrupted run; with a file deleted
# behind the job's back the restart fails at once with one line naming the file;
# a file replaced (a copy put in its place) or cut shorter is noted in one line
# and the job goes on (with a copy of the same bytes: as the uninterrupted run).
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
CP="$HERE/../../mpi-tests/ckpt-programs"
mpicc.mpich -O2 -I"$CP/lib" "$CP/cp_file_collective.c" "$CP/lib/cplib.c" -o "$WORK/cpfc" || { ko "build"; exit 1; }
mkdir -p "$WORK/ref"
(cd "$WORK/ref" && TMPDIR="$WORK/ref" timeout 60 mpiexec.mpich -n 2 "$WORK/cpfc" >"$WORK/ref.out" 2>/dev/null)

# stop_job DIR [nonempty]: runs the program under ckpt-mpi in DIR (its files
# there too) and stops it with a checkpoint (with nonempty: once its data file
# has contents).
stop_job() {
    local d=$1 test=-e
    [ "${2:-}" = nonempty ] && test=-s
    mkdir -p "$d"
    (cd "$d" && TMPDIR="$d" exec timeout 120 "$CKPT_MPI" run -np 2 --mpi mpich --ckpt-dir "$d/ck" -- "$WORK/cpfc" \
        >"$d/run.out" 2>"$d/run.err") &
    local job=$!
    # once its files are open (the checkpoint must find them open)
    local i f
    for ((i = 0; i < 300; i++)); do
        for f in "$d"/cp_file_collective.*.dat; do [ $test "$f" ] && break 2; done
        sleep 0.1
    done
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>&1
    wait $job
    echo $?
}

d="$WORK/a"
rc=$(stop_job "$d")
if [ "$rc" = 75 ] && [ ! -s "$d/run.out" ] && ls "$d"/cp_file_collective.*.dat >/dev/null 2>&1; then
    ok "job stopped by a checkpoint with its files open"
else
    ko "stop: rc $rc, $(head -c 300 "$d/run.err") $(cat "$d/ck.out")"
fi
(cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi openmpi >"$d/restart.out" 2>"$d/restart.err")
rc=$?
if [ $rc -eq 0 ] && cmp -s "$d/restart.out" "$WORK/ref.out" && ! ls "$d"/cp_file_collective.*.dat >/dev/null 2>&1; then
    ok "restart on Open MPI reopens the files (no MPI_MODE_EXCL error) and prints the uninterrupted run's output"
else
    ko "restart: rc $rc, $(diff "$d/restart.out" "$WORK/ref.out" | head -5) $(head -c 400 "$d/restart.err")"
fi

d="$WORK/b"
rc=$(stop_job "$d")
gone=$(ls "$d"/cp_file_collective.*.dat 2>/dev/null | head -1)
rm -f "$gone"
t0=$(date +%s)
(cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi mpich >"$d/restart.out" 2>"$d/restart.err")
rc=$?
secs=$(( $(date +%s) - t0 ))
n=$(grep -c "ckpt-mpi: restart: reopening $gone, open in the checkpointed job, failed" "$d/restart.err")
if [ "$rc" = 75 ] || [ $rc -eq 0 ] || [ -z "$gone" ] || [ "$n" -lt 1 ] || [ $secs -ge 60 ] || [ -s "$d/restart.out" ]; then
    ko "deleted file: stop rc $rc, restart rc $rc after ${secs}s, $(head -c 400 "$d/restart.err")"
else
    ok "a file deleted behind the job's back ends the restart in ${secs}s (rc $rc) with: $(grep -m1 'reopening' "$d/restart.err")"
fi
# note_case NAME CHANGE EXPECTED-NOTE: stop, change the file (shell code, $f is
# its path), restart on Open MPI; prints the restart's rc.
note_case() {
    local d="$WORK/$1" f
    rc=$(stop_job "$d" nonempty)
    f=$(ls "$d"/cp_file_collective.*.dat 2>/dev/null | head -1)
    [ -n "$f" ] && eval "$2"
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi openmpi >"$d/restart.out" 2>"$d/restart.err")
    echo $?
}
rc=$(note_case c 'cp "$f" "$f.copy" && rm "$f" && mv "$f.copy" "$f"')
n=$(grep -c "ckpt-mpi: restart: note: .*cp_file_collective\..*\.dat, open in the checkpointed job, was replaced by another file since the checkpoint" "$WORK/c/restart.err")
if [ "$rc" = 0 ] && [ "$n" = 1 ] && cmp -s "$WORK/c/restart.out" "$WORK/ref.out"; then
    ok "a file replaced by a copy is noted once ($(grep -m1 'restart: note:' "$WORK/c/restart.err" | sed 's/.*open in the checkpointed job, //' | cut -c1-60)...) and the job ends as the uninterrupted run"
else
    ko "replaced file: rc $rc, $n note(s), $(diff "$WORK/c/restart.out" "$WORK/ref.out" | head -3) $(head -c 400 "$WORK/c/restart.err")"
fi
rc=$(note_case d ': > "$f"')
n=$(grep -c "ckpt-mpi: restart: note: .*cp_file_collective\..*\.dat, open in the checkpointed job, is 0 bytes long, [1-9][0-9]* at the checkpoint" "$WORK/d/restart.err")
if [ "$n" = 1 ] && [ "$rc" != 124 ]; then
    ok "a file cut short is noted once: $(grep -m1 'restart: note:' "$WORK/d/restart.err" | sed 's/.*open in the checkpointed job, //' | cut -c1-60) (restart rc $rc)"
else
    ko "truncated file: rc $rc, $n note(s), $(head -c 400 "$WORK/d/restart.err")"
fi
finish
