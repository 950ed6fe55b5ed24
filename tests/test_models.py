"""The shipped networks (``tengen/models/``): every file loads as the kind its
name says, and the engine picks each board size's own files."""

import pytest

from nets.config import NetworkConfig
from nets.model import load_model
from tengen.base.paths import MODELS_DIR

SIZED = sorted(MODELS_DIR.glob("*x*/*.safetensors"))


@pytest.mark.parametrize("path", SIZED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_board_sizes_shipped_network_loads_as_its_kind_and_is_picked_for_that_size(path):
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
