#!/usr/bin/env bash
# run-checkpoint.sh - checkpoint and restart speed of ckpt-mpi versus the raw
# bandwidth of the file system that holds the checkpoint directory.
#
# For each size S (MiB) it measures, in one go:
#   1. raw write bandwidth   (dd from a random file in /dev/shm, fdatasync;
#                             best of bs=4M O_DIRECT, bs=4M buffered and
#                             bs=32M O_DIRECT)
#   2. raw cold read bandwidth (drop caches, dd to /dev/null; best of the
#                             same three variants and of 4 dd readers of a
#                             quarter each at once, bs=8M O_DIRECT)
#   3. checkpoint of `bigmem S` under `ckpt-mpi run --no-mpi` (--kill):
#      image bytes / the engine's write time, against (1); and the
#      application's pause at a checkpoint that lets it run on, with the
#      copy-on-write writer (the default) and with CKPT_MPI_WRITER=inline
#   4. image size against the resident memory of the upper half
#   4b. incremental checkpoint (run --incremental): a full checkpoint of
#      `dirty_pages S 5`, then one after it rewrote 5 % of its pages: bytes
#      and checkpoint time of the delta against the full one (same job)
#   5. restart from cold caches: the restore's read rate against (2), the
#      wall time until the program runs again and until its final hash,
#      and the hash against an uninterrupted run
#   6. the same restart with --lazy: time until the program runs again
#      (goal <= 50 ms) and until every page is in, beside (5) and (2)
# and then once for MPI: 4 ranks x 256 MiB of `bigmem_mpi` checkpointed on
# Open MPI and restarted on MPICH; and compressed images (--compress): a
# 2-rank stencil (src/stencil.c, a 4096x4096 grid, checkpointed after a few
# seconds of iterations) checkpointed uncompressed, at zstd:1 and at zstd:3,
# and 2 ranks x 128 MiB of bigmem_mpi's random data (the worst case)
# uncompressed and at zstd:3, each image restarted from cold caches:
# compression ratio, write and restore throughput (uncompressed bytes per second).
#
# See benchmarks/README.md ("Checkpoint and restart").  Usage: --help
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$HERE/src"
BUILD="$HERE/build"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
CFLAGS="${CFLAGS:--O2}"

usage() {
    cat <<EOF
usage: $(basename "$0") [options]

Measures checkpoint and restart bandwidth of ckpt-mpi against the raw write
and cold-read bandwidth of the checkpoint directory's file system.

options:
  --sizes "S ..."    single-process sizes in MiB (default "256 1024")
  --quick            sizes "64", MPI 4 x 64 MiB (smoke test)
  --dir D            put the checkpoints and raw test files under D (a fresh
                     subdirectory is made and removed); default: the results
                     directory
  --mpi-np N         ranks of the MPI test (default 4)
  --mpi-size S       MiB per rank of the MPI test (default 256)
  --ckpt-mpi-on M    MPI the MPI test runs and checkpoints on (default openmpi)
  --restart-on M     MPI the MPI test restarts on (default mpich)
  --no-mpi-test      skip the MPI test
  --no-compress-test skip the compression rows
  --only-compress    only the compression rows
  --compress-size N  stencil grid of the compression rows (default 4096)
  --incremental-only only the incremental row (no raw dd, no restart)
  --work SEC         seconds of light work the test programs do after "ready"
                     (default 3; most of it is left for after the restart)
  --seed N           seed of the test programs' data (default 1)
  --keep             keep the checkpoint images and raw test files
  --markdown         also print the table as Markdown
  --strict           exit 3 if a goal is missed
  -h, --help         this help

environment:
  CKPT_MPI           ckpt-mpi binary (default: benchmarks/../.build/release/ckpt-mpi)
  CFLAGS             compiler flags (default -O2)
  BENCH_TIMEOUT      per-command timeout in seconds (default 300)
  RESULTS_DIR        where logs go (default benchmarks/results/ckpt-<timestamp>)

Needs: gcc, dd, python3 (JSON), openssl or /dev/urandom; for the MPI test
mpicc.mpich and the launchers of both MPIs.  Dropping the page cache needs
root; without it the "cold" reads are warm and the script says so.

exit status: 0 ok; 1 a run failed, timed out or gave a wrong hash;
             2 usage/build error; 3 (--strict only) a goal was missed.
EOF
}

# ---------------------------------------------------------------- options --
SIZES="256 1024"
MPI_NP=4
MPI_SIZE=256
MPI_RUN=openmpi
MPI_RESTART=mpich
MPI_TEST=1
COMPRESS_TEST=1
ONLY_COMPRESS=0
COMPRESS_SIZE=4096
INCR_ONLY=0
WORK=3
SEED=1
KEEP=0
MARKDOWN=0
STRICT=0
BASE_DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) shift; SIZES="${1:?--sizes needs an argument}" ;;
        --sizes=*) SIZES="${1#*=}" ;;
        --quick) SIZES=64; MPI_SIZE=64 ;;
        --dir) shift; BASE_DIR="${1:?--dir needs an argument}" ;;
        --dir=*) BASE_DIR="${1#*=}" ;;
        --mpi-np) shift; MPI_NP="${1:?--mpi-np needs an argument}" ;;
        --mpi-size) shift; MPI_SIZE="${1:?--mpi-size needs an argument}" ;;
        --ckpt-mpi-on) shift; MPI_RUN="${1:?--ckpt-mpi-on needs an argument}" ;;
        --restart-on) shift; MPI_RESTART="${1:?--restart-on needs an argument}" ;;
        --no-mpi-test) MPI_TEST=0 ;;
        --no-compress-test) COMPRESS_TEST=0 ;;
        --only-compress) ONLY_COMPRESS=1 ;;
        --compress-size) shift; COMPRESS_SIZE="${1:?--compress-size needs an argument}" ;;
        --incremental-only) INCR_ONLY=1; MPI_TEST=0; COMPRESS_TEST=0 ;;
        --work) shift; WORK="${1:?--work needs an argument}" ;;
        --seed) shift; SEED="${1:?--seed needs an argument}" ;;
        --keep) KEEP=1 ;;
        --markdown) MARKDOWN=1 ;;
        --strict) STRICT=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run-checkpoint: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
isnum() { case "$1" in ''|*[!0-9]*) return 1 ;; esac; [ "$1" -gt 0 ]; }
for s in $SIZES; do isnum "$s" || { echo "run-checkpoint: bad size '$s' (MiB, > 0)" >&2; exit 2; }; done
[ -n "${SIZES// /}" ] || { echo "run-checkpoint: --sizes is empty" >&2; exit 2; }
for v in "$MPI_NP" "$MPI_SIZE" "$WORK" "$SEED"; do
    isnum "$v" || { echo "run-checkpoint: '$v' must be a positive integer" >&2; exit 2; }
done
for m in "$MPI_RUN" "$MPI_RESTART"; do
    case "$m" in openmpi|mpich) ;; *) echo "run-checkpoint: unknown MPI '$m'" >&2; exit 2 ;; esac
