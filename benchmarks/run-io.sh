#!/usr/bin/env bash
# Collective MPI-IO write bandwidth (src/iobw.c), 4 ranks: native vs under
# ckpt-mpi on each MPI, in interleaved rounds; prints each median and the
# ratio ckpt-mpi / native (goal >= 0.98). Options: --rounds N (default 3),
# --mib N (per repetition, default 1024), --np N (default 4), --quick.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
ROUNDS=3 MIB=1024 NP=4
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift ;;
        --mib) MIB=$2; shift ;;
        --np) NP=$2; shift ;;
        --quick) ROUNDS=1 MIB=64 ;;
        *) echo "run-io.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
mpicc.mpich -O2 "$HERE/src/iobw.c" -o "$W/iobw.mpich" || exit 1
mpicc.openmpi -O2 "$HERE/src/iobw.c" -o "$W/iobw.openmpi" || exit 1
bw() { sed -n 's/^RESULT name=io_write_all_bw value=\([0-9.]*\).*/\1/p' "$1"; }
run() { # MODE MPI -> one bandwidth figure
    local mode=$1 mpi=$2 out="$W/out"
    case "$mode/$mpi" in
        native/mpich) (cd "$W" && timeout 600 mpiexec.mpich -n "$NP" ./iobw.mpich -m "$MIB") >"$out" 2>&1 ;;
        native/openmpi) (cd "$W" && timeout 600 mpirun.openmpi --oversubscribe -np "$NP" ./iobw.openmpi -m "$MIB") >"$out" 2>&1 ;;
        ckpt/*) (cd "$W" && timeout 600 "$CKPT_MPI" run -np "$NP" --mpi "$mpi" -- ./iobw.mpich -m "$MIB") >"$out" 2>&1 ;;
    esac
    local v; v="$(bw "$out")"
    [ -n "$v" ] || { echo "run-io.sh: $mode on $mpi failed: $(head -c 300 "$out")" >&2; exit 1; }
    echo "$v"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for mpi in openmpi mpich; do
    n="" c=""
    for r in $(seq "$ROUNDS"); do
        n="$n $(run native $mpi)"
        c="$c $(run ckpt $mpi)"
    done
    nm=$(echo $n | median) cm=$(echo $c | median)
    printf '%-8s np=%s %s MiB: native %8.1f MB/s  ckpt-mpi %8.1f MB/s  ratio %.3f  (rounds: native%s; ckpt-mpi%s)\n' \
        "$mpi" "$NP" "$MIB" "$nm" "$cm" "$(echo "$cm / $nm" | bc -l)" "$n" "$c"
done
