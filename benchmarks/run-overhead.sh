#!/usr/bin/env bash
# run-overhead.sh - runtime overhead of ckpt-mpi versus native MPI.
#
# Builds benchmarks/src/*.c twice (mpicc.mpich -> build/mpich/, the MPICH-ABI
# binaries that ckpt-mpi runs; mpicc.openmpi -> build/openmpi/, the native
# Open MPI baseline), then for each available MPI M in {openmpi, mpich} runs
# every benchmark natively and under `ckpt-mpi run -np 2 --mpi M`, interleaved
# over several rounds, and prints a table with the overhead ratios and goals.
# With --ompi-face it also runs the Open MPI builds under `ckpt-mpi run --mpi M`
# (the Open MPI face, libmpi.so.40) against native mpirun.openmpi.
#
# See benchmarks/README.md for details.  Usage: run-overhead.sh --help
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$HERE/src"
BUILD="$HERE/build"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
CFLAGS="${CFLAGS:--O2}"
NP=2
PROGS=(pingpong nbpingpong allreduce stencil)

usage() {
    cat <<EOF
usage: $(basename "$0") [options]

Runs the benchmarks natively and under ckpt-mpi (interleaved) and prints
native vs ckpt-mpi figures, ratios and goals.

options:
  --native-only      run only the native columns (also automatic when
                     \$CKPT_MPI does not exist)
  --ompi-face        also run the Open MPI builds (build/openmpi/<prog>) under
                     ckpt-mpi (the Open MPI face), rows "ompi@M" against
                     native Open MPI
  --mpi M            only this MPI (openmpi or mpich); repeatable
  --rounds N         interleaved rounds per benchmark (default 3)
  --stat best|median how to combine rounds (default best: min time/latency,
                     max bandwidth)
  --quick            same as BENCH_QUICK=1 (~10x fewer iterations; smoke test)
  --no-bind          do not pin ranks to cores in native runs
  --only PROG        only this benchmark (pingpong, nbpingpong, allreduce, stencil);
                     repeatable
  --markdown         also print the table as Markdown
  --strict           exit 3 if a goal is missed
  -h, --help         this help

environment:
  CKPT_MPI           ckpt-mpi binary (default: benchmarks/../.build/release/ckpt-mpi)
  CKPT_MPI_RUN_ARGS  extra arguments for 'ckpt-mpi run' (before --)
  CFLAGS             compiler flags for both builds (default -O2)
  BENCH_QUICK=1      ~10x fewer iterations in every benchmark
  BENCH_TIMEOUT      per-run timeout in seconds (default 600)
  RESULTS_DIR        where logs go (default benchmarks/results/<timestamp>)

exit status: 0 ok; 1 a run failed or a correctness check mismatched;
             2 usage/build error; 3 (--strict only) a goal was missed.
EOF
}

# ---------------------------------------------------------------- options --
NATIVE_ONLY=0
OMPI_FACE=0
ROUNDS=3
STAT=best
BIND=1
MARKDOWN=0
STRICT=0
WANT_MPIS=()
WANT_PROGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --native-only) NATIVE_ONLY=1 ;;
        --ompi-face) OMPI_FACE=1 ;;
        --mpi) shift; WANT_MPIS+=("${1:?--mpi needs an argument}") ;;
        --mpi=*) WANT_MPIS+=("${1#*=}") ;;
        --rounds) shift; ROUNDS="${1:?--rounds needs an argument}" ;;
        --rounds=*) ROUNDS="${1#*=}" ;;
        --stat) shift; STAT="${1:?--stat needs an argument}" ;;
        --stat=*) STAT="${1#*=}" ;;
        --quick) export BENCH_QUICK=1 ;;
        --no-bind) BIND=0 ;;
        --only) shift; WANT_PROGS+=("${1:?--only needs an argument}") ;;
        --only=*) WANT_PROGS+=("${1#*=}") ;;
        --markdown) MARKDOWN=1 ;;
        --strict) STRICT=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run-overhead: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$ROUNDS" in ''|*[!0-9]*|0) echo "run-overhead: --rounds needs a positive integer" >&2; exit 2 ;; esac
