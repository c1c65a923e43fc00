#!/usr/bin/env bash
# Debian's own LAMMPS (/usr/bin/lmp, C++, linked against Open MPI's
# libmpi.so.40), unmodified, under ckpt-mpi: the 3-d Lennard-Jones melt of its
# examples, run whole on MPICH and checkpointed in the middle of the run, every
# process killed, restarted on the other MPI. The thermodynamic output (step,
# temperature, energies, pressure: deterministic on 2 ranks) must equal a native
# Open MPI run line for line. Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
LMP=${LMP:-/usr/bin/lmp}
MELT=/usr/share/lammps/examples/melt/in.melt
[ -x "$LMP" ] && [ -f "$MELT" ] || { ko "$LMP or $MELT is not installed (apt-get install lammps lammps-examples)"; finish; exit 1; }
STEPS=${LAMMPS_STEPS:-800}
# thermo_modify flush: each thermo line reaches the file at once (the moment of the checkpoint is picked by it).
sed -e "s/^run[[:space:]].*/run $STEPS/" -e 's/^thermo[[:space:]].*/&\nthermo_modify flush yes/' "$MELT" >"$WORK/in.melt"
thermo() { grep -E '^ +[0-9]+ +[-0-9.e+]+ +[-0-9.e+]+ ' "$@"; }

(cd "$WORK" && timeout 300 mpirun.openmpi --oversubscribe -np 2 "$LMP" -in "$WORK/in.melt" -log none >"$WORK/native.out" 2>&1)
n=$(thermo "$WORK/native.out" | wc -l)
if [ "$n" -eq $((STEPS / 50 + 1)) ]; then ok "native LAMMPS melt on Open MPI ($n thermo lines)"; else ko "native LAMMPS: $n thermo lines"; fi

# case MPI OTHER AT: checkpoint --kill once step AT is printed, restart on OTHER.
case_cut() {
    local mpi=$1 other=$2 at=$3 d="$WORK/$1-$3"
    mkdir -p "$d"
    (cd "$d" && exec timeout 300 "$CKPT_MPI" run -np 2 --mpi "$mpi" --ckpt-dir "$d/ck" -- "$LMP" -in "$WORK/in.melt" -log none \
        >"$d/a.out" 2>"$d/a.err") &
    local job=$!
    wait_for_line "$d/a.out" "^ +$at " 240
    timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >/dev/null 2>"$d/ck.err"
    local crc=$?
    wait $job 2>/dev/null
    pkill -9 -f "$d/" 2>/dev/null
    local before; before=$(thermo "$d/a.out" | wc -l)
    (cd "$d" && timeout 300 "$CKPT_MPI" restart "$d/ck" --mpi "$other" >"$d/b.out" 2>"$d/b.err")
    local rc=$?
    if [ $crc -eq 0 ] && [ $rc -eq 0 ] && [ "$before" -lt "$n" ] &&
        diff -q <(thermo "$d/a.out" "$d/b.out" -h) <(thermo "$WORK/native.out") >/dev/null; then
        ok "LAMMPS checkpointed on $mpi after $before thermo lines, killed, restarted on $other: thermo output equals native"
    else
        ko "LAMMPS $mpi -> $other: checkpoint rc $crc ($(head -1 "$d/ck.err")), restart rc $rc ($(grep -m1 -E 'error|not supported' "$d/b.err")), $before lines before"
        diff <(thermo "$d/a.out" "$d/b.out" -h) <(thermo "$WORK/native.out") | head -4 >&2
    fi
}
case_cut mpich openmpi 200
case_cut openmpi mpich 450
finish
