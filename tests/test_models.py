"""The shipped networks (``tengen/models/``): every file the model card
names is there and loads as the kind its name says, and the engine picks
each board size's own files."""

import pytest

from nets.config import NetworkConfig
from nets.model import load_model
from nets.rollout.model import load_model as load_rollout_model
from tengen.base.paths import MODELS_DIR, POLICY_FILE, ROLLOUT_FILE, VALUE_FILE

# named, not globbed: a missing file fails here instead of leaving nothing to test
DEFAULT = [POLICY_FILE, VALUE_FILE]
SIZED = ["9x9/policy.safetensors", "9x9/value.safetensors", "13x13/value.safetensors"]


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
