"""``nets.inference``: the networks as the search and the evaluation call them:
symmetry averaging, probabilities from logits, when bf16 is used."""

import numpy as np
import pytest
import torch

from nets.features import VALUE_PLANES
from nets.inference import Networks
from nets.model import (
    build,
    policy_config,
    save_model,
    value_config,
)
from nets.symmetry import transform_planes
from nets.train_config import TrainConfig
from selfplay.config import RLConfig


def test_networks_averaged_over_the_eight_symmetries_turn_with_the_board(tmp_path):
    """Averaged over all eight symmetries, the policy, value and ownership of
    a turned or mirrored board are those of the board, turned the same way
    (a wrong inverse would break this); one network pass alone is not."""
    torch.manual_seed(1)
    save_model(build(policy_config(width=8, layers=3, arch="plain")), tmp_path / "p.safetensors")
    save_model(build(value_config(width=8, layers=3, arch="plain")), tmp_path / "v.safetensors")
    nets = Networks(tmp_path / "p.safetensors", tmp_path / "v.safetensors", bf16=False)
    n, b = 7, 3
    planes = (np.random.default_rng(2).random((b, VALUE_PLANES, n, n)) < 0.3).astype(np.uint8)
    p8 = nets.policy(planes, 8)
    v8, own8 = nets.value_and_ownership(planes, 8)
    assert p8.shape == (b, n * n + 1) and np.allclose(p8.sum(axis=1), 1)
    alone_differs = False
    for k in range(8):
        turned = np.ascontiguousarray(transform_planes(planes, k))
        pk = nets.policy(turned, 8)
        vk, ownk = nets.value_and_ownership(turned, 8)
        board = transform_planes(p8[:, :-1].reshape(b, n, n), k).reshape(b, n * n)
        assert np.allclose(pk[:, :-1], board, atol=1e-5) and np.allclose(pk[:, -1], p8[:, -1], atol=1e-5)
        assert np.allclose(vk, v8, atol=1e-5)
        assert np.allclose(ownk, transform_planes(own8, k), atol=1e-5)
        one = transform_planes(nets.policy(planes)[:, :-1].reshape(b, n, n), k).reshape(b, n * n)
        alone_differs |= not np.allclose(nets.policy(turned)[:, :-1], one, atol=1e-5)
    assert alone_differs
    logits = nets.policy_logits(planes)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(nets.policy(planes), expected / expected.sum(axis=1, keepdims=True))
    with pytest.raises(ValueError):
        nets.policy(planes, 9)


@pytest.mark.parametrize("native", [True, False])
def test_bf16_is_on_by_default_only_where_the_cpu_computes_it_natively(monkeypatch, native):
    import nets.inference as inference

    monkeypatch.setattr(inference, "bf16_supported", lambda: native)
    assert inference.use_bf16(TrainConfig().bf16) is native
    assert inference.use_bf16(RLConfig().bf16) is native
    assert inference.use_bf16(False) is False and inference.use_bf16(True) is True
