"""``nets.model``: the networks at every board size, the residual tower, batch
norm folding, the two-headed network, and model files (round trips,
subnormals, clear errors)."""

import dataclasses
import json

import pytest
import torch

from nets.features import POLICY_PLANES, VALUE_PLANES, offset
from nets.inference import Networks
from nets.model import (
    ModelFileError,
    NetConfig,
    build,
    dual_config,
    fold_batchnorm,
    load_model,
    policy_config,
    save_model,
    value_config,
)


@pytest.mark.parametrize("n", [9, 13, 19])
def test_output_shapes_any_board_size(n):
    pol = build(policy_config(width=16, arch="plain"))
    val = build(value_config(width=16, arch="plain"))
    x = torch.rand(3, POLICY_PLANES, n, n)
    assert pol(x).shape == (3, n * n + 1)
    v = val(torch.rand(3, VALUE_PLANES, n, n))
    assert v.shape == (3,)
    assert bool(((v >= -1) & (v <= 1)).all())


def test_point_bias_is_symmetric_and_size_agnostic():
    pol = build(policy_config(width=8, layers=3, arch="plain"))
    with torch.no_grad():
        pol.point_bias.copy_(torch.randn_like(pol.point_bias))
        for m in pol.trunk.convs:
            m.weight.zero_()
            m.bias.zero_()
    for n in (7, 19):
        out = pol(torch.zeros(1, POLICY_PLANES, n, n))[0, :-1].view(n, n)
        # with a silent trunk only the bias speaks: it must be 8-fold symmetric
        assert torch.allclose(out, out.flip(0))
        assert torch.allclose(out, out.flip(1))
        assert torch.allclose(out, out.T)


def test_a_new_residual_tower_is_the_identity_after_its_stem():
    """Without batch norm each block's second convolution starts at zero,
    so a deep unnormalised tower starts as relu(stem(x)) and trains; the
    global-pooling layers start silent too."""
    for pool in (False, True):
        net = build(policy_config(width=8, arch="residual", blocks=6, global_pool=pool))
        x = torch.rand(2, POLICY_PLANES, 9, 9)
        stem = torch.relu(net.trunk.convs[0](x))
        assert torch.allclose(net.trunk(x), stem)
        assert len(net.trunk.convs) == 1 + 2 * 6
        assert len(net.trunk.pools) == (2 if pool else 0)     # blocks 3 and 6


@pytest.mark.parametrize("kind", ["policy", "value"])
@pytest.mark.parametrize("pool", [False, True])
def test_residual_networks_fold_save_and_load(tmp_path, kind, pool):
    torch.manual_seed(1)
    make = policy_config if kind == "policy" else value_config
    net = build(make(width=8, arch="residual", blocks=3, global_pool=pool, batchnorm=True))
    planes = POLICY_PLANES if kind == "policy" else VALUE_PLANES
    x = torch.rand(8, planes, 9, 9)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))     # away from the identity start
    net.train()
    net(x)
    net.eval()
    save_model(net, tmp_path / "r.safetensors")
    back = load_model(tmp_path / "r.safetensors", kind)
    assert back.cfg.arch == "residual" and not back.cfg.batchnorm
    assert torch.allclose(net(x), back(x), atol=1e-4)
    # a 13x13 board works with the same weights
    assert back(torch.rand(1, planes, 13, 13)).shape[0] == 1


def test_batchnorm_folds_into_convolutions():
    torch.manual_seed(0)
    net = build(NetConfig(kind="policy", width=8, layers=4, arch="plain", batchnorm=True))
    x = torch.rand(16, POLICY_PLANES, 9, 9)
    net.train()
    for _ in range(3):
        net(x)  # gather running statistics
    net.eval()
    for bn in net.trunk.norms:
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    plain = fold_batchnorm(net)
    assert not plain.cfg.batchnorm and plain.trunk.norms is None
    assert torch.allclose(net(x), plain(x), atol=1e-4)


