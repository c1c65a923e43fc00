#!/usr/bin/env bash
# HDF5 for real (mpi-tests/ckpt-programs/cp_hdf5.c, Debian's libhdf5-mpich-dev):
# a chunked dataset written collectively every step, checkpointed mid-run on
# Open MPI, stopped, restarted on MPICH; the HDF5 file must equal the
# uninterrupted native run's (h5dump) and the output too.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
CP="$HERE/../../mpi-tests/ckpt-programs"
HDF5_FLAGS="$(sed -n 's/^ \* Libs: //p' "$CP/cp_hdf5.c")"
if ! mpicc.mpich -O2 -I"$CP/lib" "$CP/cp_hdf5.c" "$CP/lib/cplib.c" -o "$WORK/cph5" $HDF5_FLAGS 2>"$WORK/build.log"; then
    ko "build cp_hdf5 (needs libhdf5-mpich-dev): $(head -c 300 "$WORK/build.log")"; finish; exit 1
fi
dump() { h5dump "$1" | tail -n +2; }   # its first line names the file
(cd "$WORK" && CP_HDF5_KEEP="$WORK/ref.h5" timeout 60 mpiexec.mpich -n 3 "$WORK/cph5" >"$WORK/ref.out" 2>/dev/null)
for step in "openmpi mpich" "mpich openmpi"; do
    set -- $step
    d="$WORK/$1-$2"
    mkdir -p "$d"
    (cd "$d" && CP_HDF5_KEEP="$d/out.h5" exec timeout 120 "$CKPT_MPI" run -np 3 --mpi "$1" --ckpt-dir "$d/ck" -- "$WORK/cph5" \
        >"$d/run.out" 2>"$d/run.err") &
    job=$!
    wait_for_ranks "$d/ck" 3
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>&1
    wait $job
    rc=$?
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi "$2" >"$d/restart.out" 2>"$d/restart.err")
    rrc=$?
    if [ $rc = 75 ] && [ ! -s "$d/run.out" ] && [ $rrc -eq 0 ] && cmp -s "$d/restart.out" "$WORK/ref.out" &&
        [ -s "$d/out.h5" ] && diff <(dump "$WORK/ref.h5") <(dump "$d/out.h5") >"$d/dump.diff"; then
        ok "cp_hdf5 stopped mid-run on $1, restarted on $2: output and h5dump equal the uninterrupted run's"
    else
        ko "$1 -> $2: stop rc $rc, restart rc $rrc, $(head -3 "$d/dump.diff" 2>/dev/null) $(head -c 300 "$d/restart.err")"
    fi
done
finish
