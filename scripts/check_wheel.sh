#!/usr/bin/env bash
# Build tengen's wheel, install it in a fresh virtual environment (no
# access to this checkout) and have it play a move with the shipped policy
# network from another directory.  CI runs this; so can anyone:
#   scripts/check_wheel.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
rm -rf "$work/dist" "$work/venv"
python -m pip wheel -q --no-deps -w "$work/dist" .
wheel=$(ls "$work"/dist/tengen-*.whl)
python - "$wheel" <<'PY'
import glob, sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
sized = sorted(glob.glob("tengen/models/*x*/*.safetensors"))   # the networks of one board size
int8 = sorted(glob.glob("tengen/models/*.int8.onnx") + glob.glob("tengen/models/*x*/*.int8.onnx"))
for f in ["tengen/models/policy.safetensors", "tengen/models/value.safetensors",
          "tengen/models/value.calibration.json", "tengen/models/rollout.npz", *sized, *int8]:
    assert f in names, f"{f} is not in the wheel"
print(f"{sys.argv[1]}: {len(names)} files, networks included")
PY
python -m venv "$work/venv"
# the same PyTorch as this machine's (a CPU build; a bare range could pull a CUDA one)
torch_version=$(python -c "import torch; print(torch.__version__.split('+')[0])")
"$work/venv/bin/pip" install -q "torch==$torch_version"
"$work/venv/bin/pip" install -q "$wheel"
cd "$work"
answer=$(printf 'boardsize 9\ngenmove b\nquit\n' | "$work/venv/bin/tengen" gtp --player policy 2>"$work/stderr")
echo "$answer"
if grep -q "no policy network" "$work/stderr"; then cat "$work/stderr"; exit 1; fi
echo "$answer" | grep -Eq '^= [A-HJ-T][0-9]+$' || { echo "no move from the installed engine"; cat "$work/stderr"; exit 1; }
"$work/venv/bin/python" -c "import tengen.base.paths as p, engine; assert 'venv' in engine.__file__, engine.__file__; assert (p.MODELS_DIR / p.POLICY_FILE).exists(); print('installed engine plays from', p.MODELS_DIR)"
