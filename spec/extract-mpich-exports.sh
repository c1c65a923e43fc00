#!/usr/bin/env bash
# Derive spec/mpich-exports.txt from MPICH's libmpi.so.12: every MPI name it defines, so that
# the face (Sources/BindingsGen) exports each one and a binary linked against MPICH never
# fails in the dynamic linker. Run by hand after an MPICH upgrade; tests/abi/exports.sh
# fails when the installed library exports a name this list lacks.
set -euo pipefail
lib="${1:-/usr/lib/x86_64-linux-gnu/libmpich.so.12}"
out="$(dirname "$0")/mpich-exports.txt"
{
    echo "# MPI names defined by $(basename "$(readlink -f "$lib")") (spec/extract-mpich-exports.sh): kind name"
    nm -D --defined-only "$lib" | awk '$3 ~ /^P?MPIX?_/ { print ($2 ~ /[TtWw]/ ? "function" : "data"), $3 }' | sort -k2 -u
} >"$out"
