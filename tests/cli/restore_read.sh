#!/usr/bin/env bash
# The restore's parallel reader (Sources/LowerHalf/Core/restore_read.c) on a
# multi-hundred-MiB image: a job of restore_data (dense, holey and read-only
# memory) is checkpointed with --kill and restarted
#  - with the default readers, and with CKPT_MPI_RESTORE_READERS=0 (the
#    restoring thread reads) and 1: the hash of every word equals an
#    uninterrupted run's, and the stats line names the readers;
#  - after one byte deep in the image is flipped: refused with the region's
#    one-line checksum error, in time (no reader left hanging);
#  - with CKPT_MPI_RESTORE_READERS=99: refused with one line.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
MIB=${RESTORE_MIB:-320}

cc -O2 "$HERE/restore_data.c" -o "$WORK/rdata"
"$WORK/rdata" "$MIB" 40 | tail -1 >"$WORK/ref"
D="$WORK/ck"
(cd "$WORK" && timeout 120 "$CKPT_MPI" run --no-mpi --ckpt-dir "$D" -- "$WORK/rdata" "$MIB" 40 >"$WORK/a.out" 2>"$WORK/a.err") &
job=$!
if wait_for_line "$WORK/a.out" '^ready' 60 && timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >"$WORK/ck.out" 2>&1; then
    ok "checkpoint of $MIB MiB ($(du -m "$D"/gen-*/rank-0000.img | cut -f1) MiB image)"
else
    ko "checkpoint of $MIB MiB: $(cat "$WORK/ck.out")"
fi
wait $job 2>/dev/null
IMG=$(ls "$D"/gen-*/rank-0000.img 2>/dev/null | tail -1)

# restart READERS NAME: the restored run's hash equals the reference's
restart_case() {
    local n=$1 r=$WORK/r$1
    (cd "$WORK" && env CKPT_MPI_RESTORE_STATS=1 ${n:+CKPT_MPI_RESTORE_READERS=$n} timeout 120 "$CKPT_MPI" restart "$D" \
        >"$r.out" 2>"$r.err")
    local rc=$? stat
    stat=$(grep -o 'restore: read [0-9]* bytes.*' "$r.err")
    local bytes=$(echo "$stat" | awk '{ print $3 }')
    if [ $rc -eq 0 ] && [ "$(tail -1 "$r.out")" = "$(cat "$WORK/ref")" ] &&
        echo "$stat" | grep -q ", ${n:-4} readers, " && [ "${bytes:-0}" -gt $((MIB * 7 / 8 << 20)) ]; then
        ok "restart with ${n:-the default 4} readers: $(tail -1 "$r.out") as uninterrupted ($stat)"
    else
        ko "restart with ${n:-default} readers (rc=$rc): $(tail -1 "$r.out") vs $(cat "$WORK/ref"); $stat $(grep -v 'restore: read' "$r.err" | head -3)"
    fi
}
restart_case ""
restart_case 0
restart_case 1

# One flipped byte at 3/4 of the file, far behind the first pieces the readers take.
if [ -n "$IMG" ]; then
    cp "$IMG" "$WORK/good.img"
    size=$(stat -c %s "$IMG")
    off=$(( (size * 3 / 4) / 4096 * 4096 + 123 ))
    old=$(od -An -tu1 -j $off -N1 "$IMG" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (old ^ 255) & 255 )))" | dd of="$IMG" bs=1 seek=$off conv=notrunc status=none
    start=$SECONDS
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$D" >"$WORK/d.out" 2>"$WORK/d.err")
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq 'rank-0000\.img: region 0x[0-9a-f]+-0x[0-9a-f]+ is damaged \(checksum mismatch\)$' "$WORK/d.err" &&
        [ "$(grep -c 'ckpt-mpi: ' "$WORK/d.err")" -le 2 ] && ! grep -q '^hash' "$WORK/d.out"; then
        cat "$WORK/d.err"
    ok "a flipped byte at $off is refused in $((SECONDS - start)) s: $(grep 'is damaged' "$WORK/d.err" | head -1)"
    else
        ko "flipped byte at $off (rc=$rc): $(head -3 "$WORK/d.err")"
    fi
    cp "$WORK/good.img" "$IMG"
else
    ko "no image in $D"
fi

(cd "$WORK" && CKPT_MPI_RESTORE_READERS=99 timeout 60 "$CKPT_MPI" restart "$D" >"$WORK/e.out" 2>"$WORK/e.err")
rc=$?
if [ $rc -ne 0 ] && grep -q 'CKPT_MPI_RESTORE_READERS=99: expected 0' "$WORK/e.err" && ! grep -q '^hash' "$WORK/e.out"; then
    ok "CKPT_MPI_RESTORE_READERS=99 is refused: $(grep RESTORE_READERS "$WORK/e.err" | head -1)"
else
    ko "CKPT_MPI_RESTORE_READERS=99 (rc=$rc): $(head -3 "$WORK/e.err")"
fi
finish
