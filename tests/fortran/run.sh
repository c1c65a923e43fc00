#!/usr/bin/env bash
# Fortran programs under ckpt-mpi. ring.f90 (use mpi) built with MPICH's mpifort runs on
# either lower half with the output of a native run, and checkpointed on one MPI, every
# process killed, restarts on the other with the same output as an uninterrupted run. Built
# with Open MPI's mpifort (libmpi_mpifh.so.40) it is refused in one line before any rank
# starts (the Open MPI face has no Fortran bindings yet). The suite's f_*.f90 programs are
# mpi-tests/run-tests.sh's. Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
mpifort.mpich -O2 -J "$WORK" "$HERE/ring.f90" -o "$WORK/ring" || { ko "build ring.f90 (mpifort.mpich)"; finish; exit 1; }
mpifort.openmpi -O2 -J "$WORK" "$HERE/ring.f90" -o "$WORK/ring-ompi" || { ko "build ring.f90 (mpifort.openmpi)"; finish; exit 1; }
ldd "$WORK/ring" | grep -q 'libmpichfort.so.12' || ko "ring is not linked against libmpichfort.so.12 (the case this tests)"
STEPS=40
(cd "$WORK" && timeout 120 mpiexec.mpich -n 2 "$WORK/ring" $STEPS >"$WORK/ref.out" 2>/dev/null)
grep -q '^done ' "$WORK/ref.out" || ko "native run: $(tail -1 "$WORK/ref.out")"

for mpi in openmpi mpich; do
    out="$WORK/whole-$mpi.out"
    (cd "$WORK" && timeout 120 "$CKPT_MPI" run -np 2 --mpi "$mpi" -- "$WORK/ring" $STEPS >"$out" 2>"$out.err")
    rc=$?
    if [ $rc -eq 0 ] && cmp -s "$out" "$WORK/ref.out"; then ok "Fortran (mpifort.mpich) on $mpi: output equals native"
    else ko "Fortran (mpifort.mpich) on $mpi: rc $rc, $(diff "$out" "$WORK/ref.out" | head -3) $(head -2 "$out.err")"; fi
done

# Checkpointed on one MPI, every process killed, restarted on the other.
for pair in "mpich openmpi" "openmpi mpich"; do
    set -- $pair
    d="$WORK/ck-$1"; mkdir -p "$d"
    (cd "$d" && exec timeout 120 "$CKPT_MPI" run -np 2 --mpi "$1" --ckpt-dir "$d/ck" -- "$WORK/ring" $STEPS >"$d/a.out" 2>"$d/a.err") &
    job=$!
    wait_for_line "$d/a.out" '^step 5 ' 60
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >/dev/null 2>"$d/ck.err"
    crc=$?
    wait $job 2>/dev/null; pkill -9 -f "$d/" 2>/dev/null
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi "$2" >"$d/b.out" 2>"$d/b.err")
    rc=$?
    lines=$(wc -l <"$d/a.out")
    if [ $crc -eq 0 ] && [ $rc -eq 0 ] && [ "$lines" -lt $STEPS ] && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ref.out"; then
        ok "Fortran checkpointed on $1 after $lines lines, every process killed, restarted on $2: output equals native"
    else
        ko "Fortran checkpoint on $1, restart on $2: checkpoint rc $crc ($(head -1 "$d/ck.err")), restart rc $rc ($(head -1 "$d/b.err")), $lines lines before"
    fi
done

timeout 60 "$CKPT_MPI" run -np 2 -- "$WORK/ring-ompi" 5 >"$WORK/o.out" 2>"$WORK/o.err"
rc=$?
if [ $rc -eq 126 ] && [ "$(wc -l <"$WORK/o.err")" -eq 1 ] && grep -q "libmpi_mpifh.so.40" "$WORK/o.err" && [ ! -s "$WORK/o.out" ]; then
    ok "Open MPI-built Fortran refused before any rank starts: $(cut -c1-120 "$WORK/o.err")..."
else
    ko "Open MPI-built Fortran: rc $rc, $(head -2 "$WORK/o.err")"
fi
finish
