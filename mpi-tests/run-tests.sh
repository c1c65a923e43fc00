#!/usr/bin/env bash
# MPI conformance suite driver for ckpt-mpi.
#
# Builds every mpi-tests/programs/*.c with mpicc.mpich (and every *.f90, the
# Fortran programs, with mpifort.mpich), runs each one natively with
# mpiexec.mpich to obtain the reference output, then runs it under each
# configured mode and compares the sorted stdout lines with the reference.
# The modes that rebuild with Open MPI use mpicc.openmpi / mpifort.openmpi.
#
# Environment:
#   CKPT_TEST_MODES   space separated modes (default "openmpi mpich")
#                       openmpi|mpich    -> $CKPT_MPI run -np N --mpi M -- ./prog
#                       native-mpich     -> mpiexec.mpich -n N ./prog (sanity)
#                       native-openmpi   -> prog rebuilt with mpicc.openmpi,
#                                           run with mpirun.openmpi
#                       ompi-openmpi|ompi-mpich
#                                        -> prog rebuilt with mpicc.openmpi (Open MPI
#                                           face, libmpi.so.40), $CKPT_MPI run --mpi M
#   CKPT_MPI          path to ckpt-mpi (default $(dirname $0)/../.build/release/ckpt-mpi)
#   CKPT_TEST_FILTER  extended regex; only programs whose name matches run
#   CKPT_TEST_TIMEOUT per-run timeout in seconds (default 60)
#   CKPT_TEST_NP      override rank counts (e.g. "2"); counts not listed in a
#                     program's header are skipped
#   CKPT_TEST_ONE_NP_MODES  modes run at a program's first rank count only
#                     (the others at all of them): one invocation can cover
#                     many modes without multiplying the slowest runs
#   CKPT_TEST_OMPI_PROGRAMS  file of program names (one per line): the
#                     ompi-* modes run only for these (the programs Open MPI's
#                     headers can build), the other modes for all
set -u -o pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PROGDIR="$HERE/programs"
BUILD="$HERE/build"
MODES="${CKPT_TEST_MODES:-openmpi mpich}"
CKPT_MPI="${CKPT_MPI:-$HERE/../.build/release/ckpt-mpi}"
FILTER="${CKPT_TEST_FILTER:-}"
TMO="${CKPT_TEST_TIMEOUT:-60}"
NP_OVERRIDE="${CKPT_TEST_NP:-}"
ONE_NP_MODES=" ${CKPT_TEST_ONE_NP_MODES:-} "
OMPI_PROGRAMS=""
if [ -n "${CKPT_TEST_OMPI_PROGRAMS:-}" ]; then OMPI_PROGRAMS=" $(tr '\n' ' ' <"$CKPT_TEST_OMPI_PROGRAMS") "; fi
CFLAGS="-O2 -std=gnu99 -Wall -Wno-stringop-overflow -Wno-stringop-overread -pthread -I$PROGDIR"
# mpif.h declares no interfaces: gfortran >= 10 refuses one buffer passed as both an
# INTEGER and a REAL array unless told that this is the old Fortran MPI idiom.
FFLAGS="-O2 -Wall -Wno-unused-variable -Wno-maybe-uninitialized -fallow-argument-mismatch"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Keep Open MPI quiet and local-only (no network probing on a 2-core box).
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
export OMPI_MCA_rmaps_base_oversubscribe=1

mkdir -p "$BUILD/mpich" "$BUILD/openmpi" "$BUILD/out"

need_openmpi=0
for m in $MODES; do case "$m" in native-openmpi|ompi-*) need_openmpi=1 ;; esac; done

if [[ " $MODES " =~ \ (ompi-)?(openmpi|mpich)\  ]] && [ ! -x "$CKPT_MPI" ]; then
    echo "warning: CKPT_MPI=$CKPT_MPI is not executable; ckpt-mpi modes will fail" >&2
fi

