#!/usr/bin/env bash
# run-durable.sh - what --local-dir buys: for NP ranks x S MiB of bigmem_mpi,
# checkpointed once straight into the shared checkpoint directory and once
# through a node-local directory, the time the application is stopped (the
# manifest's pause_ms: the slowest rank's park + image write) against the time
# from the request until the generation is durable in the shared directory
# (`ckpt-mpi checkpoint` returns when the manifest is fsync'd), beside the raw
# write bandwidth of both directories (dd, 4 MiB blocks, conv=fdatasync).
#
# usage: run-durable.sh [--hosts 1|2] [--np N] [--mib S] [--shared DIR] [--local DIR] [--mpi M]
#   defaults: 1 host, 2 ranks, 256 MiB, shared = benchmarks/results (disk), local = /dev/shm (tmpfs), mpich
#   --hosts 2 (root, ip, unshare): the namespace hosts of tests/hosts (tests/hosts/lib.sh), ckpt-mpi
#   on host 0, N (default 4) ranks spread 2 per host over hosts 1 and 2, each host with its own local
#   directory (a local-HOST under --local, bind-mounted by the agent); the raw local bandwidth is
#   measured on host 1 in that directory.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
HOSTS=1 NP="" MIB=256 SHARED_BASE="$HERE/results" LOCAL_BASE=/dev/shm MPI=mpich
while [ $# -gt 0 ]; do
    case $1 in
    --hosts) HOSTS=$2; shift 2 ;;
    --np) NP=$2; shift 2 ;;
    --mib) MIB=$2; shift 2 ;;
    --shared) SHARED_BASE=$2; shift 2 ;;
    --local) LOCAL_BASE=$2; shift 2 ;;
    --mpi) MPI=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-durable.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $HOSTS in 1) NP=${NP:-2} ;; 2) NP=${NP:-4} ;; *) echo "run-durable.sh: --hosts is 1 or 2, not $HOSTS" >&2; exit 2 ;; esac
if [ "$HOSTS" = 2 ] && { [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v unshare >/dev/null; }; then
    echo "run-durable.sh: --hosts 2 needs root, ip (iproute2) and unshare for network namespaces" >&2; exit 2
fi
CKPT_MPI="$(cd "$(dirname "$CKPT_MPI")" && pwd)/$(basename "$CKPT_MPI")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$SHARED_BASE"
S=$(mktemp -d "$SHARED_BASE/durable.XXXXXX") L=$(mktemp -d "$LOCAL_BASE/ckpt-durable.XXXXXX")
chmod 755 "$S" "$L"
ms() { date +%s%3N; }
# job_down DIR: every process of the job whose checkpoint directory is DIR, by pid.
job_down() {
    local pid
    for pid in $(grep -l "CKPT_MPI_JOB_DIR=$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do kill -9 "$pid" 2>/dev/null; done
}

if [ "$HOSTS" = 2 ]; then
    P="ckd$$" NET=10.251.0 H1=10.251.0.2 H2=10.251.0.3
    WORK="$(mktemp -d /tmp/ckpt-durable-hosts.XXXXXX)" HOSTS_LOCAL_BASE="$L"
    chmod 755 "$WORK"
    # shellcheck source=../tests/hosts/lib.sh
    . "$HERE/../tests/hosts/lib.sh"
    trap 'hosts_down "$S/"; rm -rf "$S" "$L" "$WORK"' EXIT
    hosts_up 3 || exit 2
    mkdir -p "$WORK/local"
    # shellcheck disable=SC2207
    LAUNCH=(--host "$H1:$((NP / 2)),$H2:$((NP - NP / 2))" $(agent_for "$MPI"))
    HEAD=("$WORK/on.sh" 0) LOCAL_DIR="$WORK/local"
else
    started=()
    trap 'kill -9 "${started[@]}" 2>/dev/null; job_down "$S/"; rm -rf "$S" "$L"' EXIT
    LAUNCH=() HEAD=() LOCAL_DIR="$L"
fi
trap "exit 130" INT TERM   # so that the EXIT trap tears down on a signal too
mpicc.mpich -O2 -o "$S/bigmem_mpi" "$HERE/src/bigmem_mpi.c" -I"$HERE/src" || exit 2

raw_bw() { # MB/s of a 256 MiB write with fdatasync into $1; the rest runs a shell command line
    local dir=$1; shift
    "$@" "dd if=/dev/zero of='$dir/raw' bs=4M count=64 conv=fdatasync 2>&1; rm -f '$dir/raw'" |
        sed -n 's/.*, \([0-9.]*\) \([MG]B\)\/s$/\1 \2\/s/p'
}
if [ "$HOSTS" = 2 ]; then
    # In host 1's own local directory, as its ranks see it (the agent's bind mount).
    echo "raw write: shared $S: $(raw_bw "$S" sh -c); local on $H1 ($L/local-$H1): $(raw_bw "$LOCAL_DIR" "$WORK/agent.sh" "$H1")"
else
    echo "raw write: shared $S: $(raw_bw "$S" sh -c); local $L: $(raw_bw "$L" sh -c)"
fi

one() { # one checkpoint; $1 = label, rest: extra run options
    local label=$1; shift
    local d="$S/$label"; mkdir -p "$d"
    (cd "$d" && exec "${HEAD[@]}" "$CKPT_MPI" run -np "$NP" --mpi "$MPI" "${LAUNCH[@]}" --ckpt-dir "$d/ck" "$@" \
        -- "$S/bigmem_mpi" "$MIB" 60 >"$d/out" 2>"$d/err") &
    local job=$!
    started+=("$job")
    for _ in $(seq 600); do grep -q ready "$d/out" 2>/dev/null && break; sleep 0.1; done
    sleep 1
    local t0; t0=$(ms)
    "${HEAD[@]}" "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >"$d/ck.out" 2>"$d/ck.err" || { echo "$label: checkpoint failed: $(head -1 "$d/ck.err")"; }
    local durable=$(( $(ms) - t0 ))
    local pause; pause=$(sed -n 's/.*"pause_ms" *: *\([0-9.]*\).*/\1/p' "$d/ck/gen-000001/MANIFEST.json" | head -1)
    local bytes; bytes=$(du -sb "$d/ck/gen-000001" | cut -f1)
    local where=""
    if [ "$HOSTS" = 2 ] && [ $# -gt 0 ]; then
        # Each host's copies stay in its own local directory: the proof that the two were apart.
        where=$(for h in "$H1" "$H2"; do printf '; %s: %s' "$h" "$(cd "$L/local-$h" 2>/dev/null && ls -- */gen-000001 2>/dev/null | grep -c img)"; done)
        where=" (local images$where)"
    fi
    printf '%-12s %d x %d MiB on %d host(s): application stopped %s ms, durable after %d ms (%d MiB in the shared directory)%s\n' \
        "$label" "$NP" "$MIB" "$HOSTS" "${pause:-?}" "$durable" $((bytes >> 20)) "$where"
    # The ranks first, so that the run exits by itself (no "Killed" from the shell), then the rest.
    job_down "$d/ck"
    # shellcheck disable=SC2046
    [ "$HOSTS" = 2 ] && kill -9 $(for i in 1 2; do ip netns pids "${P}h$i"; done) 2>/dev/null
    for _ in $(seq 50); do kill -0 $job 2>/dev/null || break; sleep 0.1; done
    kill -9 $job 2>/dev/null
    wait $job 2>/dev/null
    # shellcheck disable=SC2046
    [ "$HOSTS" = 2 ] && kill -9 $(ip netns pids "${P}h0") 2>/dev/null || true
}
one direct
one local-dir --local-dir "$LOCAL_DIR"
