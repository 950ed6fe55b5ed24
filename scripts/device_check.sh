#!/usr/bin/env bash
# tengen on one NVIDIA GPU, in at most 8 minutes, without the internet (issue 38):
#
#   scripts/device_check.sh [--dry-run]
#
# It starts from a copy of the repository with the packed corpus beside it
# (corpus/train.npz and corpus/val.npz, made here by
#   tengen pack ../shared/data/tygem-9d/tygem-2010-*.zip ../shared/data/tygem-9d/tygem-2011-0*.zip --out corpus/train.npz
#   tengen pack ../shared/data/tygem-9d/tygem-2011-11.zip --out corpus/val.npz
# about 23 MB together; the repository is about 16 MB) and Python packages
# the machine lacks as wheels in .whl/ (sgfmill, pure Python:
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl sgfmill==1.1.1
# Ray is not needed).  It compiles the engine once (Numba), then runs
#
#   1. the tests marked cuda (pytest -m cuda);
#   2. two minutes of training AlphaGo's 192-filter policy network from the
#      packed corpus, reporting its validation top-1 on 8,192 positions;
#   3. tengen bench net|train|mcts|selfplay --device cuda --json, each beside
#      the same on that machine's CPU; then bench mcts at other
#      --gpu-batch-size values as time allows;
#
# each step under a time limit, against one deadline (8 minutes from the
# start, less a margin), so the whole stays inside 8 minutes however slow a
# step is; a step that runs out is recorded as such.  Results: one JSON line
# per step in $OUT/results.jsonl (OUT defaults to device-check/ in the
# repository), the log in $OUT/log.txt, the trained network and its
# metrics.csv beside them: four files.
#
# --dry-run: the same steps on this machine's CPU, tiny and quick (the
# device is the CPU, the cuda tests skip): checks the script itself.
set -uo pipefail
cd "$(dirname "$0")/.."
dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
out=${OUT:-device-check}
mkdir -p "$out"
results="$out/results.jsonl"
log="$out/log.txt"
: >"$results"
: >"$log"
start=$(date +%s)
deadline=$((start + 470))          # 8 minutes, less 10 s for the summary
export PYTHONUNBUFFERED=1 RAY_USAGE_STATS_ENABLED=0