done
TIMEOUT="${BENCH_TIMEOUT:-300}"

have() { command -v "$1" >/dev/null 2>&1; }
log() { echo "run-checkpoint: $*" >&2; }
now() { date +%s.%N; }
export LC_ALL=C

[ -x "$CKPT_MPI" ] || { log "ckpt-mpi not found at '$CKPT_MPI' (set CKPT_MPI=...)"; exit 2; }
for t in gcc dd python3 timeout; do have "$t" || { log "$t is needed"; exit 2; }; done
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
if [ "$MPI_TEST" = 1 ]; then
    for t in mpicc.mpich mpirun.openmpi mpiexec.mpich; do
        if ! have "$t"; then log "skipping the MPI test ($t missing)"; MPI_TEST=0; fi
    done
fi

# ------------------------------------------------------------------ build --
mkdir -p "$BUILD/native" || exit 2
gcc $CFLAGS -Wall -o "$BUILD/native/bigmem" "$SRC/bigmem.c" || { log "build of bigmem failed"; exit 2; }
gcc $CFLAGS -Wall -o "$BUILD/native/dirty_pages" "$SRC/dirty_pages.c" || { log "build of dirty_pages failed"; exit 2; }
if [ "$MPI_TEST" = 1 ]; then
    mkdir -p "$BUILD/mpich" || exit 2
    mpicc.mpich $CFLAGS -Wall -o "$BUILD/mpich/bigmem_mpi" "$SRC/bigmem_mpi.c" \
        || { log "build of bigmem_mpi failed"; exit 2; }
fi
if [ "$COMPRESS_TEST" = 1 ]; then
    mkdir -p "$BUILD/mpich" || exit 2
    [ -x "$BUILD/mpich/bigmem_mpi" ] || mpicc.mpich $CFLAGS -Wall -o "$BUILD/mpich/bigmem_mpi" "$SRC/bigmem_mpi.c" \
        || { log "build of bigmem_mpi failed"; exit 2; }
    mpicc.mpich $CFLAGS -Wall -o "$BUILD/mpich/stencil" "$SRC/stencil.c" -lm \
        || { log "build of stencil failed"; exit 2; }
fi
BIGMEM="$BUILD/native/bigmem"
BIGMEM_MPI="$BUILD/mpich/bigmem_mpi"

# ------------------------------------------------------------ directories --
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS_DIR="${RESULTS_DIR:-$HERE/results/ckpt-$STAMP}"
mkdir -p "$RESULTS_DIR" || exit 2
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
if [ -n "$BASE_DIR" ]; then
    mkdir -p "$BASE_DIR" || exit 2
    WORKDIR="$(cd "$BASE_DIR" && pwd)/ckpt-bench.$$"
else
    WORKDIR="$RESULTS_DIR/work"
fi
mkdir -p "$WORKDIR" || exit 2
DATA="$RESULTS_DIR/data.tsv"     # section size metric value raw ratio goal status unit
: > "$DATA"
RAND=""
BGPID=""
FAILED=0
MISSED=0

cleanup() {
    if [ -n "$BGPID" ] && kill -0 "$BGPID" 2>/dev/null; then
        kill "$BGPID" 2>/dev/null; sleep 1; kill -9 "$BGPID" 2>/dev/null
    fi
    [ -n "$RAND" ] && rm -f "$RAND"
    if [ "$KEEP" = 0 ]; then
        rm -rf "$WORKDIR"
    else
        log "kept images and files in $WORKDIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers --
CAN_DROP=0
if [ -w /proc/sys/vm/drop_caches ] && sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then
    CAN_DROP=1
else
    log "WARNING: cannot drop the page cache (not root?): 'cold' reads below are warm"
fi
drop_caches() { sync; [ "$CAN_DROP" = 1 ] && echo 3 > /proc/sys/vm/drop_caches; sleep 0.5; }

# dd_mbps <log> <dd args...>: runs dd, prints MB/s (10^6 bytes/s) or nothing
dd_mbps() {
    local out="$1"; shift
    { echo "# dd $*"; timeout "$TIMEOUT" dd "$@" 2>&1; echo "# rc $?"; } >> "$out"
    # "268435456 bytes (268 MB, 256 MiB) copied, 0.51 s, 526 MB/s"
    tail -n 2 "$out" | awk '/ bytes .* copied, / {
        b = $1; split($0, p, ", "); for (i in p) if (p[i] ~ / s$/) { s = p[i]; sub(/ s$/, "", s) }
        if (s > 0) printf "%.1f", b / s / 1e6 }'
}
# par_read_mbps <log> <file> <MiB>: 4 dd readers of a quarter each (bs=8M,
# O_DIRECT) at once; MB/s of the whole, from the wall time, or nothing
par_read_mbps() {
    local out="$1" f="$2" q=$(($3 / 32)) i t0 t1 bad=0 pids=()
    [ "$q" -gt 0 ] || return 0
    t0="$(now)"
    for i in 0 1 2 3; do
        { echo "# dd if=$f bs=8M iflag=direct skip=$((i * q)) count=$q"; timeout "$TIMEOUT" dd if="$f" of=/dev/null bs=8M iflag=direct skip=$((i * q)) count=$q 2>&1; } >> "$out.par$i" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || bad=1; done
    t1="$(now)"
    cat "$out".par? >> "$out"; rm -f "$out".par?
    [ $bad = 0 ] && awk -v b=$((q * 4 * 8 * 1048576)) -v a="$t0" -v c="$t1" 'BEGIN { if (c > a) printf "%.1f", b / (c - a) / 1e6 }'
}
max() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 >= b + 0) ? a : b }'; }

# record <section> <size> <metric> <value> <raw> <ratio> <goal> <status> <unit>
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$DATA"; }
# judge <ratio> <goal>: ok/MISS; goal ">=X", "<=X" or "~X" (|ratio-1| <= X)
judge() {
    awk -v r="$1" -v g="$2" 'BEGIN {
        if (r == "" || r == "-") { print "FAILED"; exit }
        op = substr(g, 1, 2); lim = substr(g, 3) + 0
        if (substr(g, 1, 1) == "~") { lim = substr(g, 2) + 0; ok = (r - 1 <= lim && 1 - r <= lim) }
        else if (op == ">=") ok = (r >= lim); else ok = (r <= lim)
        print ok ? "ok" : "MISS" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }
goal_row() {  # goal_row <section> <size> <metric> <value> <raw> <goal> <unit>
    local r st
    r="$(ratio "$4" "$5")"; st="$(judge "$r" "$6")"
    [ "$st" = ok ] || MISSED=1
    record "$1" "$2" "$3" "${4:--}" "${5:--}" "$r" "$6" "$st" "$7"
}
info_row() { record "$1" "$2" "$3" "${4:--}" "${5:--}" "-" "-" "-" "$6"; }

