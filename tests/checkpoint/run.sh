#!/usr/bin/env bash
# Checkpoint/restart of single (non-MPI) processes: engine + ckpt-lower-nompi.
#
# Each case: run the program natively for the reference output; run it under
# `ckpt-lower-nompi --engine libckpt-engine.so` with CKPT_MPI_CKPT_AFTER (the
# engine checkpoints itself once after that many seconds); kill -9 the process
# as soon as the image exists; `ckpt-lower-nompi --restore IMAGE`; compare the
# restored run's stdout with the reference. Then the fault cases.
#
#   tests/checkpoint/run.sh [CASE...]      (default: all)
#   CKPT_BIN=DIR  where ckpt-lower-nompi and libckpt-engine.so are
#                 (default: .build-engine/debug, else .build/debug)
#   HEAP_MIB=N    size of the heap case (default 256)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${CKPT_BIN:-}" ]; then
    CKPT_BIN=$ROOT/.build-engine/debug
    [ -x "$CKPT_BIN/ckpt-lower-nompi" ] || CKPT_BIN=$ROOT/.build/debug
fi
LOWER=$CKPT_BIN/ckpt-lower-nompi
ENGINE=$CKPT_BIN/libckpt-engine.so
for f in "$LOWER" "$ENGINE"; do
    [ -e "$f" ] || { echo "missing $f (swift build --product ckpt-lower-nompi --product ckpt-engine)"; exit 2; }
