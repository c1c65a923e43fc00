#!/usr/bin/env bash
# Compressed images (--compress zstd[:LEVEL], docs/image-format.md
# "Compression"). A 2-rank job of compress_app (structured memory that
# changes every step, a hash of it per step) is
#  - run on MPICH with --compress zstd and stopped by a checkpoint (the
#    copy-on-write writer): inspect shows a format-3 image with a ratio above
#    1, inspect --verify passes;
#  - restarted on Open MPI without --compress (it keeps zstd:3) and stopped
#    again: that image is zstd:3 too;
#  - restarted on MPICH with --compress zstd:9, stopped: zstd:9;
#  - restarted with --compress none and run to its end: every line it prints
#    is the uninterrupted run's;
#  - with --incremental too: compressed deltas (gen 2 of gen 1, gen 3 of gen
#    2 after a restart on Open MPI) restart on MPICH into the uninterrupted run,
#    and (without MPI) a byte flipped in a compressed ancestor refuses the
#    restart of its delta in one line;
# Then: a byte flipped inside a compressed frame is refused by the restart
# and by inspect --verify in one line; a job of random and holey memory
# (tests/cli/restore_data.c: frames stored as is, frames of many extents)
# checkpointed by the inline writer (CKPT_MPI_WRITER=inline) at zstd:1
# restarts, with readers and with the restoring thread alone, into the
# hash of an uninterrupted run; --compress zstd:25 is refused in one line.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
MIB=${COMPRESS_APP_MIB:-32}
STEPS=${COMPRESS_STEPS:-60}
mpicc.mpich -O2 "$HERE/compress_app.c" -o "$WORK/capp" || { ko "build compress_app"; finish; exit 1; }
timeout 120 mpiexec.mpich -n 2 "$WORK/capp" $MIB $STEPS >"$WORK/ref.out" 2>&1
REF=$(tail -1 "$WORK/ref.out")
[ "$(grep -c '^step' "$WORK/ref.out")" -eq "$STEPS" ] || { ko "reference run: $REF"; finish; exit 1; }
lines() { grep -c '^step' "$1" 2>/dev/null; }
D="$WORK/ck"
newest() { ls "$D"/gen-*/rank-0000.img 2>/dev/null | tail -1; }
# stop LABEL WANT: checkpoint --kill the job of $D once all ranks are there; its newest image must be WANT (zstd:N)
stop() {
    local img line
    if ! wait_for_ranks "$D" 2 60 || ! timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >"$WORK/ck.out" 2>&1; then
        ko "$1: checkpoint: $(tail -2 "$WORK/ck.out")"
        return 1
    fi
    wait $job 2>/dev/null
    img=$(newest)
    line=$("$CKPT_MPI" inspect "$img" 2>&1 | grep '^compressed')
    local ratio=$(echo "$line" | sed -n 's/.* ratio \([0-9.]*\)$/\1/p')
    if echo "$line" | grep -q "^compressed $2: " && awk -v r="${ratio:-0}" 'BEGIN { exit !(r > 1.0) }' &&
        "$CKPT_MPI" inspect "$img" | grep -q "format 3"; then
        ok "$1: image $(basename "$(dirname "$img")") is $line"
    else
        ko "$1: want $2 with a ratio above 1: '$line'"
    fi
}
tail_of_ref() {  # tail_of_ref FILE LABEL: every step line of FILE is the reference's, to its last one
    local n; n=$(lines "$1")
    if [ "$n" -gt 0 ] && [ "$(tail -n "$n" "$WORK/ref.out")" = "$(grep '^step' "$1")" ]; then ok "$2: $n steps, ending '$REF' as uninterrupted"
    else ko "$2: $n steps, last '$(tail -1 "$1")' (want '$REF'); $(tail -2 "${1%.out}.err")"; fi
}
# wait_steps FILE: until the job printed 3 more steps
wait_steps() { wait_for_line "$1" "^step ([4-9]|[1-9][0-9])" 60; }
(cd "$WORK" && exec timeout 300 "$CKPT_MPI" run -np 2 --mpi mpich --compress zstd --ckpt-dir "$D" -- \
    "$WORK/capp" $MIB $STEPS >"$WORK/run.out" 2>"$WORK/run.err") &