RAW_W=(); RAW_R=()
# raw_bw <MiB>: sets RAWW and RAWR (MB/s) for a file of that size (memoised).
# Each is the best of three dd runs: bs=4M with O_DIRECT, bs=4M through the
# page cache, and bs=32M with O_DIRECT (the I/O size and mode the engine's
# writer uses); reads also of 4 direct dd readers at once (what the restore's
# 4 readers of 8 MiB pieces do).  Writes end with fdatasync; every read
# starts from a dropped page cache.
raw_bw() {
    local s="$1" f="$WORKDIR/raw.dat" l="$RESULTS_DIR/raw.$1.log" v bs cnt fl r
    if [ -n "${RAW_W[$s]:-}" ]; then RAWW="${RAW_W[$s]}"; RAWR="${RAW_R[$s]}"; return; fi
    log "raw write/read of $s MiB on $(df -P "$WORKDIR" | awk 'NR == 2 { print $1 }')"
    local wl="" rl=""
    RAWW=""; RAWR=""
    for v in 4M:direct 4M: 32M:direct; do
        bs="${v%%:*}"; fl="${v#*:}"
        cnt=$(( (s + ${bs%M} - 1) / ${bs%M} ))
        [ $((s % ${bs%M})) = 0 ] || { bs=1M; cnt=$s; }
        rm -f "$f"; drop_caches
        r="$(dd_mbps "$l" if="$RAND" of="$f" bs=$bs count=$cnt conv=fdatasync ${fl:+oflag=$fl})"
        wl="$wl bs=$bs${fl:+,$fl} ${r:-failed};"; RAWW="$(max "$RAWW" "$r")"
        drop_caches
        r="$(dd_mbps "$l" if="$f" of=/dev/null bs=$bs ${fl:+iflag=$fl})"
        rl="$rl bs=$bs${fl:+,$fl} ${r:-failed};"; RAWR="$(max "$RAWR" "$r")"
    done
    # and the reads the restore makes: 4 direct readers at once, 8 MiB each
    drop_caches
    r="$(par_read_mbps "$l" "$f" "$s")"
    rl="$rl 4x bs=8M,direct ${r:-failed};"; RAWR="$(max "$RAWR" "$r")"
    log "  write MB/s:$wl cold read MB/s:$rl"
    rm -f "$f"
    [ "$RAWW" = 0 ] && RAWW=""; [ "$RAWR" = 0 ] && RAWR=""
    [ -n "$RAWW" ] && [ -n "$RAWR" ] || { log "raw dd measurement failed (log $l)"; FAILED=1; }
    RAW_W[$s]="$RAWW"; RAW_R[$s]="$RAWR"
}

# wait_for <file> <regex> <pid>: until a line matches, the pid dies or TIMEOUT
wait_for() {
    local end=$((SECONDS + TIMEOUT))
    while [ $SECONDS -lt $end ]; do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { grep -qE "$2" "$1" 2>/dev/null; return; }
        sleep 0.05
    done
    return 1
}

# json <file> <python expression on d>: prints the value
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# smaps_rss <pid> <out>: copy of /proc/PID/smaps (taken before the checkpoint)
# upper_rss <smaps> <inspect.json>: KiB of Rss in mappings that overlap a region
# the image stores (i.e. the upper half; the lower half's mappings are not in
# the image), the same mappings' modified private memory (Private_Dirty +
# Swap: anonymous pages and the copy-on-write copies of file pages, what an
# image must store; file pages still backed by their file are stored by
# reference), and the heap region's stored bytes for address <buf>
analyse_image() {  # analyse_image <smaps> <inspect.json> <buf address or "">
    python3 - "$1" "$2" "$3" <<'EOF'
import json, re, sys
smaps, insp, buf = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(insp))
regs = [(int(r["start"], 16), int(r["end"], 16), r) for r in d["regions"]]
stored = sum(r.get("stored_bytes", 0) for _, _, r in regs)
rss = 0; priv = 0; cur = None
for line in open(smaps):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        cur = any(s < b and a < e for s, e, _ in regs)
        continue
    if cur and line.startswith("Rss:"):
        rss += int(line.split()[1]) * 1024
    if cur and (line.startswith("Private_Dirty:") or line.startswith("Swap:")):
        priv += int(line.split()[1]) * 1024
heap = 0
if buf:
    x = int(buf, 16)
    heap = sum(r.get("stored_bytes", 0) for s, e, r in regs if s <= x < e)
print(d["header"]["file_size"], d["header"]["data_bytes"], stored, rss, heap, priv)
EOF
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# ------------------------------------------------------------------ header --
MAXS=0; for s in $SIZES; do [ "$s" -gt "$MAXS" ] && MAXS=$s; done
[ "$MPI_TEST" = 1 ] && [ $((MPI_NP * MPI_SIZE)) -gt "$MAXS" ] && MAXS=$((MPI_NP * MPI_SIZE))
{
    echo "ckpt-mpi checkpoint/restart benchmark"
    echo "  date      : $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "  host      : $(uname -srm), $(nproc) CPUs, $(free -m | awk '/^Mem:/ { print $2 " MiB RAM" }')"
    echo "  ckpt dir  : $WORKDIR ($(df -PT "$WORKDIR" | awk 'NR == 2 { print $2 " on " $1 }'))"
    echo "  ckpt-mpi  : $CKPT_MPI"
    echo "  sizes     : $SIZES MiB; MPI: $([ "$MPI_TEST" = 1 ] && echo "$MPI_NP x $MPI_SIZE MiB, run on $MPI_RUN, restart on $MPI_RESTART" || echo skipped)"
    echo "  work      : ${WORK} s after ready, seed $SEED; cold caches: $([ "$CAN_DROP" = 1 ] && echo yes || echo NO)"
    echo "  load avg  : $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  logs      : $RESULTS_DIR"
} | tee "$RESULTS_DIR/header.txt" >&2

# Random source for dd, in memory, once (largest size needed).
RAND=""
[ "$INCR_ONLY" = 1 ] && MAXS=0  # no raw dd
if [ "$MAXS" -gt 0 ]; then
    RAND="/dev/shm/ckpt-bench.$$.rand"
    shm_free=$(df -Pm /dev/shm | awk 'NR == 2 { print $4 }')
    if [ "${shm_free:-0}" -lt $((MAXS + 64)) ]; then
        log "/dev/shm has ${shm_free:-0} MiB free, needs $MAXS MiB for the random source"; exit 2
    fi
    log "making a $MAXS MiB random source in /dev/shm"
    if have openssl; then
        head -c $((MAXS * 1048576)) /dev/zero \
            | openssl enc -aes-128-ctr -nosalt -pass "pass:ckpt-bench-$SEED" -pbkdf2 2>/dev/null > "$RAND"
    fi
    if [ "$(stat -c %s "$RAND" 2>/dev/null || echo 0)" -lt $((MAXS * 1048576)) ]; then
        head -c $((MAXS * 1048576)) /dev/urandom > "$RAND" || { log "cannot make $RAND"; exit 2; }
    fi
fi