done
HEAP_MIB=${HEAP_MIB:-256}
WORK=$(mktemp -d /tmp/ckpt-tests.XXXXXX)
BIN=$WORK/bin
mkdir -p "$BIN"
for src in "$HERE"/progs/*.c; do
    cc -O2 -Wall -pthread -o "$BIN/$(basename "${src%.c}")" "$src" || { echo "cannot build $src"; exit 2; }
done

pass=0
failed=0
ok() { echo "PASS $1${2:+ ($2)}"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# wait_for FILE PID SECONDS: 0 when FILE exists (PID still running or not)
wait_for() {
    local i=0
    while [ ! -e "$1" ]; do
        [ $i -ge $(($3 * 20)) ] && return 1
        sleep 0.05
        i=$((i + 1))
    done
    return 0
}

# ckpt_and_kill CASEDIR IMGDIR AFTER CMD...: start under the engine, kill -9 once the image is there
ckpt_and_kill() {
    local dir=$1 img=$2 after=$3
    shift 3
    (cd "$dir" && exec env CKPT_MPI_CKPT_AFTER="$after" CKPT_MPI_CKPT_DIR="$img" \
        "$LOWER" --engine "$ENGINE" -- "$@" >"$dir/run.out" 2>"$dir/run.err") &
    local pid=$!
    if ! wait_for "$img/rank-0000.img" $pid 60; then
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        return 1
    fi
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    return 0
}

# restore CASEDIR IMAGE [AFTER IMGDIR]: restored stdout in CASEDIR/restore.out
restore() {
    local dir=$1 image=$2
    if [ $# -ge 4 ]; then
        (cd "$dir" && CKPT_MPI_CKPT_AFTER=$3 CKPT_MPI_CKPT_DIR=$4 timeout 120 "$LOWER" --restore "$image" \
            >"$dir/restore.out" 2>"$dir/restore.err")
    else
        (cd "$dir" && CKPT_MPI_RESTORE_STATS=1 timeout 120 "$LOWER" --restore "$image" \
            >"$dir/restore.out" 2>"$dir/restore.err")
    fi
}

# setup CASE: fresh directories for the native and the checkpointed run
setup() {
    C=$WORK/$1
    rm -rf "$C"
    mkdir -p "$C/native" "$C/ckpt" "$C/img"
    if [ -n "${2:-}" ]; then
        cp -r "$2"/. "$C/native/"
        cp -r "$2"/. "$C/ckpt/"
    fi
}

# simple_case NAME AFTER CMD...
simple_case() {
    local name=$1 after=$2
    shift 2
    (cd "$C/native" && "$@" >"$C/native/ref.out" 2>"$C/native/ref.err") || { bad "$name" "native run failed"; return; }
    if ! ckpt_and_kill "$C/ckpt" "$C/img" "$after" "$@"; then
        bad "$name" "no image within 60 s: $(tail -n 3 "$C/ckpt/run.err" | tr '\n' ' ')"
        return
    fi
    local wr
    wr=$(grep -o 'WRITTEN.*' "$C/ckpt/run.err" | head -n 1)
    if ! restore "$C/ckpt" "$C/img/rank-0000.img"; then
        bad "$name" "restore failed: $(tail -n 3 "$C/ckpt/restore.err" | tr '\n' ' ')"
        return
    fi
    if cmp -s "$C/native/ref.out" "$C/ckpt/restore.out"; then
        ok "$name" "$(ls -l "$C/img/rank-0000.img" | awk '{printf "%.1f MiB image", $5/1048576}')${wr:+; $wr}"
    else
        bad "$name" "output differs: $(diff "$C/native/ref.out" "$C/ckpt/restore.out" | head -n 4 | tr '\n' ' ')"
    fi
}

want() { [ ${#CASES[@]} -eq 0 ] || [[ " ${CASES[*]} " == *" $1 "* ]]; }
CASES=("$@")

if want counter; then
    setup counter
    simple_case counter 1 "$BIN/counter" 30
    cp "$C/img/rank-0000.img" "$WORK/good.img" 2>/dev/null
fi

if want threads; then
    setup threads
    simple_case threads 1 "$BIN/threads"
fi

if want files; then
    mkdir -p "$WORK/files-in"
    for i in $(seq 1 60); do echo "input line $i $(printf '%*s' $i | tr ' ' x)"; done >"$WORK/files-in/in.txt"
    setup files "$WORK/files-in"
    simple_case files 1 "$BIN/files"
fi

if want heap; then
    setup heap
    simple_case heap 2 "$BIN/bigheap" "$HEAP_MIB" 40
    grep -h 'restore: ' "$C/ckpt/restore.err" | sed 's/^/    /'
fi

if want spin; then
    setup spin
    simple_case spin 2 "$BIN/spin"
fi

if want signals; then
    setup signals
    simple_case signals 1 "$BIN/signals"
fi

if want mappings; then
    setup mappings
    simple_case mappings 1 "$BIN/mappings"
fi

# Private file mappings by reference; then the file is changed in place
# after the checkpoint: the lower half refuses in one line naming it.
if want fileref; then
    setup fileref
    simple_case fileref 1 "$BIN/fileref"
    if [ -f "$C/img/rank-0000.img" ]; then
        printf 'X' | dd of="$C/ckpt/ref.dat" bs=1 seek=100000 conv=notrunc status=none
        restore "$C/ckpt" "$C/img/rank-0000.img"
        rc=$?
        if [ $rc -ne 0 ] && [ "$(wc -l <"$C/ckpt/restore.err")" -eq 1 ] &&
            grep -q 'ref.dat changed since the checkpoint (its contents and mtime differ): restart refused' "$C/ckpt/restore.err" &&
            [ ! -s "$C/ckpt/restore.out" ]; then
            ok fileref-changed "$(cat "$C/ckpt/restore.err")"
        else
            bad fileref-changed "rc=$rc: $(head -c 300 "$C/ckpt/restore.err")"
        fi
    fi
fi

if want cycles; then
    setup cycles
    name=cycles
    (cd "$C/native" && "$BIN/counter" 50 >"$C/native/ref.out")
    if ! ckpt_and_kill "$C/ckpt" "$C/img/1" 1 "$BIN/counter" 50; then
        bad $name "no first image"
    else
        okc=1
        for cyc in 2 3; do
            prev=$C/img/$((cyc - 1))/rank-0000.img
            (cd "$C/ckpt" && exec env CKPT_MPI_CKPT_AFTER=1 CKPT_MPI_CKPT_DIR="$C/img/$cyc" \
                "$LOWER" --restore "$prev" >"$C/ckpt/r$cyc.out" 2>"$C/ckpt/r$cyc.err") &
            pid=$!
            if ! wait_for "$C/img/$cyc/rank-0000.img" $pid 60; then
                kill -9 $pid 2>/dev/null
                wait $pid 2>/dev/null
                bad $name "cycle $cyc wrote no image: $(tail -n 2 "$C/ckpt/r$cyc.err" | tr '\n' ' ')"
                okc=0
                break
            fi
            kill -9 $pid 2>/dev/null
            wait $pid 2>/dev/null
        done
        if [ $okc = 1 ]; then
            if restore "$C/ckpt" "$C/img/3/rank-0000.img" && cmp -s "$C/native/ref.out" "$C/ckpt/restore.out"; then
                ok $name "3 checkpoint/kill/restore cycles"
            else
                bad $name "final output differs: $(cat "$C/ckpt/restore.out" "$C/ckpt/restore.err" | head -n 3 | tr '\n' ' ')"
            fi
        fi
    fi
fi

if want coord; then
    # The protocol side: HELLO, CHECKPOINT gen=1 -> WRITTEN, kill -9, restore
    # from the generation directory with a new coordinator, which sees a new
    # HELLO and checkpoints generation 2 of the restored process.
    setup coord
    name=coord
    (cd "$C/native" && "$BIN/counter" 40 >"$C/native/ref.out")
    python3 "$HERE/fake_coord.py" "$C/c1.sock" 1 "$C/gen-000001" 1 >"$C/t1.txt" 2>&1 &
    cpid=$!
    for i in $(seq 100); do [ -S "$C/c1.sock" ] && break; sleep 0.05; done
    (cd "$C/ckpt" && exec env CKPT_MPI_COORD="$C/c1.sock" "$LOWER" --engine "$ENGINE" -- "$BIN/counter" 40 \
        >"$C/ckpt/run.out" 2>"$C/ckpt/run.err") &
    pid=$!
    wait_for "$C/gen-000001/rank-0000.img" $pid 60
    for i in $(seq 100); do grep -q '^WRITTEN' "$C/t1.txt" && break; sleep 0.05; done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; wait $cpid 2>/dev/null
    python3 "$HERE/fake_coord.py" "$C/c2.sock" 2 "$C/gen-000002" 0.5 >"$C/t2.txt" 2>&1 &
    cpid=$!
    for i in $(seq 100); do [ -S "$C/c2.sock" ] && break; sleep 0.05; done
    (cd "$C/ckpt" && CKPT_MPI_COORD="$C/c2.sock" timeout 120 "$LOWER" --restore "$C/gen-000001" \
        >"$C/ckpt/restore.out" 2>"$C/ckpt/restore.err")
    wait $cpid 2>/dev/null
    if grep -q '^HELLO rank=0 nranks=1 pid=[0-9]* host=.* flavour=none$' "$C/t1.txt" &&
        grep -q '^WRITTEN gen=1 bytes=[0-9]* pause_ms=[0-9]* write_ms=[0-9]*$' "$C/t1.txt" &&
        grep -q '^HELLO rank=0' "$C/t2.txt" && grep -q '^WRITTEN gen=2 ' "$C/t2.txt" &&
        [ -e "$C/gen-000002/rank-0000.img" ] && cmp -s "$C/native/ref.out" "$C/ckpt/restore.out"; then
        ok $name "$(grep WRITTEN "$C/t1.txt")"
    else
        bad $name "$(cat "$C/t1.txt" "$C/t2.txt" "$C/ckpt/restore.err" | head -n 6 | tr '\n' '|')"
    fi
fi

# ---- faults, on a copy of the counter image ----
hdr() { python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(256); print(struct.unpack_from('<Q',d,int(sys.argv[2]))[0])" "$@"; }

if want damaged && [ -e "$WORK/good.img" ]; then
    C=$WORK/damaged
    mkdir -p "$C"
    cp "$WORK/good.img" "$C/x.img"
    data_off=$(hdr "$C/x.img" 240)
    off=$((data_off + 3 * 4096 + 17))
    python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])); b=f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0]^0xff]))" "$C/x.img" $off
    "$LOWER" --restore "$C/x.img" >"$C/out" 2>"$C/err"
    rc=$?
    if [ $rc -ne 0 ] && [ "$(wc -l <"$C/err")" -eq 1 ] &&
        grep -Eq '^ckpt-mpi: .*x\.img: region 0x[0-9a-f]+-0x[0-9a-f]+ is damaged \(checksum mismatch\)$' "$C/err" && [ ! -s "$C/out" ]; then
        ok damaged "$(cat "$C/err")"
    else
        bad damaged "rc=$rc: $(head -c 300 "$C/err")"
    fi
fi

if want truncated && [ -e "$WORK/good.img" ]; then
    C=$WORK/truncated
    mkdir -p "$C"
    size=$(stat -c %s "$WORK/good.img")
    head -c $((size / 2)) "$WORK/good.img" >"$C/x.img"
    "$LOWER" --restore "$C/x.img" >"$C/out" 2>"$C/err"
    rc=$?
    if [ $rc -ne 0 ] && grep -q 'truncated image' "$C/err" && [ "$(wc -l <"$C/err")" -eq 1 ]; then
        ok truncated "$(cat "$C/err")"
    else
        bad truncated "rc=$rc: $(head -c 300 "$C/err")"
    fi
fi

if want version && [ -e "$WORK/good.img" ]; then
    C=$WORK/version
    mkdir -p "$C"
    cp "$WORK/good.img" "$C/x.img"
    printf '\x63\x00\x00\x00' | dd of="$C/x.img" bs=1 seek=8 conv=notrunc status=none
    "$LOWER" --restore "$C/x.img" >"$C/out" 2>"$C/err"
    rc=$?
    if [ $rc -ne 0 ] && grep -q 'format version 99' "$C/err"; then
        ok version "$(cat "$C/err")"
    else
        bad version "rc=$rc: $(head -c 300 "$C/err")"
    fi
fi

if want enospc; then
    C=$WORK/enospc
    mkdir -p "$C/run" "$C/small"
    if mount -t tmpfs -o size=1m none "$C/small" 2>/dev/null; then
        head -c 200000 /dev/urandom >"$C/small/rank-0000.img"
        # and nothing else: an image is smaller than 1 MiB since libraries are stored by reference
        head -c 1m /dev/zero >"$C/small/filler" 2>/dev/null
        before=$(sha256sum <"$C/small/rank-0000.img")
        (cd "$C/run" && "$BIN/counter" 20 >"$C/ref.out")
        (cd "$C/run" && CKPT_MPI_CKPT_AFTER=1 CKPT_MPI_CKPT_DIR="$C/small" timeout 60 \
            "$LOWER" --engine "$ENGINE" -- "$BIN/counter" 20 >"$C/out" 2>"$C/err")
        rc=$?
        after=$(sha256sum <"$C/small/rank-0000.img")
        tmps=$(ls "$C/small" | grep -c tmp)
        if [ $rc -eq 0 ] && cmp -s "$C/ref.out" "$C/out" && [ "$before" = "$after" ] && [ "$tmps" -eq 0 ] &&
            grep -q 'FAILED gen=1 error=.*No space left on device' "$C/err"; then
            ok enospc "$(grep -o 'FAILED.*' "$C/err")"
        else
            bad enospc "rc=$rc tmp=$tmps same=$([ "$before" = "$after" ] && echo y || echo n): $(head -c 300 "$C/err")"
        fi
        umount "$C/small"
    else
        bad enospc "cannot mount a tmpfs (needs root)"
    fi
fi

echo "$pass passed, $failed failed"
[ -z "${KEEP:-}" ] && [ $failed -eq 0 ] && rm -rf "$WORK"
[ $failed -eq 0 ] || echo "(work files kept in $WORK)"
[ $failed -eq 0 ]
