#!/usr/bin/env bash
# What ckpt-mpi puts into the application's process is only what it must:
#  - the upper-half libraries export only their API and interposed libc
#    functions (Sources/UpperHalf/Exports/*.map), so no internal name of ours
#    (eng, sb_str, ckpt_shadow_*, the Swift module ...) can collide with or be
#    called by the application;
#  - the application's signal dispositions are its own: no handler of the
#    Swift runtime (linked into the face and the engine) or of the MPI, and a
#    failing assert prints the application's message only;
#  - its handlers run on its own TLS, also for signals that arrive while a
#    thread is inside the lower half (deferred until the thread is back).
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
LIBDIR="${CKPT_LIBDIR:-$HERE/../../.build/release}"
CKPT_MPI="${CKPT_MPI:-$LIBDIR/ckpt-mpi}"
. "$HERE/../lib.sh"
# Defined symbols with global or weak binding in the dynamic symbol table.
exported() { readelf -W --dyn-syms "$1" | awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") {print $8}' | sed 's/@.*//' | sort -u; }

INTERPOSED='^(open|open64|openat|openat64|creat|creat64|close|fopen|fopen64|freopen|fclose|dup|dup2|dup3|fcntl|fcntl64|pipe|pipe2|socket|pthread_create|pthread_sigmask|sigprocmask|fork)$'
# only_exports LIB REGEX MUST1 MUST2 WHAT: LIB exports nothing outside REGEX, and MUST1 and MUST2.
only_exports() {
    local names extra
    names=$(exported "$LIBDIR/$1")
    extra=$(grep -Ev "$2" <<<"$names")
    if [ -n "$names" ] && [ -z "$extra" ] && grep -qx "$3" <<<"$names" && grep -qx "$4" <<<"$names"; then
        ok "$1 $5 ($(wc -l <<<"$names") symbols)"
    else
        ko "$1 exports internal names: $(head -5 <<<"$extra" | tr '\n' ' ')"
    fi
}
only_exports libckpt-engine.so "^ckpt_engine_|$INTERPOSED" ckpt_engine_set_mpi_ops open \
    "exports its API and the libc functions it interposes"
# MPII_: MPICH's internals that its libmpichfort.so.12 calls (face_fortran_attr.c).
only_exports libmpi.so '^(P?MPI_|P?MPIX_|MPIR_|MPII_|p?mpi_|sigaction$|signal$|bsd_signal$|sysv_signal$)' MPI_Send PMPI_Send \
    "(the face) exports only MPI names"
# mpi_*: the Fortran sentinels' common blocks (mpi_fortran_bottom_...) and Fortran callbacks, as Open MPI's libmpi.so.40.
only_exports libmpi-ompi.so '^(P?MPI_|P?MPIX_|ompi_|OMPI_|mpi_|sigaction$|signal$|bsd_signal$|sysv_signal$)' MPI_Send \
    ompi_mpi_comm_world "(the Open MPI face) exports only MPI names and Open MPI's objects"
only_exports libmpi_mpifh-ompi.so '^(P?MPIX?_|p?mpix?_|ompix?_|mpiext_)' mpi_send_ ompi_send_f \
    "(Open MPI's mpif.h) exports only Open MPI's Fortran names"
mpicc.mpich -O2 "$HERE/dispositions.c" -o "$WORK/dispositions"
for mpi in mpich openmpi; do
    for engine in "" "--ckpt-dir $WORK/ck-$mpi"; do
        # shellcheck disable=SC2086
        timeout 60 "$CKPT_MPI" run -np 1 --mpi $mpi $engine -- "$WORK/dispositions" >"$WORK/out" 2>"$WORK/err"
        what="$mpi$([ -n "$engine" ] && echo ', with the checkpoint engine')"
        if grep -qx '0 handlers' "$WORK/out" && grep -q 'Assertion .* failed' "$WORK/err" && ! grep -q 'swift-runtime\|Backtracing' "$WORK/err"; then
            ok "signal dispositions are the application's ($what)"
        else
            ko "signal dispositions ($what): $(grep -m1 'handler' "$WORK/out") $(grep -m1 'swift-runtime\|Backtracing' "$WORK/err")"
        fi
    done
done
# A timer signal every 200 us while the ranks are mostly inside MPI calls: every
# handler run must see the application's TLS (before the deferral: 60-140 did not).
mpicc.mpich -O2 "$HERE/signal_in_mpi.c" -o "$WORK/signal_in_mpi"
native=$(timeout 60 mpiexec.mpich -n 2 "$WORK/signal_in_mpi")
for mpi in mpich openmpi; do
    for engine in "" "--ckpt-dir $WORK/sig-$mpi"; do
        # shellcheck disable=SC2086
        got=$(timeout 60 "$CKPT_MPI" run -np 2 --mpi $mpi $engine -- "$WORK/signal_in_mpi" 2>"$WORK/err")
        what="$mpi$([ -n "$engine" ] && echo ', with the checkpoint engine')"
        if [ "$got" = "$native" ] && grep -q 'foreign-tls 0$' <<<"$got"; then
            ok "signal handlers run on the application's TLS during MPI calls ($what)"
        else
            ko "signal handlers during MPI calls ($what): got '$got', native '$native' $(head -1 "$WORK/err")"
        fi
    done
done
# The same for a binary built with Open MPI's mpicc: its installers go through libmpi.so.40
# to the MPICH face's deferral, not straight to libc.
mpicc.openmpi -O2 "$HERE/signal_in_mpi.c" -o "$WORK/signal_in_mpi_ompi"
for mpi in mpich openmpi; do
    got=$(timeout 60 "$CKPT_MPI" run -np 2 --mpi $mpi --ckpt-dir "$WORK/sigo-$mpi" -- "$WORK/signal_in_mpi_ompi" 2>"$WORK/err")
    if [ "$got" = "$native" ] && grep -q 'foreign-tls 0$' <<<"$got"; then
        ok "signal handlers run on the application's TLS, Open MPI binary ($mpi)"
    else
        ko "signal handlers, Open MPI binary ($mpi): got '$got', native '$native' $(head -1 "$WORK/err")"
    fi
done
# The same, checkpointed and stopped in the middle, restarted on the other MPI.
d="$WORK/sig-stop"
(timeout 60 "$CKPT_MPI" run -np 2 --mpi openmpi --ckpt-dir "$d" -- "$WORK/signal_in_mpi" >"$WORK/a.out" 2>/dev/null) &
job=$!
sleep 1
timeout 30 "$CKPT_MPI" checkpoint --ckpt-dir "$d" --kill >/dev/null 2>&1
wait $job
got=$(cat "$WORK/a.out"; timeout 60 "$CKPT_MPI" restart "$d" --mpi mpich 2>/dev/null)
if [ "$got" = "$native" ]; then ok "signal handlers and timers across a checkpoint, Open MPI -> MPICH"
else ko "signal handlers across a checkpoint: got '$got', native '$native'"; fi
finish
