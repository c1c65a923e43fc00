#!/usr/bin/env bash
# Private file mappings stored by reference (docs/image-format.md, format 2):
# a 2-rank MPICH job of fileref_app (4 MiB of data per rank, a dlopened test
# library whose .data it writes) is checkpointed with --kill and
#  - its image is about its modified private memory (Private_Dirty + Swap of
#    the mappings it covers: ratio <= 1.05) and far below the by-content
#    image (which carries ~12 MiB of libraries);
#  - `inspect --verify` passes and lists the library by reference, with its
#    written .data page stored;
#  - restarted on Open MPI, it ends as the uninterrupted run;
#  - with CKPT_MPI_IMAGE_FILES=content the image holds the libraries and
#    restarts on MPICH just as well;
#  - after the library is rebuilt: the restart is refused with one line
#    naming it, before anything starts, and `inspect --verify` fails;
#  - after it is removed: each rank refuses with one line naming it.
# Prints PASS/FAIL lines and "N passed, N failed".
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
MIB=4
STEPS=80
LIB="$WORK/libfileref.so"

cc -O2 -shared -fPIC "$HERE/fileref_lib.c" -o "$LIB" &&
    mpicc.mpich -O2 "$HERE/fileref_app.c" -o "$WORK/fileref_app" -ldl || { ko "build"; finish; exit; }
(cd "$WORK" && timeout 60 mpirun.mpich -np 2 ./fileref_app $MIB $STEPS "$LIB" | tail -1 >"$WORK/ref")
grep -q '^done ' "$WORK/ref" || ko "uninterrupted run: $(cat "$WORK/ref")"

# checkpoint NAME [ENV...]: run under ckpt-mpi (MPICH), copy rank 0's smaps, checkpoint --kill
checkpoint() {
    local n=$1 d="$WORK/$1"
    shift
    (cd "$WORK" && env "$@" timeout 120 "$CKPT_MPI" run -np 2 --mpi mpich --ckpt-dir "$d" -- ./fileref_app $MIB $STEPS "$LIB" \
        >"$d.out" 2>"$d.err") &
    local job=$!
    if wait_for_line "$d.out" '^step 5 ' 60 && wait_for_ranks "$d" 2 30; then
        cat "/proc/$(sed -n 's/^ready pid=//p' "$d.out")/smaps" >"$d.smaps" 2>/dev/null
        timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d" --kill >"$d.ck" 2>&1 || ko "$n: checkpoint: $(cat "$d.ck")"
    else
        ko "$n: the job did not start: $(tail -3 "$d.err")"
    fi
    wait $job 2>/dev/null
    IMG=$(ls "$d"/gen-*/rank-0000.img 2>/dev/null | tail -1)
}

# image size, Private_Dirty+Swap of the mappings its regions overlap, and the
# stored bytes of the test library's regions by reference
measure() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[2]))
regs = [(int(r["start"], 16), int(r["end"], 16)) for r in d["regions"]]
priv = 0; cur = False
for line in open(sys.argv[1]):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        cur = any(s < b and a < e for s, e in regs)
    elif cur and (line.startswith("Private_Dirty:") or line.startswith("Swap:")):
        priv += int(line.split()[1]) * 1024
lib = sum(r["stored_bytes"] for r in d["regions"] if r["kind"] == "file-private" and r.get("path", "").endswith("libfileref.so"))
print(d["header"]["file_size"], priv, lib, len(d["mapped_files"]))
PY
}

checkpoint byref
REFIMG=$IMG
if [ -n "$REFIMG" ] && "$CKPT_MPI" inspect "$REFIMG" --json >"$WORK/i.json" 2>"$WORK/i.err"; then
    read -r size priv lib nfiles <<<"$(measure "$WORK/byref.smaps" "$WORK/i.json")"
    r=$(awk -v a="$size" -v b="$priv" 'BEGIN { printf "%.3f", b ? a / b : 99 }')
    line="image $(awk -v a="$size" 'BEGIN { printf "%.2f", a / 1048576 }') MiB, modified private memory $(awk -v a="$priv" 'BEGIN { printf "%.2f", a / 1048576 }') MiB (ratio $r), $nfiles files by reference"
    if awk -v r="$r" 'BEGIN { exit !(r <= 1.05) }' && [ "$size" -lt $(((MIB + 2) << 20)) ]; then
        ok "$line"
    else
        ko "$line (want ratio <= 1.05 and under $((MIB + 2)) MiB)"
    fi
    if [ "${lib:-0}" -ge 4096 ] && [ "${nfiles:-0}" -ge 3 ]; then
        ok "the library is mapped by reference with its written .data page stored ($lib bytes)"
    else
        ko "library by reference: stored ${lib:-?} bytes, ${nfiles:-?} files"
    fi
