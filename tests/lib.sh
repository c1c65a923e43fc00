# What the test scripts share (source it after setting HERE to the script's
# directory): PASS/FAIL counting and the closing "N passed, N failed" line, a
# scratch directory WORK that goes at exit together with every process whose
# command line names it, CKPT_MPI (default: this checkout's release build), and
# Open MPI allowed to run as root.
set -u
CKPT_MPI="${CKPT_MPI:-$HERE/../../.build/release/ckpt-mpi}"
WORK="$(mktemp -d)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }
# A script with more to undo (sessions it started, mounts) defines before_removing_work.
remove_work() {
    if declare -F before_removing_work >/dev/null; then before_removing_work; fi
    pkill -9 -f "$WORK/" 2>/dev/null
    rm -rf "$WORK"
}
trap remove_work EXIT
# wait_for_line FILE REGEX [SECONDS]: until FILE has a line matching REGEX (a job
# under load may take seconds to start; a fixed sleep checkpointed it too early).
wait_for_line() {
    local i
    for ((i = 0; i < ${3:-30} * 20; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
# wait_for_ranks CKPTDIR NP [SECONDS]: until the job of CKPTDIR has all NP ranks
# connected to its coordinator (from then on a checkpoint request is taken).
wait_for_ranks() {
    local i
    for ((i = 0; i < ${3:-30} * 10; i++)); do
        "$CKPT_MPI" status --ckpt-dir "$1" 2>/dev/null | grep -q "^state: .*, $2 of $2 ranks connected" && return 0
        sleep 0.1
    done
    return 1
}
# The last line of every script; its status is the script's.
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