# start_ready <log prefix> <what> <section> <size> <metric> <unit> CMD...: CMD in
# the background (BGPID, output in <log prefix>.run.*) until it prints "ready";
# else one log line, a FAILED row for <metric> and status 1.
start_ready() {
    local l="$1" what="$2" sec="$3" s="$4" metric="$5" unit="$6"; shift 6
    "$@" > "$l.run.out" 2> "$l.run.err" < /dev/null &
    BGPID=$!
    wait_for "$l.run.out" '^ready' "$BGPID" && return 0
    log "$what: the job never printed ready ($l.run.err)"; FAILED=1
    record "$sec" "$s" "$metric" FAILED - - - FAILED "$unit"
    kill "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; BGPID=""
    return 1
}

# pause_probe <MiB> <writer>: a checkpoint that lets bigmem run on, with
# CKPT_MPI_WRITER=<writer> (cow: a forked child writes while the application
# runs; inline: the application is stopped for the whole write). Records the
# manifest's pause_ms and write_ms.
pause_probe() {
    local s="$1" wr="$2" d="$WORKDIR/pp-$1-$2" l="$RESULTS_DIR/single.$1.$2" rc pms wms man
    rm -rf "$d"
    start_ready "$l" "size $s ($wr)" single "$s" "ckpt_pause_$wr [s]" s \
        env CKPT_MPI_WRITER="$wr" timeout "$TIMEOUT" "$CKPT_MPI" run --no-mpi --ckpt-dir "$d" -- "$BIGMEM" "$s" "$WORK" "$SEED" || return
    timeout "$TIMEOUT" "$CKPT_MPI" checkpoint --ckpt-dir "$d" > "$l.ckpt.out" 2>&1
    rc=$?
    man="$(ls -d "$d"/gen-*/MANIFEST.json 2>/dev/null | tail -n1)"
    kill "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; BGPID=""
    if [ $rc != 0 ] || [ -z "$man" ]; then
        log "size $s ($wr): checkpoint failed (rc $rc): $(tail -n1 "$l.ckpt.out")"; FAILED=1
        record single "$s" "ckpt_pause_$wr [s]" FAILED - - - FAILED s
        return
    fi
    pms="$(json "$man" 'max(i["pause_ms"] for i in d["images"])')"
    wms="$(json "$man" 'max(i["write_ms"] for i in d["images"])')"
    log "  writer $wr: application stopped ${pms} ms, image written in ${wms} ms"
    if [ "$wr" = cow ]; then
        # the goal of issue 13: at most 20 ms for 1 GiB (scaled for other sizes)
        goal_row single "$s" "ckpt_pause_cow [s]" "$(awk -v x="$pms" 'BEGIN { printf "%.3f", x / 1000 }')" \
            "$(awk -v s="$s" 'BEGIN { printf "%.3f", 0.020 * s / 1024 }')" "<=1.00" s
    else
        info_row single "$s" "ckpt_pause_inline [s]" "$(awk -v x="$pms" 'BEGIN { printf "%.3f", x / 1000 }')" "" s
    fi
    info_row single "$s" "ckpt_write_$wr [s]" "$(awk -v x="$wms" 'BEGIN { printf "%.3f", x / 1000 }')" "" s
    rm -rf "$d"
}

# incremental_probe <MiB>: one job under --incremental; a full checkpoint, then
# one after the program rewrote 5 % of its pages (SIGUSR1). Goals of issue 13:
# the delta's bytes <= 6 % of the full image's, its checkpoint time (from the
# request to the durable manifest) <= 10 % of the full one's.
incremental_probe() {
    local s="$1" d="$WORKDIR/inc-$1" l="$RESULTS_DIR/single.$1.incr" pid rc g
    rm -rf "$d"
    start_ready "$l" "size $s (incremental)" single "$s" "incr_bytes [MiB]" MiB \
        timeout "$TIMEOUT" "$CKPT_MPI" run --no-mpi --incremental --ckpt-dir "$d" -- "$BUILD/native/dirty_pages" "$s" 5 || return
    timeout 30 "$CKPT_MPI" status --ckpt-dir "$d" --json > "$l.status.json" 2>/dev/null
    pid="$(json "$l.status.json" 'd["ranks_connected"][0]["pid"]')"
    local ok=1
    timeout "$TIMEOUT" "$CKPT_MPI" checkpoint --ckpt-dir "$d" --json > "$l.full.json" 2> "$l.full.err" || ok=0
    [ -n "$pid" ] && kill -USR1 "$pid" 2>/dev/null || ok=0
    wait_for "$l.run.out" '^dirtied' "$BGPID" || ok=0
    timeout "$TIMEOUT" "$CKPT_MPI" checkpoint --ckpt-dir "$d" --json > "$l.incr.json" 2> "$l.incr.err" || ok=0
    kill "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; BGPID=""
    local mf mi; mf="$d/gen-000001/MANIFEST.json"; mi="$d/gen-000002/MANIFEST.json"
    if [ $ok = 0 ] || [ ! -f "$mf" ] || [ ! -f "$mi" ] || [ -z "$(json "$mi" 'd.get("parent") or ""')" ]; then
        log "size $s (incremental): failed ($(tail -n1 "$l.incr.err" 2>/dev/null); parent '$(json "$mi" 'd.get("parent")')')"; FAILED=1
        record single "$s" "incr_bytes [MiB]" FAILED - - - FAILED MiB
        return
    fi
    local bf bi sf si pf pi wf wi
    bf="$(json "$mf" 'd["images"][0]["bytes"]')"; bi="$(json "$mi" 'd["images"][0]["bytes"]')"
    sf="$(json "$l.full.json" 'd["seconds"]')"; si="$(json "$l.incr.json" 'd["seconds"]')"
    pf="$(json "$mf" 'd["images"][0]["pause_ms"]')"; pi="$(json "$mi" 'd["images"][0]["pause_ms"]')"
    wf="$(json "$mf" 'd["images"][0]["write_ms"]')"; wi="$(json "$mi" 'd["images"][0]["write_ms"]')"
    log "  incremental: full $(mib "$bf") MiB in $sf s (pause $pf ms, write $wf ms); after 5 % dirtied $(mib "$bi") MiB in $si s (pause $pi ms, write $wi ms)"
    goal_row single "$s" "incr_bytes [MiB]" "$(mib "$bi")" "$(mib "$bf")" "<=0.06" MiB
    goal_row single "$s" "incr_ckpt_time [s]" "$si" "$sf" "<=0.10" s
    info_row single "$s" "incr_write [s]" "$(awk -v x="$wi" 'BEGIN { printf "%.3f", x / 1000 }')" \
        "$(awk -v x="$wf" 'BEGIN { printf "%.3f", x / 1000 }')" s
    info_row single "$s" "incr_pause [s]" "$(awk -v x="$pi" 'BEGIN { printf "%.3f", x / 1000 }')" \
        "$(awk -v x="$pf" 'BEGIN { printf "%.3f", x / 1000 }')" s
    [ "$KEEP" = 1 ] || rm -rf "$d"
}

