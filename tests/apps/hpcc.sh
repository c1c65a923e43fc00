#!/usr/bin/env bash
# Debian's own hpcc (/usr/bin/hpcc, linked by Open MPI's wrappers against
# libmpi.so.40, libopen-rte.so.40 and libopen-pal.so.40), unmodified, under
# ckpt-mpi: run whole on either lower half, and checkpointed in the middle of a
# section (RandomAccess: Isend/Irecv/Iprobe traffic; FFT: Alltoall), every
# process killed, restarted on the other MPI. hpcc's own checks must pass (HPL
# residual, RandomAccess errors, FFT error, PTRANS) and hpccoutf.txt must hold
# the same sections, once each, as a native run's: the output file's offset is
# restored, nothing written twice or lost. Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
HPCC=${HPCC:-/usr/bin/hpcc}
[ -x "$HPCC" ] || { ko "$HPCC is not installed (apt-get install hpcc)"; finish; exit 1; }

# A small problem (N=500 on a 1x2 grid): the whole suite in a few seconds.
input() {
    sed -e '6s/^[0-9]* /500  /' -e '11s/^[0-9]* /1 /' -e '12s/^[0-9]* /2 /' \
        /usr/share/doc/hpcc/examples/_hpccinf.txt >"$1/hpccinf.txt"
}
sections() { grep -E '^(Begin|End) of .* section\.$' "$1/hpccoutf.txt"; }
# checks DIR: hpcc's own verdicts in its summary.
checks() {
    local f="$1/hpccoutf.txt"
    grep -qx 'Success=1' "$f" && grep -qx 'MPIRandomAccess_Errors=0' "$f" &&
        grep -q '1 tests completed and passed residual checks' "$f" && ! grep -q FAILED "$f" &&
        awk -F= '/^MPIFFT_maxErr=/ { exit !($2 < 1e-10) }' "$f"
}

mkdir -p "$WORK/native"; input "$WORK/native"
(cd "$WORK/native" && timeout 300 mpirun.openmpi --oversubscribe -np 2 "$HPCC" >/dev/null 2>&1)
if checks "$WORK/native"; then ok "native hpcc on Open MPI ($(sections "$WORK/native" | wc -l) section lines)"
else ko "native hpcc: $(grep -E '^(Success|Failure)' "$WORK/native/hpccoutf.txt" 2>/dev/null | tr '\n' ' ')"; fi

# whole MPI: an uninterrupted run under ckpt-mpi.
whole() {
    local mpi=$1 d="$WORK/whole-$1"
    mkdir -p "$d"; input "$d"
    (cd "$d" && timeout 300 "$CKPT_MPI" run -np 2 --mpi "$mpi" -- "$HPCC" >"$d/out" 2>"$d/err")
    local rc=$?
    if [ $rc -eq 0 ] && checks "$d" && [ "$(sections "$d")" = "$(sections "$WORK/native")" ]; then
        ok "hpcc under ckpt-mpi on $mpi: its checks pass, the same sections as native"
    else
        ko "hpcc under ckpt-mpi on $mpi: rc $rc, $(grep -m2 -E 'error|not supported' "$d/err" | tr '\n' ' ')"
    fi
}
whole openmpi
whole mpich

# cut MPI OTHER SECTION: checkpoint --kill once hpccoutf.txt shows SECTION begun,
# kill every process, restart on OTHER.
cut() {
    local mpi=$1 other=$2 section=$3 d="$WORK/cut-$1-$(echo "$3" | tr -dc 'A-Za-z')"
    mkdir -p "$d"; input "$d"
    (cd "$d" && exec timeout 300 "$CKPT_MPI" run -np 2 --mpi "$mpi" --ckpt-dir "$d/ck" -- "$HPCC" >"$d/a.out" 2>"$d/a.err") &
    local job=$!
    wait_for_line "$d/hpccoutf.txt" "^Begin of $section section" 120
    timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>"$d/ck.err"
    local crc=$?
    wait $job 2>/dev/null
    pkill -9 -f "$d/" 2>/dev/null
    local before; before=$(sections "$d" | wc -l)
    (cd "$d" && timeout 300 "$CKPT_MPI" restart "$d/ck" --mpi "$other" >"$d/b.out" 2>"$d/b.err")
    local rc=$?
    if [ $crc -eq 0 ] && [ $rc -eq 0 ] && checks "$d" && [ "$(sections "$d")" = "$(sections "$WORK/native")" ] &&
        [ "$before" -lt "$(sections "$WORK/native" | wc -l)" ]; then
        ok "hpcc checkpointed on $mpi in $section (after $before section lines), killed, restarted on $other: checks pass, sections as native"
    else
        ko "hpcc $mpi -> $other in $section: checkpoint rc $crc ($(head -1 "$d/ck.err")), restart rc $rc ($(grep -m1 -E 'error|not supported' "$d/b.err")), $before section lines before"
        diff <(sections "$d") <(sections "$WORK/native") | head -5 >&2
    fi
}
cut mpich openmpi MPIRandomAccess
cut openmpi mpich MPIFFT
finish
