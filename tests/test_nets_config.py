"""``nets.config``: which network files a player loads; a two-headed
network given as the policy network values positions itself."""

import pytest
import torch

from nets.config import NetworkConfig, two_headed
from nets.model import build, dual_config, policy_config, save_model
from tengen.base.paths import MODELS_DIR, VALUE_FILE


@pytest.fixture
def files(tmp_path):
    torch.manual_seed(0)
    save_model(build(dual_config(width=8, layers=3, arch="plain")), tmp_path / "dual.safetensors")
    save_model(build(policy_config(width=8, layers=3, arch="plain")), tmp_path / "p.safetensors")
    (tmp_path / "garbage.safetensors").write_bytes(b"not a model" * 20)
    return tmp_path


def test_a_two_headed_policy_model_takes_no_value_network(files):
    dual = str(files / "dual.safetensors")
    assert two_headed(dual)
    cfg = NetworkConfig(policy_model=dual)
    for size in (None, 9, 19):
        assert cfg.policy_path(size) == files / "dual.safetensors"
        assert cfg.value_path(size) is None
    with pytest.raises(ValueError, match="has a value head of its own: pass no --value-model"):
        NetworkConfig(policy_model=dual, value_model=str(MODELS_DIR / VALUE_FILE))


def test_a_policy_network_keeps_the_shipped_value_network(files):
    assert not two_headed(files / "p.safetensors")
    cfg = NetworkConfig(policy_model=str(files / "p.safetensors"))
    assert cfg.value_path(19) == MODELS_DIR / VALUE_FILE


@pytest.mark.parametrize("name", ["garbage.safetensors", "missing.safetensors"])
def test_a_file_that_cannot_be_read_is_no_two_headed_network_here(files, name):
    """The loader, not the configuration, says what is wrong with it."""
    assert not two_headed(files / name)
    assert NetworkConfig(policy_model=str(files / name)).value_path(19) == MODELS_DIR / VALUE_FILE


def test_the_runtime_is_checked_where_the_config_is_built():
    """A front end refuses a runtime it cannot have before it loads anything."""
    for name in ("auto", "torch", "onnx-int8"):
        assert NetworkConfig(runtime=name).runtime == name
    with pytest.raises(ValueError, match="--runtime must be one of auto, torch, onnx-int8"):
        NetworkConfig(runtime="int8")
    with pytest.raises(ValueError, match="onnx-int8 runs on the CPU, not cuda: pass --device cpu"):
        NetworkConfig(device="cuda", runtime="onnx-int8")
