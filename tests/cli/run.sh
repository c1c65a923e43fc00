#!/usr/bin/env bash
# End to end through the ckpt-mpi command, as a user runs it: start a job with
# --ckpt-dir, `ckpt-mpi checkpoint --kill` it mid-way, SIGKILL anything left,
# `ckpt-mpi restart` it, and compare the final output with an uninterrupted
# run. Prints PASS/FAIL lines and "N passed, N failed".
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../../.build/release/ckpt-mpi}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

cc -O2 "$HERE/slow_counter.c" -o "$WORK/slow_counter"
mpicc.mpich -O2 "$HERE/mpi_counter.c" -o "$WORK/mpi_counter"

# case NAME RUN-OPTIONS PROGRAM ARGS...: checkpoint-kill-restart equals an uninterrupted run.
case_run() {
    local name=$1 opts=$2; shift 2
    local d="$WORK/$name"
    mkdir -p "$d"
    (cd "$d" && timeout 120 "$CKPT_MPI" run $opts -- "$@" >"$d/ref.out" 2>"$d/ref.err")
    (cd "$d" && timeout 120 "$CKPT_MPI" run $opts --ckpt-dir "$d/ck" -- "$@" >"$d/a.out" 2>"$d/a.err") &
    local job=$!
    sleep 1.2
    if ! timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>"$d/ck.err"; then
        ko "$name: checkpoint failed: $(head -1 "$d/ck.err")"; kill -9 $job 2>/dev/null; wait $job 2>/dev/null; return
    fi
    wait $job 2>/dev/null
    pkill -9 -f "$d" 2>/dev/null
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" >"$d/b.out" 2>"$d/b.err")
    local rc=$?
    if [ $rc -eq 0 ] && diff -q <(cat "$d/a.out" "$d/b.out" | grep -v '^step' ) <(grep -v '^step' "$d/ref.out") >/dev/null &&
        [ "$(tail -1 "$d/b.out")" = "$(tail -1 "$d/ref.out")" ] && grep -q '^step' "$d/a.out"; then
        ok "$name ($(wc -l <"$d/a.out") lines before, $(wc -l <"$d/b.out") after restart)"
    else
        ko "$name (restart exit $rc)"; tail -3 "$d/b.err" >&2; tail -2 "$d/b.out" >&2
    fi
}

case_run no-mpi "--no-mpi" "$WORK/slow_counter" 60
case_run mpi-1rank-openmpi "-np 1 --mpi openmpi" "$WORK/mpi_counter" 60
case_run mpi-1rank-mpich "-np 1 --mpi mpich" "$WORK/mpi_counter" 60

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
