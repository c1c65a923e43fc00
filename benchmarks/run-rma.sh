#!/usr/bin/env bash
# One-sided overhead: benchmarks/src/rma.c (8-byte Put + flush latency, fence
# epoch time) natively and under `ckpt-mpi run` on each MPI, 2 ranks; prints
# the medians of ROUNDS interleaved runs and the ckpt-mpi / native ratios
# (goal <= 1.25). Usage: benchmarks/run-rma.sh [--quick] [--rounds N]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
BUILD="$HERE/build/rma"
ROUNDS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) export BENCH_QUICK=1 ;;
        --rounds) ROUNDS="$2"; shift ;;
        -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-rma.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$CKPT_MPI" ] || { echo "run-rma.sh: $CKPT_MPI not found (swift build -c release)" >&2; exit 2; }
mkdir -p "$BUILD"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpicc.mpich -O2 "$HERE/src/rma.c" -o "$BUILD/rma.mpich"
mpicc.openmpi -O2 "$HERE/src/rma.c" -o "$BUILD/rma.openmpi"
OVERSUB=""; [ "$(nproc)" -ge 2 ] || OVERSUB="--oversubscribe"
run() { # MPI MODE -> RESULT lines
    local mpi="$1" mode="$2"
    if [ "$mode" = native ]; then
        if [ "$mpi" = openmpi ]; then
            timeout 300 mpirun.openmpi $OVERSUB -np 2 "$BUILD/rma.openmpi"
        else
            timeout 300 mpiexec.mpich -n 2 "$BUILD/rma.mpich"
        fi
    else
        timeout 300 "$CKPT_MPI" run -np 2 --mpi "$mpi" -- "$BUILD/rma.mpich"
    fi 2>/dev/null | grep '^RESULT'
}
declare -A vals
for round in $(seq "$ROUNDS"); do
    for mpi in openmpi mpich; do
        for mode in native ckpt; do
            while read -r _ name value _; do
                vals["$mpi/$mode/${name#name=}"]+="${value#value=} "
            done < <(run "$mpi" "$mode")
        done
    done
done
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-8s %-12s %12s %12s %8s\n' mpi metric native_us ckpt_us ratio
for mpi in openmpi mpich; do
    for m in put_lat_8B fence_epoch; do
        n="$(median "${vals[$mpi/native/$m]:-}")"; c="$(median "${vals[$mpi/ckpt/$m]:-}")"
        r="$(awk -v n="$n" -v c="$c" 'BEGIN { if (n > 0) printf "%.2f", c / n; else print "-" }')"
        printf '%-8s %-12s %12s %12s %8s\n' "$mpi" "$m" "$n" "$c" "$r"
    done
done
