#!/usr/bin/env bash
# The parked worlds run while the application's threads are parked, any of them
# maybe inside malloc or holding a stdio or pthread lock. Checks every undefined
# symbol of their objects (`nm -u`), prints each offending one with the object
# that needs it, and exits non-zero when there is any. Run after
# `swift build -c release`.
#  - the engine's (Sources/UpperHalf/Engine/parked/) may call only itself and
#    libc functions that neither allocate nor lock (the allow-list below);
#    The engine's writer also calls libzstd (compress.c), linked statically:
#    only the calls of ZSTD_ALLOWED, with static contexts, which
#    tests/abi/zstd_parked_probe.c runs against the same libzstd.a on a raw
#    clone with a fake TCB and an allocator that aborts (no TLS but the
#    stack-protector canary, no malloc, no pthreads; also the decompression
#    of the restore's readers); and no instruction of the archive touches TLS
#    at another offset than the canary's (%fs:0x28);
#  - the face's (Sources/UpperHalf/Face/parked/: the drain, its memory) also
#    calls the face and the lower half, so it is held to a deny-list: no
#    allocator, no stdio, no formatting.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$HERE/../.."
BUILD="${CKPT_PARKED_BUILD:-$ROOT/.build/release}"
# Pure functions of their arguments (no allocation, no locks, no stdio state),
# the errno slot, and glibc's rseq facts (weak data read at start-up).
ALLOWED='^(memcpy|memmove|memset|memcmp|memchr|strlen|strnlen|strchr|strrchr|strcmp|strncmp|strncpy|strstr|strerrordesc_np|__errno_location|__rseq_offset|__rseq_size)$'
ZSTD_ALLOWED='^(ZSTD_compressBound|ZSTD_compressCCtx|ZSTD_estimateCCtxSize|ZSTD_initStaticCCtx|ZSTD_isError)$'
ZSTD_ARCHIVE=${CKPT_ZSTD_ARCHIVE:-/usr/lib/x86_64-linux-gnu/libzstd.a}
DENIED='^(malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|strdup|strndup|v?as?printf|v?s?n?printf|v?fprintf|v?dprintf|__.*printf_chk|f(open|dopen|close|flush|write|read|puts|putc|getc|gets|seek|tell)|puts|putchar|getchar|perror|setvbuf|stdin|stdout|stderr|str?to(l|ll|ul|ull|d|f)|pthread_mutex_lock)$'

bad=0
total=0
# check <name> <source dir> <object dir> <allow|deny>
check() {
    local name="$1" src="$2" obj="$3" mode="$4" c o sym objs=()
    for c in "$src"/*.c; do
        o="$obj/$(basename "$c").o"
        if [ ! -f "$o" ] || [ "$o" -ot "$c" ]; then
            echo "FAIL $o is missing or older than its source (build first)"
            exit 2
        fi
        objs+=("$o")
    done
    local defined
    defined=$(nm --defined-only "${objs[@]}" | awk 'NF == 3 {print $3}' | sort -u)
    for o in "${objs[@]}"; do
        for sym in $(nm -u "$o" | awk '{print $NF}'); do
            if [ "$mode" = allow ]; then
                grep -qx -- "$sym" <<<"$defined" && continue
                grep -Eq "$ALLOWED" <<<"$sym" && continue
                grep -Eq "$ZSTD_ALLOWED" <<<"$sym" && continue
                echo "FAIL $name: $(basename "$o" .o) calls $sym (outside the parked world and not allocation- and lock-free)"
            else
                grep -Eq "$DENIED" <<<"$sym" || continue
                echo "FAIL $name: $(basename "$o" .o) calls $sym (allocates, locks or uses stdio)"
            fi
            bad=$((bad + 1))
        done
    done
    total=$((total + ${#objs[@]}))
}

# libzstd as the parked world uses it
if [ ! -f "$ZSTD_ARCHIVE" ]; then
    echo "FAIL $ZSTD_ARCHIVE is missing (apt-get install libzstd-dev)"
    bad=$((bad + 1))
else
    tls=$(objdump -d "$ZSTD_ARCHIVE" | grep '%fs:' | grep -v '%fs:0x28,' | head -3)
    if [ -n "$tls" ]; then
        echo "FAIL libzstd.a touches TLS beyond the stack-protector canary:"
        echo "$tls"
        bad=$((bad + 1))
    fi
    probe=$(mktemp -d /tmp/zstd-probe.XXXXXX)
    if ! cc -O2 -Wall -I"$ROOT/Sources/HalfABI/include" -o "$probe/probe" "$HERE/zstd_parked_probe.c" "$ZSTD_ARCHIVE"; then
        echo "FAIL cannot build tests/abi/zstd_parked_probe.c"
        bad=$((bad + 1))
    else
        out=$("$probe/probe" 2>&1)
        rc=$?
        if [ $rc -ne 0 ]; then
            echo "FAIL zstd_parked_probe exited $rc: $out"
            bad=$((bad + 1))
        else
            echo "$out"
        fi
    fi
    rm -rf "$probe"
fi

check engine "$ROOT/Sources/UpperHalf/Engine/parked" "${CKPT_PARKED_OBJ:-$BUILD/Engine.build/parked}" allow
check face "$ROOT/Sources/UpperHalf/Face/parked" "${CKPT_FACE_PARKED_OBJ:-$BUILD/Face.build/parked}" deny
if [ "$bad" -ne 0 ]; then
    echo "$bad offending symbol(s) in the parked worlds"
    exit 1
fi
echo "PASS the parked worlds ($total objects) call no allocator, stdio or lock (the engine's: only itself and allocation-free libc)"
