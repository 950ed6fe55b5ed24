"""``nets.int8`` and ``tengen quantize``: the int8 networks answer as the
PyTorch ones do (every board size, symmetries, value and ownership), a
stale int8 file is never run, ``--runtime auto`` picks int8 exactly where
the rules say, and the search and the front ends' networks run on it."""

import json
import shutil

import numpy as np
import pytest
import torch
from conftest import random_position
from nets_helpers import random_games_dir

from engine.game import Game
from mcts.analysis import PositionSearch
from mcts.config import SearchConfig
from mcts.search import Search
from nets import int8
from nets.config import NetworkConfig
from nets.device import Device, resolve_device
from nets.features import encode_state
from nets.inference import Networks
from nets.int8 import int8_networks, int8_path
from nets.model import ModelFileError, build, dual_config, policy_config, save_model, value_config
from nets.symmetry import transform_planes
from tengen.cli import main

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def save_networks(folder, seed):
    """Small residual networks with global pooling (the export's hardest
    case), wide enough that their top moves differ from position to
    position."""
    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(build(policy_config(width=16, blocks=2, global_pool=True)),
               folder / "policy.safetensors")
    save_model(build(value_config(width=16, blocks=2, global_pool=True, value_hidden=16,
                                  value_channels=4)), folder / "value.safetensors")
    return folder / "policy.safetensors", folder / "value.safetensors"


@pytest.fixture(scope="module")
def quantized(tmp_path_factory):
    """A model directory whose 9x9 networks ``tengen quantize`` made int8
    files for, on random 9x9 games; its 13x13 network has no 13x13 games to
    calibrate on.  The 9x9 folder."""
    root = tmp_path_factory.mktemp("int8")
    save_networks(root / "models" / "9x9", seed=1)
    save_networks(root / "models" / "13x13", seed=2)
    games = random_games_dir(root, 40, moves=80, seed=3)
    assert main(["quantize", "--model", str(root / "models"), "--archive", str(games),
                 "--positions", "32", "--sizes", "9", "13"]) == 0
    return root / "models" / "9x9"


@pytest.fixture(scope="module")
def both(quantized):
    """The 9x9 networks in PyTorch and in int8."""
    files = quantized / "policy.safetensors", quantized / "value.safetensors"
    return (Networks(*files, bf16=False, device="cpu", runtime="torch"),
            Networks(*files, bf16=False, device="cpu", runtime="onnx-int8"))


def positions(n, count, seed):
    """Encoded positions (49 planes) of random games, early and late."""
    moves = np.random.default_rng(seed).integers(0, n * n, count)
    return np.stack([encode_state(random_position(n, int(m), seed + i), value=True)
                     for i, m in enumerate(moves)])


def close_policies(p, q):
    """Most top moves the same and little probability moved: int8 rounding
    passes (total variation about 0.001 on these networks), a network fed
    turned or reordered planes does not (about 0.05, top moves at chance)."""
    agree = (p.argmax(axis=1) == q.argmax(axis=1)).mean()
    moved = 0.5 * np.abs(p - q).sum(axis=1).mean()
    return agree >= 0.85 and moved < 0.01


def test_the_int8_file_sits_beside_its_network():
    assert int8_path("m/9x9/policy.safetensors").as_posix() == "m/9x9/policy.int8.onnx"


def test_tengen_quantize_writes_the_files_of_the_sizes_it_has_games_of(quantized, capsys):
    folder, models = quantized, quantized.parent
    assert int8_path(folder / "policy.safetensors").exists()
    assert int8_path(folder / "value.safetensors").exists()
    assert not list((models / "13x13").glob("*.onnx"))     # no 13x13 games to calibrate on
    code = main(["quantize", "--model", str(models), "--archive", str(models.parent / "games"),
                 "--positions", "8", "--sizes", "13"])
    assert code == 2
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == [] and "no 13x13 games" in summary["skipped"]["13"]


@pytest.mark.parametrize("n", [9, 7, 19])
def test_the_int8_networks_answer_as_the_pytorch_ones_on_every_board_size(both, n):
    """Calibrated on 9x9 games, the file serves every board size, as the
    network does; a wrong orientation of the planes would not pass."""
    torch_nets, int8_nets = both
    x = positions(n, 48, seed=10 * n)
    assert close_policies(torch_nets.policy(x), int8_nets.policy(x))
    assert close_policies(torch_nets.policy(x, 8), int8_nets.policy(x, 8))
    turned = np.ascontiguousarray(transform_planes(x, 1))
    assert not close_policies(torch_nets.policy(x), int8_nets.policy(turned))
    assert np.abs(torch_nets.value(x) - int8_nets.value(x)).mean() < 0.02
    v, own = torch_nets.value_and_ownership(x, 2)
    v8, own8 = int8_nets.value_and_ownership(x, 2)
    assert v8.shape == v.shape and own8.shape == own.shape == (48, n, n)
    assert np.abs(v - v8).mean() < 0.02 and np.abs(own - own8).mean() < 0.02
    assert np.abs(own - int8_nets.value_and_ownership(turned)[1]).mean() > 0.05


def test_the_int8_policy_pairs_with_another_value_network(both):
    torch_nets, int8_nets = both
    paired = int8_nets.with_value_of(torch_nets)
    assert paired.policy_int8 is int8_nets.policy_int8 and paired.value_int8 is None
    x = positions(9, 4, seed=5)
    assert np.array_equal(paired.value(x), torch_nets.value(x))


def test_a_search_runs_on_the_int8_networks(both):
    s = Search(both[1], SearchConfig(batch_size=4, seed=1))
    s.set_position(Game(9))
    assert s.run(visits=32, early_stop=False) == 32
    assert sum(st.visits for st in s.root_stats()) == 32


