#!/usr/bin/env bash
# Every MPI name MPICH's libmpi.so.12 defines is defined by the face too, so an MPICH-built
# binary never dies in the dynamic linker ("undefined symbol"): a call the face does not
# support fails naming itself (docs/mpi-coverage.md). spec/mpich-exports.txt, which the
# generator turns into stubs, must list everything the installed MPICH exports.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
LIBDIR="${CKPT_LIBDIR:-$HERE/../../.build/release}"
LIST="$HERE/../../spec/mpich-exports.txt"
. "$HERE/../lib.sh"
mpi_names() { nm -D --defined-only "$1" | awk '$3 ~ /^P?MPIX?_/ {print $3}' | sort -u; }

listed=$(grep -v '^#' "$LIST" | awk '{print $2}' | sort -u)
face=$(mpi_names "$LIBDIR/libmpi.so")
missing=$(comm -23 <(echo "$listed") <(echo "$face"))
if [ "$(wc -l <<<"$listed")" -gt 1000 ] && [ -z "$missing" ]; then
    ok "the face defines all $(wc -l <<<"$listed") names of spec/mpich-exports.txt"
else
    ko "the face lacks $(wc -l <<<"$missing") names MPICH exports: $(head -8 <<<"$missing" | tr '\n' ' ')"
fi

real=/usr/lib/x86_64-linux-gnu/libmpich.so.12
if [ -e "$real" ]; then
    unlisted=$(comm -23 <(mpi_names "$real") <(echo "$listed"))
    if [ -z "$unlisted" ]; then
        ok "spec/mpich-exports.txt lists every MPI name the installed $(basename "$(readlink -f "$real")") exports"
    else
        ko "the installed MPICH exports names spec/mpich-exports.txt lacks (run spec/extract-mpich-exports.sh): $(head -8 <<<"$unlisted" | tr '\n' ' ')"
    fi
    missing=$(comm -23 <(mpi_names "$real") <(echo "$face"))
    if [ -z "$missing" ]; then
        ok "the face defines every MPI name of the installed libmpich.so.12"
    else
        ko "the face lacks names of the installed libmpich.so.12: $(head -8 <<<"$missing" | tr '\n' ' ')"
    fi
fi

# That a stub fails naming itself at call time is mpi-tests/run-bad-input.sh's (mpich-only-call-*).
finish
