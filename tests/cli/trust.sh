#!/usr/bin/env bash
# A job that is tampered with never hangs or loses a checkpoint (issue 9):
#  - a rank image of another run of the same program (same rank, generation and
#    size) is refused before anything starts, in one line naming the file;
#  - a checkpoint directory that others can write, or that another user owns, is
#    refused; another user's `list`/`status` say "Permission denied";
#  - a damaged newest generation: plain restart falls back to the previous one
#    with a note and finishes with the right answer; --gen of it is a clear error;
#  - an invalid MANIFEST.json gives one line naming it; the lower half refuses an
#    image of another job given to --restore directly;
#  - a full disk while 4 MPI ranks write leaves no generation directory behind;
#  - negative option values are named, not "Missing value";
#  - the image records the program's MPI ABI (inspect shows it), and restart refuses,
#    in one line, a program rebuilt for the other face since the checkpoint.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
# Each job runs in a session of its own; these end those sessions (by id) if a case went wrong.
before_removing_work() {
    local sid
    for sid in $(cat "$WORK/sessions" 2>/dev/null); do pkill -9 -s "$sid" 2>/dev/null; done
    umount "$WORK/small" 2>/dev/null
}
one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }
cc -O2 "$HERE/slow_counter.c" -o "$WORK/slow_counter"
"$WORK/slow_counter" 60 | tail -1 >"$WORK/ref"