def test_model_file_round_trip(tmp_path):
    net = build(value_config(width=8, layers=3, arch="plain"))
    net.cfg.provenance = {"command": "test"}
    save_model(net, tmp_path / "v.safetensors")
    back = load_model(tmp_path / "v.safetensors", "value")
    assert back.cfg.provenance == {"command": "test"}
    x = torch.rand(2, VALUE_PLANES, 9, 9)
    assert torch.equal(net.eval()(x), back(x))


def test_a_model_file_from_before_the_residual_tower_loads_as_the_plain_stack(tmp_path):
    """Files that do not name their trunk (tengen/models/previous/) hold
    AlphaGo's plain stack, whatever a new network's default is."""
    from safetensors.torch import save_file

    assert NetConfig().arch == "residual"             # what tengen train builds
    net = build(policy_config(width=8, layers=3, arch="plain")).eval()
    old = {k: v for k, v in dataclasses.asdict(net.cfg).items()
           if k not in ("arch", "blocks", "global_pool")}
    save_file({k: v.contiguous() for k, v in net.state_dict().items()},
              str(tmp_path / "old.safetensors"),
              metadata={"format": "tengen-net", "config": json.dumps(old)})
    back = load_model(tmp_path / "old.safetensors", "policy")
    assert back.cfg.arch == "plain"
    x = torch.rand(1, POLICY_PLANES, 9, 9)
    assert torch.equal(net(x), back(x))


