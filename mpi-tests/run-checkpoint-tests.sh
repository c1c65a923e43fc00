#!/usr/bin/env bash
# Proof harness for consistent multi-rank checkpoints (DESIGN §4,
# docs/consistent-cut.md, docs/checkpoint-protocol.md).
#
# Every program in mpi-tests/ckpt-programs/ prints only at its very end, so a
# job that is checkpointed at random moments, killed and restarted (possibly
# on the other MPI, or on TCP instead of shared memory) must print exactly what
# an uninterrupted native run prints.
#
# Usage: mpi-tests/run-checkpoint-tests.sh [SECTION...]
#   cases      (default) checkpoint/kill/restart cases: the CI subset, or the
#              full matrix with CKPT_TEST_FULL=1
#   faults     (default) a rank killed during a checkpoint, restart with another
#              -np, images of two generations mixed in one generation directory
#   baseline   native reference run twice (must be identical), then an
#              uninterrupted `ckpt-mpi run` (no checkpoint) under --mpi openmpi
#              and --mpi mpich must print the reference
#   list       print the cases that `cases` would run, and exit
#   all        baseline cases faults
#
# One line per case: PASS|FAIL <program> np=<N> <scenario> <kill> seed=<S>
# ckpts=<checkpoints taken> restarts=<R> <seconds>s [reason]. On a failure the
# case's log directory is kept (its path and the output diff are printed).
# Exit status: 0 when everything passed, 1 otherwise.
#
# Case (scenario A->B, kill variant K):
#   1. reference: `mpiexec.mpich -n N prog`, run twice (must agree), cached
#      per program binary and N with its runtime (the shorter of the two);
#      also cached: the runtime of an uninterrupted `ckpt-mpi run` on A and on
#      B (per ckpt-mpi build). T = the shorter of native and ckpt-mpi on A.
#   2. `ckpt-mpi run -np N --mpi A --ckpt-dir D -- prog` in the background, in
#      its own session; once all ranks are connected, at seeded random moments
#      inside the run (fractions of T, counted from the launch, none before
#      0.3 s) `ckpt-mpi checkpoint` twice, then
#        K=ckill:   `ckpt-mpi checkpoint --kill` (ckpt-mpi must exit 75 with its
#                   "job stopped after checkpoint" note and no launcher banner),
#        K=sigkill: `ckpt-mpi checkpoint`, then SIGKILL of every process of the
#                   job (ckpt-mpi, launcher, proxies, ranks);
#      the kill falls in the first 3/4 of the run (the first half with ckill on
#      Open MPI, whose jobs run on for about a second after the checkpoint);
#   3. `ckpt-mpi restart D --mpi B [-- launcher options]`: it must say it
#      restarts from the newest generation; in about half of the cases (by
#      seed, if enough of the run is left) the restarted job is checkpointed
#      and killed once more, at a moment counted from when all its ranks are
#      back, and restarted again on B;
#   4. the last run's stdout must equal the reference, and the killed runs must
#      have printed nothing of it (else the kill came too late: a timing
#      failure, which also counts as FAIL; a launcher's banner is not output).
#   Scenarios: ompi-ompi, mpich-mpich, ompi-mpich, mpich-ompi, shm-tcp (run on
#   Open MPI's default shared memory, restart on Open MPI with
#   `-- --mca btl tcp,self`; the restart must note "transport btl=tcp,self").
#   Every case has a time limit (CKPT_TEST_CASE_TIMEOUT, 120 s); at the limit
#   every process of the job is SIGKILLed and the case FAILs. A failed case
#   prints its log directory, the output diff, the command that repeats it,
#   and whether the same job passes without checkpoints.
#   The CI subset is one case per program; scenario, N and kill variant rotate
#   (offset by the seed) so that each appears at least once.
#
# Faults (seeded too):
#   - a rank SIGKILLed during a checkpoint: "stopped" (SIGSTOP, checkpoint
#     request, SIGKILL 0.3 s later: the checkpoint must fail and leave no
#     manifest) and "racy" (SIGKILL 0-60 ms after the request); either way the
#     job dies and `restart` of the newest complete generation must print the
#     reference;
#   - `restart -np N+1` of an N-rank checkpoint: non-zero exit, one line on
#     stderr, nothing started;
#   - generation 2 with one rank's image copied from generation 1: `restart
#     --gen 2` must be refused (non-zero exit, one error line naming the
#     generation, no program output); a plain restart would fall back to
#     generation 1 with a note (tests/cli/trust.sh covers that).
#
# Environment:
#   CKPT_MPI                ckpt-mpi binary (default: .build/release/ckpt-mpi,
#                           else .build-harness/release/ckpt-mpi)
#   CKPT_TEST_SEED          base seed (default: random, printed); with the same
#                           seed and filters every case repeats its moments
#   CKPT_TEST_FULL=1        every program x N in 2 3 4 x every scenario x both
#                           kill variants (450 cases, about 50 minutes)
#   CKPT_TEST_FILTER        bash regex on program names (e.g. '^cp_ssend$')
#   CKPT_TEST_NP            rank counts to use (default "2 3 4")
#   CKPT_TEST_SCENARIOS     scenarios to use (default all five)
#   CKPT_TEST_KILLS         kill variants to use (default "ckill sigkill")
#   CKPT_TEST_ROUNDS        1 or 2 kill/restart rounds (default: by seed)
#   CKPT_TEST_CASE_TIMEOUT  seconds per case (default 120)
#   CKPT_TEST_SCRATCH       binaries, reference cache, logs
#                           (default mpi-tests/build/ckpt, git-ignored)
#   CKPT_TEST_KEEP=1        keep the logs of passing cases too
#   CKPT_TEST_KEEP_IMAGES=1 keep checkpoint images in kept logs (default: the
#                           *.img files are deleted, manifests are kept)
#   CKPT_TEST_TMP           where checkpoint directories live during a case
#                           (default $TMPDIR or /tmp: the coordinator's socket
#                           path must stay under 108 bytes)
set -u -o pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PROGDIR="$HERE/ckpt-programs"
SCRATCH="${CKPT_TEST_SCRATCH:-$HERE/build/ckpt}"
BIN="$SCRATCH/bin"
REFDIR="$SCRATCH/ref"
if [ -z "${CKPT_MPI:-}" ]; then
    for c in "$ROOT/.build/release/ckpt-mpi" "$ROOT/.build-harness/release/ckpt-mpi"; do
        if [ -x "$c" ]; then CKPT_MPI="$c"; break; fi
    done
fi
CKPT_MPI="${CKPT_MPI:-$ROOT/.build/release/ckpt-mpi}"
FULL="${CKPT_TEST_FULL:-0}"
FILTER="${CKPT_TEST_FILTER:-}"
NPS="${CKPT_TEST_NP:-2 3 4}"
SCENARIOS="${CKPT_TEST_SCENARIOS:-ompi-ompi mpich-mpich ompi-mpich mpich-ompi shm-tcp}"
KILLS="${CKPT_TEST_KILLS:-ckill sigkill}"
ROUNDS_FORCED="${CKPT_TEST_ROUNDS:-}"
CASE_TMO="${CKPT_TEST_CASE_TIMEOUT:-120}"
KEEP="${CKPT_TEST_KEEP:-0}"
KEEP_IMAGES="${CKPT_TEST_KEEP_IMAGES:-0}"
if [ -n "${CKPT_TEST_SEED:-}" ]; then SEED="$CKPT_TEST_SEED"; else SEED=$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 )); fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1   # native Open MPI runs only; ckpt-mpi adds --oversubscribe itself

