#!/usr/bin/env bash
# run-apps.sh - Debian's own MPI applications, unmodified (hpcc and LAMMPS, both
# linked against Open MPI's libmpi.so.40), natively on Open MPI and under ckpt-mpi
# (the Open MPI face) on each lower half, interleaved over rounds; prints each
# figure's best value and the ratio to native. No checkpoint is taken: this is
# the cost of running a real application through the face.
#
#   benchmarks/run-apps.sh [--rounds N] [--np N] [--hpcc-n N] [--lammps-steps N]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
ROUNDS=3 NP=2 HPCC_N=2000 STEPS=2000
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --np) NP=$2; shift 2 ;;
        --hpcc-n) HPCC_N=$2; shift 2 ;;
        --lammps-steps) STEPS=$2; shift 2 ;;
        -h|--help) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-apps.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# hpcc on a 1 x NP grid; LAMMPS's Lennard-Jones melt, 32000 atoms.
sed -e "6s/^[0-9]* /$HPCC_N /" -e '11s/^[0-9]* /1 /' -e "12s/^[0-9]* /$NP /" \
    /usr/share/doc/hpcc/examples/_hpccinf.txt >"$W/hpccinf.txt"
sed -e "s/^run[[:space:]].*/run $STEPS/" /usr/share/lammps/examples/melt/in.melt >"$W/in.melt"

launcher() { # launcher MODE: native (mpirun.openmpi) or ckpt-mpi on MODE's lower half, as words
    if [ "$1" = native ]; then echo "mpirun.openmpi --oversubscribe -np $NP"
    else echo "$CKPT_MPI run -np $NP --mpi $1 --"; fi
}
declare -A best
keep() { # keep KEY VALUE higher|lower
    local cur=${best[$1]:-}
    if [ -z "$cur" ] || awk -v a="$2" -v b="$cur" -v d="$3" 'BEGIN { exit !((d == "higher") ? a > b : a < b) }'; then best[$1]=$2; fi
}
MODES="native openmpi mpich"
for round in $(seq "$ROUNDS"); do
    for mode in $MODES; do
        rm -f "$W/hpccoutf.txt"
        (cd "$W" && timeout 900 $(launcher "$mode") /usr/bin/hpcc >/dev/null 2>&1)
        f="$W/hpccoutf.txt"
        if grep -qx 'Success=1' "$f" 2>/dev/null; then
            for k in HPL_Tflops StarDGEMM_Gflops PTRANS_GBs MPIRandomAccess_GUPs MPIFFT_Gflops StarSTREAM_Triad \
                     RandomlyOrderedRingBandwidth_GBytes; do
                keep "$mode:$k" "$(sed -n "s/^$k=//p" "$f")" higher
            done
            keep "$mode:RandomlyOrderedRingLatency_usec" "$(sed -n 's/^RandomlyOrderedRingLatency_usec=//p' "$f")" lower
        else
            echo "hpcc $mode round $round failed" >&2
        fi
        out=$(cd "$W" && timeout 900 $(launcher "$mode") /usr/bin/lmp -in "$W/in.melt" -log none 2>&1)
        loop=$(echo "$out" | sed -n 's/^Loop time of \([0-9.]*\) on.*/\1/p')
        if [ -n "$loop" ]; then keep "$mode:lammps_loop_s" "$loop" lower; else echo "lammps $mode round $round failed" >&2; fi
    done
done
printf '%-40s %12s %12s %8s %12s %8s\n' "figure (best of $ROUNDS)" native ckpt-openmpi ratio ckpt-mpich ratio
for k in HPL_Tflops StarDGEMM_Gflops PTRANS_GBs MPIRandomAccess_GUPs MPIFFT_Gflops StarSTREAM_Triad \
         RandomlyOrderedRingBandwidth_GBytes RandomlyOrderedRingLatency_usec lammps_loop_s; do
    n=${best[native:$k]:-} o=${best[openmpi:$k]:-} m=${best[mpich:$k]:-}
    ratio() { [ -n "$n" ] && [ -n "$1" ] && awk -v a="$1" -v b="$n" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }' || echo -; }
    printf '%-40s %12s %12s %8s %12s %8s\n' "$k" "${n:--}" "${o:--}" "$(ratio "$o")" "${m:--}" "$(ratio "$m")"
done
echo "(ratio = ckpt-mpi / native: above 1 is faster for rates, slower for latency and loop time)"