def test_subnormal_weights_are_zero_after_saving_and_loading(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    net = build(policy_config(width=8, layers=3, arch="plain"))
    tiny = torch.finfo(torch.float32).tiny
    with torch.no_grad():
        net.trunk.convs[1].weight[0, 0] = tiny / 4          # subnormal
        net.trunk.convs[1].weight[0, 1] = -tiny / 1000      # subnormal
        net.trunk.convs[1].weight[0, 2] = tiny              # the smallest normal: kept
    save_model(net, tmp_path / "p.safetensors")
    with safe_open(str(tmp_path / "p.safetensors"), framework="pt") as f:
        stored = f.get_tensor("trunk.convs.1.weight")
        meta = f.metadata()
    assert (stored[0, 0] == 0).all() and (stored[0, 1] == 0).all()
    assert (stored[0, 2] == tiny).all()
    # a file written by something else, subnormals and all, loads without them
    raw = {k: v.detach().clone() for k, v in net.state_dict().items()}
    raw["trunk.convs.1.weight"][0, 0] = tiny / 4
    save_file(raw, str(tmp_path / "raw.safetensors"), metadata=meta)
    loaded = load_model(tmp_path / "raw.safetensors", "policy").trunk.convs[1].weight
    assert (loaded[0, 0] == 0).all() and (loaded[0, 2] == tiny).all()


def test_building_a_network_turns_on_flush_to_zero():
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU has no flush-to-zero mode")
    assert torch.tensor([1e-39]).mul(1.0).item() != 0.0
    build(value_config(width=8, layers=3, arch="plain"))
    assert torch.tensor([1e-39]).mul(1.0).item() == 0.0


def test_bad_model_files_give_clear_errors(tmp_path):
    from safetensors.torch import save_file

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00\x01 not a model at all" * 10)
    with pytest.raises(ModelFileError, match="not a readable"):
        load_model(garbage)
    with pytest.raises(ModelFileError, match="no such"):
        Networks.from_spec(tmp_path / "missing.safetensors")

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(ModelFileError, match="not a tengen network"):
        load_model(foreign)

    pol = build(policy_config(width=8, layers=3, arch="plain"))
    save_model(pol, tmp_path / "p.safetensors")
    with pytest.raises(ModelFileError, match="expected a value network"):
        load_model(tmp_path / "p.safetensors", "value")

    # weights that do not fit the declared architecture
    meta = {"format": "tengen-net",
            "config": json.dumps({"kind": "policy", "width": 16, "layers": 3, "planes": 48})}
    tensors = {k: v.contiguous() for k, v in pol.state_dict().items()}
    save_file(tensors, str(tmp_path / "shape.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError, match="shape"):
        load_model(tmp_path / "shape.safetensors")

    meta["config"] = json.dumps({"kind": "policy", "width": 8, "layers": 3, "planes": 48,
                                 "feature_set": "some-other-encoder"})
    save_file(tensors, str(tmp_path / "fs.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError, match="feature"):
        load_model(tmp_path / "fs.safetensors")


@pytest.mark.parametrize("arch", ["plain", "residual"])
def test_a_two_headed_network_gives_the_policy_and_the_value_networks_outputs(arch):
    """One trunk over the 49 planes, the policy head's logits and the value
    head's value and ownership; the value half alone is the same numbers."""
    torch.manual_seed(0)
    net = build(dual_config(width=8, layers=3, arch=arch, blocks=1)).eval()
    for n in (9, 19):
        x = (torch.rand(3, VALUE_PLANES, n, n) < 0.3).float()
        logits, v, own = net(x)
        assert logits.shape == (3, n * n + 1) and v.shape == (3,) and own.shape == (3, n, n)
        assert bool(((v > -1) & (v < 1)).all()) and bool(((own > -1) & (own < 1)).all())
        v2, own2 = net.forward_with_ownership(x)
        assert torch.equal(v, v2) and torch.equal(own, own2)
    policy_keys = set(build(policy_config(width=8, layers=3, arch=arch, blocks=1)).state_dict())
    assert policy_keys < set(net.state_dict())          # the policy head under its own names
    with pytest.raises(ValueError, match="49"):
        NetConfig(kind="dual", planes=POLICY_PLANES)


def test_a_two_headed_networks_value_sees_who_is_to_move_even_with_the_colour_plane_unread():
    """The value layers read the player-colour plane themselves: with every
    trunk weight on that plane at zero (a trunk started from the policy
    network's 48 planes, kept fixed), the same stones with the other
    player to move still get another value, and the policy the same."""
    torch.manual_seed(3)
    net = build(dual_config(width=8, layers=3, arch="plain")).eval()
    colour = offset("player_colour")
    with torch.no_grad():
        net.trunk.convs[0].weight[:, colour] = 0
    x = (torch.rand(2, VALUE_PLANES, 9, 9) < 0.3).float()
    black, white = x.clone(), x.clone()
    black[:, colour], white[:, colour] = 1.0, 0.0
    (pb, vb, ob), (pw, vw, ow) = net(black), net(white)
    assert torch.equal(pb, pw) and torch.equal(ob, ow)
    assert not torch.allclose(vb, vw)


def test_a_two_headed_model_file_round_trips_and_is_no_other_kind(tmp_path):
    torch.manual_seed(2)
    net = build(dual_config(width=8, layers=3, arch="plain")).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    save_model(net, tmp_path / "d.safetensors")
    back = load_model(tmp_path / "d.safetensors", "dual")
    assert back.cfg == net.cfg
    x = (torch.rand(2, VALUE_PLANES, 9, 9) < 0.3).float()
    for a, b in zip(net(x), back(x)):
        assert torch.equal(a, b)
    for kind in ("policy", "value"):
        with pytest.raises(ModelFileError, match=f"holds a dual network, expected a {kind}"):
            load_model(tmp_path / "d.safetensors", kind)
    # a value network's file under the two-headed kind: its weights do not fit
    value = build(value_config(width=8, layers=3, arch="plain"))
    save_model(value, tmp_path / "v.safetensors")
    from safetensors.torch import load_file, save_file
    meta = {"format": "tengen-net", "config": json.dumps(dataclasses.asdict(net.cfg))}
    save_file(load_file(str(tmp_path / "v.safetensors")), str(tmp_path / "mixed.safetensors"),
              metadata=meta)
    with pytest.raises(ModelFileError, match="do not match the declared architecture"):
        load_model(tmp_path / "mixed.safetensors")
