#!/usr/bin/env bash
# Pilot runs of the policy network on equal CPU time (the training campaign's
# first step): each run gets 20 CPU-minutes (one thread, pinned to one core,
# so the budget is the same whatever else the machine does), the same
# training archives, the same data order and the same 8,192 validation
# positions from tygem-2011-11.zip.  Re-running the script resumes an
# interrupted pilot and skips finished ones.
#
#   scripts/pilots.sh [OUT_DIR] [CORE] [SET]
#
# SET 1 (default): widths, batch norm, optimiser, precision, batch size.
# SET 2: the residual tower against the plain stack (strength campaign 2),
# all at batch 128, the best row of set 1, whose plain run is repeated on
# the same machine and code as the residual ones.
set -euo pipefail
out=${1:-runs/pilots}
core=${2:-0}
set=${3:-1}
mkdir -p "$out"
common=(--threads 1 --max-cpu-minutes 20 --val-positions 8192 --val-every 200000 --no-progress)

pilot() {
    local name=$1; shift
    [ -f "$out/$name/done" ] && return 0
    local resume=()
    [ -f "$out/$name/checkpoint.pt" ] && resume=(--resume)
    echo "$(date -u +%FT%TZ) pilot $name: $*" >&2
    taskset -c "$core" tengen train policy --out "$out/$name" "${common[@]}" "${resume[@]}" "$@" \
        >> "$out/$name.log" 2>&1
    touch "$out/$name/done"
}

if [ "$set" = 2 ]; then
    pilot p64-b128 --width 64 --batch-size 128
    pilot r6-b128 --width 64 --batch-size 128 --arch residual --blocks 6
    pilot r6-gp-b128 --width 64 --batch-size 128 --arch residual --blocks 6 --global-pool
    pilot r6-bn-b128 --width 64 --batch-size 128 --arch residual --blocks 6 --batchnorm
    exit 0
fi
pilot w64 --width 64
pilot w48 --width 48
pilot w96 --width 96
pilot w128 --width 128
pilot w64-bn --width 64 --batchnorm
pilot w64-sgd --width 64 --optimizer sgd --lr 0.02
pilot w64-fp32 --width 64 --no-bf16
pilot w64-b128 --width 64 --batch-size 128