if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/tengen-site .whl/*.whl >>"$log" 2>&1
    export PYTHONPATH="$PWD:/tmp/tengen-site${PYTHONPATH:+:$PYTHONPATH}"
else
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
tengen() { python3 -m tengen.cli "$@"; }

# step NAME LIMIT_S COMMAND...: run it under the smaller of its limit and the
# time left; record its exit status, seconds and the last JSON line it printed
step() {
    local name=$1 limit=$2
    shift 2
    local now left
    now=$(date +%s)
    left=$((deadline - now))
    ((left < limit)) && limit=$left
    if ((limit < 5)); then
        echo "{\"step\": \"$name\", \"skipped\": \"no time left\"}" >>"$results"
        return
    fi
    echo "== $name (limit ${limit}s): $*" >>"$log"
    local t0=$SECONDS rc
    timeout --kill-after=5 "$limit" "$@" >"$out/.stdout" 2>>"$log"
    rc=$?
    cat "$out/.stdout" >>"$log"
    python3 - "$name" "$rc" "$((SECONDS - t0))" "$out/.stdout" >>"$results" <<'PY'
import json, sys
name, rc, seconds, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
result = None
for line in reversed(open(path, errors="replace").read().splitlines()):
    try:
        result = json.loads(line)
        break
    except ValueError:
        continue
print(json.dumps({"step": name, "rc": rc, "timed_out": rc in (124, 137), "seconds": seconds,
                  "result": result}))
PY
    rm -f "$out/.stdout"
}

if ((dry)); then
    gpu=cpu; cpu_threads=1; secs=0.5; train_games=40; mcts_batches="32"; games=4
    train_seconds=15; width=16; layers=4; val_positions=256
else
    gpu=cuda; cpu_threads=$(nproc); secs=2; train_games=2000; mcts_batches="32 128 256"
    games=""; train_seconds=120; width=192; layers=13; val_positions=8192
fi
data=corpus/train.npz
val=corpus/val.npz
[[ -f $data && -f $val ]] || { echo "no packed corpus in corpus/ (see the top of this script)" | tee -a "$log"; exit 2; }

step machine 15 python3 -c "
import json, os, platform, torch
print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda,
                  'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                  'cpu': platform.processor(), 'cores': os.cpu_count()}))"
# compile the board, the features and the search once (Numba's cache), for every later step
step compile 90 tengen warmup --device "$gpu" --threads "$cpu_threads"
step cuda-tests 90 python3 -m pytest -q -m cuda -p no:cacheprovider tests/test_device.py \
    tests/test_inference.py tests/test_selfplay_rl.py tests/test_train.py

# AlphaGo's policy network, trained for two minutes of steps (loading, the first
# window, the validation and the export take up to 50 s more)
train_out=$(mktemp -d)
step "train-$width" "$((train_seconds + 50))" tengen train policy --device "$gpu" --data "$data" \
    --val "$val" --arch plain --width "$width" --layers "$layers" --batch-size 256 --lr 0.002 \
    --warmup-positions 100000 --schedule-positions 1200000 --val-positions "$val_positions" \
    --val-every 1000000000 --max-minutes "$(python3 -c "print($train_seconds / 60)")" \
    --checkpoint-minutes 1000 --out "$train_out" --no-progress
# the network comes back (about 16 MB for 192 filters: a GPU-trained network to load elsewhere)
cp "$train_out/best.safetensors" "$out/policy-$width.safetensors" 2>/dev/null
cp "$train_out/metrics.csv" "$out/train-$width-metrics.csv" 2>/dev/null
rm -rf "$train_out"

# the benchmarks, the device's beside the same machine's CPU, most wanted first
for dev in "$gpu" cpu; do
    extra=(); [[ $dev == cpu ]] && extra=(--threads "$cpu_threads")
    batches=(1 16 128); [[ $dev != cpu ]] && batches=(1 16 128 1024 4096)
    step "bench-net-$dev" 25 tengen bench net --device "$dev" --json --seconds "$secs" \
        --batches "${batches[@]}" --no-training "${extra[@]}"
done
step "bench-train-$gpu" 45 tengen bench train --device "$gpu" --json --data "$data" \
    --max-games "$train_games" --arch plain --width "$width" --layers "$layers" \
    --window-games 50 --seconds "$secs"
step bench-train-cpu 30 tengen bench train --device cpu --json --data "$data" \
    --max-games 100 --arch plain --width "$width" --layers "$layers" --window-games 2 \
    --seconds "$secs" --threads "$cpu_threads"
step "bench-mcts-$gpu" 25 tengen bench mcts --device "$gpu" --json --seconds "$secs" \
    --positions 1
step bench-mcts-cpu 25 tengen bench mcts --device cpu --json --seconds "$secs" --positions 1 \
    --threads "$cpu_threads"
step "bench-selfplay-$gpu" 40 tengen bench selfplay --device "$gpu" --json --sizes 9 --no-ray \
    --seconds "$secs" ${games:+--games $games}
step bench-selfplay-cpu 25 tengen bench selfplay --device cpu --json --sizes 9 --no-ray \
    --seconds "$secs" --games "${games:-32}" --threads 1
# the search's leaves per network call on the device, other than the default 64, as time allows
for b in $mcts_batches; do
    step "bench-mcts-$gpu-b$b" 25 tengen bench mcts --device "$gpu" --json --seconds "$secs" \
        --positions 1 --gpu-batch-size "$b"
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
failed = [r["step"] for r in rows if r.get("rc") not in (0, None)]
trained = next((r["result"] for r in rows if r["step"].startswith("train-") and r.get("result")),
               None) or {}
print(json.dumps({"steps": len(rows), "failed": failed,
                  "trained_val_top1": (trained.get("best") or {}).get("top1"),
                  "trained_positions": trained.get("positions")}))
PY
echo "device check: $(( $(date +%s) - start )) s" | tee -a "$log"
