#!/usr/bin/env bash
# What runs while application threads are parked (the drain) must not take a
# lock a parked thread may hold. With MALLOC_ARENA_MAX=1 every thread shares
# one malloc arena lock; a thread churning through malloc/free is often parked
# holding it, while messages in flight must be drained into buffers. Each of
# six checkpoints must complete (before the fix every one timed out), the last
# one stops the job, and the restart on the other MPI prints the native answer.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
export MALLOC_ARENA_MAX=1
mpicc.mpich -O2 -pthread "$HERE/stop-programs/malloc_churn.c" -o "$WORK/malloc_churn" || { ko build; exit 1; }
timeout 120 mpiexec.mpich -n 2 "$WORK/malloc_churn" 80 >"$WORK/ref.out"

for mpi in mpich openmpi; do
    other=$([ $mpi = mpich ] && echo openmpi || echo mpich)
    d="$WORK/$mpi"; mkdir -p "$d"
    (cd "$d" && exec timeout 120 "$CKPT_MPI" run -np 2 --mpi $mpi --ckpt-dir "$d/ck" --checkpoint-timeout 15 -- \
        "$WORK/malloc_churn" 80 >"$d/a.out" 2>"$d/a.err") &
    job=$!
    sleep 1
    done=0 why=""
    for i in 1 2 3 4 5; do
        if timeout 30 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" >>"$d/ck.out" 2>&1; then done=$((done + 1)); fi
        sleep 0.2
    done
    timeout 30 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >>"$d/ck.out" 2>&1 && done=$((done + 1))
    wait $job
    rc=$?
    [ $done -eq 6 ] || why="only $done of 6 checkpoints completed: $(grep -m1 failed "$d/ck.out")"
    [ -z "$why" ] && [ $rc -ne 75 ] && why="the stopped job exited $rc, not 75"
    (cd "$d" && timeout 120 "$CKPT_MPI" restart "$d/ck" --mpi $other >"$d/b.out" 2>"$d/b.err")
    [ -z "$why" ] && ! cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ref.out" && why="output differs after the restart on $other: $(tail -1 "$d/b.err")"
    if [ -z "$why" ]; then ok "malloc-churn $mpi->$other (6 checkpoints with a thread parked in malloc, drained, restarted)"
    else ko "malloc-churn $mpi->$other: $why"; fi
done
finish
