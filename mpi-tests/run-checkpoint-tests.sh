#!/usr/bin/env bash
# The checkpoint proof harness is checkpoint_harness.py (its docstring lists sections and variables).
CKPT_HARNESS_ARGV0="$0" exec python3 "$(dirname "$0")/checkpoint_harness.py" "$@"