# ---- build ----------------------------------------------------------------
progs=()
build_fail=0
# ompi_program NAME: whether the ompi-* modes run NAME
ompi_program() { [ -z "$OMPI_PROGRAMS" ] || [[ "$OMPI_PROGRAMS" == *" $1 "* ]]; }
# modes_for NAME NP FIRST_NP: the modes that run NAME at NP ranks
modes_for() {
    local m out=""
    for m in $MODES; do
        case "$m" in native-openmpi|ompi-*) ompi_program "$1" || continue ;; esac
        [[ "$ONE_NP_MODES" == *" $m "* && "$2" != "$3" ]] && continue
        out="$out $m"
    done
    echo $out
}
# build SRC MPI OUT LOG: compiles one program with the MPI's wrapper for its language.
build() {
    case "$1" in
        *.f90) "mpifort.$2" $FFLAGS -J "$(dirname "$3")" "$1" -o "$3" 2>"$4" ;;  # -J: its .mod files
        *) "mpicc.$2" $CFLAGS "$1" -o "$3" -lm 2>"$4" ;;
    esac
}
for src in "$PROGDIR"/*.c "$PROGDIR"/*.f90; do
    name="$(basename "$src")"; name="${name%.*}"
    if [ -n "$FILTER" ] && ! [[ "$name" =~ $FILTER ]]; then continue; fi
    if ! build "$src" mpich "$BUILD/mpich/$name" "$BUILD/out/$name.build.mpich.log"; then
        echo "BUILD-FAIL $name (mpich)"; cat "$BUILD/out/$name.build.mpich.log" >&2
        build_fail=$((build_fail + 1)); continue
    fi
    if [ $need_openmpi = 1 ] && ompi_program "$name"; then
        if ! build "$src" openmpi "$BUILD/openmpi/$name" "$BUILD/out/$name.build.openmpi.log"; then
            echo "BUILD-FAIL $name (openmpi)"; cat "$BUILD/out/$name.build.openmpi.log" >&2
            build_fail=$((build_fail + 1)); continue
        fi
    fi
    progs+=("$name")
done

# prog_src NAME: the program's source file (C or Fortran)
prog_src() {
    if [ -e "$PROGDIR/$1.c" ]; then echo "$PROGDIR/$1.c"; else echo "$PROGDIR/$1.f90"; fi
}

# ---- run helpers ------------------------------------------------------------
# run_mode MODE NP NAME OUTFILE ERRFILE -> exit status of the run
run_mode() {
    local mode="$1" np="$2" name="$3" out="$4" err="$5"
    local wd; wd="$(mktemp -d "$BUILD/out/wd.XXXXXX")"
    local rc
    # A program's "/* env: VAR=VALUE ... */" header ("! env: ..." in Fortran): what it needs for this run only
    # (the one-sided programs need Open MPI's single-copy mechanism back for osc/rdma).
    local kv k saved=()
    for kv in $(grep -m1 -oE '^(/\*|!) *env:[^*]*' "$(prog_src "$name")" | sed -E 's#^(/\*|!) *env:##'); do
        k="${kv%%=*}"; saved+=("$k=${!k-}"); export "$kv"
    done
    case "$mode" in
        reference|native-mpich)
            # Native MPICH busy-polls: oversubscribed, every hop of a token waits for a
            # time slice, so it gets three times the timeout (ckpt-mpi's ranks yield).
            local rtmo=$TMO
            [ "$np" -gt "$(nproc)" ] && rtmo=$((TMO * 3))
            (cd "$wd" && timeout -k 5 "$rtmo" mpiexec.mpich -n "$np" "$BUILD/mpich/$name") >"$out" 2>"$err" </dev/null ;;
        native-openmpi)
            (cd "$wd" && timeout -k 5 "$TMO" mpirun.openmpi --oversubscribe -np "$np" "$BUILD/openmpi/$name") >"$out" 2>"$err" </dev/null ;;
        ompi-openmpi|ompi-mpich)
            (cd "$wd" && timeout -k 5 "$TMO" "$CKPT_MPI" run -np "$np" --mpi "${mode#ompi-}" -- "$BUILD/openmpi/$name") >"$out" 2>"$err" </dev/null ;;
        replay-openmpi|replay-mpich)
            # Every object is rebuilt from the constructor record at the first
            # MPI_Barrier (what a restart does on a new lower half).
            (cd "$wd" && CKPT_MPI_TEST_REPLAY_AT_BARRIER=1 timeout -k 5 "$TMO" "$CKPT_MPI" run -np "$np" --mpi "${mode#replay-}" -- "$BUILD/mpich/$name") >"$out" 2>"$err" </dev/null ;;
        *)
            (cd "$wd" && timeout -k 5 "$TMO" "$CKPT_MPI" run -np "$np" --mpi "$mode" -- "$BUILD/mpich/$name") >"$out" 2>"$err" </dev/null ;;
    esac
    rc=$?
    for kv in "${saved[@]}"; do export "$kv"; done
    rm -rf "$wd"
    return $rc
}

prog_ranks() {
    local r
    r="$(grep -m1 -oE '^(/\*|!) *ranks:[ 0-9]+' "$(prog_src "$1")" | sed -E 's#^(/\*|!) *ranks:##')"
    [ -n "$r" ] || r="1 2"
    if [ -n "$NP_OVERRIDE" ]; then
        local keep="" n
        for n in $NP_OVERRIDE; do [[ " $r " == *" $n "* ]] && keep="$keep $n"; done
        r="$keep"
    fi
    echo $r
}

# ---- run --------------------------------------------------------------------
pass=0; fail=$build_fail
for name in "${progs[@]}"; do
    ranks=$(prog_ranks "$name")
    for np in $ranks; do
        modes=$(modes_for "$name" "$np" "${ranks%% *}")
        [ -n "$modes" ] || continue
        base="$BUILD/out/$name.np$np"
        rc=0
        run_mode reference "$np" "$name" "$base.ref.out" "$base.ref.err" || rc=$?
        # Native MPICH busy-polls: oversubscribed on a loaded machine it can miss the
        # timeout without anything being wrong; a second try tells the two apart.
        if [ $rc -eq 124 ]; then
            echo "--- reference run of $name np=$np timed out; trying once more" >&2
            rc=0; run_mode reference "$np" "$name" "$base.ref.out" "$base.ref.err" || rc=$?
        fi
        if [ $rc -ne 0 ]; then
            for m in $modes; do
                echo "FAIL $name np=$np $m"
                fail=$((fail + 1))
            done
            { echo "--- reference run (mpiexec.mpich) failed rc=$rc for $name np=$np"; head -n 20 "$base.ref.err"; } >&2
            continue
        fi
        sort "$base.ref.out" >"$base.ref.sorted"
        for m in $modes; do
            rc=0
            run_mode "$m" "$np" "$name" "$base.$m.out" "$base.$m.err" || rc=$?
            sort "$base.$m.out" >"$base.$m.sorted"
            if [ $rc -eq 0 ] && diff -q "$base.ref.sorted" "$base.$m.sorted" >/dev/null; then
                echo "PASS $name np=$np $m"
                pass=$((pass + 1))
            else
                echo "FAIL $name np=$np $m"
                fail=$((fail + 1))
                {
                    echo "--- $name np=$np $m: exit status $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
                    diff -u "$base.ref.sorted" "$base.$m.sorted" | head -n 20
                    echo "--- stderr (first 20 lines):"
                    head -n 20 "$base.$m.err"
                } >&2
            fi
        done
    done
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
