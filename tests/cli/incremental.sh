#!/usr/bin/env bash
# Incremental images (run --incremental): a generation stores only the pages
# written since its parent. incr_app rewrites a fixed pseudo-random 5 % of its
# pages per step (and zaps some with MADV_DONTNEED) and checks every page's
# sequence number at every step, so a page restored from the wrong generation
# prints BAD and changes the final hash. Checks: a chain of ~10 generations
# with --full-every 4 has deltas that name their parents and are smaller than
# the full images; --keep 2 keeps every generation a kept one needs; random
# kill -9 + restart, twice (the restarted job keeps --incremental), ends as the
# uninterrupted run (the first restart is a lazy one); inspect shows the chain and --verify checks it; a
# deleted, replaced or damaged parent makes restart refuse in one line naming
# it; an MPI job checkpointed incrementally on Open MPI restarts on MPICH.
# INCREMENTAL_FULL=1: more generations and kills.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
cc -O2 -Wall "$HERE/incr_app.c" -o "$WORK/app" || { ko "build incr_app"; finish; exit 1; }
MIB=64 PCT=5 MS=40
STEPS=${INCREMENTAL_STEPS:-250}
ROUNDS=2 CKPTS=5
[ -n "${INCREMENTAL_FULL:-}" ] && STEPS=600 ROUNDS=4 CKPTS=8
"$WORK/app" $MIB $STEPS $PCT 0 >"$WORK/ref.out" 2>&1
REF="$(tail -1 "$WORK/ref.out")"
case "$REF" in "done hash "*" bad 0") ;; *) ko "reference run: $REF"; finish; exit 1 ;; esac
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
D="$WORK/ck"
valid_gens() { for m in "$D"/gen-*/MANIFEST.json; do [ -f "$m" ] && dirname "$m"; done; }
manifest_field() { sed -n "s/.*\"$2\" *: *\\([0-9]*\\).*/\\1/p" "$D/$(printf 'gen-%06d' "$1")/MANIFEST.json" | head -1; }
# checkpoints N: N checkpoints of the running job at random moments; counts failures
checkpoints() {
    local i
    for ((i = 0; i < $1; i++)); do
        sleep "0.$((RANDOM % 4 + 1))"
        timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >>"$WORK/ck.log" 2>&1 || ck_failed=$((ck_failed + 1))
    done
}
# depth_of G: how many deltas lead from G down to its full generation
depth_of() {
    local g=$1 n=0 p
    while p=$(manifest_field $g parent 2>/dev/null) && [ -n "$p" ]; do n=$((n + 1)); g=$p; done
    echo $n
}
# broken_chains: generations whose parent was pruned (or lost)
broken_chains() {
    local m g p out=""
    for m in "$D"/gen-*/MANIFEST.json; do
        g=$(basename "$(dirname "$m")"); g=$((10#${g#gen-}))
        p=$(manifest_field $g parent)
        [ -n "$p" ] && [ ! -f "$D/$(printf 'gen-%06d' "$p")/MANIFEST.json" ] && out="$out $g->$p"
    done
    echo "$out"
}
ck_failed=0
"$CKPT_MPI" run --no-mpi --verbose --incremental --full-every 4 --keep 2 --ckpt-dir "$D" -- "$WORK/app" $MIB $STEPS $PCT $MS \
    >"$WORK/r0.out" 2>"$WORK/r0.err" </dev/null &
job=$!
wait_for_line "$WORK/r0.out" "^step 3 " || ko "the job did not start: $(tail -1 "$WORK/r0.err")"
checkpoints $CKPTS
# the chain as the manifests tell it, and the keep rule
broken=$(broken_chains)
[ -z "$broken" ] && ok "--keep 2 kept every parent a kept generation needs ($(ls -d "$D"/gen-* | wc -l) generations)" \
    || ko "generations whose parent was pruned:$broken"
newest=$(valid_gens | tail -1); newest=$((10#${newest##*gen-}))
kill -9 $job 2>/dev/null; wait $job 2>/dev/null
sleep 0.5
"$CKPT_MPI" list "$D" >"$WORK/list.out" 2>&1
if grep -q "incremental, parent gen-" "$WORK/list.out" && ! grep -qE "damaged|incomplete" "$WORK/list.out"; then
    ok "list shows the incremental generations and their parents"
else
    ko "list: $(tr '\n' '|' <"$WORK/list.out")"
fi

# restart at random points, twice (or more), checkpointing incrementally in between
for ((round = 1; round < ROUNDS; round++)); do
    from=$(valid_gens | tail -1); from=$((10#${from##*gen-}))
    # the first round restarts lazily: pages arrive while the tracking starts
    lazy=""; [ $round -eq 1 ] && lazy=--lazy
    "$CKPT_MPI" restart "$D" $lazy >"$WORK/r$round.out" 2>"$WORK/r$round.err" </dev/null &
    job=$!
    wait_for_line "$WORK/r$round.out" "^step " || ko "round $round: the restart did not resume: $(tail -1 "$WORK/r$round.err")"
    # a restored process tracks from its image on: its first image is a delta of it
    # (unless --full-every 4 says the chain is long enough)
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >>"$WORK/ck.log" 2>&1
    first=$(valid_gens | tail -1); first=$((10#${first##*gen-}))
    want=$from; [ $(($(depth_of $from) + 1)) -ge 4 ] && want=""
    [ "$first" -gt "$from" ] && [ "$(manifest_field $first parent)" = "$want" ] \
        && ok "round $round: the first image after restarting gen $from (chain depth $(depth_of $from)) is $([ -n "$want" ] && echo "a delta of it" || echo full) (gen $first)" \
        || ko "round $round: restarted gen $from, first image gen $first has parent '$(manifest_field $first parent)': $(grep -E 'incremental|full image|restarting' "$WORK/r$round.err" | tr '\n' '|')"
    checkpoints $CKPTS
    # the kill may land in the middle of a checkpoint: that generation never completes
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >>"$WORK/ck.log" 2>&1 &
    sleep "0.$((RANDOM % 3))"
    kill -9 $job 2>/dev/null; wait $job 2>/dev/null
    wait
    sleep 0.5
    broken=$(broken_chains)
    [ -z "$broken" ] || ko "round $round: generations whose parent is gone:$broken"
done
grep -h "^BAD" "$WORK"/r*.out | head -3 >"$WORK/bad.txt"
[ ! -s "$WORK/bad.txt" ] && ok "no page of a wrong generation in $ROUNDS runs ($ck_failed checkpoints failed)" \
    || ko "pages restored wrong: $(head -1 "$WORK/bad.txt")"
incr=0 full=0 incr_bytes=0 full_bytes=0
for m in "$D"/gen-*/MANIFEST.json; do
    g=$(basename "$(dirname "$m")"); g=$((10#${g#gen-}))
    b=$(sed -n 's/.*"bytes" *: *\([0-9]*\).*/\1/p' "$m" | head -1)
    if [ -n "$(manifest_field $g parent)" ]; then incr=$((incr + 1)); incr_bytes=$b; else full=$((full + 1)); full_bytes=$b; fi
done
if [ $incr -ge 1 ] && [ "$incr_bytes" -lt "$full_bytes" ]; then
    ok "deltas are smaller than full images ($incr_bytes vs $full_bytes bytes; $incr incremental, $full full kept)"
else
    ko "incremental $incr ($incr_bytes bytes), full $full ($full_bytes bytes)"
fi
# the restarted job kept --incremental: its later generations are deltas too
last=$(valid_gens | tail -1); last=$((10#${last##*gen-}))
[ "$last" -gt "$newest" ] && [ -n "$(manifest_field $last parent)$(manifest_field $((last - 1)) parent)" ] \
    && ok "the restarted job keeps writing incremental images (gen $last)" \
    || ko "after restart: newest gen $last (before $newest), parents '$(manifest_field $last parent)'"

# inspect: the chain, and --verify of it
delta=""
for g in $(valid_gens | sort -r); do
    [ -n "$(manifest_field $((10#${g##*gen-})) parent)" ] && { delta=$g; break; }
done
if [ -n "$delta" ]; then
    "$CKPT_MPI" inspect "$delta/rank-0000.img" >"$WORK/inspect.out" 2>&1
    "$CKPT_MPI" inspect --verify "$delta/rank-0000.img" >/dev/null 2>"$WORK/verify.err"
    vrc=$?
    grep -q "^parent .*chain gen-" "$WORK/inspect.out" && [ $vrc -eq 0 ] \
        && ok "inspect shows the chain ($(grep -o 'chain .*' "$WORK/inspect.out")), --verify passes" \
        || ko "inspect: $(grep '^parent' "$WORK/inspect.out") verify rc $vrc $(cat "$WORK/verify.err")"
else
    ko "no incremental generation left to inspect"
fi

# the last run, to the end
"$CKPT_MPI" restart "$D" >"$WORK/rend.out" 2>"$WORK/rend.err" </dev/null
rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/rend.out")" = "$REF" ] && ! grep -q BAD "$WORK/rend.out"; then
    ok "after $ROUNDS kill -9 + restarts the job ends as the uninterrupted run ($REF)"
else
    ko "final restart rc $rc: '$(tail -1 "$WORK/rend.out")' (want '$REF') $(tail -1 "$WORK/rend.err")"
fi

# a missing, replaced or damaged parent: restart refuses in one line naming it
if [ -n "$delta" ]; then
    g=$((10#${delta##*gen-}))
    p=$(manifest_field $g parent); pname=$(printf 'gen-%06d' "$p")
    refuses() {  # refuses <label> <regex>
        local out rc
        out=$("$CKPT_MPI" restart --gen $g "$WORK/bad" 2>&1 </dev/null); rc=$?
        if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -v '^ckpt-mpi: note' | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -qE "$2"; then
            ok "$1: restart refuses in one line ($(printf '%s' "$out" | grep -v '^ckpt-mpi: note' | cut -c1-150))"
        else
            ko "$1: rc $rc: $out"
        fi
    }
    rm -rf "$WORK/bad"; cp -a "$D" "$WORK/bad"; rm -f "$WORK/bad/$pname/rank-0000.img"
    refuses "deleted parent" "$pname/rank-0000.img.*missing"
    rm -rf "$WORK/bad"; cp -a "$D" "$WORK/bad"
    printf '\xff\xff\xff\xff' | dd of="$WORK/bad/$pname/rank-0000.img" bs=1 seek=5000 conv=notrunc status=none
    refuses "parent with a damaged header" "$pname.*damaged"
    rm -rf "$WORK/bad"; cp -a "$D" "$WORK/bad"
    # damaged data: only the lower half reads it, and names the parent
    ds=$(od -An -tu8 -j 240 -N8 "$WORK/bad/$pname/rank-0000.img" | tr -d " "); dz=$(od -An -tu8 -j 248 -N8 "$WORK/bad/$pname/rank-0000.img" | tr -d " ")
    printf '\x5a\xa5\x5a\xa5' | dd of="$WORK/bad/$pname/rank-0000.img" bs=1 seek=$((ds + dz / 8192 * 4096 + 100)) conv=notrunc status=none
    out=$(timeout 60 "$CKPT_MPI" restart --gen $g "$WORK/bad" 2>&1 </dev/null); rc=$?
    if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "its parent image .*$pname/rank-0000.img is damaged"; then
        ok "parent with damaged data: the restore refuses naming it"
    else
        ko "parent with damaged data: rc $rc: $(printf '%s' "$out" | tail -2 | tr '\n' '|')"
    fi
    rm -rf "$WORK/bad"
fi

# MPI: an incremental chain on Open MPI, restarted on MPICH
if command -v mpicc.mpich >/dev/null && mpicc.mpich -DWITH_MPI -O2 "$HERE/incr_app.c" -o "$WORK/mapp" 2>"$WORK/mpicc.err"; then
    MSTEPS=120
    mpirun.mpich -np 2 "$WORK/mapp" 32 $MSTEPS $PCT 0 >"$WORK/mref.out" 2>&1
    MREF="$(tail -1 "$WORK/mref.out")"
    D="$WORK/mck"
    "$CKPT_MPI" run -np 2 --mpi openmpi --incremental --ckpt-dir "$D" -- "$WORK/mapp" 32 $MSTEPS $PCT $MS \
        >"$WORK/m0.out" 2>"$WORK/m0.err" </dev/null &
    job=$!
    wait_for_line "$WORK/m0.out" "^step 3 " 60 || ko "mpi job did not start: $(tail -1 "$WORK/m0.err")"
    checkpoints 3
    kill -9 $job 2>/dev/null; wait $job 2>/dev/null
    sleep 0.5
    last=$(valid_gens | tail -1); last=$((10#${last##*gen-}))
    "$CKPT_MPI" restart --mpi mpich "$D" >"$WORK/m1.out" 2>"$WORK/m1.err" </dev/null
    rc=$?
    if [ -n "$(manifest_field $last parent)" ] && [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/m1.out")" = "$MREF" ]; then
        ok "2 ranks, incremental on Open MPI, restarted on MPICH from delta gen $last: ends as the uninterrupted run"
    else
        ko "mpi: gen $last parent '$(manifest_field $last parent)', rc $rc, '$(tail -1 "$WORK/m1.out")' (want '$MREF') $(tail -1 "$WORK/m1.err")"
    fi
else
    ko "build incr_app with mpicc.mpich: $(tail -1 "$WORK/mpicc.err")"
fi
finish
