#!/usr/bin/env bash
# Soak (not a timed test): N checkpoint/kill/restart cycles at random moments on
# the random-moment programs of mpi-tests/ckpt-programs, rotating programs, rank
# counts (2-4), MPIs and transports (ompi-ompi, mpich-mpich, ompi-mpich,
# mpich-ompi, shm-tcp) and the way the job is stopped (checkpoint --kill, or
# SIGKILL of every process after a checkpoint). Each cycle is one case of
# mpi-tests/run-checkpoint-tests.sh, i.e. mpi-tests/checkpoint_harness.py (its own seed: the repeat line of a failure
# reproduces it). Prints survived/total, the cycles the harness's timing made
# inconclusive (the job ended before a planned kill), and the slowest cycle.
# Exit status 0 when no cycle failed for another reason.
#   usage: benchmarks/run-soak.sh [N]   (default 200; CKPT_SOAK_SEED fixes the seeds)
set -u -o pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
N="${1:-200}"
BASE="${CKPT_SOAK_SEED:-$RANDOM$RANDOM}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mapfile -t PROGRAMS < <(cd "$ROOT/mpi-tests/ckpt-programs" && ls cp_*.c | sed 's/\.c$//')
SCENARIOS=(ompi-ompi mpich-mpich ompi-mpich mpich-ompi shm-tcp)
KILLS=(ckill sigkill)
survived=0 total=0 timing=0 slowest=0 slowest_case=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "soak: $N cycles, base seed $BASE"
for ((i = 0; i < N; i++)); do
    seed=$((BASE + i))
    prog=${PROGRAMS[$((i % ${#PROGRAMS[@]}))]}
    np=$((2 + (i / ${#PROGRAMS[@]}) % 3))
    scen=${SCENARIOS[$(( (i / 3) % ${#SCENARIOS[@]} ))]}
    kill=${KILLS[$((i % 2))]}
    start=$(date +%s%3N)
    CKPT_TEST_SEED=$seed CKPT_TEST_FULL=1 CKPT_TEST_FILTER="^$prog\$" CKPT_TEST_NP=$np \
        CKPT_TEST_SCENARIOS=$scen CKPT_TEST_KILLS=$kill "$ROOT/mpi-tests/run-checkpoint-tests.sh" cases >"$log" 2>&1
    ms=$(( $(date +%s%3N) - start ))
    total=$((total + 1))
    line=$(grep -m1 -E '^(PASS|FAIL) ' "$log" || echo "FAIL $prog np=$np $scen $kill seed=$seed (no result line)")
    if [[ "$line" == PASS* ]]; then
        survived=$((survived + 1))
    else
        # The harness's own timing (the job ended before a planned moment) tests nothing.
        [[ "$line" == *"harness timing"* ]] && timing=$((timing + 1))
        echo "$line"
        grep -m1 'repeat:' "$log"
    fi
    if [ "$ms" -gt "$slowest" ]; then slowest=$ms; slowest_case="$prog np=$np $scen $kill seed=$seed"; fi
done
failures=$((total - survived - timing))
echo "survived $survived/$total ($timing inconclusive: the job ended before a planned moment; $failures failures);" \
    "slowest cycle $((slowest / 1000)).$(( (slowest % 1000) / 100 )) s ($slowest_case)"
[ "$failures" -eq 0 ]
