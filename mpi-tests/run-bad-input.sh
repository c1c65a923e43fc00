#!/usr/bin/env bash
# Bad input gets one clear line and a non-zero exit before (or instead of)
# anything running: unsupported MPI call, Open MPI-ABI binary, missing program,
# non-ELF file, static binary, unknown MPI. Prints PASS/FAIL lines and
# "N passed, N failed".
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0

# expect NAME PATTERN CMD...: exits non-zero within 60 s and stderr matches PATTERN.
expect() {
    local name=$1 pattern=$2; shift 2
    timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq "$pattern" "$WORK/err"; then
        echo "PASS bad-input $name (exit $rc)"; pass=$((pass + 1))
    else
        echo "FAIL bad-input $name (exit $rc)"; sed 's/^/    /' "$WORK/err" | head -5 >&2; fail=$((fail + 1))
    fi
}

mpicc.mpich -O2 "$HERE/bad-input/unsupported_call.c" -o "$WORK/unsupported"
mpicc.openmpi -O2 "$HERE/bad-input/unsupported_call.c" -o "$WORK/ompi_unsupported"
mpicc.mpich -O2 "$HERE/bad-input/mpich_only_call.c" -o "$WORK/mpich_only"
printf 'not an ELF file\n' >"$WORK/text"; chmod +x "$WORK/text"
printf 'int main(void){return 0;}\n' >"$WORK/s.c"; cc -static "$WORK/s.c" -o "$WORK/static" 2>/dev/null

for m in openmpi mpich; do
    expect "unsupported-call-$m" "MPI_Comm_spawn is not supported" "$CKPT_MPI" run -np 2 --mpi "$m" -- "$WORK/unsupported"
done
# Names MPICH exports beyond the spec (spec/mpich-exports.txt) link, and fail naming themselves.
expect "mpich-only-call-large-count" "^ckpt-mpi: MPI_Send_c is not supported" "$CKPT_MPI" run -np 2 --mpi openmpi -- "$WORK/mpich_only"
expect "mpich-only-call-mpix" "^ckpt-mpi: MPIX_Comm_revoke is not supported" "$CKPT_MPI" run -np 1 --mpi mpich -- "$WORK/mpich_only" revoke
# Through the Open MPI face (libmpi.so.40) too, the call fails naming itself.
expect "openmpi-face-unsupported-call" "MPI_Comm_spawn is not supported.*aborting" "$CKPT_MPI" run -np 2 --mpi mpich -- "$WORK/ompi_unsupported"
expect "missing-program" "no such file|not found" "$CKPT_MPI" run -np 1 -- "$WORK/does-not-exist"
expect "not-elf" "not an ELF" "$CKPT_MPI" run -np 1 -- "$WORK/text"
[ -x "$WORK/static" ] && expect "static-binary" "statically linked" "$CKPT_MPI" run -np 1 -- "$WORK/static"
expect "unknown-mpi" "mpi|MPI" "$CKPT_MPI" run -np 1 --mpi lam -- "$WORK/unsupported"
expect "zero-ranks" "np|rank" "$CKPT_MPI" run -np 0 -- "$WORK/unsupported"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
