#!/usr/bin/env bash
# Fortran programs under ckpt-mpi. ring.f90 (use mpi), built with MPICH's mpifort (through the
# MPICH face) and with Open MPI's (our libmpi_mpifh.so.40 in front of the Open MPI face), runs
# on either lower half with the output of a native run of that build, and checkpointed on one
# MPI, every process killed, restarts on the other with the same output as an uninterrupted
# run; greq_handles.f90 likewise, with a Fortran generalized request pending at the checkpoint.
# The suite's f_*.f90 programs are mpi-tests/run-tests.sh's. Prints PASS/FAIL lines and
# "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
mpifort.mpich -O2 -J "$WORK" "$HERE/ring.f90" -o "$WORK/ring" || { ko "build ring.f90 (mpifort.mpich)"; finish; exit 1; }
mpifort.openmpi -O2 -J "$WORK" "$HERE/ring.f90" -o "$WORK/ring-ompi" || { ko "build ring.f90 (mpifort.openmpi)"; finish; exit 1; }
ldd "$WORK/ring" | grep -q 'libmpichfort.so.12' || ko "ring is not linked against libmpichfort.so.12 (the case this tests)"
ldd "$WORK/ring-ompi" | grep -q 'libmpi_mpifh.so.40' || ko "ring-ompi is not linked against libmpi_mpifh.so.40 (the case this tests)"
STEPS=40
(cd "$WORK" && timeout 120 mpiexec.mpich -n 2 "$WORK/ring" $STEPS >"$WORK/ref-ring.out" 2>/dev/null)
(cd "$WORK" && timeout 120 mpirun.openmpi --oversubscribe -np 2 "$WORK/ring-ompi" $STEPS >"$WORK/ref-ring-ompi.out" 2>/dev/null)
for b in ring ring-ompi; do
    grep -q '^done ' "$WORK/ref-$b.out" || ko "native run of $b: $(tail -1 "$WORK/ref-$b.out")"
done
built() { [ "$1" = ring ] && echo mpifort.mpich || echo mpifort.openmpi; }

for b in ring ring-ompi; do
    for mpi in openmpi mpich; do
        out="$WORK/whole-$b-$mpi.out"
        (cd "$WORK" && timeout 120 "$CKPT_MPI" run -np 2 --mpi "$mpi" -- "$WORK/$b" $STEPS >"$out" 2>"$out.err")
        rc=$?
        if [ $rc -eq 0 ] && cmp -s "$out" "$WORK/ref-$b.out"; then ok "Fortran ($(built $b)) on $mpi: output equals native"
        else ko "Fortran ($(built $b)) on $mpi: rc $rc, $(diff "$out" "$WORK/ref-$b.out" | head -3) $(head -2 "$out.err")"; fi
    done
done

# ckill_restart BIN FROM TO: BIN (2 ranks, $STEPS steps) run on FROM, stopped by
# `checkpoint --kill` after 5 steps, every process killed, restarted on TO; sets
# crc/rc (checkpoint and restart exit status), lines (printed before the stop), d.
ckill_restart() {
    d="$WORK/ck-$1-$2"; mkdir -p "$d"
    (cd "$d" && exec timeout 120 "$CKPT_MPI" run -np 2 --mpi "$2" --ckpt-dir "$d/ck" -- "$WORK/$1" $STEPS >"$d/a.out" 2>"$d/a.err") &
    local job=$!
    wait_for_line "$d/a.out" '^step 5 ' 60
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >/dev/null 2>"$d/ck.err"
    crc=$?
    wait $job 2>/dev/null; pkill -9 -f "$d/" 2>/dev/null
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi "$3" >"$d/b.out" 2>"$d/b.err")
    rc=$?
    lines=$(wc -l <"$d/a.out")
}