# flip FILE OFFSET: inverts one byte in place.
flip() {
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# checkpointed_job DIR NAME CHECKPOINTS RUN-ARGS...: runs a job with --ckpt-dir DIR, takes
# CHECKPOINTS checkpoints a moment apart, the last with --kill; fails when one did not commit.
checkpointed_job() {
    local d=$1 name=$2 n=$3; shift 3
    (cd "$WORK" && exec setsid timeout 120 "$CKPT_MPI" run --ckpt-dir "$d" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err") &
    local job=$!
    echo "$job" >>"$WORK/sessions"
    local i rc=0
    for i in $(seq 1 "$n"); do
        sleep 1
        local kill=""
        [ "$i" -eq "$n" ] && kill=--kill
        timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d" $kill >>"$WORK/$name.ck" 2>&1 || rc=1
    done
    wait "$job" 2>/dev/null
    return $rc
}

# 1. A rank image of another run of the same program, same rank, generation and size.
if command -v mpicc.mpich >/dev/null && command -v mpiexec.mpich >/dev/null; then
    mpicc.mpich -O2 "$HERE/../../examples/steps.c" -o "$WORK/steps"
    checkpointed_job "$WORK/ckA" A 1 -np 2 --mpi mpich -- "$WORK/steps" 400 &
    a=$!
    checkpointed_job "$WORK/ckB" B 1 -np 2 --mpi mpich -- "$WORK/steps" 400
    rcB=$?
    wait $a
    rcA=$?
    img=gen-000001/rank-0000.img
    if [ $rcA -ne 0 ] || [ $rcB -ne 0 ] || [ ! -f "$WORK/ckA/$img" ] || [ ! -f "$WORK/ckB/$img" ]; then
        ko "foreign image: could not checkpoint both runs ($(tail -1 "$WORK/A.ck") / $(tail -1 "$WORK/B.ck"))"
    else
        cp "$WORK/ckB/$img" "$WORK/ckA/$img"
        # The sizes differ by a page now and then; the manifest is made to agree, as a careless copy would not.
        size=$(stat -c %s "$WORK/ckA/$img")
        python3 - "$WORK/ckA/gen-000001/MANIFEST.json" "$size" <<'PY'
import json, sys
path, size = sys.argv[1], int(sys.argv[2])
m = json.load(open(path))
m["images"][0]["bytes"] = size
json.dump(m, open(path, "w"), indent=2, sort_keys=True)
PY
        start=$(date +%s)
        (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$WORK/ckA" >"$WORK/fr.out" 2>"$WORK/fr.err")
        rc=$?
        took=$(($(date +%s) - start))
        if [ $rc -ne 0 ] && [ $rc -ne 124 ] && one_line "$WORK/fr.err" && grep -q 'rank-0000.img' "$WORK/fr.err" &&
            grep -q 'another job' "$WORK/fr.err" && [ ! -s "$WORK/fr.out" ] && [ "$took" -lt 10 ]; then
            ok "foreign image refused before launch in ${took}s: $(cat "$WORK/fr.err")"
        else
            ko "foreign image (rc=$rc after ${took}s): $(head -3 "$WORK/fr.err")"
        fi
        if "$CKPT_MPI" list "$WORK/ckA" | grep -q 'gen-000001  damaged  rank-0000.img is an image of another job'; then
            ok "list marks the generation with the foreign image"
        else
            ko "list does not mark the foreign image: $("$CKPT_MPI" list "$WORK/ckA")"
        fi
        "$CKPT_MPI" inspect --verify "$WORK/ckA/$img" >/dev/null 2>"$WORK/iv.err"
        rc=$?
        if [ $rc -ne 0 ] && one_line "$WORK/iv.err" && grep -q 'is an image of another job' "$WORK/iv.err" &&
            "$CKPT_MPI" inspect --verify "$WORK/ckA/gen-000001/rank-0001.img" >/dev/null; then
            ok "inspect --verify refuses the foreign image, passes its neighbour"
        else
            ko "inspect --verify of the foreign image (rc=$rc): $(cat "$WORK/iv.err")"
        fi
        idA=$("$CKPT_MPI" inspect "$WORK/ckA/gen-000001/rank-0001.img" | awk '$1 == "job" { print $2 }')
        idB=$("$CKPT_MPI" inspect --json "$WORK/ckA/$img" | sed -n 's/.*"job_id" : "\(.*\)".*/\1/p')
        jobA=$(sed -n 's/.*"job_id" : "\(.*\)".*/\1/p' "$WORK/ckA/job.json")
        if [ ${#idA} -eq 32 ] && [ ${#idB} -eq 32 ] && [ "$idA" != "$idB" ] && [ "$idA" = "$jobA" ]; then
            ok "inspect shows the job ids (text and --json): $idA vs $idB"
        else
            ko "inspect job ids: '$idA' '$idB' job.json '$jobA'"
        fi
    fi
else
    ko "foreign image: mpicc.mpich/mpiexec.mpich not installed"
fi

# 2. A checkpoint directory others can write, or that another user owns.
mkdir "$WORK/open"
chmod 777 "$WORK/open"
"$CKPT_MPI" run --no-mpi --ckpt-dir "$WORK/open" -- "$WORK/slow_counter" 3 >"$WORK/o.out" 2>"$WORK/o.err"
rc=$?
if [ $rc -ne 0 ] && one_line "$WORK/o.err" && grep -q "chmod 700 $WORK/open" "$WORK/o.err" && [ ! -s "$WORK/o.out" ]; then
    ok "world-writable directory refused by run before the job starts: $(cat "$WORK/o.err")"
else
    ko "world-writable directory and run (rc=$rc): $(head -2 "$WORK/o.err")"
fi
if [ "$(id -u)" -eq 0 ]; then
    mkdir "$WORK/theirs"
    chown 65534:65534 "$WORK/theirs"
    chmod 700 "$WORK/theirs"
    "$CKPT_MPI" run --no-mpi --ckpt-dir "$WORK/theirs" -- "$WORK/slow_counter" 3 >"$WORK/t.out" 2>"$WORK/t.err"
    rc=$?
    if [ $rc -ne 0 ] && one_line "$WORK/t.err" && grep -q "belongs to .*uid 65534" "$WORK/t.err" && [ ! -s "$WORK/t.out" ]; then
        ok "directory of another user refused by run: $(cat "$WORK/t.err")"
    else
        ko "directory of another user and run (rc=$rc): $(head -2 "$WORK/t.err")"
    fi
else
    ok "directory of another user: skipped (needs root to make one)"
fi

# 3. A damaged newest generation: restart falls back with a note; --gen of it is an error.
D="$WORK/ck"
if checkpointed_job "$D" dmg 2 --no-mpi -- "$WORK/slow_counter" 60 && [ -f "$D/gen-000002/MANIFEST.json" ]; then
    cp -a "$D" "$WORK/ck-open"
    chmod 777 "$WORK/ck-open"
    "$CKPT_MPI" restart "$WORK/ck-open" >/dev/null 2>"$WORK/ro.err"
    rc=$?
    if [ $rc -ne 0 ] && one_line "$WORK/ro.err" && grep -q 'chmod 700' "$WORK/ro.err"; then
        ok "world-writable directory refused by restart: $(cat "$WORK/ro.err")"
    else
        ko "world-writable directory and restart (rc=$rc): $(head -2 "$WORK/ro.err")"
    fi
    cp -a "$D" "$WORK/ck-manifest"
    rm -rf "$WORK/ck-manifest/gen-000001"
    echo '{ "format": 1, "generation": 2,' >"$WORK/ck-manifest/gen-000002/MANIFEST.json"
    "$CKPT_MPI" restart "$WORK/ck-manifest" >/dev/null 2>"$WORK/m.err"
    rc=$?
    if [ $rc -ne 0 ] && one_line "$WORK/m.err" && grep -q 'MANIFEST.json is damaged: not valid JSON' "$WORK/m.err" &&
        grep -q -- '--gen' "$WORK/m.err"; then
        ok "invalid MANIFEST.json: $(cat "$WORK/m.err")"
    else
        ko "invalid MANIFEST.json (rc=$rc): $(head -2 "$WORK/m.err")"
    fi

    flip "$D/gen-000002/rank-0000.img" 100
    "$CKPT_MPI" restart "$D" --gen 2 >/dev/null 2>"$WORK/g.err"
    rc=$?
    if [ $rc -ne 0 ] && one_line "$WORK/g.err" &&
        grep -q 'gen-000002 in .* cannot be restarted: rank-0000.img: image header is damaged (checksum mismatch)' "$WORK/g.err"; then
        ok "--gen of the damaged generation: no fallback, one line"
    else
        ko "--gen of the damaged generation (rc=$rc): $(head -2 "$WORK/g.err")"
    fi
    (cd "$WORK" && timeout 120 "$CKPT_MPI" restart "$D" >"$WORK/fb.out" 2>"$WORK/fb.err")
    rc=$?
    note='skipping gen-000002: rank-0000.img: image header is damaged (checksum mismatch); restarting gen-000001'
    if [ $rc -eq 0 ] && grep -qF "$note" "$WORK/fb.err" && [ "$(tail -1 "$WORK/fb.out")" = "$(cat "$WORK/ref")" ]; then
        ok "damaged newest generation: restart fell back and finished right ($(grep -F skipping "$WORK/fb.err"))"
    else
        ko "damaged newest generation (rc=$rc): $(head -3 "$WORK/fb.err"); $(tail -1 "$WORK/fb.out")"
    fi
    # The lower half checks the job too, for a --restore that did not come through restart's checks.
    "$CKPT_MPI" restart "$D" --dry-run 2>/dev/null |
        sed 's/^export CKPT_MPI_JOB_ID=.*/export CKPT_MPI_JOB_ID=ffffffffffffffffffffffffffffffff/' >"$WORK/lower.sh"
    (cd "$WORK" && timeout 30 bash "$WORK/lower.sh" >"$WORK/lower.out" 2>"$WORK/lower.err")
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && one_line "$WORK/lower.err" &&
        grep -q 'rank-0000.img: image of job [0-9a-f]*, not of this job ffffffffffffffffffffffffffffffff' "$WORK/lower.err"; then
        ok "the lower half refuses an image of another job: $(cat "$WORK/lower.err")"
    else
        ko "the lower half and an image of another job (rc=$rc): $(head -2 "$WORK/lower.err")"
    fi
    truncate -s 8192 "$D/gen-000002/rank-0000.img"
    if "$CKPT_MPI" list "$D" | grep -q 'gen-000002  damaged  rank-0000.img has 8192 bytes' &&
        "$CKPT_MPI" list --json "$D" | grep -q '"valid" : false'; then
        ok "list shows which generations verify: $("$CKPT_MPI" list "$D" | cut -c1-60 | tr '\n' '|')"
    else
        ko "list of a damaged generation: $("$CKPT_MPI" list "$D")"
    fi

    # 4. Another user: EACCES, not ENOENT (the directory is private, its parent is not).
    if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
        chmod 755 "$WORK"
        as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
        as_nobody "$CKPT_MPI" list "$D" >/dev/null 2>"$WORK/l.err"
        rcl=$?
        as_nobody "$CKPT_MPI" status --ckpt-dir "$D" >/dev/null 2>"$WORK/s.err"
        rcs=$?
        chmod 700 "$WORK"
        if [ $rcl -ne 0 ] && [ $rcs -ne 0 ] && grep -q 'Permission denied' "$WORK/l.err" &&
            grep -q 'Permission denied' "$WORK/s.err" && one_line "$WORK/l.err" && one_line "$WORK/s.err"; then
            ok "list/status by another user: $(cat "$WORK/l.err") / $(cat "$WORK/s.err")"
        else
            ko "list/status by another user (rc $rcl/$rcs): $(cat "$WORK/l.err") / $(cat "$WORK/s.err")"
        fi
    else
        ok "list/status by another user: skipped (needs root and setpriv)"
    fi
else
    ko "damaged newest generation: could not take two checkpoints ($(tail -2 "$WORK/dmg.ck"))"
fi

# 5. A full disk while 4 MPI ranks write: the failed generation goes entirely (a rank
#    late to write used to make its directory again after the coordinator removed it).
if [ "$(id -u)" -eq 0 ] && command -v mpicc.mpich >/dev/null && mkdir "$WORK/small" &&
    mount -t tmpfs -o size=60m none "$WORK/small"; then
    D="$WORK/small/ck"
    (cd "$WORK" && exec setsid timeout 120 "$CKPT_MPI" run -np 4 --mpi mpich --ckpt-dir "$D" -- "$WORK/steps" 120 \
        >"$WORK/full.out" 2>"$WORK/full.err") &
    job=$!
    echo "$job" >>"$WORK/sessions"
    sleep 1.5
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>&1
    avail=$(df --output=avail -k "$WORK/small" | tail -1)
    # room for about two of the four images (each well under 1 MiB: libraries are by reference)
    head -c $(((avail - 1000) * 1024)) /dev/zero >"$WORK/small/filler" 2>/dev/null
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" >/dev/null 2>"$WORK/full.ck"
    rc=$?
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >/dev/null 2>&1
    wait $job 2>/dev/null
    if [ $rc -ne 0 ] && grep -q 'No space left' "$WORK/full.ck" && [ ! -e "$D/gen-000002" ] &&
        ! grep -q 'could not remove' "$WORK/full.err"; then
        ok "full disk under 4 MPI ranks: the failed generation is gone ($(cat "$WORK/full.ck"))"
    else
        ko "full disk under 4 MPI ranks (rc=$rc, $(cat "$WORK/full.ck")): left $(ls -A "$D" | tr '\n' ' ')"
    fi
    umount "$WORK/small"
else
    ok "full disk under 4 MPI ranks: skipped (needs root, mpicc.mpich and a tmpfs)"
fi

# 6. Negative option values say what is wrong with them.
for args in "-np -1|-np must be at least 1, not -1" "--keep -3|--keep must be at least 1, not -3" \
    "--interval -5s|a duration must be positive, not -5s"; do
    opt=${args%%|*} want=${args#*|}
    "$CKPT_MPI" run $opt --ckpt-dir "$WORK/neg" -- "$WORK/slow_counter" 3 >/dev/null 2>"$WORK/n.err"
    rc=$?
    if [ $rc -eq 2 ] && one_line "$WORK/n.err" && grep -qF -- "$want" "$WORK/n.err"; then ok "run $opt: $(cat "$WORK/n.err")"
    else ko "run $opt (rc=$rc): $(cat "$WORK/n.err")"; fi
done

# 7. The image records which face served the program; restart refuses a rebuild for the other one.
if command -v mpicc.mpich >/dev/null && command -v mpicc.openmpi >/dev/null && command -v mpiexec.mpich >/dev/null; then
    mkdir -p "$WORK/abi"
    mpicc.mpich -O2 "$HERE/../../examples/steps.c" -o "$WORK/abi/app"
    D="$WORK/ckabi"
    (cd "$WORK/abi" && exec setsid timeout 120 "$CKPT_MPI" run --ckpt-dir "$D" -np 2 --mpi mpich -- ./app 400 \
        >"$WORK/abi.out" 2>"$WORK/abi.err") &
    job=$!
    echo "$job" >>"$WORK/sessions"
    sleep 1
    timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$D" --kill >"$WORK/abi.ck" 2>&1
    wait $job 2>/dev/null
    img="$D/gen-000001/rank-0001.img"
    text=$("$CKPT_MPI" inspect "$img" 2>&1 | awk '$1 == "program"')
    json=$("$CKPT_MPI" inspect --json "$img" 2>&1 | grep -c '"program_abi" : "mpich"')
    if [ "$text" = "program    built for the MPICH ABI (libmpi.so.12)" ] && [ "$json" -ge 1 ]; then
        ok "inspect shows the recorded program ABI: $text"
    else
        ko "inspect program ABI: '$text', json matches $json ($(cat "$WORK/abi.ck"))"
    fi
    mpicc.openmpi -O2 "$HERE/../../examples/steps.c" -o "$WORK/abi/app"
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$D" >"$WORK/abr.out" 2>"$WORK/abr.err")
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && one_line "$WORK/abr.err" && [ ! -s "$WORK/abr.out" ] &&
        grep -q 'built for the MPICH ABI .* is now built for the Open MPI ABI' "$WORK/abr.err"; then
        ok "restart refuses a program rebuilt for the other face: $(cat "$WORK/abr.err")"
    else
        ko "restart of a program rebuilt for the other face (rc=$rc): $(head -2 "$WORK/abr.err")"
    fi
    mpicc.mpich -O2 "$HERE/../../examples/steps.c" -o "$WORK/abi/app"
    (cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$D" --dry-run >/dev/null 2>"$WORK/abd.err")
    rc=$?
    if [ $rc -eq 0 ]; then ok "restart accepts the program rebuilt for the same face"
    else ko "restart of a same-face rebuild (rc=$rc): $(head -2 "$WORK/abd.err")"; fi
else
    ok "program ABI: skipped (needs mpicc.mpich, mpicc.openmpi and mpiexec.mpich)"
fi

finish