job=$!
wait_steps "$WORK/run.out"
stop "run --compress zstd (COW writer, MPICH)" zstd:3
if "$CKPT_MPI" inspect --verify "$(newest)" >"$WORK/v.out" 2>&1; then ok "inspect --verify passes on a compressed image"
else ko "inspect --verify: $(tail -1 "$WORK/v.out")"; fi
(cd "$WORK" && exec timeout 300 "$CKPT_MPI" restart "$D" --mpi openmpi >"$WORK/r1.out" 2>"$WORK/r1.err") &
job=$!
wait_for_line "$WORK/r1.out" '^step' 60
stop "restart on Open MPI keeps the job's compression" zstd:3
(cd "$WORK" && exec timeout 300 "$CKPT_MPI" restart "$D" --mpi mpich --compress zstd:9 >"$WORK/r2.out" 2>"$WORK/r2.err") &
job=$!
wait_for_line "$WORK/r2.out" '^step' 60
stop "restart --compress zstd:9 changes it" zstd:9
(cd "$WORK" && timeout 300 "$CKPT_MPI" restart "$D" --mpi openmpi --compress none >"$WORK/r3.out" 2>"$WORK/r3.err")
tail_of_ref "$WORK/r3.out" "compressed images restarted three times, on both MPIs"

# With --incremental: a compressed full image, a compressed delta of it (its runs of written
# pages as frames), restarted on Open MPI (the chain fill reads the ancestor through its
# frames), a compressed delta of the restored image, restarted on MPICH to the end.
delta_of() {  # delta_of GEN PARENT: the newest image is generation GEN, a delta of PARENT
    local img; img=$(newest)
    case "$img" in */gen-$(printf %06d "$1")/*) ;; *) return 1 ;; esac
    "$CKPT_MPI" inspect "$img" 2>&1 | grep -q "^parent *gen-$(printf %06d "$2") "
}
D="$WORK/cki"
(cd "$WORK" && exec timeout 300 "$CKPT_MPI" run -np 2 --mpi mpich --compress zstd:1 --incremental --ckpt-dir "$D" -- \
    "$WORK/capp" $MIB $STEPS >"$WORK/in.out" 2>"$WORK/in.err") &
job=$!
if wait_steps "$WORK/in.out" && wait_for_ranks "$D" 2 60 && timeout 120 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >"$WORK/ick1.out" 2>&1 &&
    "$CKPT_MPI" inspect "$(newest)" | grep -q '^compressed zstd:1: '; then
    ok "run --compress zstd:1 --incremental: gen 1 is a compressed full image"
else
    ko "compressed incremental gen 1: $(tail -2 "$WORK/ick1.out") $(tail -2 "$WORK/in.err")"
fi
sleep 1
stop "run --compress zstd:1 --incremental, gen 2" zstd:1
if delta_of 2 1; then ok "gen 2 is a compressed delta of gen 1"; else ko "gen 2: $("$CKPT_MPI" inspect "$(newest)" 2>&1 | grep -E '^(parent|compressed)')"; fi
(cd "$WORK" && exec timeout 300 "$CKPT_MPI" restart "$D" --mpi openmpi >"$WORK/ir1.out" 2>"$WORK/ir1.err") &
job=$!
wait_for_line "$WORK/ir1.out" '^step' 60
stop "compressed delta restarted on Open MPI, gen 3" zstd:1
if delta_of 3 2; then ok "gen 3 (after the restart) is a compressed delta of gen 2"; else ko "gen 3: $("$CKPT_MPI" inspect "$(newest)" 2>&1 | grep -E '^(parent|compressed)'); $(tail -2 "$WORK/ir1.err")"; fi
(cd "$WORK" && timeout 300 "$CKPT_MPI" restart "$D" --mpi mpich >"$WORK/ir2.out" 2>"$WORK/ir2.err")
tail_of_ref "$WORK/ir2.out" "a chain of compressed deltas restarted on both MPIs"
# A flipped byte in the middle of the largest compressed frame (of a job without MPI: an
# MPI job whose rank dies in its restore does not end yet, whatever the damage).
cc -O2 -DCAPP_NO_MPI "$HERE/compress_app.c" -o "$WORK/capp1"
F="$WORK/ck1"
(cd "$WORK" && timeout 120 "$CKPT_MPI" run --no-mpi --compress zstd --ckpt-dir "$F" -- "$WORK/capp1" 16 600 \
    >"$WORK/n.out" 2>"$WORK/n.err") &
job=$!
if wait_steps "$WORK/n.out" && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$F" --kill >"$WORK/nck.out" 2>&1; then
    wait $job 2>/dev/null
    GEN1=$(ls "$F"/gen-*/rank-0000.img | tail -1)
    frame=$("$CKPT_MPI" inspect --json "$GEN1" | python3 -c '
import json, sys
f = [x for x in json.load(sys.stdin)["frames"] if x["csize"] < x["ulen"]]
f.sort(key=lambda x: -x["csize"])
print("%d %d" % (f[0]["file_off"], f[0]["file_off"] + f[0]["csize"] // 2) if f else "")')
    start=${frame% *} frame=${frame#* }
else
    ko "checkpoint without MPI: $(tail -2 "$WORK/nck.out") $(tail -2 "$WORK/n.err")"
    wait $job 2>/dev/null
    frame=
fi
if [ -n "$frame" ]; then
    cp "$GEN1" "$WORK/good.img"
    old=$(od -An -tu1 -j "$frame" -N1 "$GEN1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (old ^ 255) & 255 )))" | dd of="$GEN1" bs=1 seek="$frame" conv=notrunc status=none
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$F" >"$WORK/d.out" 2>"$WORK/d.err")
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq 'rank-0000\.img: region 0x[0-9a-f]+-0x[0-9a-f]+ is damaged \((checksum mismatch|its compressed data does not decompress)\)$' "$WORK/d.err" &&
        [ "$(grep -c 'ckpt-mpi: ' "$WORK/d.err")" -le 2 ] && ! grep -q '^step' "$WORK/d.out"; then
        ok "a byte flipped in a compressed frame is refused: $(grep -m1 'is damaged' "$WORK/d.err" | sed 's/.*rank-0000.img: //')"
    else
        ko "damaged frame at $frame (rc=$rc): $(grep -v '^$' "$WORK/d.err" | head -3)"
    fi
    if ! "$CKPT_MPI" inspect --verify "$GEN1" >"$WORK/dv.out" 2>"$WORK/dv.err" && [ "$(wc -l <"$WORK/dv.err")" -eq 1 ] &&
        grep -q 'is damaged' "$WORK/dv.err"; then
        ok "inspect --verify refuses it in one line: $(sed 's/.*rank-0000.img: //' "$WORK/dv.err")"
    else
        ko "inspect --verify of the damaged image: $(cat "$WORK/dv.err")"
    fi
    # the first byte of the frame (its magic: a legacy zstd frame would make libzstd allocate)
    cp "$WORK/good.img" "$GEN1"
    printf '\377' | dd of="$GEN1" bs=1 seek="$start" conv=notrunc status=none
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$F" >"$WORK/m.out" 2>"$WORK/m.err")
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq 'is damaged \(its compressed data does not decompress\)$' "$WORK/m.err" &&
        ! grep -q '^step' "$WORK/m.out"; then
        ok "a frame without the zstd magic is refused: $(grep -m1 'is damaged' "$WORK/m.err" | sed 's/.*rank-0000.img: //')"
    else
        ko "frame magic damaged at $start (rc=$rc): $(grep -v '^$' "$WORK/m.err" | head -3)"
    fi
else
    ko "no compressed frame in ${GEN1:-the image}"
fi

# A byte flipped in the largest frame of a compressed ancestor (again without MPI): the
# delta gen 2 of a --no-mpi --incremental job is refused in one line naming gen 1.
P="$WORK/ck3"
(cd "$WORK" && timeout 120 "$CKPT_MPI" run --no-mpi --compress zstd:1 --incremental --ckpt-dir "$P" -- "$WORK/capp1" 16 600 \
    >"$WORK/p.out" 2>"$WORK/p.err") &
job=$!
frame=
if wait_steps "$WORK/p.out" && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$P" >"$WORK/pck.out" 2>&1 && sleep 0.5 &&
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$P" --kill >>"$WORK/pck.out" 2>&1; then
    wait $job 2>/dev/null
    frame=$("$CKPT_MPI" inspect --json "$P/gen-000001/rank-0000.img" | python3 -c '
import json, sys
f = [x for x in json.load(sys.stdin)["frames"] if x["csize"] < x["ulen"]]
f.sort(key=lambda x: -x["csize"])
print(f[0]["file_off"] + f[0]["csize"] // 2 if f else "")')
else
    ko "incremental checkpoints without MPI: $(tail -2 "$WORK/pck.out") $(tail -2 "$WORK/p.err")"
    wait $job 2>/dev/null
fi
if [ -n "$frame" ] && D="$P" delta_of 2 1; then
    printf '\x5a\xa5\x5a\xa5' | dd of="$P/gen-000001/rank-0000.img" bs=1 seek="$frame" conv=notrunc status=none
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$P" >"$WORK/pd.out" 2>"$WORK/pd.err")
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && ! grep -q '^step' "$WORK/pd.out" &&
        grep -Eq 'its parent image .*gen-000001/rank-0000\.img is damaged \((region 0x[0-9a-f]+-0x[0-9a-f]+: checksum mismatch|its compressed data does not decompress)\)' "$WORK/pd.err"; then
        ok "a damaged compressed ancestor is refused: $(grep -m1 'is damaged' "$WORK/pd.err" | sed 's/.*img is damaged/is damaged/')"
    else
        ko "damaged compressed ancestor (rc=$rc): $(grep -v '^$' "$WORK/pd.err" | head -3)"
    fi
else
    ko "no compressed delta of a compressed gen 1 in $P: $("$CKPT_MPI" list "$P" 2>&1 | tail -2)"
fi

# The inline writer, frames stored as is (random data) and frames of many extents (holey memory).
RMIB=${COMPRESS_RAW_MIB:-48}
cc -O2 "$HERE/restore_data.c" -o "$WORK/rdata"
"$WORK/rdata" "$RMIB" 40 | tail -1 >"$WORK/dref"
E="$WORK/ck2"
(cd "$WORK" && CKPT_MPI_WRITER=inline timeout 120 "$CKPT_MPI" run --no-mpi --compress zstd:1 --ckpt-dir "$E" -- \
    "$WORK/rdata" "$RMIB" 40 >"$WORK/i.out" 2>"$WORK/i.err") &
job=$!
if wait_for_line "$WORK/i.out" '^ready' 60 && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$E" --kill >"$WORK/ick.out" 2>&1; then
    wait $job 2>/dev/null
    ok "inline writer: $("$CKPT_MPI" inspect "$(ls "$E"/gen-*/rank-0000.img | tail -1)" | grep '^compressed')"
    for readers in 4 0; do
        (cd "$WORK" && CKPT_MPI_RESTORE_READERS=$readers timeout 120 "$CKPT_MPI" restart "$E" >"$WORK/i$readers.out" 2>"$WORK/i$readers.err")
        if [ "$(tail -1 "$WORK/i$readers.out")" = "$(cat "$WORK/dref")" ]; then
            ok "inline-written compressed image restored with $readers readers: $(cat "$WORK/dref")"
        else
            ko "inline image, $readers readers: '$(tail -1 "$WORK/i$readers.out")' vs '$(cat "$WORK/dref")'; $(tail -2 "$WORK/i$readers.err")"
        fi
    done
else
    ko "inline writer checkpoint: $(tail -2 "$WORK/ick.out") $(tail -2 "$WORK/i.err")"
    wait $job 2>/dev/null
fi

out=$("$CKPT_MPI" run --no-mpi --compress zstd:25 --ckpt-dir "$WORK/x" -- /bin/true 2>&1)
if [ $? -ne 0 ] && [ "$(echo "$out" | grep -c .)" -le 3 ] && echo "$out" | grep -q 'level from 1 to 19'; then
    ok "--compress zstd:25 is refused: $(echo "$out" | grep -m1 level)"
else
    ko "--compress zstd:25: $out"
fi
[ -n "${KEEP_WORK:-}" ] && cp -r "$WORK" /tmp/zstd-keep
finish