case "$STAT" in best|median) ;; *) echo "run-overhead: --stat must be best or median" >&2; exit 2 ;; esac
for m in "${WANT_MPIS[@]+"${WANT_MPIS[@]}"}"; do
    case "$m" in openmpi|mpich) ;; *) echo "run-overhead: unknown MPI '$m'" >&2; exit 2 ;; esac
done
if [ ${#WANT_PROGS[@]} -gt 0 ]; then
    for p in "${WANT_PROGS[@]}"; do
        case " ${PROGS[*]} " in *" $p "*) ;; *) echo "run-overhead: unknown benchmark '$p'" >&2; exit 2 ;; esac
    done
    PROGS=("${WANT_PROGS[@]}")
fi
TIMEOUT="${BENCH_TIMEOUT:-600}"

have() { command -v "$1" >/dev/null 2>&1; }
log() { echo "run-overhead: $*" >&2; }

# Open MPI refuses to run as root without these; ckpt-mpi inherits them too.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
NCPU="$(nproc 2>/dev/null || echo 1)"

# ------------------------------------------------------------ which MPIs --
MPIS=()
for m in openmpi mpich; do
    if [ ${#WANT_MPIS[@]} -gt 0 ] && [[ " ${WANT_MPIS[*]} " != *" $m "* ]]; then
        continue
    fi
    case $m in
        openmpi) need=(mpicc.openmpi mpirun.openmpi) ;;
        mpich)   need=(mpicc.mpich mpiexec.mpich) ;;
    esac
    missing=""
    for t in "${need[@]}"; do have "$t" || missing="$missing $t"; done
    if [ -n "$missing" ]; then
        log "skipping $m (missing:$missing)"
    else
        MPIS+=("$m")
    fi
done
if [ ${#MPIS[@]} -eq 0 ]; then
    log "no usable MPI found"; exit 2
fi

if [ "$NATIVE_ONLY" = 0 ]; then
    if [ ! -x "$CKPT_MPI" ]; then
        log "ckpt-mpi not found at '$CKPT_MPI' (set CKPT_MPI=...); running native only"
        NATIVE_ONLY=1
    elif ! have mpicc.mpich; then
        log "mpicc.mpich missing: cannot build the MPICH-ABI binaries ckpt-mpi runs; native only"
        NATIVE_ONLY=1
    fi
fi

# The Open MPI face's rows compare with native Open MPI, on the Open MPI builds.
if [ "$OMPI_FACE" = 1 ]; then
    if [ "$NATIVE_ONLY" = 1 ]; then
        OMPI_FACE=0
    elif [[ " ${MPIS[*]} " != *" openmpi "* ]]; then
        log "--ompi-face needs Open MPI (its native runs are the baseline); skipping the Open MPI face"
        OMPI_FACE=0
    elif [ ! -e "$(dirname "$CKPT_MPI")/libmpi-ompi.so" ]; then
        log "no libmpi-ompi.so beside $CKPT_MPI (the Open MPI face); skipping it"
        OMPI_FACE=0
    fi
fi

# ------------------------------------------------------------------ build --
build_one() {  # build_one <cc> <outdir>
    local cc="$1" out="$2" p
    mkdir -p "$out" || return 1
    for p in "${PROGS[@]}"; do
        if ! "$cc" $CFLAGS -Wall -o "$out/$p" "$SRC/$p.c"; then
            log "build of $p with $cc failed"; return 1
        fi
    done
}
# The MPICH-ABI build is needed for native mpich and for every ckpt-mpi run.
if have mpicc.mpich && { [[ " ${MPIS[*]} " == *" mpich "* ]] || [ "$NATIVE_ONLY" = 0 ]; }; then
    build_one mpicc.mpich "$BUILD/mpich" || exit 2
fi
if [[ " ${MPIS[*]} " == *" openmpi "* ]]; then
    build_one mpicc.openmpi "$BUILD/openmpi" || exit 2
fi

# ---------------------------------------------------------------- running --
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS_DIR="${RESULTS_DIR:-$HERE/results/$STAMP}"
mkdir -p "$RESULTS_DIR" || exit 2
DATA="$RESULTS_DIR/data.tsv"       # mpi variant round kind name value unit
: > "$DATA"
FAILED=0

native_cmd() {  # native_cmd <mpi> <prog>  -> sets CMD array
    local m="$1" p="$2"
    case $m in
        openmpi)
            CMD=(mpirun.openmpi -np "$NP")
            if [ "$NCPU" -lt "$NP" ]; then
                CMD+=(--oversubscribe --bind-to none)
            elif [ "$BIND" = 1 ]; then
                CMD+=(--bind-to core)
            else
                CMD+=(--bind-to none)
            fi
            CMD+=("$BUILD/openmpi/$p") ;;
        mpich)
            CMD=(mpiexec.mpich -n "$NP")
            if [ "$BIND" = 1 ] && [ "$NCPU" -ge "$NP" ]; then
                CMD+=(-bind-to core)
            fi
            CMD+=("$BUILD/mpich/$p") ;;
    esac
}

