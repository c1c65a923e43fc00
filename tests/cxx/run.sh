#!/usr/bin/env bash
# C++ programs built by Open MPI's mpicxx (linked against libmpi_cxx.so.40 and
# libmpi.so.40) that call the C API: run on either lower half with the output
# of a native run, checkpointed, every process killed, restarted on the other
# MPI with the same final line. One that uses the C++ bindings (MPI::) is
# refused in one line (exit 126) before any rank starts. Prints PASS/FAIL lines
# and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
for opt in -O2 -O0; do
    mpicxx.openmpi $opt "$HERE/ring.cpp" -o "$WORK/ring$opt" || { ko "build ring.cpp $opt"; finish; exit 1; }
done
mpicxx.openmpi -O2 "$HERE/bindings.cpp" -o "$WORK/bindings" || { ko "build bindings.cpp"; finish; exit 1; }
ldd "$WORK/ring-O2" | grep -q 'libmpi_cxx.so.40' || ko "ring is not linked against libmpi_cxx.so.40 (the case this tests)"
STEPS=40
timeout 120 mpirun.openmpi --oversubscribe -np 2 "$WORK/ring-O2" $STEPS >"$WORK/ref.out" 2>/dev/null
grep -q '^done ' "$WORK/ref.out" || ko "native run: $(tail -1 "$WORK/ref.out")"

for opt in -O2 -O0; do
    for mpi in openmpi mpich; do
        out="$WORK/whole$opt-$mpi.out"
        timeout 120 "$CKPT_MPI" run -np 2 --mpi "$mpi" -- "$WORK/ring$opt" $STEPS >"$out" 2>"$out.err"
        rc=$?
        if [ $rc -eq 0 ] && cmp -s "$out" "$WORK/ref.out"; then ok "C++ (C API, $opt) on $mpi: output equals native"
        else ko "C++ (C API, $opt) on $mpi: rc $rc, $(head -1 "$out.err")"; fi
    done
done

# Checkpointed on one MPI, killed, restarted on the other.
for pair in "openmpi mpich" "mpich openmpi"; do
    set -- $pair
    d="$WORK/ck-$1"; mkdir -p "$d"
    (cd "$d" && exec timeout 120 "$CKPT_MPI" run -np 2 --mpi "$1" --ckpt-dir "$d/ck" -- "$WORK/ring-O2" $STEPS >"$d/a.out" 2>"$d/a.err") &
    job=$!
    wait_for_line "$d/a.out" '^step 5 ' 60
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >/dev/null 2>"$d/ck.err"
    crc=$?
    wait $job 2>/dev/null; pkill -9 -f "$d/" 2>/dev/null
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi "$2" >"$d/b.out" 2>"$d/b.err")
    rc=$?
    if [ $crc -eq 0 ] && [ $rc -eq 0 ] && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ref.out"; then
        ok "C++ (C API) checkpointed on $1 after $(wc -l <"$d/a.out") lines, restarted on $2: output equals native"
    else
        ko "C++ checkpoint on $1, restart on $2: checkpoint rc $crc ($(head -1 "$d/ck.err")), restart rc $rc ($(head -1 "$d/b.err"))"
    fi
done

timeout 60 "$CKPT_MPI" run -np 2 -- "$WORK/bindings" >"$WORK/b.out" 2>"$WORK/b.err"
rc=$?
if [ $rc -eq 126 ] && [ "$(wc -l <"$WORK/b.err")" -eq 1 ] && grep -q "uses Open MPI's C++ bindings" "$WORK/b.err" && [ ! -s "$WORK/b.out" ]; then
    ok "C++ bindings refused before any rank starts: $(cut -c1-110 "$WORK/b.err")..."
else
    ko "C++ bindings program: rc $rc, $(head -2 "$WORK/b.err")"
fi
finish
