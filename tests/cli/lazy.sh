#!/usr/bin/env bash
# `restart --lazy` (Sources/LowerHalf/Core/restore_lazy.c): the application
# resumes before its big regions are read, their pages come on first touch
# (userfaultfd) and from a background streamer.
#  - no MPI: lazy_data (dense, holey, read-only memory, hashed every step,
#    words written, a MiB dropped with madvise, the holey mapping moved with
#    mremap) restarted lazily prints every step hash of an uninterrupted run,
#    with the streamer racing the faults and with the streamer held back
#    (CKPT_MPI_TEST_LAZY_DELAY_MS: the faults serve everything), and most of
#    the data came on demand (stats line); held back, with the holey mapping
#    moved at once after the restart (none of it back yet) and a child forked
#    that hashes what nothing touched since: the moved pages follow their
#    mapping and the fork waits for the last page, so the child's hash is the
#    final one;
#  - MPI: checkpointed on Open MPI and restarted lazily on MPICH, and the other
#    way round with the streamer held back (rank 0 sends 8 MiB of its lazy
#    memory into rank 1's every step, so large messages leave and land on
#    pages not in yet): the same hashes as an uninterrupted run;
#  - a lazily restarted job checkpointed at once (its streamer held back, the
#    program not touching its memory): the checkpoint waits until every page
#    is in, and that image restarts into the uninterrupted run's end;
#  - a flipped byte deep in the image under --lazy: the rank is killed with the
#    one-line checksum error, before the program's end.
# LAZY_FULL=1: 1 GiB (no MPI) and 2 x 512 MiB (MPI) instead of 128 and 2 x 64
# (about 3 minutes here, against 50 s).
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
if [ -n "${LAZY_FULL:-}" ]; then MIB=1024 RMIB=512; else MIB=128 RMIB=64; fi
cc -O2 -Wall "$HERE/lazy_data.c" -o "$WORK/ld" || { ko "build lazy_data"; finish; exit 1; }
mpicc.mpich -O2 -DLAZY_MPI "$HERE/lazy_data.c" -o "$WORK/ldm" || { ko "build lazy_data (MPI)"; finish; exit 1; }
cc -O2 "$HERE/restore_data.c" -o "$WORK/rdata" || { ko "build restore_data"; finish; exit 1; }
STEPS=30 NSTEPS=50  # NSTEPS: the no-MPI run outlasts its streamer held back 2 s
"$WORK/ld" $MIB $NSTEPS >"$WORK/ref" 2>&1
"$WORK/ld" $MIB 150 fork >"$WORK/fref" 2>&1  # idle steps: 3 s
# UCX's mremap hook (native MPICH only; ckpt-mpi turns it off) fails a moving mremap.
UCX_MEM_EVENTS=no UCX_MEM_MALLOC_HOOKS=no timeout 120 mpiexec.mpich -n 2 "$WORK/ldm" $RMIB $STEPS >"$WORK/mref" 2>&1
for r in ref fref mref; do
    case "$(tail -1 "$WORK/$r")" in "hash "*) ;; *) ko "reference run $r: $(tail -2 "$WORK/$r")"; finish; exit 1 ;; esac
