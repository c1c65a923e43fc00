#!/usr/bin/env bash
# The parked world (Sources/UpperHalf/Engine/parked/) runs while the
# application's threads are parked, any of them maybe inside malloc or holding
# a stdio or pthread lock; so it may call only itself and libc functions that
# neither allocate nor lock (the list below). Checks every undefined symbol of
# its objects (`nm -u`), prints each offending one with the object that needs
# it, and exits non-zero when there is any. Run after `swift build -c release`.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$HERE/../../Sources/UpperHalf/Engine/parked"
OBJ="${CKPT_PARKED_OBJ:-$HERE/../../.build/release/Engine.build/parked}"
# Pure functions of their arguments (no allocation, no locks, no stdio state),
# the errno slot, and glibc's rseq facts (weak data read at start-up).
ALLOWED='^(memcpy|memmove|memset|memcmp|memchr|strlen|strnlen|strchr|strrchr|strcmp|strncmp|strncpy|strstr|strerrordesc_np|__errno_location|__rseq_offset|__rseq_size)$'

objs=()
for c in "$SRC"/*.c; do
    o="$OBJ/$(basename "$c").o"
    if [ ! -f "$o" ] || [ "$o" -ot "$c" ]; then
        echo "FAIL $o is missing or older than its source (build first)"
        exit 2
    fi
    objs+=("$o")
done
defined=$(nm --defined-only "${objs[@]}" | awk 'NF == 3 {print $3}' | sort -u)
bad=0
for o in "${objs[@]}"; do
    for sym in $(nm -u "$o" | awk '{print $NF}'); do
        grep -qx -- "$sym" <<<"$defined" && continue
        grep -Eq "$ALLOWED" <<<"$sym" && continue
        echo "FAIL $(basename "$o" .o) calls $sym (outside the parked world and not allocation- and lock-free)"
        bad=$((bad + 1))
    done
done
if [ "$bad" -ne 0 ]; then
    echo "$bad offending symbol(s) in the parked world"
    exit 1
fi
echo "PASS the parked world (${#objs[@]} objects) calls only itself and allocation-free libc functions"
