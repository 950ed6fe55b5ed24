"""``nets.inference``: the networks as the search and the evaluation call them:
symmetry averaging, probabilities from logits, when bf16 is used, a
two-headed network's file answering as both networks and in one pass."""

import numpy as np
import pytest
import torch

from nets.features import POLICY_PLANES, VALUE_PLANES
from nets.inference import DualNetworks, Networks
from nets.model import (
    ModelFileError,
    build,
    dual_config,
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


def saved_pair(tmp_path, seed=5):
    torch.manual_seed(seed)
    save_model(build(policy_config(width=16, layers=4, arch="plain")), tmp_path / "p.safetensors")
    save_model(build(value_config(width=16, layers=4, arch="plain")), tmp_path / "v.safetensors")
    return tmp_path / "p.safetensors", tmp_path / "v.safetensors"


@pytest.mark.parametrize("bf16", [False, True])
def test_on_the_cpu_the_networks_compute_exactly_the_reference_forward_pass(tmp_path, bf16):
    """The device path on the CPU is the one the CPU always took: the
    planes as ``planes_to_tensor`` makes them, the CPU's autocast, numbers
    equal to the bit."""
    from nets.model import load_model, planes_to_tensor

    policy, value = saved_pair(tmp_path)
    nets = Networks(policy, value, bf16=bf16, device="cpu")
    assert nets.device.type == "cpu" and nets.bf16 is bf16
    planes = (np.random.default_rng(6).random((9, VALUE_PLANES, 19, 19)) < 0.3).astype(np.uint8)
    refs = {}
    for kind, path in (("policy", policy), ("value", value)):
        net = load_model(path).to(memory_format=torch.channels_last)
        x = planes_to_tensor(planes[:, :net.cfg.planes])
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            refs[kind] = net(x).float().numpy()
            refs["ownership"] = None if kind == "policy" else (
                net.forward_with_ownership(x)[1].float().numpy())
    assert np.array_equal(nets.policy_logits(planes), refs["policy"])
    assert np.array_equal(nets.value(planes), refs["value"])
    assert np.array_equal(nets.value_and_ownership(planes)[1], refs["ownership"])


@pytest.mark.cuda
def test_networks_on_a_cuda_gpu_give_the_cpus_outputs_within_mixed_precision(tmp_path):
    policy, value = saved_pair(tmp_path)
    cpu = Networks(policy, value, bf16=False, device="cpu")
    gpu = Networks(policy, value, device="cuda")
    assert next(gpu.policy_net.parameters()).device.type == "cuda"
    planes = (np.random.default_rng(7).random((33, VALUE_PLANES, 19, 19)) < 0.3).astype(np.uint8)
    p_cpu, p_gpu = cpu.policy(planes), gpu.policy(planes)
    assert isinstance(p_gpu, np.ndarray) and p_gpu.dtype == np.float32
    assert np.abs(p_gpu - p_cpu).max() < 0.02
    assert (p_gpu.argmax(1) == p_cpu.argmax(1)).mean() > 0.9
    assert np.abs(gpu.value(planes) - cpu.value(planes)).max() < 0.05
    own_gpu, own_cpu = gpu.value_and_ownership(planes, 2)[1], cpu.value_and_ownership(planes, 2)[1]
    assert np.abs(own_gpu - own_cpu).max() < 0.05


@pytest.mark.parametrize("native", [True, False])
def test_bf16_is_on_by_default_only_where_the_cpu_computes_it_natively(monkeypatch, native):
    import nets.device as device

    monkeypatch.setattr(device, "bf16_supported", lambda: native)
    assert device.use_bf16(TrainConfig().bf16) is native
    assert device.use_bf16(RLConfig().bf16) is native
    assert device.use_bf16(False) is False and device.use_bf16(True) is True


def saved_dual(path, seed=3):
    """A tiny two-headed network with weights far enough from their
    initial values that every output differs from position to position."""
    torch.manual_seed(seed)
    net = build(dual_config(width=8, layers=3, arch="plain"))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.03 * torch.randn_like(p))
    save_model(net, path)
    return net.eval()


def test_a_two_headed_file_answers_as_both_networks_and_in_one_pass(tmp_path):
    net = saved_dual(tmp_path / "d.safetensors")
    nets = Networks(tmp_path / "d.safetensors", bf16=False)
    assert isinstance(nets, DualNetworks) and nets.has_value and nets.value_path is None
    assert Networks.from_spec(tmp_path / "d.safetensors", bf16=False).policy_path == \
        tmp_path / "d.safetensors"
    planes = (np.random.default_rng(4).random((5, VALUE_PLANES, 9, 9)) < 0.3).astype(np.uint8)
    with torch.no_grad():
        logits, v, own = (t.numpy() for t in net(torch.from_numpy(planes).float()))
    probs, values = nets.policy_and_value(planes)
    assert np.allclose(nets.policy_logits(planes), logits, atol=1e-5)
    assert np.array_equal(probs, nets.policy(planes))
    assert np.allclose(probs.sum(axis=1), 1) and np.allclose(np.log(probs[:, :-1] / probs[:, -1:]),
                                                              logits[:, :-1] - logits[:, -1:],
                                                              atol=1e-4)
    assert np.array_equal(values, nets.value(planes)) and np.allclose(values, v, atol=1e-6)
    assert len(np.unique(values)) == 5 and np.abs(values).max() < 0.99
    v2, own2 = nets.value_and_ownership(planes)
    assert np.array_equal(v2, values) and np.allclose(own2, own, atol=1e-6)
    with pytest.raises(ValueError, match="49 planes"):
        nets.policy(planes[:, :POLICY_PLANES])


def test_a_two_headed_file_takes_no_second_value_network_and_pairs_with_none(tmp_path):
    saved_dual(tmp_path / "d.safetensors")
    save_model(build(value_config(width=8, layers=3, arch="plain")), tmp_path / "v.safetensors")
    with pytest.raises(ModelFileError, match="no separate value network"):
        Networks(tmp_path / "d.safetensors", tmp_path / "v.safetensors")
    pair = Networks(value_path=tmp_path / "v.safetensors")
    assert type(pair) is Networks
    with pytest.raises(ValueError, match="its own value head"):
        Networks(tmp_path / "d.safetensors").with_value_of(pair)
    with pytest.raises(ModelFileError, match="expected a value network"):
        Networks(value_path=tmp_path / "d.safetensors")