# restart --lazy from cold caches (after the eager ones): when the program
# runs again (the restore's own "resuming X s after the read began", goal
# <= 50 ms, and on the wall clock from `ckpt-mpi restart`), when every page is
# in (the streamer's "all N bytes present T ms after the read began") beside
# the eager restore's read time, and the final hash.
lazy_restart() {  # lazy_restart <MiB> <ckpt dir> <log prefix> <ref hash> <eager read s> <raw read MB/s>
    local s="$1" d="$2" l="$3.lazy" ref="$4" eager="$5" rr="$6" t0 rc res all bytes wall got
    drop_caches
    t0="$(now)"
    CKPT_MPI_RESTORE_STATS=1 timeout "$TIMEOUT" "$CKPT_MPI" restart "$d" --lazy > "$l.out" 2> "$l.err" < /dev/null
    rc=$?
    res="$(sed -n 's/.*restore: lazy: .* resuming \([0-9.]*\) s after the read began.*/\1/p' "$l.err" | head -n1)"
    read -r bytes all <<< "$(sed -n 's/.*restore: lazy: all \([0-9]*\) bytes present \([0-9]*\) ms after.*/\1 \2/p' "$l.err" | head -n1)"
    all="$(awk -v x="${all:-}" 'BEGIN { if (x != "") printf "%.3f", x / 1000 }')"
    wall="$(sed -n 's/^resumed at=\([0-9.]*\).*/\1/p' "$l.out" | tail -n1)"
    wall="$(awk -v a="$t0" -v r="$wall" 'BEGIN { if (r != "") printf "%.3f", r - a }')"
    got="$(awk '/^HASH / { print $2 }' "$l.out")"
    log "  lazy restart: rc $rc, resuming ${res:-?} s after the read began (${wall:-?} s after ckpt-mpi restart), all ${bytes:-?} bytes in after ${all:-?} s (eager read ${eager:-?} s)"
    goal_row single "$s" "lazy_resume [s]" "$res" "0.050" "<=1.00" s
    info_row single "$s" "lazy_restart_to_running [s]" "$wall" "" s
    info_row single "$s" "lazy_all_present [s]" "$all" "$eager" s
    info_row single "$s" "lazy_stream_bw [MB/s]" "$(awk -v b="${bytes:-}" -v t="${all:-}" 'BEGIN { if (b != "" && t > 0) printf "%.1f", b / t / 1e6 }')" "$rr" MBps
    if [ $rc = 0 ] && [ -n "$got" ] && [ "$got" = "$ref" ]; then
        record single "$s" "lazy_final_hash" "$got" "$ref" - "=" ok hash
    else
        record single "$s" "lazy_final_hash" "${got:-none}" "${ref:-none}" - "=" MISMATCH hash
        log "  lazy restart: final hash ${got:-none} (rc $rc) != reference ${ref:-none}: see $l.*"
        FAILED=1
    fi
}