# Checkpointed on one MPI, every process killed, restarted on the other.
for case in "ring mpich openmpi" "ring openmpi mpich" "ring-ompi openmpi mpich" "ring-ompi mpich openmpi"; do
    set -- $case
    ckill_restart "$@"
    if [ $crc -eq 0 ] && [ $rc -eq 0 ] && [ "$lines" -lt $STEPS ] && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ref-$1.out"; then
        ok "Fortran ($(built $1)) checkpointed on $2 after $lines lines, every process killed, restarted on $3: output equals native"
    else
        ko "Fortran ($(built $1)) checkpoint on $2, restart on $3: checkpoint rc $crc ($(head -1 "$d/ck.err")), restart rc $rc ($(head -1 "$d/b.err")), $lines lines before"
    fi
done

# greq_handles.f90 (+ greq_handles.c): a generalized request with Fortran callbacks pending
# across the checkpoint, completed after the restart, and Fortran handles of user objects
# (non-negative in the Open MPI build) unchanged and round-tripping through C's f2c/c2f.
for m in mpich openmpi; do
    mpicc.$m -O2 -c "$HERE/greq_handles.c" -o "$WORK/gh-$m.o" \
        && mpifort.$m -O2 -J "$WORK" "$HERE/greq_handles.f90" "$WORK/gh-$m.o" -o "$WORK/gh-$m" \
        || ko "build greq_handles (mpifort.$m)"
done
(cd "$WORK" && timeout 120 mpiexec.mpich -n 2 "$WORK/gh-mpich" $STEPS >"$WORK/ref-gh-mpich.out" 2>/dev/null)
(cd "$WORK" && timeout 120 mpirun.openmpi --oversubscribe -np 2 "$WORK/gh-openmpi" $STEPS >"$WORK/ref-gh-openmpi.out" 2>/dev/null)
for b in gh-mpich gh-openmpi; do
    grep -q '^done' "$WORK/ref-$b.out" && grep -q '^greq count 5 ' "$WORK/ref-$b.out" && ! grep -q 'handles F' "$WORK/ref-$b.out" \
        || ko "native run of $b: $(grep -m1 'handles F' "$WORK/ref-$b.out") $(tail -1 "$WORK/ref-$b.out")"
done
for case in "gh-mpich mpich openmpi" "gh-openmpi openmpi mpich"; do
    set -- $case
    ckill_restart "$@"
    if [ $crc -eq 0 ] && [ $rc -eq 0 ] && ! grep -q '^greq' "$d/a.out" && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ref-$1.out"; then
        ok "Fortran generalized request ($1) pending at a checkpoint on $2 after $lines lines, restarted on $3, completed: output equals native, handles kept"
    else
        ko "Fortran generalized request ($1) checkpoint on $2, restart on $3: checkpoint rc $crc ($(head -1 "$d/ck.err")), restart rc $rc ($(head -1 "$d/b.err")), $lines lines before, $(cat "$d/a.out" "$d/b.out" | diff - "$WORK/ref-$1.out" | head -3)"
    fi
done

# A call the Fortran face does not convert fails naming itself (dynamic processes: spawn).
cat >"$WORK/spawn.f90" <<'F'
program spawn
  implicit none
  include 'mpif.h'
  integer :: ierr, inter
  call MPI_Init(ierr)
  call MPI_Comm_spawn('./child', MPI_ARGV_NULL, 1, MPI_INFO_NULL, 0, MPI_COMM_WORLD, inter, MPI_ERRCODES_IGNORE, ierr)
  print *, 'not reached'
  call MPI_Finalize(ierr)
end program
F
mpifort.openmpi -J "$WORK" "$WORK/spawn.f90" -o "$WORK/spawn" || ko "build spawn.f90"
timeout 60 "$CKPT_MPI" run -np 1 --mpi mpich -- "$WORK/spawn" >"$WORK/u.out" 2>"$WORK/u.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "mpi_comm_spawn_ (Fortran) is not supported" "$WORK/u.err" && ! grep -q 'not reached' "$WORK/u.out"; then
    ok "an unconverted Fortran call fails naming itself: $(grep -m1 'not supported' "$WORK/u.err" | cut -c1-100)..."
else
    ko "unconverted Fortran call: rc $rc, $(head -2 "$WORK/u.err")"
fi
finish
