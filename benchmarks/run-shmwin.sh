#!/usr/bin/env bash
# Checkpoint and restart of a job with a 64 MiB shared-memory window
# (MPI_Win_allocate_shared) against the same job with MPI_Win_allocate:
# benchmarks/run-shmwin.sh [--mpi mpich|openmpi] [--rounds N]. Per round and
# kind: `ckpt-mpi run -np 4`, a checkpoint at 3.5 s (the line `ckpt-mpi
# checkpoint` prints: size, time, quiesce), `checkpoint --kill`, then
# `ckpt-mpi restart` with CKPT_MPI_RESTORE_STATS=1 (each rank's read time).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
K="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
mpi=mpich rounds=2
while [ $# -gt 0 ]; do
    case "$1" in
        --mpi) mpi="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "run-shmwin.sh: unknown argument $1 (--mpi mpich|openmpi, --rounds N)" >&2; exit 2 ;;
    esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W="$(mktemp -d "${TMPDIR:-/tmp}/shmwin.XXXXXX")"
trap 'rm -rf "$W"' EXIT
mpicc.mpich -O2 -o "$W/shmwin" "$HERE/src/shmwin.c"
for round in $(seq "$rounds"); do
    for kind in shared alloc; do
        D="$W/ck-$kind-$round"
        mkdir -p "$D"
        "$K" run -np 4 --mpi "$mpi" --ckpt-dir "$D" -- "$W/shmwin" "$kind" 6 >"$D/run.out" 2>"$D/run.err" &
        job=$!
        sleep 3.5
        line="$("$K" checkpoint --ckpt-dir "$D")"
        sleep 0.5
        "$K" checkpoint --kill --ckpt-dir "$D" >/dev/null
        wait "$job" || true
        CKPT_MPI_RESTORE_STATS=1 "$K" restart "$D" --mpi "$mpi" >"$D/restart.out" 2>"$D/restart.err"
        reads="$(grep -o 'read [0-9]* bytes in [0-9.]* s' "$D/restart.err" | awk '{print $5}' | tr '\n' ' ')"
        echo "$kind $mpi round $round: $line; restore reads (s): $reads; output: $(cat "$D/restart.out")"
    done
done