SECTIONS="$*"
[ -n "$SECTIONS" ] || SECTIONS="cases faults"
[ "$SECTIONS" = all ] && SECTIONS="baseline cases faults"
for s in $SECTIONS; do
    case "$s" in baseline|cases|faults|list) ;; *) echo "unknown section '$s' (baseline, cases, faults, list, all)" >&2; exit 2 ;; esac
done

RUNID="$(date +%Y%m%d-%H%M%S)-$$"
LOGROOT="$SCRATCH/logs/$RUNID"
mkdir -p "$BIN" "$REFDIR" "$LOGROOT"
pass=0 fail=0
FAILED_LOGS=()

now_ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# ---- seeded random numbers (xorshift64; state in RNG_S, value in RNG_V) ------
rng_seed() {
    RNG_S=$(( ($1 * 2654435761 + 1013904223) ^ 0x2545F4914F6CDD1D ))
    [ "$RNG_S" -eq 0 ] && RNG_S=1
    rng_next; rng_next; rng_next
}
rng_next() {
    local x=$RNG_S
    x=$(( x ^ (x << 13) ))
    x=$(( x ^ ((x >> 7) & 0x01FFFFFFFFFFFFFF) ))
    x=$(( x ^ (x << 17) ))
    RNG_S=$x
    RNG_V=$(( (x >> 33) & 0x7FFFFFFF ))
}
# rand_in LO HI -> RNG_V in [LO, HI] (integers)
rand_in() {
    rng_next
    if [ "$2" -le "$1" ]; then RNG_V=$1; else RNG_V=$(( $1 + RNG_V % ($2 - $1 + 1) )); fi
}
case_seed() { printf '%s' "$*" | cksum | awk '{ print $1 % 1000000000 }'; }

