"""The shipped networks (``tengen/models/``): every file the model card
names is there and loads as the kind its name says, the engine picks
each board size's own files, and the int8 files are made from the
networks beside them."""

import pytest

from nets.config import NetworkConfig
from nets.int8 import Int8Network, int8_path, onnxruntime_installed
from nets.model import load_model
from nets.rollout.model import load_model as load_rollout_model
from tengen.base.paths import MODELS_DIR, POLICY_FILE, ROLLOUT_FILE, VALUE_FILE

# named, not globbed: a missing file fails here instead of leaving nothing to test
DEFAULT = [POLICY_FILE, VALUE_FILE]
SIZED = ["9x9/policy.safetensors", "9x9/value.safetensors", "13x13/value.safetensors"]
INT8 = DEFAULT      # the 19x19 networks; no 9x9 or 13x13 games to calibrate the others on


def test_every_shipped_network_is_there_and_every_board_sizes_network_is_named_here():
    for name in DEFAULT + SIZED + [ROLLOUT_FILE]:
        assert (MODELS_DIR / name).is_file(), name
    found = sorted(p.relative_to(MODELS_DIR).as_posix()
                   for p in MODELS_DIR.glob("*x*/*.safetensors"))
    assert found == sorted(SIZED)


@pytest.mark.parametrize("name", DEFAULT)
def test_the_default_networks_load_as_their_kind(name):
    kind = name.split(".")[0]
    assert load_model(MODELS_DIR / name, kind).cfg.kind == kind


def test_the_shipped_rollout_policy_loads():
    assert load_rollout_model(MODELS_DIR / ROLLOUT_FILE).weights.size > 0


@pytest.mark.parametrize("name", SIZED)
def test_each_board_sizes_shipped_network_loads_as_its_kind_and_is_picked_for_that_size(name):
    path = MODELS_DIR / name
    kind = path.stem                      # policy or value
    net = load_model(path, kind)
    assert net.cfg.kind == kind
    n = int(path.parent.name.split("x")[0])
    cfg = NetworkConfig()
    picked = cfg.policy_path(n) if kind == "policy" else cfg.value_path(n)
    assert picked == path
    # other sizes keep the default files
    other = cfg.policy_path(19) if kind == "policy" else cfg.value_path(19)
    assert other.parent == MODELS_DIR


def test_only_the_19x19_networks_ship_int8_files():
    found = sorted(p.relative_to(MODELS_DIR).as_posix() for p in MODELS_DIR.rglob("*.onnx"))
    assert found == sorted(int8_path(name).as_posix() for name in INT8)


@pytest.mark.skipif(not onnxruntime_installed(), reason="pip install 'tengen[int8]'")
@pytest.mark.parametrize("name", INT8)
def test_each_shipped_int8_file_was_made_from_the_network_beside_it(name):
    """A network retrained or replaced without `tengen quantize` fails
    here, before `auto` silently falls back to PyTorch for every user."""
    net = Int8Network(MODELS_DIR / name, threads=1)
    assert net.path == MODELS_DIR / int8_path(name)
