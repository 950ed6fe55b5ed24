"""Net2WiderNet: a widened network computes what its source computed."""

import pytest
import torch
from nets_helpers import random_games_dir, small_config

from nets.model import ModelFileError, build, policy_config, save_model, value_config
from nets.train import Trainer
from nets.widen import widen


def trained_looking(cfg, seed=0):
    """A network whose weights are all non-zero (a new residual tower's
    second convolutions start at zero, which would hide a wrong copy)."""
    torch.manual_seed(seed)
    net = build(cfg)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return net.eval()


def outputs(net, x):
    with torch.no_grad():
        if net.cfg.kind == "value":
            v, own = net.forward_with_ownership(x)
            return torch.cat([v.unsqueeze(1), own.flatten(1)], dim=1)
        return net(x)


@pytest.mark.parametrize("cfg", [
    policy_config(width=8, layers=4, arch="plain"),
    value_config(width=8, layers=4, arch="plain"),
    policy_config(width=8, arch="residual", blocks=3, global_pool=True),
    value_config(width=8, arch="residual", blocks=3, global_pool=True),
], ids=["plain policy", "plain value", "residual policy", "residual value"])
def test_a_network_widened_without_noise_computes_the_same_outputs(cfg):
    src = trained_looking(cfg)
    wide = widen(src, 13, noise=0.0, seed=1)
    assert wide.cfg.width == 13 and wide.trunk.convs[1].weight.shape[:2] == (13, 13)
    x = (torch.rand(5, cfg.planes, 9, 9) < 0.3).float()
    assert torch.allclose(outputs(wide, x), outputs(src, x), atol=1e-5)


def test_noise_parts_the_copied_filters_and_barely_moves_the_outputs():
    src = trained_looking(policy_config(width=8, layers=4, arch="plain"))
    wide = widen(src, 16, noise=0.01, seed=2)
    w = wide.trunk.convs[2].weight
    # every new filter differs from every old filter it could be a copy of
    for j in range(8, 16):
        assert all(not torch.allclose(w[j], w[i] * 1.0, atol=1e-7) for i in range(8))
    x = (torch.rand(5, src.cfg.planes, 9, 9) < 0.3).float()
    p_src = torch.softmax(outputs(src, x), 1)
    p_wide = torch.softmax(outputs(wide, x), 1)
    assert (p_src - p_wide).abs().max() < 0.02


def test_a_network_cannot_be_narrowed():
    with pytest.raises(ValueError, match="cannot widen"):
        widen(build(policy_config(width=8, layers=4, arch="plain")), 4)


def test_training_a_wider_network_from_a_narrower_one_starts_from_its_function(tmp_path):
    """``--init-from`` a narrower file widens it: the new run's first
    predictions are the source's (up to the symmetry-breaking noise)."""
    games = random_games_dir(tmp_path, count=2, moves=20)
    src = trained_looking(policy_config(width=8, layers=4, arch="plain"))
    save_model(src, tmp_path / "narrow.safetensors")
    cfg = small_config(tmp_path, games, arch="plain", width=12, layers=4,
                       init_from=str(tmp_path / "narrow.safetensors"))
    t = Trainer(cfg, progress=False)
    assert t.net.cfg.width == 12
    x = (torch.rand(4, src.cfg.planes, 9, 9) < 0.3).float()
    t.net.eval()
    diff = torch.softmax(outputs(t.net, x), 1) - torch.softmax(outputs(src, x), 1)
    assert diff.abs().max() < 0.02
    save_model(build(policy_config(width=16, layers=4, arch="plain")),
               tmp_path / "wide.safetensors")
    cfg = small_config(tmp_path, games, arch="plain", width=12, layers=4,
                       init_from=str(tmp_path / "wide.safetensors"))
    with pytest.raises(ModelFileError, match="the width may only grow"):
        Trainer(cfg, progress=False)