else
    ko "inspect: $(cat "$WORK/i.err" 2>/dev/null)"
fi
if "$CKPT_MPI" inspect --verify "$REFIMG" >"$WORK/v.out" 2>&1 && grep -q "libfileref.so .* unchanged" "$WORK/v.out"; then
    ok "inspect --verify checks the mapped files: $(grep -c ' unchanged$' "$WORK/v.out") unchanged"
else
    ko "inspect --verify: $(tail -2 "$WORK/v.out")"
fi
cp -a "$WORK/byref" "$WORK/byrefcopy"

# restart_same NAME DIR MPI: the restarted run ends as the uninterrupted one
restart_same() {
    (cd "$WORK" && timeout 120 "$CKPT_MPI" restart "$2" --mpi "$3" >"$WORK/$1.rs.out" 2>"$WORK/$1.rs.err")
    local rc=$?
    if [ $rc -eq 0 ] && [ "$(tail -1 "$WORK/$1.rs.out")" = "$(cat "$WORK/ref")" ]; then
        ok "$1: restarted on $3, ends as uninterrupted ($(cat "$WORK/ref"))"
    else
        ko "$1: restart on $3 (rc=$rc): $(tail -1 "$WORK/$1.rs.out") vs $(cat "$WORK/ref"); $(tail -2 "$WORK/$1.rs.err")"
    fi
}
restart_same reference "$WORK/byrefcopy" openmpi

checkpoint content CKPT_MPI_IMAGE_FILES=content
if [ -n "$IMG" ] && [ "$(stat -c %s "$IMG")" -gt $(((MIB + 8) << 20)) ] &&
    ! "$CKPT_MPI" inspect --json "$IMG" | grep -q '"file-private"'; then
    ok "CKPT_MPI_IMAGE_FILES=content: $(($(stat -c %s "$IMG") >> 20)) MiB image, no region by reference"
else
    ko "CKPT_MPI_IMAGE_FILES=content: image ${IMG:-missing} of $(stat -c %s "$IMG" 2>/dev/null) bytes"
fi
restart_same content "$WORK/content" mpich

# Rebuilt library (a new file at the same path): refused before anything starts, one line naming it.
cc -O2 -shared -fPIC -DFILEREF_VARIANT=2 "$HERE/fileref_lib.c" -o "$LIB.new" && mv "$LIB.new" "$LIB"
(cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$WORK/byref" >"$WORK/c.out" 2>"$WORK/c.err")
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$WORK/c.err")" -eq 1 ] && grep -q "libfileref.so changed since the checkpoint" "$WORK/c.err" &&
    ! grep -q '^step' "$WORK/c.out"; then
    ok "changed library refused: $(cat "$WORK/c.err")"
else
    ko "changed library (rc=$rc): $(head -3 "$WORK/c.err")"
fi
if ! "$CKPT_MPI" inspect --verify "$REFIMG" >/dev/null 2>"$WORK/cv.err" && grep -q "libfileref.so changed since the checkpoint" "$WORK/cv.err"; then
    ok "inspect --verify fails: $(cat "$WORK/cv.err")"
else
    ko "inspect --verify of a changed library: $(cat "$WORK/cv.err")"
fi

# Removed: the ranks' own check (restore.c) refuses, one line each naming it.
rm -f "$LIB"
(cd "$WORK" && timeout 60 "$CKPT_MPI" restart "$WORK/byref" >"$WORK/m.out" 2>"$WORK/m.err")
rc=$?
n=$(grep -c "libfileref.so, mapped by the checkpointed process, cannot be opened: No such file or directory" "$WORK/m.err")
if [ $rc -ne 0 ] && [ "$n" -ge 1 ] && [ "$n" -le 2 ] && ! grep -q '^step' "$WORK/m.out"; then
    ok "removed library refused by the ranks: $(grep -m1 'cannot be opened' "$WORK/m.err")"
else
    ko "removed library (rc=$rc): $(head -5 "$WORK/m.err")"
fi
finish
