#!/usr/bin/env bash
# What ckpt-mpi puts into the application's process is only what it must:
#  - the upper-half libraries export only their API and interposed libc
#    functions (Sources/UpperHalf/Exports/*.map), so no internal name of ours
#    (eng, sb_str, ckpt_shadow_*, the Swift module ...) can collide with or be
#    called by the application;
#  - the application's signal dispositions are its own: no handler of the
#    Swift runtime (linked into the face and the engine) or of the MPI, and a
#    failing assert prints the application's message only.
# Prints PASS/FAIL lines and "N passed, N failed".
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
LIBDIR="${CKPT_LIBDIR:-$HERE/../../.build/release}"
CKPT_MPI="${CKPT_MPI:-$LIBDIR/ckpt-mpi}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }
# Defined symbols with global or weak binding in the dynamic symbol table.
exported() { readelf -W --dyn-syms "$1" | awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") {print $8}' | sed 's/@.*//' | sort -u; }

INTERPOSED='^(open|open64|openat|openat64|creat|creat64|close|fopen|fopen64|freopen|fclose|dup|dup2|dup3|fcntl|fcntl64|pipe|pipe2|socket|pthread_create|pthread_sigmask|sigprocmask)$'
engine=$(exported "$LIBDIR/libckpt-engine.so")
extra=$(grep -Ev "^ckpt_engine_|$INTERPOSED" <<<"$engine")
if [ -n "$engine" ] && [ -z "$extra" ] && grep -qx ckpt_engine_set_mpi_ops <<<"$engine" && grep -qx open <<<"$engine"; then
    ok "libckpt-engine.so exports its API and the libc functions it interposes ($(wc -l <<<"$engine") symbols)"
else
    ko "libckpt-engine.so exports internal names: $(head -5 <<<"$extra" | tr '\n' ' ')"
fi

face=$(exported "$LIBDIR/libmpi.so")
extra=$(grep -Ev '^(P?MPI_|P?MPIX_|MPIR_|p?mpi_)' <<<"$face")
if [ -n "$face" ] && [ -z "$extra" ] && grep -qx MPI_Send <<<"$face" && grep -qx PMPI_Send <<<"$face"; then
    ok "libmpi.so (the face) exports only MPI names ($(wc -l <<<"$face") symbols)"
else
    ko "libmpi.so exports internal names: $(head -5 <<<"$extra" | tr '\n' ' ')"
fi
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