ckpt_cmd() {  # ckpt_cmd <mpi> <prog> <build>: build mpich (the MPICH face) or openmpi (the Open MPI face)
    local m="$1" p="$2" b="$3"
    # shellcheck disable=SC2206
    local extra=(${CKPT_MPI_RUN_ARGS:-})
    CMD=("$CKPT_MPI" run -np "$NP" --mpi "$m" "${extra[@]+"${extra[@]}"}" -- "$BUILD/$b/$p")
}

run_one() {  # run_one <mpi> <variant> <prog> <round>
    local m="$1" v="$2" p="$3" r="$4" out rc
    out="$RESULTS_DIR/$p.$m.$v.r$r.log"
    case "$v" in
        native) native_cmd "$m" "$p" ;;
        ckpt) ckpt_cmd "$m" "$p" mpich ;;
        ompi) ckpt_cmd "$m" "$p" openmpi ;;
    esac
    printf '  round %d  %-8s %-7s %-9s ... ' "$r" "$m" "$v" "$p" >&2
    {
        echo "# cmd: ${CMD[*]}"
        echo "# BENCH_QUICK=${BENCH_QUICK:-}"
    } > "$out"
    timeout "$TIMEOUT" "${CMD[@]}" >> "$out" 2>&1 < /dev/null
    rc=$?
    if [ $rc -ne 0 ] || ! grep -q '^RESULT ' "$out"; then
        echo "FAILED (exit $rc$([ $rc = 124 ] && echo ", timeout ${TIMEOUT}s"), log $out)" >&2
        tail -n 3 "$out" | sed 's/^/      | /' >&2
        echo "$m	$v	$r	FAIL	$p	nan	-" >> "$DATA"
        FAILED=1
        return 1
    fi
    awk -v m="$m" -v v="$v" -v r="$r" '
        /^(RESULT|CHECK) / {
            name = ""; value = ""; unit = "-"
            for (i = 2; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "name") name = kv[2]
                else if (kv[1] == "value") value = kv[2]
                else if (kv[1] == "unit") unit = kv[2]
            }
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m, v, r, $1, name, value, unit
        }' "$out" >> "$DATA"
    grep '^RESULT ' "$out" | sed 's/^RESULT name=//; s/ value=/=/; s/ unit=/ /' | tr '\n' ' ' >&2
    echo >&2
}

VARIANTS=(native)
[ "$NATIVE_ONLY" = 0 ] && VARIANTS=(native ckpt)
[ "$OMPI_FACE" = 1 ] && VARIANTS+=(ompi)

{
    echo "ckpt-mpi runtime overhead benchmarks"
    echo "  date      : $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "  host      : $(uname -srm), $NCPU CPUs ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'))"
    echo "  MPIs      : ${MPIS[*]}"
    echo "  ckpt-mpi  : $([ "$NATIVE_ONLY" = 1 ] && echo "not run (native only)" || echo "$CKPT_MPI")$([ "$OMPI_FACE" = 1 ] && echo ", and the Open MPI face (rows ompi@M)")"
    echo "  rounds    : $ROUNDS (stat: $STAT), ranks: $NP, binding: $([ "$BIND" = 1 ] && echo core || echo none), CFLAGS: $CFLAGS, quick: ${BENCH_QUICK:-0}"
    echo "  load avg  : $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
    echo "  logs      : $RESULTS_DIR"
} | tee "$RESULTS_DIR/header.txt" >&2