# ---- processes ------------------------------------------------------------------
alive() {   # running and not a zombie
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}
# job_pids ROOTPID DIR: every process of a job: the descendants of ROOTPID (a
# launch wrapper, itself excluded) and
# every process whose environment names DIR's coordinator socket (ranks and
# proxies of a job whose ckpt-mpi is already gone). Prints pids.
job_pids() {
    local root="$1" d="$2"
    {
        if [ -n "$root" ]; then
            ps -eo pid=,ppid= | awk -v r="$root" '
                { kids[$2] = kids[$2] " " $1 }
                END { q[1] = r; n = 1; i = 1
                      while (i <= n) { p = q[i++]; print p; m = split(kids[p], k, " ")
                                       for (j = 1; j <= m; j++) q[++n] = k[j] } }'
        fi
        grep -lzxF "CKPT_MPI_COORD=$d/coordinator.sock" /proc/[0-9]*/environ 2>/dev/null |
            sed -n 's#^/proc/\([0-9]*\)/environ$#\1#p'
    } | sort -un | while read -r p; do [ "$p" != "$root" ] && [ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && alive "$p" && echo "$p"; done
}
# kill_job ROOTPID DIR: SIGKILL every process of the job; prints how many.
kill_job() {
    local pids n=0 tries=0
    while :; do
        pids=$(job_pids "$1" "$2")
        [ -z "$pids" ] && break
        n=$(( n + $(echo "$pids" | wc -l) ))
        kill -9 $pids 2>/dev/null
        tries=$(( tries + 1 ))
        [ $tries -ge 50 ] && break
        sleep 0.1
    done
    echo "$n"
}
# wait_job PID DEADLINE_MS: wait for a background child; WAIT_RC = its status,
# or returns 1 (WAIT_RC=timeout) at the deadline.
wait_job() {
    while alive "$1"; do
        if [ "$(now_ms)" -ge "$2" ]; then WAIT_RC=timeout; return 1; fi
        sleep 0.05
    done
    wait "$1" 2>/dev/null
    WAIT_RC=$?
    return 0
}
# sleep_until MS_SINCE_START START_MS PID: sleep until the moment; returns 1 if
# PID exited before it.
sleep_until() {
    local target=$(( $2 + $1 ))
    while [ "$(now_ms)" -lt "$target" ]; do
        alive "$3" || return 1
        sleep 0.02
    done
    alive "$3"
}

# launch LOGDIR OUT ERR COMMAND...: start COMMAND in the background in its own
# session, under a wrapper subshell (LPID) that is never killed itself, so the
# shell prints no "Killed" notes; the wrapper exits with COMMAND's status.
launch() {
    local L="$1" out="$2" err="$3"
    shift 3
    ( cd "$L" || exit 1; setsid "$@" </dev/null >"$out" 2>"$err"; exit $? ) 2>/dev/null &
    LPID=$!
}

# Checkpoint directories live under a short path (a Unix socket path holds at
# most 107 bytes) and are moved into the case's log directory at its end.
CKTMP="${CKPT_TEST_TMP:-${TMPDIR:-/tmp}}"
CKDIRS=()
new_ckdir() {   # LOGDIR -> NEWD
    NEWD="$(mktemp -d "$CKTMP/ckt.XXXXXX")"
    CKDIRS+=("$NEWD")
    ln -sfn "$NEWD" "$1/ck"
}
stash_ckdir() {   # D LOGDIR: move D to LOGDIR/ck
    [ -d "$1" ] || return 0
    rm -f "$2/ck" "$1/coordinator.sock"
    mv "$1" "$2/ck" 2>/dev/null || { cp -a "$1" "$2/ck"; rm -rf "$1"; }
}

# wait_connected DIR NP PID DEADLINE_MS: until all NP ranks of the job on DIR
# are connected to its coordinator (a restarted rank connects once restored).
# Returns 1 if PID exited first, 2 at the deadline.
wait_connected() {
    local c
    while :; do
        alive "$3" || return 1
        c=$("$CKPT_MPI" status --ckpt-dir "$1" 2>/dev/null | grep -oE '[0-9]+ of [0-9]+ ranks connected' | cut -d' ' -f1)
        [ "${c:-0}" -ge "$2" ] && return 0
        [ "$(now_ms)" -ge "$4" ] && return 2
        sleep 0.05
    done
}

# Everything still running at exit (Ctrl-C, a bug here) is killed.
CUR_PID="" CUR_DIR=""
cleanup() {
    if [ -n "$CUR_DIR" ]; then kill_job "$CUR_PID" "$CUR_DIR" >/dev/null; fi
    local d
    for d in "${CKDIRS[@]}"; do [ -d "$d" ] && rm -rf "$d"; done
    rmdir "$LOGROOT" "$SCRATCH/logs" 2>/dev/null
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# ---- build --------------------------------------------------------------------
CFLAGS="-O2 -std=gnu99 -Wall -Wno-stringop-overflow -pthread"
PROGS=()
build_programs() {
    local src name lib="$BIN/cplib.o"
    if [ ! -e "$lib" ] || [ "$PROGDIR/lib/cplib.c" -nt "$lib" ] || [ "$PROGDIR/lib/cplib.h" -nt "$lib" ]; then
        mpicc.mpich $CFLAGS -c "$PROGDIR/lib/cplib.c" -o "$lib" || { echo "FAIL build lib/cplib.c"; exit 1; }
    fi
    for src in "$PROGDIR"/*.c; do
        name="$(basename "$src" .c)"
        if [ -n "$FILTER" ] && ! [[ "$name" =~ $FILTER ]]; then continue; fi
        if [ ! -x "$BIN/$name" ] || [ "$src" -nt "$BIN/$name" ] || [ "$lib" -nt "$BIN/$name" ]; then
            if ! mpicc.mpich $CFLAGS -I"$PROGDIR/lib" "$src" "$lib" -o "$BIN/$name" 2>"$LOGROOT/$name.build.log"; then
                echo "FAIL build $name"; sed 's/^/    /' "$LOGROOT/$name.build.log" | head -20
                fail=$((fail + 1)); continue
            fi
            rm -f "$LOGROOT/$name.build.log"
        fi
        PROGS+=("$name")
    done
}

# ---- references -----------------------------------------------------------------
# ensure_ref PROG NP -> REF_OUT (file), REF_MS (native runtime); returns 1 and
# sets REF_ERR when the native run fails or is not reproducible.
ensure_ref() {
    local prog="$1" np="$2" h base
    h=$(sha256sum "$BIN/$prog" | cut -c1-12)
    base="$REFDIR/$prog.np$np.$h"
    REF_OUT="$base.out" REF_ERR=""
    if [ -s "$base.out" ] && [ -s "$base.ms" ]; then REF_MS=$(cat "$base.ms"); return 0; fi
    local wd i t0 t1 ms=() rc
    wd="$(mktemp -d "$SCRATCH/ref-wd.XXXXXX")"
    for i in 1 2; do
        t0=$(now_ms)
        (cd "$wd" && timeout -k 5 "$CASE_TMO" mpiexec.mpich -n "$np" "$BIN/$prog") >"$base.run$i" 2>"$base.err$i" </dev/null
        rc=$?
        t1=$(now_ms)
        ms+=($(( t1 - t0 )))
        if [ $rc -ne 0 ]; then
            REF_ERR="native run $i of $prog np=$np failed (rc=$rc): $(grep -v '^$' "$base.err$i" | head -1)"
            rm -rf "$wd"; return 1
        fi
    done
    rm -rf "$wd"
    if ! cmp -s "$base.run1" "$base.run2"; then
        REF_ERR="native output of $prog np=$np differs between two runs (see $base.run1 $base.run2)"
        return 1
    fi
    if ! [ -s "$base.run1" ]; then REF_ERR="native run of $prog np=$np printed nothing"; return 1; fi
    mv "$base.run1" "$base.out"
    rm -f "$base.run2" "$base.err1" "$base.err2"
    REF_MS=$(( ms[0] < ms[1] ? ms[0] : ms[1] ))
    echo "$REF_MS" >"$base.ms"
    return 0
}

# ensure_speed PROG NP MPI -> RUN_MS: runtime of an uninterrupted
# `ckpt-mpi run` (no checkpoint) of PROG on MPI, cached per program binary and
# ckpt-mpi build (it can differ a lot from the native one: native MPICH
# busy-polls when oversubscribed). 0 when that run fails (the case will tell).
speed_file() {
    local h c
    h=$(sha256sum "$BIN/$1" | cut -c1-12)
    c=$(stat -c '%s.%Y' "$CKPT_MPI" 2>/dev/null)
    echo "$REFDIR/$1.np$2.$h.$3.$c.ms"
}
ensure_speed() {
    local prog="$1" np="$2" mpi="$3" f
    f=$(speed_file "$prog" "$np" "$mpi")
    if [ -s "$f" ]; then RUN_MS=$(cat "$f"); return 0; fi
    local wd t0 rc
    wd="$(mktemp -d "$SCRATCH/ref-wd.XXXXXX")"
    t0=$(now_ms)
    (cd "$wd" && timeout -k 5 "$CASE_TMO" "$CKPT_MPI" run -np "$np" --mpi "$mpi" -- "$BIN/$prog") >"$wd/out" 2>"$wd/err" </dev/null
    rc=$?
    RUN_MS=$(( $(now_ms) - t0 ))
    if [ $rc -ne 0 ] || ! cmp -s "$wd/out" "$REF_OUT"; then RUN_MS=0; else echo "$RUN_MS" >"$f"; fi
    rm -rf "$wd"
}

# ---- reporting ----------------------------------------------------------------
case_pass() {
    echo "PASS $1"
    pass=$((pass + 1))
    if [ "$KEEP" != 1 ]; then rm -rf "$2"; fi
}
case_fail() {   # LINE LOGDIR [DIFF_A DIFF_B]
    echo "FAIL $1"
    fail=$((fail + 1))
    FAILED_LOGS+=("$2")
    echo "    logs: $2"
    if [ $# -ge 4 ] && [ -f "$3" ] && [ -f "$4" ]; then
        diff -u --label reference --label got "$3" "$4" | head -30 | sed 's/^/    /'
    fi
    if [ "$KEEP_IMAGES" != 1 ]; then find "$2" -name '*.img' -delete 2>/dev/null; fi
}
# first_error FILE...: the first line that says what went wrong: a line that
# looks like an error in any FILE (stderr first, then stdout, where MPICH's
# launcher writes), else the first line that is not a note or a banner.
first_error() {
    local l f skip='^ckpt-mpi: note:|^[-=]+$|^=   |^ *$|^YOU CAN IGNORE|^Primary job|^a non-zero exit|^Per user-direction'
    for f in "$@"; do
        l=$(grep -v -E "$skip" "$f" 2>/dev/null | grep -m1 -i -E 'error|fatal|abort|fail|segmentation|signal|unsupported|not supported|refus|cannot|mismatch|invalid|exited on')
        [ -n "$l" ] && { echo "$l"; return; }
    done
    for f in "$@"; do
        l=$(grep -v -E "$skip" "$f" 2>/dev/null | head -1)
        [ -n "$l" ] && { echo "$l"; return; }
    done
    echo "(no message)"
}

# ---- baseline -----------------------------------------------------------------
run_baseline() {
    echo "== baseline: native reference twice, then uninterrupted ckpt-mpi run on both MPIs"
    local prog np m L t0 rc
    for prog in "${PROGS[@]}"; do
        for np in $NPS; do
            L="$LOGROOT/baseline.$prog.np$np"
            mkdir -p "$L"
            if ! ensure_ref "$prog" "$np"; then
                case_fail "baseline $prog np=$np reference: $REF_ERR" "$L"; continue
            fi
            echo "     reference $prog np=$np: $(secs 0 "$REF_MS")s natively, stable over two runs"
            for m in openmpi mpich; do
                t0=$(now_ms)
                (cd "$L" && timeout -k 5 "$CASE_TMO" "$CKPT_MPI" run -np "$np" --mpi "$m" -- "$BIN/$prog") \
                    >"$L/$m.out" 2>"$L/$m.err" </dev/null
                rc=$?
                local t1; t1=$(now_ms)
                local line="baseline $prog np=$np mpi=$m $(secs "$t0" "$t1")s"
                if [ $rc -eq 0 ] && cmp -s "$REF_OUT" "$L/$m.out"; then
                    echo "PASS $line"; pass=$((pass + 1))
                    echo $(( t1 - t0 )) >"$(speed_file "$prog" "$np" "$m")"
                else
                    local why="rc=$rc"
                    [ $rc -eq 124 ] && why="timeout"
                    case_fail "$line ($why: $(first_error "$L/$m.err" "$L/$m.out"))" "$L" "$REF_OUT" "$L/$m.out"
                fi
            done
            [ -d "$L" ] && [ "$KEEP" != 1 ] && [[ ! " ${FAILED_LOGS[*]-} " == *" $L "* ]] && rm -rf "$L"
        done
    done
}

# ---- cases --------------------------------------------------------------------
scen_run_mpi() { case "$1" in ompi-*|shm-*) echo openmpi ;; *) echo mpich ;; esac; }
scen_restart_mpi() { case "$1" in *-ompi|*-tcp) echo openmpi ;; *) echo mpich ;; esac; }
scen_label() {
    case "$1" in
        ompi-ompi) echo "openmpi->openmpi" ;; mpich-mpich) echo "mpich->mpich" ;;
        ompi-mpich) echo "openmpi->mpich" ;; mpich-ompi) echo "mpich->openmpi" ;;
        shm-tcp) echo "openmpi-shm->openmpi-tcp" ;; *) echo "$1" ;;
    esac
}

CASES=()
plan_cases() {
    local -a np_a sc_a k_a
    read -r -a np_a <<<"$NPS"
    read -r -a sc_a <<<"$SCENARIOS"
    read -r -a k_a <<<"$KILLS"
    local i=0 prog np sc k
    if [ "$FULL" = 1 ]; then
        for prog in "${PROGS[@]}"; do for np in "${np_a[@]}"; do for sc in "${sc_a[@]}"; do for k in "${k_a[@]}"; do
            CASES+=("$prog $np $sc $k")
        done; done; done; done
        return
    fi
    # CI subset: one case per program; scenario, N and kill variant rotate (the
    # rotation's offset comes from the seed), so every scenario, every N and
    # both variants appear as soon as there are at least 5 programs.
    local o1=$(( SEED % ${#sc_a[@]} )) o2=$(( (SEED / 7) % ${#np_a[@]} )) o3=$(( (SEED / 11) % ${#k_a[@]} ))
    for prog in "${PROGS[@]}"; do
        CASES+=("$prog ${np_a[$(( (i + o2) % ${#np_a[@]} ))]} ${sc_a[$(( (i + o1) % ${#sc_a[@]} ))]} ${k_a[$(( (i + o3) % ${#k_a[@]} ))]}")
        i=$((i + 1))
    done
}

# One case. Globals used for the summary: C_CKPTS, C_RESTARTS, C_WHY.
FLOOR_MS=300     # no checkpoint before this (and not before all ranks are connected)
ONRUN_MS=1800    # Open MPI: a job runs on ~1 s after 'checkpoint --kill' returns; keep this much of the run after it
STOP_MS=0 LAST_DONE_MS=0 MAX_CKPT_MS=0 KILL_LATEST_MS=""
run_case() {
    local prog="$1" np="$2" sc="$3" kill="$4"
    local cseed; cseed=$(case_seed "$SEED/$prog/$np/$sc/$kill")
    local A B; A=$(scen_run_mpi "$sc"); B=$(scen_restart_mpi "$sc")
    local -a ropts=()
    [ "$sc" = shm-tcp ] && ropts=(-- --mca btl tcp,self)
    local name="$prog np=$np $(scen_label "$sc") $kill seed=$cseed"
    local L="$LOGROOT/$prog.np$np.$sc.$kill"
    mkdir -p "$L"
    local NEWD D
    new_ckdir "$L"; D=$NEWD
    C_CKPTS=0 C_RESTARTS=0 C_WHY="" MAX_CKPT_MS=0
    if ! ensure_ref "$prog" "$np"; then
        stash_ckdir "$D" "$L"
        case_fail "$name ckpts=0 restarts=0 (reference: $REF_ERR)" "$L"; return
    fi
    # T: the shorter of the native runtime and an uninterrupted ckpt-mpi run on
    # A; the restarted job's remaining time is scaled by how fast it runs on B.
    ensure_speed "$prog" "$np" "$A"
    local T=$REF_MS runA=$RUN_MS runB=$RUN_MS
    [ "$runA" -gt 0 ] && [ "$runA" -lt "$T" ] && T=$runA
    if [ "$B" != "$A" ]; then ensure_speed "$prog" "$np" "$B"; runB=$RUN_MS; fi
    local tcase; tcase=$(now_ms)
    local DEADLINE=$(( tcase + CASE_TMO * 1000 ))
    rng_seed "$cseed"
    local rounds
    if [ -n "$ROUNDS_FORCED" ]; then rounds=$ROUNDS_FORCED; else rand_in 1 2; rounds=$RNG_V; fi
    # Moments (ms after the launch), in increasing order, inside the run,
    # as fractions of T in percent. Under Open MPI a job goes on running for
    # about a second after 'checkpoint --kill' returns, so with ckill on Open
    # MPI the kill comes earlier ("early"); else up to 3/4 of the run ("late").
    local prof=late p1 p2 p3 p4
    [ "$kill" = ckill ] && [ "$A" = openmpi ] && prof=early
    case "$prof.$rounds" in
        early.1) p1=8 p2=20 p3=32 p4=45 ;;
        early.2) p1=6 p2=14 p3=20 p4=28 ;;
        late.1) p1=10 p2=35 p3=55 p4=75 ;;
        *) p1=8 p2=22 p3=36 p4=50 ;;
    esac
    local c1 c2 ck
    rand_in $(( T * p1 / 100 )) $(( T * p2 / 100 )); c1=$RNG_V
    rand_in $(( T * p2 / 100 )) $(( T * p3 / 100 )); c2=$RNG_V
    rand_in $(( T * p3 / 100 )) $(( T * p4 / 100 )); ck=$RNG_V
    KILL_LATEST_MS=""
    [ $prof = early ] && KILL_LATEST_MS=$(( T - ONRUN_MS ))
    if [ $prof = early ] && [ $ck -gt $(( T - ONRUN_MS )) ]; then
        ck=$(( T - ONRUN_MS ))
        [ $c2 -gt $(( ck - 150 )) ] && c2=$(( (c1 + ck) / 2 ))
    fi
    [ $c1 -lt $FLOOR_MS ] && c1=$FLOOR_MS
    [ $c2 -lt $(( c1 + 150 )) ] && c2=$(( c1 + 150 ))
    [ $ck -lt $(( c2 + 150 )) ] && ck=$(( c2 + 150 ))
    rand_in 0 1000; local rseed=$RNG_V   # moments of round 2 come from this
    {
        echo "case: $name"
        echo "reference: $REF_OUT (native $REF_MS ms; uninterrupted ckpt-mpi run on $A: $runA ms, on $B: $runB ms; T = $T ms)"
        echo "run on $A, restart on $B ${ropts[*]-}; rounds=$rounds; moments profile $prof"
        echo "round 1 moments (ms after launch): checkpoint $c1, checkpoint $c2, $kill $ck"
    } >"$L/plan.txt"

    # -- round 1: ckpt-mpi run
    local t0 pid
    t0=$(now_ms)
    launch "$L" "$L/run.out" "$L/run.err" "$CKPT_MPI" run -np "$np" --mpi "$A" --ckpt-dir "$D" --checkpoint-timeout 30s -- "$BIN/$prog"
    pid=$LPID
    CUR_PID=$pid CUR_DIR=$D
    echo "$(date +%T.%3N) launched ckpt-mpi run (wrapper pid $pid)" >>"$L/events.log"
    # (a checkpoint needs every rank connected; the moments stay counted from the launch)
    wait_connected "$D" "$np" "$pid" "$DEADLINE" &&
        echo "$(date +%T.%3N) all $np ranks connected after $(( $(now_ms) - t0 )) ms" >>"$L/events.log"
    if round_kill "$L" "$D" "$pid" "$t0" "$kill" "run" "$c1" "$c2" "$ck"; then
        local r=1 out=""
        while :; do
            # -- restart r
            t0=$(now_ms)
            launch "$L" "$L/restart$r.out" "$L/restart$r.err" "$CKPT_MPI" restart "$D" --mpi "$B" --checkpoint-timeout 30s "${ropts[@]}"
            pid=$LPID
            CUR_PID=$pid
            C_RESTARTS=$r
            echo "$(date +%T.%3N) launched ckpt-mpi restart $r (wrapper pid $pid)" >>"$L/events.log"
            # what is left of the run after the last checkpoint, in time on B
            local rem=$(( T - LAST_DONE_MS )) m wc=0 mmax=0
            [ "$runA" -gt 0 ] && [ "$runB" -gt 0 ] && rem=$(( rem * runB / runA ))
            if [ $r -lt "$rounds" ]; then
                # a checkpoint can take long (the cut waits for started
                # collectives): count with the longest one seen so far
                mmax=$(( rem * 60 / 100 - MAX_CKPT_MS ))
                if [ "$kill" = ckill ] && [ "$B" = openmpi ]; then
                    mmax=$(( rem * 35 / 100 - MAX_CKPT_MS ))
                    [ $mmax -gt $(( rem - ONRUN_MS - MAX_CKPT_MS )) ] && mmax=$(( rem - ONRUN_MS - MAX_CKPT_MS ))
                fi
                if [ $mmax -lt 100 ]; then
                    echo "round $((r + 1)) skipped: too little of the run is left (about $rem ms; checkpoints took up to $MAX_CKPT_MS ms)" >>"$L/plan.txt"
                    rounds=$r
                fi
            fi
            if [ $r -lt "$rounds" ]; then
                # -- round r+1: checkpoint (and kill) the restarted job, at a
                # moment counted from when all its ranks are back (connected)
                rng_seed $(( cseed + rseed + r ))
                rand_in 100 $mmax; m=$RNG_V
                echo "round $((r + 1)) moment (ms after all restarted ranks connected): $kill $m" >>"$L/plan.txt"
                wait_connected "$D" "$np" "$pid" "$DEADLINE" || wc=$?
                if [ $wc -ne 0 ]; then
                    if [ $wc -eq 2 ]; then C_WHY="case timeout (${CASE_TMO} s): the ranks of restart $r never all connected"
                    else
                        wait "$pid" 2>/dev/null; local rrc=$?
                        C_WHY="restart $r exited rc=$rrc before its ranks were all connected: $(first_error "$L/restart$r.err" "$L/restart$r.out")"
                    fi
                    break
                fi
                echo "$(date +%T.%3N) restart $r: all $np ranks connected after $(( $(now_ms) - t0 )) ms" >>"$L/events.log"
                KILL_LATEST_MS=""
                if ! round_kill "$L" "$D" "$pid" "$(now_ms)" "$kill" "restart$r" "" "" "$m"; then break; fi
                r=$((r + 1))
                continue
            fi
            if ! wait_job "$pid" "$DEADLINE"; then
                C_WHY="case timeout (${CASE_TMO} s) while restart $r ran"
                break
            fi
            out="$L/restart$r.out"
            local g; g=$(printf 'gen-%06d' "$C_CKPTS")
            if [ "$WAIT_RC" -ne 0 ]; then
                C_WHY="restart $r failed (rc=$WAIT_RC): $(first_error "$L/restart$r.err" "$L/restart$r.out")"
            elif ! grep -q "restarting $g " "$L/restart$r.err"; then
                C_WHY="restart $r did not say it restarted from $g, the newest checkpoint"
            elif [ "$sc" = shm-tcp ] && ! grep -q 'transport btl=tcp,self' "$L/restart$r.err"; then
                C_WHY="restart $r did not note the TCP transport (launcher options not passed?)"
            elif ! cmp -s "$REF_OUT" "$out"; then
                C_WHY="restart $r output differs from the reference"
            fi
            break
        done
    fi
    local n; n=$(kill_job "$CUR_PID" "$D")
    [ "$n" -gt 0 ] && echo "$(date +%T.%3N) killed $n leftover processes" >>"$L/events.log"
    CUR_PID="" CUR_DIR=""
    "$CKPT_MPI" list "$D" >"$L/list.txt" 2>&1
    stash_ckdir "$D" "$L"
    local line="$name ckpts=$C_CKPTS restarts=$C_RESTARTS $(secs "$tcase" "$(now_ms)")s"
    if [ -z "$C_WHY" ]; then
        case_pass "$line" "$L"
    else
        case_fail "$line ($C_WHY)" "$L" "$REF_OUT" "${out:-/dev/null}"
        echo "    repeat: CKPT_TEST_SEED=$SEED CKPT_TEST_FULL=1 CKPT_TEST_FILTER='^$prog\$' CKPT_TEST_NP=$np CKPT_TEST_SCENARIOS=$sc CKPT_TEST_KILLS=$kill $0 cases"
        # Is it the checkpoint? The same job without one:
        (cd "$L" && timeout -k 5 "$CASE_TMO" "$CKPT_MPI" run -np "$np" --mpi "$A" -- "$BIN/$prog") \
            >"$L/uninterrupted.out" 2>"$L/uninterrupted.err" </dev/null
        local urc=$?
        if [ $urc -eq 0 ] && cmp -s "$REF_OUT" "$L/uninterrupted.out"; then
            echo "    the same job without checkpoints (ckpt-mpi run --mpi $A): output matches the reference"
        else
            echo "    the same job without checkpoints (ckpt-mpi run --mpi $A) FAILS too (rc=$urc): $(first_error "$L/uninterrupted.err" "$L/uninterrupted.out")"
        fi
    fi
}

# round_kill LOGDIR D PID T0 KILL TAG C1 C2 CK: checkpoints at C1 and C2 (may be
# empty), then the kill variant at CK (ms after T0). Returns 0 when the job was
# checkpointed and is gone; else sets C_WHY and returns 1.
round_kill() {
    local L="$1" D="$2" pid="$3" t0="$4" kill="$5" tag="$6"
    shift 6
    local -a moments=()
    local k=0 moment rc
    for moment in "$@"; do [ -n "$moment" ] && moments+=("$moment"); done
    for moment in "${moments[@]}"; do
        k=$((k + 1))
        local last=0
        [ $k -eq ${#moments[@]} ] && last=1
        # With ckill on Open MPI the job runs on ~1 s after the checkpoint:
        # bring the kill forward by the longest checkpoint seen so far.
        if [ $last = 1 ] && [ -n "$KILL_LATEST_MS" ] && [ $(( KILL_LATEST_MS - MAX_CKPT_MS )) -lt "$moment" ]; then
            moment=$(( KILL_LATEST_MS - MAX_CKPT_MS ))
            echo "$(date +%T.%3N) $tag: kill moment brought forward to $moment ms (checkpoints took up to $MAX_CKPT_MS ms)" >>"$L/events.log"
        fi
        if ! sleep_until "$moment" "$t0" "$pid"; then
            wait "$pid" 2>/dev/null
            rc=$?
            if [ $rc -ne 0 ]; then
                C_WHY="$tag: exited rc=$rc before checkpoint $k at ${moment} ms: $(first_error "$L/$tag.err" "$L/$tag.out")"
            else
                C_WHY="$tag: the job ended before checkpoint $k at ${moment} ms (harness timing: moments must fall inside the run)"
            fi
            return 1
        fi
        local flag=()
        [ $last = 1 ] && [ "$kill" = ckill ] && flag=(--kill)
        local rem=$(( (DEADLINE - $(now_ms)) / 1000 ))
        [ $rem -gt 60 ] && rem=60
        [ $rem -lt 1 ] && rem=1
        local tc; tc=$(now_ms)
        echo "$(date +%T.%3N) $tag: checkpoint${flag[*]:+ ${flag[*]}} at $(( tc - t0 )) ms" >>"$L/events.log"
        timeout -k 2 "$rem" "$CKPT_MPI" checkpoint --ckpt-dir "$D" "${flag[@]}" >"$L/$tag.ckpt$k.out" 2>&1
        rc=$?
        echo "$(date +%T.%3N) $tag: checkpoint $k rc=$rc after $(( $(now_ms) - tc )) ms: $(head -1 "$L/$tag.ckpt$k.out")" >>"$L/events.log"
        if [ $rc -ne 0 ]; then
            if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
                C_WHY="$tag: checkpoint $k at $(( tc - t0 )) ms did not answer (client timeout)"
            else
                C_WHY="$tag: checkpoint $k at $(( tc - t0 )) ms failed after $(( $(now_ms) - tc )) ms: $(first_error "$L/$tag.ckpt$k.out")"
            fi
            if wait_job "$pid" $(( $(now_ms) + 3000 )); then   # does the job die of it?
                rc=$WAIT_RC
                local what="ended (rc=$rc"
                grep -qxF -f "$REF_OUT" "$L/$tag.out" 2>/dev/null && what="$what, its output $(cmp -s "$REF_OUT" "$L/$tag.out" && echo matches || echo differs from) the reference"
                [ $rc -ne 0 ] && what="$what: $(first_error "$L/$tag.err" "$L/$tag.out")"
                C_WHY="$C_WHY; the job $what)"
            fi
            return 1
        fi
        C_CKPTS=$((C_CKPTS + 1))
        LAST_DONE_MS=$(( $(now_ms) - t0 ))
        [ $(( $(now_ms) - tc )) -gt $MAX_CKPT_MS ] && MAX_CKPT_MS=$(( $(now_ms) - tc ))
    done
    if [ "$kill" = sigkill ]; then
        if ! alive "$pid"; then
            wait "$pid" 2>/dev/null
            rc=$?
            if [ $rc -ne 0 ]; then C_WHY="$tag: exited rc=$rc before the SIGKILL: $(first_error "$L/$tag.err" "$L/$tag.out")"
            else C_WHY="$tag: the job ended before the SIGKILL (harness timing)"; fi
            return 1
        fi
        local n; n=$(kill_job "$pid" "$D")
        echo "$(date +%T.%3N) $tag: SIGKILLed $n processes of the job, $(( $(now_ms) - LAST_DONE_MS - t0 )) ms after the checkpoint returned" >>"$L/events.log"
        wait "$pid" 2>/dev/null
    else
        local tret; tret=$(now_ms)
        if ! wait_job "$pid" $(( tret + 20000 )); then
            C_WHY="$tag: the job did not stop within 20 s of 'checkpoint --kill'"
            return 1
        fi
        STOP_MS=$(( $(now_ms) - tret ))
        echo "$(date +%T.%3N) $tag: the job ended $STOP_MS ms after 'checkpoint --kill' returned (rc=$WAIT_RC)" >>"$L/events.log"
        if [ "$WAIT_RC" -ne 75 ]; then
            C_WHY="$tag: ckpt-mpi exited rc=$WAIT_RC after 'checkpoint --kill' (expected 75, stopped after a checkpoint): $(first_error "$L/$tag.err")"
            return 1
        fi
        if grep -q 'BAD TERMINATION\|exiting improperly\|exited on signal' "$L/$tag.out" "$L/$tag.err"; then
            C_WHY="$tag: the launcher reported a failure after a clean 'checkpoint --kill': $(grep -m1 'BAD TERMINATION\|exiting improperly\|exited on signal' "$L/$tag.out" "$L/$tag.err")"
            return 1
        fi
        if ! grep -q 'job stopped after checkpoint' "$L/$tag.err"; then
            C_WHY="$tag: ckpt-mpi exited without its 'job stopped after checkpoint' note"
            return 1
        fi
        local n; n=$(kill_job "" "$D")
        [ "$n" -gt 0 ] && echo "$(date +%T.%3N) $tag: $n processes were left after checkpoint --kill (killed)" >>"$L/events.log"
    fi
    # The program prints only at its end; a launcher's banner (MPICH prints
    # one when its job is terminated) is not program output.
    if grep -qxF -f "$REF_OUT" "$L/$tag.out" 2>/dev/null; then
        if [ "$kill" = ckill ]; then
            C_WHY="$tag: the killed run printed program output: it ran on for $STOP_MS ms after 'checkpoint --kill' returned (or the kill came in its final phase: harness timing)"
        else
            C_WHY="$tag: the killed run printed program output (the kill came in its final phase: harness timing)"
        fi
        return 1
    fi
    return 0
}

run_cases() {
    plan_cases
    echo "== cases: ${#CASES[@]} ($([ "$FULL" = 1 ] && echo "full matrix" || echo "CI subset; CKPT_TEST_FULL=1 for the full matrix")), seed $SEED"
    local c
    for c in "${CASES[@]}"; do
        # shellcheck disable=SC2086
        run_case $c
    done
}

# ---- faults -------------------------------------------------------------------
# rank_pid DIR RANK: pid of that rank's process (lower half) of the job on DIR
rank_pid() {
    local p e
    for p in $(job_pids "" "$1"); do
        e="/proc/$p/environ"
        grep -qF ckpt-lower "/proc/$p/cmdline" 2>/dev/null || continue
        if grep -qzxE "(OMPI_COMM_WORLD_RANK|PMI_RANK)=$2" "$e" 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

fault_kill_rank() {   # VARIANT(stopped|racy)
    local variant="$1" prog=cp_ring_sendrecv
    [[ " ${PROGS[*]} " == *" $prog "* ]] || prog="${PROGS[0]}"
    local cseed; cseed=$(case_seed "$SEED/fault-kill-rank/$variant")
    rng_seed "$cseed"
    local -a np_a; read -r -a np_a <<<"$NPS"
    rand_in 0 $(( ${#np_a[@]} - 1 )); local np=${np_a[$RNG_V]}
    rand_in 0 1; local A; A=$([ $RNG_V = 0 ] && echo openmpi || echo mpich)
    rand_in 0 $(( np - 1 )); local victim=$RNG_V
    local name="fault kill-rank-during-checkpoint ($variant) $prog np=$np $A rank=$victim seed=$cseed"
    local L="$LOGROOT/fault.kill-rank.$variant" D NEWD
    mkdir -p "$L"
    new_ckdir "$L"; D=$NEWD
    local tcase; tcase=$(now_ms)
    DEADLINE=$(( tcase + CASE_TMO * 1000 ))
    if ! ensure_ref "$prog" "$np"; then stash_ckdir "$D" "$L"; case_fail "$name (reference: $REF_ERR)" "$L"; return; fi
    local T=$REF_MS c1 c2 delay
    rand_in $(( T * 15 / 100 )) $(( T * 30 / 100 )); c1=$RNG_V; [ $c1 -lt $FLOOR_MS ] && c1=$FLOOR_MS
    rand_in $(( T * 35 / 100 )) $(( T * 50 / 100 )); c2=$RNG_V; [ $c2 -lt $(( c1 + 300 )) ] && c2=$(( c1 + 300 ))
    rand_in 0 60; delay=$RNG_V
    echo "checkpoint at $c1 ms; at $c2 ms: $variant kill of rank $victim (racy delay $delay ms)" >"$L/plan.txt"
    local t0 pid why=""
    t0=$(now_ms)
    launch "$L" "$L/run.out" "$L/run.err" "$CKPT_MPI" run -np "$np" --mpi "$A" --ckpt-dir "$D" --checkpoint-timeout 30s -- "$BIN/$prog"
    pid=$LPID
    CUR_PID=$pid CUR_DIR=$D
    wait_connected "$D" "$np" "$pid" "$DEADLINE"
    local ck2="" ck2rc=""
    if ! sleep_until "$c1" "$t0" "$pid"; then
        why="the job ended before the first checkpoint (harness timing)"
    elif ! timeout -k 2 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >"$L/ckpt1.out" 2>&1; then
        why="the first checkpoint (before the fault) failed: $(first_error "$L/ckpt1.out")"
    elif ! sleep_until "$c2" "$t0" "$pid"; then
        why="the job ended before the fault (harness timing)"
    else
        local vp; vp=$(rank_pid "$D" "$victim")
        if [ -z "$vp" ]; then
            why="cannot find the process of rank $victim"
        else
            [ "$variant" = stopped ] && kill -STOP "$vp"
            timeout -k 2 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >"$L/ckpt2.out" 2>&1 &
            local cpid=$!
            if [ "$variant" = stopped ]; then sleep 0.3; else sleep "$(awk -v d="$delay" 'BEGIN { print d / 1000 }')"; fi
            kill -9 "$vp"
            echo "$(date +%T.%3N) SIGKILLed rank $victim (pid $vp) during checkpoint 2" >>"$L/events.log"
            wait "$cpid"; ck2rc=$?
            ck2="$(first_error "$L/ckpt2.out")"
            wait_job "$pid" $(( $(now_ms) + 30000 )) || echo "$(date +%T.%3N) the job did not end within 30 s after the rank died" >>"$L/events.log"
        fi
    fi
    local n; n=$(kill_job "$pid" "$D")
    [ "$n" -gt 0 ] && echo "$(date +%T.%3N) killed $n leftover processes" >>"$L/events.log"
    "$CKPT_MPI" list "$D" >"$L/list.txt" 2>&1
    local out=/dev/null
    if [ -z "$why" ]; then
        if [ "$variant" = stopped ] && [ "$ck2rc" = 0 ]; then
            why="the checkpoint with a stopped and then killed rank succeeded: $ck2"
        elif [ "$variant" = stopped ] && [ -e "$D/gen-000002/MANIFEST.json" ]; then
            why="the abandoned generation 2 has a manifest"
        elif [ ! -e "$D/gen-000001/MANIFEST.json" ]; then
            why="generation 1 is gone"
        else
            local rem=$(( (DEADLINE - $(now_ms)) / 1000 )); [ $rem -lt 10 ] && rem=10
            launch "$L" "$L/restart.out" "$L/restart.err" "$CKPT_MPI" restart "$D" --checkpoint-timeout 30s
            pid=$LPID; CUR_PID=$pid
            local rc
            if wait_job "$pid" $(( $(now_ms) + rem * 1000 )); then rc=$WAIT_RC; else rc=124; fi
            out="$L/restart.out"
            if [ $rc -ne 0 ]; then why="restart of the previous generation failed (rc=$rc): $(first_error "$L/restart.err" "$L/restart.out")"
            elif ! cmp -s "$REF_OUT" "$out"; then why="restart of the previous generation printed something else"
            fi
        fi
    fi
    n=$(kill_job "$CUR_PID" "$D"); CUR_PID="" CUR_DIR=""
    stash_ckdir "$D" "$L"
    local gens; gens=$(awk '$2 == "complete" { printf "%s ", $1 }' "$L/list.txt")
    local line="$name $(secs "$tcase" "$(now_ms)")s"
    if [ -z "$why" ]; then
        case_pass "$line (checkpoint 2 rc=$ck2rc: ${ck2:-ok}; complete: ${gens}; restart ok)" "$L"
    else
        case_fail "$line ($why)" "$L" "$REF_OUT" "$out"
    fi
}

# A job checkpointed twice (generations 1 and 2, kept) for the refusal tests.
FAULT_D="" FAULT_NP="" FAULT_PROG="" FAULT_L="" FAULT_WHY=""
make_two_generations() {
    local prog=cp_persistent np A=mpich L="$LOGROOT/fault.twogens" NEWD D
    [[ " ${PROGS[*]} " == *" $prog "* ]] || prog="${PROGS[0]}"
    np=$(echo $NPS | awk '{ print $1 }')
    mkdir -p "$L"
    new_ckdir "$L"; D=$NEWD
    FAULT_D="$D"
    FAULT_L="$L"
    ensure_ref "$prog" "$np" || { FAULT_WHY="$REF_ERR"; return 1; }
    local T=$REF_MS t0 pid c1 c2
    c1=$(( T * 25 / 100 )); [ $c1 -lt $FLOOR_MS ] && c1=$FLOOR_MS
    c2=$(( T * 45 / 100 )); [ $c2 -lt $(( c1 + 300 )) ] && c2=$(( c1 + 300 ))
    DEADLINE=$(( $(now_ms) + CASE_TMO * 1000 ))
    t0=$(now_ms)
    launch "$L" "$L/run.out" "$L/run.err" "$CKPT_MPI" run -np "$np" --mpi "$A" --ckpt-dir "$D" --checkpoint-timeout 30s -- "$BIN/$prog"
    pid=$LPID; CUR_PID=$pid CUR_DIR="$D"
    wait_connected "$D" "$np" "$pid" "$DEADLINE"
    C_CKPTS=0 C_WHY="" MAX_CKPT_MS=0 KILL_LATEST_MS=""
    round_kill "$L" "$D" "$pid" "$t0" ckill run "$c1" "$c2"
    kill_job "$pid" "$D" >/dev/null; CUR_PID="" CUR_DIR=""
    FAULT_L="$L"
    if [ -n "$C_WHY" ]; then FAULT_WHY="$C_WHY"; return 1; fi
    FAULT_NP=$np FAULT_PROG=$prog
    return 0
}

fault_wrong_np() {
    local L="$LOGROOT/fault.wrong-np" np2=$(( FAULT_NP + 1 )) rc lines t0
    mkdir -p "$L"
    t0=$(now_ms)
    timeout -k 2 30 "$CKPT_MPI" restart "$FAULT_D" -np "$np2" >"$L/restart.out" 2>"$L/restart.err" </dev/null
    rc=$?
    lines=$(wc -l <"$L/restart.err")
    local left; left=$(job_pids "" "$FAULT_D" | wc -l)
    local line="fault restart-with-another-np ($FAULT_NP-rank checkpoint, -np $np2) $(secs "$t0" "$(now_ms)")s"
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$lines" -eq 1 ] && ! [ -s "$L/restart.out" ] && [ "$left" -eq 0 ]; then
        case_pass "$line (rc=$rc: $(cat "$L/restart.err"))" "$L"
    else
        kill_job "" "$FAULT_D" >/dev/null
        case_fail "$line (rc=$rc, $lines stderr lines, $left processes started: $(first_error "$L/restart.err"))" "$L"
    fi
}

fault_mixed_generations() {
    local L="$LOGROOT/fault.mixed-gens" t0 rc
    mkdir -p "$L"
    local NEWD D
    new_ckdir "$L"; D=$NEWD
    cp -a "$FAULT_D/." "$D/"
    rm -f "$D/coordinator.sock"
    local victim=$(( FAULT_NP - 1 ))
    local img; img=$(printf 'rank-%04d.img' "$victim")
    local how="gen-000002/$img replaced by gen-000001/$img"
    if [ ! -e "$D/gen-000001/$img" ] || [ ! -e "$D/gen-000002/$img" ]; then
        stash_ckdir "$D" "$L"
        case_fail "fault mixed-generations (need generations 1 and 2 with $img: $(ls "$D" | tr '\n' ' '))" "$L"; return
    fi
    [ "$(stat -c %s "$D/gen-000001/$img")" = "$(stat -c %s "$D/gen-000002/$img")" ] || how="$how (sizes differ: the manifest's size check applies)"
    cp "$D/gen-000001/$img" "$D/gen-000002/$img"
    t0=$(now_ms)
    # --gen 2: without it restart falls back to the newest generation that verifies.
    launch "$L" "$L/restart.out" "$L/restart.err" "$CKPT_MPI" restart "$D" --gen 2
    local pid=$LPID; CUR_PID=$pid CUR_DIR=$D
    if wait_job "$pid" $(( $(now_ms) + 60000 )); then rc=$WAIT_RC; else rc=124; fi
    kill_job "$pid" "$D" >/dev/null; CUR_PID="" CUR_DIR=""
    stash_ckdir "$D" "$L"
    local errs; errs=$(grep -v -c '^ckpt-mpi: note:' "$L/restart.err")
    local line="fault mixed-generations ($FAULT_PROG np=$FAULT_NP, $how) $(secs "$t0" "$(now_ms)")s"
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$errs" -eq 1 ] && grep -v '^ckpt-mpi: note:' "$L/restart.err" | grep -qi 'gen' &&
        ! [ -s "$L/restart.out" ]; then
        case_pass "$line (rc=$rc: $(grep -v '^ckpt-mpi: note:' "$L/restart.err"))" "$L"
    else
        local what="not refused"
        [ $rc -eq 124 ] && what="hung (timeout)"
        [ $rc -eq 0 ] && what="restarted and exited 0"
        case_fail "$line ($what: rc=$rc, $errs error lines, first: $(first_error "$L/restart.err" "$L/restart.out"))" "$L"
    fi
}

run_faults() {
    echo "== faults, seed $SEED"
    fault_kill_rank stopped
    fault_kill_rank racy
    if make_two_generations; then
        fault_wrong_np
        fault_mixed_generations
        stash_ckdir "$FAULT_D" "$FAULT_L"
        [ "$KEEP" = 1 ] || rm -rf "$FAULT_L"
    else
        stash_ckdir "$FAULT_D" "$FAULT_L"
        case_fail "fault setup: a job checkpointed twice, then killed ($FAULT_WHY)" "$FAULT_L"
    fi
}

# ---- main ---------------------------------------------------------------------
build_programs
if [[ " $SECTIONS " == *" list "* ]]; then
    plan_cases
    for c in "${CASES[@]}"; do echo "$c"; done
    exit 0
fi
if [[ " $SECTIONS " =~ \ (baseline|cases|faults)\  ]] && [ ! -x "$CKPT_MPI" ]; then
    echo "ckpt-mpi not found: $CKPT_MPI (build it: swift build -c release, or set CKPT_MPI)" >&2
    exit 2
fi
echo "ckpt-mpi: $CKPT_MPI"
echo "seed: $SEED (repeat with CKPT_TEST_SEED=$SEED)"
for s in $SECTIONS; do
    case "$s" in
        baseline) run_baseline ;;
        cases) run_cases ;;
        faults) run_faults ;;
    esac
done
echo "$pass passed, $fail failed"
if [ ${#FAILED_LOGS[@]} -gt 0 ]; then echo "logs of failed cases are under $LOGROOT"; fi
[ $fail -eq 0 ]