# ------------------------------------------------------- single process --
ckpt_single() {  # ckpt_single <MiB>
    local s="$1" d="$WORKDIR/ck-$1" l="$RESULTS_DIR/single.$1" ref rc t0 t1 pid buf
    log "size $s MiB"
    if [ "$INCR_ONLY" = 1 ]; then incremental_probe "$s"; return; fi
    raw_bw "$s"
    local rw="$RAWW" rr="$RAWR"

    pause_probe "$s" inline
    pause_probe "$s" cow
    incremental_probe "$s"

    # uninterrupted reference run (native, same arguments)
    timeout "$TIMEOUT" "$BIGMEM" "$s" "$WORK" "$SEED" > "$l.ref.out" 2>&1
    rc=$?
    ref="$(awk '/^HASH / { print $2 }' "$l.ref.out")"
    [ $rc = 0 ] && [ -n "$ref" ] || { log "reference run failed (rc $rc, $l.ref.out)"; FAILED=1; }

    # run under ckpt-mpi, checkpoint with --kill
    rm -rf "$d"
    start_ready "$l" "size $s" single "$s" checkpoint - \
        timeout "$TIMEOUT" "$CKPT_MPI" run --no-mpi --ckpt-dir "$d" -- "$BIGMEM" "$s" "$WORK" "$SEED" || return
    buf="$(sed -n 's/^ready .*buf=\(0x[0-9a-f]*\).*/\1/p' "$l.run.out" | head -n1)"
    timeout 30 "$CKPT_MPI" status --ckpt-dir "$d" --json > "$l.status.json" 2>/dev/null
    pid="$(json "$l.status.json" 'd["ranks_connected"][0]["pid"]')"
    if [ -n "$pid" ]; then cat "/proc/$pid/smaps" > "$l.smaps" 2>/dev/null; else : > "$l.smaps"; fi
    t0="$(now)"
    timeout "$TIMEOUT" "$CKPT_MPI" checkpoint --ckpt-dir "$d" --kill --json > "$l.ckpt.json" 2> "$l.ckpt.err"
    rc=$?
    t1="$(now)"
    wait "$BGPID" 2>/dev/null; BGPID=""
    local man; man="$(ls -d "$d"/gen-*/MANIFEST.json 2>/dev/null | tail -n1)"
    if [ $rc != 0 ] || [ -z "$man" ]; then
        log "size $s: checkpoint failed (rc $rc): $(tail -n1 "$l.ckpt.err")"; FAILED=1
        record single "$s" checkpoint FAILED - - - FAILED -
        return
    fi
    local bytes wms pms secs img
    bytes="$(json "$man" 'sum(i["bytes"] for i in d["images"])')"
    wms="$(json "$man" 'max(i["write_ms"] for i in d["images"])')"
    pms="$(json "$man" 'max(i["pause_ms"] for i in d["images"])')"
    secs="$(json "$l.ckpt.json" 'd["seconds"]')"
    img="$(dirname "$man")/rank-0000.img"
    local ckbw; ckbw="$(awk -v b="$bytes" -v ms="$wms" 'BEGIN { if (ms > 0) printf "%.1f", b / (ms / 1000) / 1e6 }')"
    log "  checkpoint: $(mib "$bytes") MiB, write ${wms} ms, pause ${pms} ms, coordinator ${secs} s, client $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s"

    timeout 60 "$CKPT_MPI" inspect "$img" --json > "$l.inspect.json" 2> "$l.inspect.err"
    local an fsz dbytes stored rss heap priv
    an="$(analyse_image "$l.smaps" "$l.inspect.json" "$buf")"
    read -r fsz dbytes stored rss heap priv <<< "$an"

    goal_row single "$s" "ckpt_write_bw [MB/s]" "$ckbw" "$rw" ">=0.70" MBps
    info_row single "$s" "ckpt_pause [s]" "$(awk -v x="$pms" 'BEGIN { printf "%.3f", x / 1000 }')" "" s
    info_row single "$s" "ckpt_coordinator [s]" "$secs" "" s
    # image size vs resident memory of the upper half (smaps Rss, before): no goal
    # since file mappings are stored by reference (their clean pages are in Rss only)
    info_row single "$s" "image/resident [MiB]" "$(mib "$bytes")" "$(mib "${rss:-0}")" MiB
    # image size vs modified private memory (Private_Dirty + Swap): issue 13's "within 1 %"
    if [ -n "${priv:-}" ] && [ "${priv:-0}" -gt 0 ]; then
        goal_row single "$s" "image/private_dirty [MiB]" "$(mib "$bytes")" "$(mib "$priv")" "<=1.01" MiB
    else
        record single "$s" "image/private_dirty [MiB]" "$(mib "$bytes")" - - "<=1.01" FAILED MiB; MISSED=1
    fi
    info_row single "$s" "image/stored_regions [MiB]" "$(mib "$bytes")" "$(mib "${stored:-0}")" MiB
    if [ -n "${heap:-}" ] && [ "${heap:-0}" -gt 0 ]; then
        record single "$s" "heap_stored/buffer [MiB]" "$(mib "$heap")" "$s.0" "$(ratio "$heap" $((s * 1048576)))" - - MiB
        # everything else the image holds: libraries (stored by content),
        # stacks, the rest of the heap, metadata
        info_row single "$s" "image_minus_heap [MiB]" "$(mib $((bytes - heap)))" "" MiB
    fi

    # restart from cold caches
    drop_caches
    t0="$(now)"
    CKPT_MPI_RESTORE_STATS=1 timeout "$TIMEOUT" "$CKPT_MPI" restart "$d" > "$l.restart.out" 2> "$l.restart.err" < /dev/null
    rc=$?
    t1="$(now)"
    local got rd rbw resumed left tw tr
    got="$(awk '/^HASH / { print $2 }' "$l.restart.out")"
    # "ckpt-mpi: restore: read N bytes in S s (R MB/s)"
    rd="$(awk '/restore: read [0-9]+ bytes in/ { for (i = 1; i <= NF; i++) { if ($i == "read") b = $(i + 1); if ($i == "in") s = $(i + 1) } } END { if (s > 0) printf "%.1f %.3f", b / s / 1e6, s }' "$l.restart.err")"
    rbw="${rd% *}"; rd="${rd#* }"
    resumed="$(sed -n 's/^resumed at=\([0-9.]*\).*step=\([0-9]*\)\/\([0-9]*\).*/\1 \2 \3/p' "$l.restart.out" | tail -n1)"
    tw="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    if [ $rc != 0 ]; then
        log "  restart FAILED: exit $rc$([ $rc = 124 ] && echo " (timeout ${TIMEOUT}s)"): $(tail -n1 "$l.restart.err")"
        tw=""
    fi
    if [ -n "$resumed" ]; then
        tr="$(awk -v a="$t0" -v r="$resumed" 'BEGIN { split(r, x, " "); printf "%.3f", x[1] - a }')"
        left="$(awk -v r="$resumed" 'BEGIN { split(r, x, " "); printf "%.2f", (x[3] - x[2]) * 0.05 }')"
    else
        tr=""; left=""
    fi
    log "  restart: rc $rc, restore read ${rd:-?} s (${rbw:-?} MB/s), running again after ${tr:-?} s, hash after $tw s (work left ${left:-?} s)"
    goal_row single "$s" "restore_read_bw [MB/s]" "$rbw" "$rr" ">=0.90" MBps
    info_row single "$s" "restore_read [s]" "$rd" "" s
    # The same image read by the restoring thread alone (the reader before
    # restore_read.c), after the parallel one: a host cache warmed by the
    # first read could only favour this one.
    drop_caches
    CKPT_MPI_RESTORE_STATS=1 CKPT_MPI_RESTORE_READERS=0 timeout "$TIMEOUT" "$CKPT_MPI" restart "$d" \
        > "$l.restart0.out" 2> "$l.restart0.err" < /dev/null
    local rd0
    rd0="$(awk '/restore: read [0-9]+ bytes in/ { for (i = 1; i <= NF; i++) { if ($i == "read") b = $(i + 1); if ($i == "in") s = $(i + 1) } } END { if (s > 0) printf "%.1f", b / s / 1e6 }' "$l.restart0.err")"
    [ "$(awk '/^HASH / { print $2 }' "$l.restart0.out")" = "$ref" ] || { log "  sequential restart: wrong or no HASH (see $l.restart0.*)"; rd0=""; }
    log "  restart with 0 readers: restore read ${rd0:-?} MB/s"
    info_row single "$s" "restore_read_bw_0_readers [MB/s]" "$rd0" "$rr" MBps
    info_row single "$s" "restart_to_running [s]" "$tr" "" s
    info_row single "$s" "restart_to_hash [s]" "$tw" "${left:+$left}" s
    lazy_restart "$s" "$d" "$l" "$ref" "$rd" "$rr"
    if [ $rc = 0 ] && [ -n "$got" ] && [ "$got" = "$ref" ]; then
        record single "$s" "final_hash" "$got" "$ref" - "=" ok hash
    else
        record single "$s" "final_hash" "${got:-none}" "${ref:-none}" - "=" MISMATCH hash
        log "  final hash ${got:-none} (rc $rc) != reference ${ref:-none}: see $l.restart.*"
        FAILED=1
    fi
    [ "$KEEP" = 1 ] || rm -rf "$d"
}

