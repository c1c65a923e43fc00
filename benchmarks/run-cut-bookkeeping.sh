#!/usr/bin/env bash
# run-cut-bookkeeping.sh - what the consistent cut's bookkeeping costs a running
# job: per-communicator collective counts, per-peer message counts, request
# records, critical sections (DESIGN §4, docs/consistent-cut.md).
#
# Runs the mini-app (stencil) and the 8-byte ping-pong and Allreduce under
# `ckpt-mpi run -np 2` twice per round, interleaved: as shipped, and with
# CKPT_MPI_BENCH_NO_CUT_COUNTS=1 (the face skips the counting; such a job could
# not be checkpointed consistently, it exists only for this measurement), and
# prints best-of-rounds figures and the ratio with/without. Goal: <= 1.01 on the
# mini-app.
#
# usage: run-cut-bookkeeping.sh [--rounds N] [--mpi M ...] [--quick]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
BUILD="$HERE/build/mpich"
ROUNDS=5
MPIS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) shift; ROUNDS="${1:?--rounds needs a number}" ;;
        --mpi) shift; MPIS+=("${1:?--mpi needs openmpi or mpich}") ;;
        --quick) export BENCH_QUICK=1 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-cut-bookkeeping: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
[ ${#MPIS[@]} -gt 0 ] || MPIS=(openmpi mpich)
[ -x "$CKPT_MPI" ] || { echo "run-cut-bookkeeping: ckpt-mpi not found at $CKPT_MPI" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$BUILD"
for p in stencil pingpong allreduce; do
    [ "$BUILD/$p" -nt "$HERE/src/$p.c" ] || mpicc.mpich -O2 -o "$BUILD/$p" "$HERE/src/$p.c" -lm \
        || { echo "run-cut-bookkeeping: build of $p failed" >&2; exit 2; }
done

# value <prog> <mpi> <variant>: the program's main RESULT (seconds or microseconds)
value() {
    local p="$1" m="$2" v="$3" out
    if [ "$v" = off ]; then
        out="$(CKPT_MPI_BENCH_NO_CUT_COUNTS=1 timeout 600 "$CKPT_MPI" run -np 2 --mpi "$m" -- "$BUILD/$p" 2>/dev/null)"
    else
        out="$(timeout 600 "$CKPT_MPI" run -np 2 --mpi "$m" -- "$BUILD/$p" 2>/dev/null)"
    fi
    case "$p" in
        stencil) echo "$out" | sed -n 's/^RESULT name=stencil_time value=\([0-9.e+-]*\).*/\1/p' ;;
        pingpong) echo "$out" | sed -n 's/^RESULT name=pingpong_lat_8B value=\([0-9.e+-]*\).*/\1/p' | head -n1 ;;
        allreduce) echo "$out" | sed -n 's/^RESULT name=allreduce_lat_8B value=\([0-9.e+-]*\).*/\1/p' | head -n1 ;;
    esac
}

fail=0
printf '%-8s %-10s %14s %14s %8s\n' mpi benchmark "with counts" "without" ratio
for m in "${MPIS[@]}"; do
    for p in stencil pingpong allreduce; do
        best_on="" best_off=""
        for ((r = 0; r < ROUNDS; r++)); do
            on="$(value "$p" "$m" on)"; off="$(value "$p" "$m" off)"
            [ -n "$on" ] && [ -n "$off" ] || { echo "run-cut-bookkeeping: $p on $m printed no result" >&2; fail=1; continue; }
            best_on="$(awk -v a="$on" -v b="$best_on" 'BEGIN { print (b == "" || a < b) ? a : b }')"
            best_off="$(awk -v a="$off" -v b="$best_off" 'BEGIN { print (b == "" || a < b) ? a : b }')"
        done
        [ -n "$best_on" ] || continue
        printf '%-8s %-10s %14s %14s %8s\n' "$m" "$p" "$best_on" "$best_off" \
            "$(awk -v a="$best_on" -v b="$best_off" 'BEGIN { printf "%.3f", a / b }')"
    done
done
echo "(stencil: seconds; pingpong, allreduce: microseconds per 8-byte operation; best of $ROUNDS; ratio = with/without, goal <= 1.01 on stencil)"
exit $fail