def test_the_front_ends_pass_their_runtime_to_the_networks(quantized):
    folder = quantized
    config = NetworkConfig(str(folder / "policy.safetensors"), str(folder / "value.safetensors"),
                           threads=1, device="cpu", runtime="onnx-int8")
    nets = PositionSearch(config).ensure(9).nets
    assert isinstance(nets, Networks)
    assert nets.policy_int8 is not None and nets.value_int8 is not None


@pytest.fixture
def copy_of(quantized, tmp_path):
    """The quantised 9x9 folder, copied: tests change it."""
    return shutil.copytree(quantized, tmp_path / "9x9")


def runs_int8(folder, runtime, bf16=False):
    """Whether the networks of ``folder`` run int8 (fp32 unless ``bf16``:
    the precision PyTorch would compute in on a CPU without native bf16)."""
    nets = Networks(folder / "policy.safetensors", folder / "value.safetensors", bf16=bf16,
                    device="cpu", runtime=runtime)
    assert (nets.policy_int8 is None) == (nets.value_int8 is None)    # all or none
    return nets.policy_int8 is not None


def test_a_stale_int8_file_is_refused_by_onnx_int8_and_passed_over_by_auto(copy_of, monkeypatch):
    monkeypatch.setattr(int8, "bf16_supported", lambda: False)
    assert runs_int8(copy_of, runtime="auto")
    torch.manual_seed(9)
    save_model(build(policy_config(width=16, blocks=2, global_pool=True)),
               copy_of / "policy.safetensors")              # trained again since quantising
    with pytest.raises(ModelFileError, match="policy.int8.onnx was made from another "
                                             "policy.safetensors.*tengen quantize"):
        runs_int8(copy_of, runtime="onnx-int8")
    assert not runs_int8(copy_of, runtime="auto")


def test_auto_runs_int8_only_on_a_cpu_without_native_bf16_with_every_int8_file(copy_of,
                                                                              monkeypatch):
    monkeypatch.setattr(int8, "bf16_supported", lambda: False)
    assert runs_int8(copy_of, runtime="auto")
    assert not runs_int8(copy_of, runtime="torch")
    assert not runs_int8(copy_of, runtime="auto", bf16=True)      # told to compute in bf16
    monkeypatch.setattr(int8, "onnxruntime_installed", lambda: False)
    assert not runs_int8(copy_of, runtime="auto")
    monkeypatch.undo()
    monkeypatch.setattr(int8, "bf16_supported", lambda: True)     # PyTorch in bf16 was as fast
    assert not runs_int8(copy_of, runtime="auto")
    monkeypatch.setattr(int8, "bf16_supported", lambda: False)
    int8_path(copy_of / "value.safetensors").unlink()
    assert not runs_int8(copy_of, runtime="auto")
    alone = Networks(copy_of / "policy.safetensors", device="cpu", bf16=False, runtime="auto")
    assert alone.policy_int8 is not None
    gpu = Device(torch.device("cuda"), torch.float16, "a GPU")
    paths = {"policy": copy_of / "policy.safetensors"}
    assert int8_networks("auto", gpu, paths) == {}
    with pytest.raises(ValueError, match="runs on the CPU"):
        int8_networks("onnx-int8", gpu, paths)
    assert set(int8_networks("onnx-int8", resolve_device("cpu", False), paths)) == {"policy"}


def test_onnx_int8_without_an_int8_file_says_how_to_make_it(tmp_path):
    policy, value = save_networks(tmp_path, seed=4)
    with pytest.raises(ModelFileError, match=r"policy.int8.onnx: no such file.*tengen quantize"):
        Networks(policy, value, device="cpu", runtime="onnx-int8")


def test_a_two_headed_network_runs_int8_as_one_file_with_all_three_outputs(tmp_path, monkeypatch):
    """``tengen quantize`` makes one file of a two-headed network; it answers
    the policy, the value and the ownership as PyTorch does, in one pass a
    leaf, and ``auto`` runs it where it runs the two networks' files."""
    monkeypatch.setattr(int8, "bf16_supported", lambda: False)
    torch.manual_seed(5)
    net = build(dual_config(width=16, blocks=2, global_pool=True, value_hidden=16,
                            value_channels=4))
    save_model(net, tmp_path / "d.safetensors")
    games = random_games_dir(tmp_path, 40, moves=80, seed=6)
    assert main(["quantize", "--model", str(tmp_path / "d.safetensors"), "--archive", str(games),
                 "--positions", "32", "--sizes", "9"]) == 0
    pytorch = Networks(tmp_path / "d.safetensors", device="cpu", bf16=False, runtime="torch")
    quick = Networks(tmp_path / "d.safetensors", device="cpu", runtime="auto")
    assert quick.policy_int8 is not None and quick.value_int8 is None
    x = positions(9, 48, seed=7)
    p, v = pytorch.policy_and_value(x)
    p8, v8 = quick.policy_and_value(x)
    assert close_policies(p, p8) and np.abs(v - v8).mean() < 0.02
    assert close_policies(pytorch.policy(x, 8), quick.policy(x, 8))
    own, own8 = pytorch.value_and_ownership(x, 2)[1], quick.value_and_ownership(x, 2)[1]
    assert own8.shape == (48, 9, 9) and np.abs(own - own8).mean() < 0.02
    turned = np.ascontiguousarray(transform_planes(x, 1))
    assert np.abs(own - quick.value_and_ownership(turned)[1]).mean() > 0.05
    s = Search(quick, SearchConfig(batch_size=4, seed=1))
    s.set_position(Game(9))
    assert s.run(visits=32, early_stop=False) == 32