# Other work on a 2-core box wrecks these numbers; say so up front.
cpu_busy_pct() {  # % of all CPUs busy over the next second (from /proc/stat)
    local a b
    a="$(head -n1 /proc/stat 2>/dev/null)"; sleep 1; b="$(head -n1 /proc/stat 2>/dev/null)"
    awk -v a="$a" -v b="$b" 'BEGIN {
        na = split(a, x, " "); split(b, y, " "); tot = 0
        for (i = 2; i <= na; i++) tot += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%d", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}
BUSY="$(cpu_busy_pct)"
echo "  CPU busy  : ${BUSY}% just before starting" | tee -a "$RESULTS_DIR/header.txt" >&2
if [ "${BUSY:-0}" -gt 15 ]; then
    log "WARNING: CPUs were ${BUSY}% busy before starting: other processes are running, figures will be noisy"
fi

for ((r = 1; r <= ROUNDS; r++)); do
    for p in "${PROGS[@]}"; do
        for m in "${MPIS[@]}"; do
            # alternate which variant goes first, so neither is always "cold"
            if (( r % 2 == 1 )); then order=("${VARIANTS[@]}")
            else order=(); for ((i = ${#VARIANTS[@]} - 1; i >= 0; i--)); do order+=("${VARIANTS[i]}"); done
            fi
            for v in "${order[@]}"; do
                run_one "$m" "$v" "$p" "$r"
            done
        done
    done
done

# ------------------------------------------------------------------ table --
SUMMARY="$RESULTS_DIR/summary.txt"
awk -F'\t' -v stat="$STAT" -v native_only="$NATIVE_ONLY" -v ompi_face="$OMPI_FACE" -v markdown="$MARKDOWN" \
    -v mpis="${MPIS[*]}" -v summary="$SUMMARY" '
function fmt(x, u) {
    if (x == "") return "-"
    if (u == "MBps") return sprintf("%.1f", x)
    if (u == "us") return sprintf("%.3f", x)
    return sprintf("%.3f", x)
}
function agg(key, u,    n, i, j, t, a, best) {
    n = cnt[key]
    if (n == 0) return ""
    for (i = 1; i <= n; i++) a[i] = val[key, i]
    if (stat == "best") {
        best = a[1]
        for (i = 2; i <= n; i++)
            if ((u == "MBps" && a[i] > best) || (u != "MBps" && a[i] < best)) best = a[i]
        return best
    }
    for (i = 2; i <= n; i++) {           # insertion sort for the median
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function spread(key,    n, i, lo, hi) {   # worst/best - 1 over the rounds, in %
    n = cnt[key]
    if (n < 2) return -1
    lo = hi = val[key, 1]
    for (i = 2; i <= n; i++) { if (val[key, i] < lo) lo = val[key, i]; if (val[key, i] > hi) hi = val[key, i] }
    return lo > 0 ? 100 * (hi / lo - 1) : -1
}
$4 == "FAIL" { fails[$1, $2, $5]++; next }
$4 == "CHECK" {
    # every run of the same check must agree (stencil checksum, allreduce_ok)
    nchk[$5]++
    if (!($5 in ref)) { ref[$5] = $6; refwho[$5] = $1 "/" $2 " round " $3 }
    else if ($6 != ref[$5]) {
        bad[++nbad] = sprintf("%s: %s/%s round %s gave %s, %s gave %s", $5, $1, $2, $3, $6, refwho[$5], ref[$5])
    }
    if ($5 == "allreduce_ok" && $6 != 1)
        bad[++nbad] = sprintf("allreduce_ok: %s/%s round %s reported a wrong sum", $1, $2, $3)
    next
}
$4 == "RESULT" {
    if (!($5 in unit)) { unit[$5] = $7; order[++nmetric] = $5 }
    key = $5 SUBSEP $1 SUBSEP $2
    val[key, ++cnt[key]] = $6
}
END {
    nm = split(mpis, mlist, " ")
    hdr = sprintf("%-24s %-12s %12s %12s %8s %8s  %-7s %s", "metric", "MPI", "native", "ckpt-mpi", "ratio", "goal", "status", "spread")
    out[++nout] = hdr
    out[++nout] = sprintf("%s", gensep(length(hdr)))
    md[++nmd] = "| metric | MPI | native | ckpt-mpi | ratio | goal | status | spread |"
    md[++nmd] = "|---|---|---:|---:|---:|---:|---|---:|"
    missed = 0
    for (k = 1; k <= nmetric; k++) {
        name = order[k]; u = unit[name]
        for (mi = 1; mi <= nm; mi++) {
            m = mlist[mi]
            row(name, u, m, name SUBSEP m SUBSEP "native", name SUBSEP m SUBSEP "ckpt")
        }
        # The Open MPI face: Open MPI builds under ckpt-mpi on M, against native Open MPI.
        for (mi = 1; ompi_face && mi <= nm; mi++) {
            m = mlist[mi]
            row(name, u, "ompi@" m, name SUBSEP "openmpi" SUBSEP "native", name SUBSEP m SUBSEP "ompi")
        }
    }
    out[++nout] = ""
    out[++nout] = "ratio: latency = ckpt-mpi/native (lower is better); bandwidth and stencil ="
    out[++nout] = "       ckpt-mpi performance / native performance (higher is better)."
    out[++nout] = "stat: " stat " of the rounds (best = min latency/time, max bandwidth)."
    out[++nout] = "spread: worst/best - 1 over the rounds (larger of native, ckpt-mpi)."
    if (noisy)
        out[++nout] = "NOTE: some spreads exceed 10%: the machine was noisy; consider re-running with more --rounds."
    for (f in fails) { split(f, fp, SUBSEP); out[++nout] = sprintf("FAILED runs: %s %s %s x%d", fp[3], fp[1], fp[2], fails[f]) }
    for (i = 1; i <= nbad; i++) out[++nout] = "CHECK MISMATCH: " bad[i]
    for (c in ref) out[++nout] = sprintf("check %s = %s (%d runs%s)", c, ref[c], nchk[c], nbad ? "; see CHECK MISMATCH above" : ", all agree")
    for (i = 1; i <= nout; i++) { print out[i]; print out[i] > summary }
    if (markdown) {
        print ""; print "" > summary
        for (i = 1; i <= nmd; i++) { print md[i]; print md[i] > summary }
    }
    exit (nbad ? 10 : 0) + (missed ? 1 : 0)
}
function gensep(n,    s) { s = ""; while (n-- > 0) s = s "-"; return s }
function row(name, u, mlab, nkey, ckey,    nat, ck, goal, lim, hi, ratio, status, ok, lab, sn, sc, sp, spr) {
    nat = agg(nkey, u)
    ck  = agg(ckey, u)
    if (nat == "" && ck == "") return
    # ratio: latency = ckpt/native (lower is better);
    #        bandwidth = ckpt/native, time = native/ckpt (higher is better)
    if (u == "us")        { goal = "<= 1.25"; lim = 1.25; hi = 0 }
    else                  { goal = ">= 0.99"; lim = 0.99; hi = 1 }
    ratio = ""; status = "-"
    if (nat != "" && ck != "" && nat > 0 && ck > 0) {
        ratio = (u == "s") ? nat / ck : ck / nat
        ok = hi ? (ratio >= lim) : (ratio <= lim)
        status = ok ? "ok" : "MISS"
        if (!ok) missed = 1
    } else if (native_only == 0) {
        status = "FAILED"
    }
    lab = name " [" u "]"
    sn = spread(nkey); sc = spread(ckey)
    sp = (sn > sc) ? sn : sc
    spr = (sp < 0) ? "-" : sprintf("%.0f%%", sp)
    if (sp > 10) noisy = 1
    out[++nout] = sprintf("%-24s %-12s %12s %12s %8s %8s  %-7s %s", lab, mlab, fmt(nat, u), fmt(ck, u),
                          ratio == "" ? "-" : sprintf("%.3f", ratio), goal, status, spr)
    md[++nmd] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", lab, mlab, fmt(nat, u), fmt(ck, u),
                        ratio == "" ? "-" : sprintf("%.3f", ratio), goal, status, spr)
}
' "$DATA"
arc=$?

echo >&2
log "raw data: $DATA; summary: $SUMMARY"
if [ "$FAILED" = 1 ] || [ $arc -ge 10 ]; then
    exit 1
fi
if [ "$STRICT" = 1 ] && [ $((arc % 10)) -eq 1 ]; then
    exit 3
fi
exit 0