# --------------------------------------------------------------------- MPI --
ckpt_mpi_test() {
    local s="$MPI_SIZE" n="$MPI_NP" tot=$((MPI_NP * MPI_SIZE)) d="$WORKDIR/ck-mpi" l="$RESULTS_DIR/mpi.${MPI_NP}x$MPI_SIZE" ref rc t0 t1
    local sec="mpi ${n}x$s"
    log "MPI: $n ranks x $s MiB, run on $MPI_RUN, restart on $MPI_RESTART"
    raw_bw "$tot"
    local rw="$RAWW" rr="$RAWR"

    timeout "$TIMEOUT" mpiexec.mpich -n "$n" "$BIGMEM_MPI" "$s" "$WORK" "$SEED" > "$l.ref.out" 2>&1 < /dev/null
    rc=$?
    ref="$(awk '/^HASH / { print $2 }' "$l.ref.out")"
    [ $rc = 0 ] && [ -n "$ref" ] || { log "MPI reference run failed (rc $rc, $l.ref.out)"; FAILED=1; }

    rm -rf "$d"
    timeout "$TIMEOUT" "$CKPT_MPI" run -np "$n" --mpi "$MPI_RUN" --ckpt-dir "$d" -- "$BIGMEM_MPI" "$s" "$WORK" "$SEED" \
        > "$l.run.out" 2> "$l.run.err" < /dev/null &
    BGPID=$!
    if ! wait_for "$l.run.out" '^ready' "$BGPID"; then
        log "MPI: the job never printed ready ($l.run.err)"; FAILED=1
        record "$sec" "$tot" checkpoint FAILED - - - FAILED -
        kill "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; BGPID=""; return
    fi
    t0="$(now)"
    timeout "$TIMEOUT" "$CKPT_MPI" checkpoint --ckpt-dir "$d" --kill --json > "$l.ckpt.json" 2> "$l.ckpt.err"
    rc=$?
    t1="$(now)"
    wait "$BGPID" 2>/dev/null; BGPID=""
    local man; man="$(ls -d "$d"/gen-*/MANIFEST.json 2>/dev/null | tail -n1)"
    if [ $rc != 0 ] || [ -z "$man" ]; then
        log "MPI: checkpoint failed (rc $rc): $(tail -n1 "$l.ckpt.err")"; FAILED=1
        record "$sec" "$tot" checkpoint FAILED - - - FAILED -
        return
    fi
    local bytes wms pms secs agg aggw
    bytes="$(json "$man" 'sum(i["bytes"] for i in d["images"])')"
    wms="$(json "$man" 'max(i["write_ms"] for i in d["images"])')"
    pms="$(json "$man" 'max(i["pause_ms"] for i in d["images"])')"
    secs="$(json "$l.ckpt.json" 'd["seconds"]')"
    agg="$(awk -v b="$bytes" -v s="$secs" 'BEGIN { if (s > 0) printf "%.1f", b / s / 1e6 }')"
    aggw="$(awk -v b="$bytes" -v ms="$wms" 'BEGIN { if (ms > 0) printf "%.1f", b / (ms / 1000) / 1e6 }')"
    log "  checkpoint: $(mib "$bytes") MiB in $secs s (coordinator), slowest rank write ${wms} ms, pause ${pms} ms"
    info_row "$sec" "$tot" "ckpt_coordinator [s]" "$secs" "" s
    info_row "$sec" "$tot" "ckpt_total_image [MiB]" "$(mib "$bytes")" "$tot.0" MiB
    goal_row "$sec" "$tot" "ckpt_agg_bw [MB/s]" "$agg" "$rw" ">=0.70" MBps
    info_row "$sec" "$tot" "ckpt_agg_write_bw [MB/s]" "$aggw" "$rw" MBps
    info_row "$sec" "$tot" "ckpt_pause [s]" "$(awk -v x="$pms" 'BEGIN { printf "%.3f", x / 1000 }')" "" s
    # time from the request until every rank had reached the cut and drained (DESIGN §4)
    local qms; qms="$(json "$man" 'd.get("quiesce_ms", "")')"
    log "  quiesce (cut + drain): ${qms:-?} ms; slowest rank write ${wms} ms for $(mib "$bytes") MiB (raw write ${rw} MB/s)"
    info_row "$sec" "$tot" "ckpt_quiesce [s]" "$(awk -v x="$qms" 'BEGIN { if (x != "") printf "%.3f", x / 1000 }')" "" s
    info_row "$sec" "$tot" "ckpt_write [s]" "$(awk -v x="$wms" 'BEGIN { printf "%.3f", x / 1000 }')" \
        "$(awk -v b="$bytes" -v r="$rw" 'BEGIN { if (r > 0) printf "%.3f", b / 1e6 / r }')" s

    drop_caches
    t0="$(now)"
    CKPT_MPI_RESTORE_STATS=1 timeout "$TIMEOUT" "$CKPT_MPI" restart "$d" --mpi "$MPI_RESTART" \
        > "$l.restart.out" 2> "$l.restart.err" < /dev/null
    rc=$?
    t1="$(now)"
    local got rd rbw tr tw left
    got="$(awk '/^HASH / { print $2 }' "$l.restart.out")"
    # aggregate restore rate: all ranks' bytes / the slowest rank's read time
    rd="$(awk '/restore: read [0-9]+ bytes in/ { for (i = 1; i <= NF; i++) { if ($i == "read") b += $(i + 1); if ($i == "in" && $(i + 1) > s) s = $(i + 1) }; n++ } END { if (s > 0) printf "%.1f %.3f %d", b / s / 1e6, s, n }' "$l.restart.err")"
    rbw="$(echo "$rd" | awk '{ print $1 }')"; local nrd; nrd="$(echo "$rd" | awk '{ print $3 }')"; rd="$(echo "$rd" | awk '{ print $2 }')"
    tw="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    if [ $rc != 0 ]; then
        log "  restart FAILED: exit $rc$([ $rc = 124 ] && echo " (timeout ${TIMEOUT}s)"): $(tail -n1 "$l.restart.err")"
        tw=""
    fi
    tr="$(awk -v a="$t0" '/^resumed / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "at" && kv[2] > m) m = kv[2]; if (kv[1] == "step") { split(kv[2], st, "/"); l = (st[2] - st[1]) * 0.05 } } }
        END { if (m > 0) printf "%.3f %.2f", m - a, l }' "$l.restart.out")"
    left="${tr#* }"; tr="${tr% *}"
    log "  restart on $MPI_RESTART: rc $rc, $nrd ranks read in ${rd:-?} s (${rbw:-?} MB/s aggregate), all running again after ${tr:-?} s, hash after $tw s"
    # the face's rebind on each rank: MPI_Init_thread of the new MPI, replay, requests
    local rb; rb="$(awk '/rebind: MPI_Init_thread/ { for (i = 1; i <= NF; i++) { if ($i == "MPI_Init_thread" && $(i + 1) > a) a = $(i + 1); if ($i == "calls" && $(i + 1) > r) r = $(i + 1) } } END { if (a != "") printf "%.1f %.1f", a, r }' "$l.restart.err")"
    log "  rebind (slowest rank): MPI_Init_thread ${rb% *} ms, replay ${rb#* } ms"
    info_row "$sec" "$tot" "restart_mpi_init [s]" "$(awk -v x="${rb% *}" 'BEGIN { if (x != "") printf "%.3f", x / 1000 }')" "" s
    info_row "$sec" "$tot" "restart_replay [s]" "$(awk -v x="${rb#* }" 'BEGIN { if (x != "") printf "%.4f", x / 1000 }')" "" s
    goal_row "$sec" "$tot" "restore_agg_read_bw [MB/s]" "$rbw" "$rr" ">=0.70" MBps
    info_row "$sec" "$tot" "restart_to_running [s]" "$tr" "" s
    info_row "$sec" "$tot" "restart_to_hash [s]" "$tw" "$left" s
    if [ $rc = 0 ] && [ -n "$got" ] && [ "$got" = "$ref" ]; then
        record "$sec" "$tot" "final_hash" "$got" "$ref" - "=" ok hash
    else
        record "$sec" "$tot" "final_hash" "${got:-none}" "${ref:-none}" - "=" MISMATCH hash
        log "  final hash ${got:-none} (rc $rc) != reference ${ref:-none}: see $l.restart.*"
        FAILED=1
    fi
    [ "$KEEP" = 1 ] || rm -rf "$d"
}

# ------------------------------------------------------------ compression --
# ckpt_compress <none|zstd:N>: checkpoint (--kill) a 2-rank stencil on MPICH a few
# seconds in, then restart it from cold caches and stop it again as soon as both
# ranks are restored. Rows (both ranks together): uncompressed and stored data,
# ratio, the write (slowest rank) as uncompressed MB/s, the restore's read as
# uncompressed MB/s (both ranks' bytes over the slowest rank's time).
ckpt_compress() {  # ckpt_compress <stencil|bigmem> <none|zstd:N>
    local app=$1 c=$2 d="$WORKDIR/compress-$1-${2/:/}" l="$RESULTS_DIR/compress-$1-${2/:/}"
    local opt=(); [ "$c" = none ] || opt=(--compress "$c")
    local cmd=("$BUILD/mpich/stencil" -s "$COMPRESS_SIZE" -n 1000000)
    [ "$app" = bigmem ] && cmd=("$BIGMEM_MPI" 128 60 "$SEED")
    rm -rf "$d"
    log "compression $c: ${cmd[*]##*/} on 2 ranks"
    "$CKPT_MPI" run -np 2 --mpi mpich "${opt[@]}" --ckpt-dir "$d" -- "${cmd[@]}" >"$l.run.out" 2>"$l.run.err" </dev/null &
    local job=$!
    if [ "$app" = bigmem ]; then wait_for "$l.run.out" '^ready' "$job"; else sleep "$WORK"; fi
    local try
    for try in 1 2 3; do  # a failed checkpoint leaves the job running: try again
        timeout 300 "$CKPT_MPI" checkpoint --ckpt-dir "$d" --kill --timeout 4m >"$l.ck.out" 2>&1 && break
        log "  checkpoint $try failed: $(tail -1 "$l.ck.out")"
    done
    kill $job 2>/dev/null
    wait $job 2>/dev/null
    local m img; m=$(ls "$d"/gen-*/MANIFEST.json 2>/dev/null | tail -1); img=$(ls "$d"/gen-*/rank-0000.img 2>/dev/null | tail -1)
    if [ -z "$m" ] || [ -z "$img" ]; then
        log "  no checkpoint: $(tail -1 "$l.ck.out")"; FAILED=1; return
    fi
    local data=0 stored=0 wms r
    for r in "$(dirname "$img")"/rank-*.img; do
        "$CKPT_MPI" inspect --json "$r" >"$l.inspect.json"
        data=$((data + $(json "$l.inspect.json" 'd["header"]["data_bytes"]')))
        stored=$((stored + $(json "$l.inspect.json" 'd["header"]["stored_bytes"]')))
    done
    wms=$(json "$m" 'd["write_ms"]')
    drop_caches
    CKPT_MPI_RESTORE_STATS=1 "$CKPT_MPI" restart "$d" >"$l.restart.out" 2>"$l.restart.err" </dev/null &
    job=$!
    local i
    for ((i = 0; i < 1200; i++)); do
        [ "$(grep -c 'restore: read' "$l.restart.err" 2>/dev/null)" -ge 2 ] && break
        sleep 0.05
    done
    timeout 300 "$CKPT_MPI" checkpoint --ckpt-dir "$d" --kill --timeout 4m >"$l.ck2.out" 2>&1 || kill $job 2>/dev/null
    wait $job 2>/dev/null
    local rd; rd="$(awk '/restore: read [0-9]+ bytes in/ { for (i = 1; i <= NF; i++) { if ($i == "read") b += $(i + 1); if ($i == "in" && $(i + 1) > s) s = $(i + 1) } } END { if (s > 0) printf "%.1f", b / s / 1e6 }' "$l.restart.err")"
    local sec="$app-$c"
    info_row "$sec" 2 "image_data [MiB]" "$(mib "$data")" "" MiB
    info_row "$sec" 2 "image_stored [MiB]" "$(mib "$stored")" "" MiB
    info_row "$sec" 2 "compression_ratio" "$(awk -v a="$data" -v b="$stored" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" "" x
    info_row "$sec" 2 "ckpt_write [s]" "$(awk -v x="$wms" 'BEGIN { printf "%.3f", x / 1000 }')" "" s
    info_row "$sec" 2 "ckpt_write_bw [MB/s]" "$(awk -v b="$data" -v ms="$wms" 'BEGIN { if (ms > 0) printf "%.1f", b / (ms / 1000) / 1e6 }')" "" MBps
    info_row "$sec" 2 "restore_read_bw [MB/s]" "${rd:--}" "" MBps
    log "  $c: $(mib "$data") MiB data in $(mib "$stored") MiB, write ${wms} ms, restore ${rd:-?} MB/s"
    [ "$KEEP" = 1 ] || rm -rf "$d"
}

if [ "$ONLY_COMPRESS" = 0 ]; then
    for s in $SIZES; do ckpt_single "$s"; done
    [ "$MPI_TEST" = 1 ] && ckpt_mpi_test
fi
if [ "$COMPRESS_TEST" = 1 ]; then
    for c in none zstd:1 zstd:3; do ckpt_compress stencil "$c"; done
    for c in none zstd:3; do ckpt_compress bigmem "$c"; done
fi

# ------------------------------------------------------------------ table --
SUMMARY="$RESULTS_DIR/summary.txt"
awk -F'\t' -v markdown="$MARKDOWN" '
function g(x) { return x == ">=0.70" ? ">= 0.70" : x == "~0.02" ? "1 +- 0.02" : x == "<=1.00" ? "<= 1.00" : x == "<=0.06" ? "<= 0.06" : x == "<=0.10" ? "<= 0.10" : x }
{
    sect = ($1 == "single") ? $2 " MiB" : $1
    row[++n] = sprintf("%-28s %-12s %14s %12s %7s %10s  %s", $3, sect, $4, $5, $6, g($7), $8)
    md[n] = sprintf("| %s | %s | %s | %s | %s | %s | %s |", $3, sect, $4, $5, $6, g($7), $8)
}
END {
    hdr = sprintf("%-28s %-12s %14s %12s %7s %10s  %s", "metric", "run", "value", "raw/ref", "ratio", "goal", "status")
    print hdr; s = ""; for (i = 0; i < length(hdr); i++) s = s "-"; print s
    for (i = 1; i <= n; i++) print row[i]
    print ""
    print "raw/ref: raw dd bandwidth of the same file system (best of three dd variants,"
    print "  and for reads of 4 direct dd readers at once;"
    print "  writes end with fdatasync, reads start from a dropped page cache), the resident"
    print "  memory (smaps Rss) of the upper half, the regions stored, the buffer size, the"
    print "  work left after the restart (restart_to_hash), or the uninterrupted run'"'"'s hash."
    print "MB = 10^6 bytes, MiB = 2^20 bytes."
    if (markdown) {
        print ""
        print "| metric | run | value | raw/ref | ratio | goal | status |"
        print "|---|---|---:|---:|---:|---:|---|"
        for (i = 1; i <= n; i++) print md[i]
    }
}' "$DATA" | tee "$SUMMARY"

echo >&2
log "raw data: $DATA; summary: $SUMMARY"
[ "$FAILED" = 1 ] && exit 1
[ "$STRICT" = 1 ] && [ "$MISSED" = 1 ] && exit 3
exit 0
