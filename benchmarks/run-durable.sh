#!/usr/bin/env bash
# run-durable.sh - what --local-dir buys: for NP ranks x S MiB of bigmem_mpi,
# checkpointed once straight into the shared checkpoint directory and once
# through a node-local directory, the time the application is stopped (the
# manifest's pause_ms: the slowest rank's park + image write) against the time
# from the request until the generation is durable in the shared directory
# (`ckpt-mpi checkpoint` returns when the manifest is fsync'd), beside the raw
# write bandwidth of both directories (dd, 4 MiB blocks, conv=fdatasync).
#
# usage: run-durable.sh [--np N] [--mib S] [--shared DIR] [--local DIR] [--mpi M]
#   defaults: 2 ranks, 256 MiB, shared = benchmarks/results (disk), local = /dev/shm (tmpfs), mpich
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
NP=2 MIB=256 SHARED_BASE="$HERE/results" LOCAL_BASE=/dev/shm MPI=mpich
while [ $# -gt 0 ]; do
    case $1 in
    --np) NP=$2; shift 2 ;;
    --mib) MIB=$2; shift 2 ;;
    --shared) SHARED_BASE=$2; shift 2 ;;
    --local) LOCAL_BASE=$2; shift 2 ;;
    --mpi) MPI=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-durable.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$SHARED_BASE"
S=$(mktemp -d "$SHARED_BASE/durable.XXXXXX") L=$(mktemp -d "$LOCAL_BASE/ckpt-durable.XXXXXX")
trap 'pkill -9 -f "$S/" 2>/dev/null; rm -rf "$S" "$L"' EXIT
mpicc.mpich -O2 -o "$S/bigmem_mpi" "$HERE/src/bigmem_mpi.c" -I"$HERE/src" || exit 2
ms() { date +%s%3N; }

raw_bw() { # MB/s of a 256 MiB write with fdatasync into $1
    dd if=/dev/zero of="$1/raw" bs=4M count=64 conv=fdatasync 2>&1 | sed -n 's/.*, \([0-9.]*\) \([MG]B\)\/s$/\1 \2\/s/p'
    rm -f "$1/raw"
}
echo "raw write: shared $S: $(raw_bw "$S"); local $L: $(raw_bw "$L")"

one() { # one checkpoint; $1 = label, rest: extra run options
    local label=$1; shift
    local d="$S/$label"; mkdir -p "$d"
    "$CKPT_MPI" run -np "$NP" --mpi "$MPI" --ckpt-dir "$d/ck" "$@" -- "$S/bigmem_mpi" "$MIB" 60 >"$d/out" 2>"$d/err" &
    local job=$!
    for _ in $(seq 600); do grep -q ready "$d/out" 2>/dev/null && break; sleep 0.1; done
    sleep 1
    local t0; t0=$(ms)
    "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >"$d/ck.out" 2>"$d/ck.err" || { echo "$label: checkpoint failed: $(head -1 "$d/ck.err")"; }
    local durable=$(( $(ms) - t0 ))
    local pause; pause=$(sed -n 's/.*"pause_ms" *: *\([0-9.]*\).*/\1/p' "$d/ck/gen-000001/MANIFEST.json" | head -1)
    local bytes; bytes=$(du -sb "$d/ck/gen-000001" | cut -f1)
    printf '%-12s %d x %d MiB: application stopped %s ms, durable after %d ms (%d MiB in the shared directory)\n' \
        "$label" "$NP" "$MIB" "${pause:-?}" "$durable" $((bytes >> 20))
    pkill -9 -f "$d/ck" 2>/dev/null; pkill -9 -f "$S/bigmem_mpi" 2>/dev/null; kill -9 $job 2>/dev/null; wait $job 2>/dev/null
}
one direct
one local-dir --local-dir "$L"