done
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
# same_as_ref OUT REF: every line of OUT is the uninterrupted run's (same step, same hash) and it ends as it
# ("forked H", a child's hash at a restart, must be the final hash)
same_as_ref() {
    [ -s "$1" ] && [ "$(tail -1 "$1")" = "$(tail -1 "$2")" ] && ! sed 's/^forked /hash /' "$1" | grep -vxFqf "$2"
}
# checkpoint_killed NAME ARGS...: a job of ARGS in the background on $WORK/NAME, checkpointed with --kill after 3 steps
checkpoint_killed() {
    local n=$1; shift
    (cd "$WORK" && timeout 120 "$CKPT_MPI" run --ckpt-dir "$WORK/$n" "$@" >"$WORK/$n.a.out" 2>"$WORK/$n.a.err" </dev/null) &
    local job=$!
    if wait_for_line "$WORK/$n.a.out" '^step 3 ' 60 && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$WORK/$n" --kill >"$WORK/$n.ck" 2>&1; then
        wait $job 2>/dev/null
        return 0
    fi
    ko "checkpoint of $n: $(cat "$WORK/$n.ck" 2>/dev/null) $(tail -2 "$WORK/$n.a.err")"
    kill -9 $job 2>/dev/null; wait $job 2>/dev/null
    return 1
}
# restart_lazy NAME LABEL REF [env...] [-- restart options]: restarts lazily and compares
restart_lazy() {
    local n=$1 label=$2 ref=$3 ; shift 3
    local envs=() opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    [ "${1:-}" = -- ] && { shift; opts=("$@"); }
    local t0=$(date +%s%3N)
    (cd "$WORK" && env CKPT_MPI_RESTORE_STATS=1 "${envs[@]}" timeout 120 "$CKPT_MPI" restart "$WORK/$n" --lazy "${opts[@]}" \
        >"$WORK/$n.r.out" 2>"$WORK/$n.r.err" </dev/null)
    local rc=$? ms=$(( $(date +%s%3N) - t0 ))
    local demand present
    demand=$(grep -o '[0-9]* bytes on demand' "$WORK/$n.r.err" | awk '{ s += $1 } END { print s + 0 }')
    present=$(grep -c 'restore: lazy: all [0-9]* bytes present [0-9]* ms after' "$WORK/$n.r.err")
    if [ $rc -eq 0 ] && same_as_ref "$WORK/$n.r.out" "$ref" && [ "$demand" -gt $(( ${want_mib} * 7 / 8 << 20 )) ] &&
        [ "$present" -ge 1 ] && { [ -z "${want_fork:-}" ] || grep -q '^forked ' "$WORK/$n.r.out"; }; then
        ok "$label: $(lines "$WORK/$n.r.out") lines, each the uninterrupted run's, in $ms ms ($((demand >> 20)) MiB on demand; $(grep -o 'all.*' "$WORK/$n.r.err" | head -1))"
    else
        ko "$label: rc $rc, $(lines "$WORK/$n.r.out") lines, $demand bytes on demand, $present done lines; first line not in the reference: '$(sed 's/^forked /hash /' "$WORK/$n.r.out" | grep -vxFf "$ref" | head -1)'; $(grep -v 'restore: ' "$WORK/$n.r.err" | tail -2)"
    fi
}

# ---- no MPI
want_mib=$MIB
if checkpoint_killed nompi --no-mpi -- "$WORK/ld" $MIB $NSTEPS; then
    ok "checkpoint of $MIB MiB ($(du -m "$WORK"/nompi/gen-*/rank-0000.img | cut -f1) MiB image)"
    restart_lazy nompi "lazy restart, streamer racing the faults" "$WORK/ref"
    restart_lazy nompi "lazy restart, streamer held back 2 s (faults serve everything)" "$WORK/ref" CKPT_MPI_TEST_LAZY_DELAY_MS=2000
fi
if checkpoint_killed fork --no-mpi -- "$WORK/ld" $MIB 150 fork; then
    want_fork=1
    restart_lazy fork "lazy restart, streamer held back 1 s, memory moved and a child forked at once" "$WORK/fref" \
        CKPT_MPI_TEST_LAZY_DELAY_MS=1000
    want_fork=
fi

# ---- MPI: checkpoint on one, restart lazily on the other
want_mib=$((RMIB * 2))
if checkpoint_killed ompi -np 2 --mpi openmpi -- "$WORK/ldm" $RMIB $STEPS; then
    restart_lazy ompi "Open MPI checkpoint, lazy restart on MPICH (2 x $RMIB MiB)" "$WORK/mref" -- --mpi mpich
fi
if checkpoint_killed mpich -np 2 --mpi mpich -- "$WORK/ldm" $RMIB $STEPS; then
    restart_lazy mpich "MPICH checkpoint, lazy restart on Open MPI (2 x $RMIB MiB), streamer held back 1 s" "$WORK/mref" \
        CKPT_MPI_TEST_LAZY_DELAY_MS=1000 -- --mpi openmpi
fi

# ---- checkpointed at once after a lazy restart (restore_data touches its memory only at the end)
"$WORK/rdata" $MIB 120 | tail -1 >"$WORK/rref"
D="$WORK/again"
(cd "$WORK" && timeout 120 "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/rdata" $MIB 120 >"$WORK/g.out" 2>"$WORK/g.err" </dev/null) &
job=$!
if wait_for_line "$WORK/g.out" '^step 3$' 60 && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >"$WORK/g.ck" 2>&1; then
    wait $job 2>/dev/null
    (cd "$WORK" && env CKPT_MPI_RESTORE_STATS=1 CKPT_MPI_TEST_LAZY_DELAY_MS=2000 timeout 120 "$CKPT_MPI" restart "$D" --lazy \
        >"$WORK/h.out" 2>"$WORK/h.err" </dev/null) &
    job=$!
    t0=$(date +%s%3N)
    if wait_for_ranks "$D" 1 30 && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >"$WORK/h.ck" 2>&1; then
        ck_ms=$(( $(date +%s%3N) - t0 ))
        wait $job 2>/dev/null
        (cd "$WORK" && timeout 120 "$CKPT_MPI" restart "$D" >"$WORK/i.out" 2>"$WORK/i.err" </dev/null)
        rc=$?
        if [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/i.out")" = "$(cat "$WORK/rref")" ] && [ "$ck_ms" -ge 1500 ] &&
            grep -q 'restore: lazy: all .* bytes present' "$WORK/h.err"; then
            ok "a checkpoint at once after a lazy restart waits for every page ($ck_ms ms with the streamer held 2 s) and restarts into $(tail -1 "$WORK/i.out") as uninterrupted"
        else
            ko "checkpoint after a lazy restart: $ck_ms ms, rc $rc, '$(tail -1 "$WORK/i.out")' vs '$(cat "$WORK/rref")'; $(tail -2 "$WORK/h.err") $(tail -1 "$WORK/i.err")"
        fi
    else
        ko "checkpoint at once after a lazy restart: $(cat "$WORK/h.ck" 2>/dev/null) $(tail -2 "$WORK/h.err")"
        kill -9 $job 2>/dev/null; wait $job 2>/dev/null
    fi
else
    ko "first checkpoint of restore_data: $(cat "$WORK/g.ck") $(tail -2 "$WORK/g.err")"
    kill -9 $job 2>/dev/null; wait $job 2>/dev/null
fi

# ---- a damaged image under --lazy: one flipped byte at 3/4 of the file
IMG=$(ls "$WORK"/nompi/gen-*/rank-0000.img 2>/dev/null | tail -1)
if [ -n "$IMG" ]; then
    size=$(stat -c %s "$IMG")
    off=$(( (size * 3 / 4) / 4096 * 4096 + 123 ))
    old=$(od -An -tu1 -j $off -N1 "$IMG" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (old ^ 255) & 255 )))" | dd of="$IMG" bs=1 seek=$off conv=notrunc status=none
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$WORK/nompi" --lazy >"$WORK/d.out" 2>"$WORK/d.err" </dev/null)
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq 'rank-0000\.img: region 0x[0-9a-f]+-0x[0-9a-f]+ is damaged \(checksum mismatch\)$' "$WORK/d.err" &&
        [ "$(grep -c 'ckpt-mpi: ' "$WORK/d.err")" -le 2 ] && ! grep -q '^hash' "$WORK/d.out"; then
        ok "a flipped byte at $off under --lazy kills the rank (rc $rc) after $(lines "$WORK/d.out") steps: $(grep 'is damaged' "$WORK/d.err")"
    else
        ko "flipped byte at $off under --lazy (rc=$rc): $(head -3 "$WORK/d.err")"
    fi
else
    ko "no image to damage"
fi
finish
