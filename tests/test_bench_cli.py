"""``tengen bench``: every target runs from the command line and reports its
figures as one JSON object (the figures themselves live in BENCHMARKS.md;
no speed is asserted here)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, needs_data

from tengen.base.paths import MODELS_DIR, POLICY_FILE


def bench(*args):
    proc = subprocess.run([sys.executable, "-m", "tengen.cli", "bench", *args, "--json"],
                          capture_output=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_bench_board_reports_playout_rates():
    r = bench("board", "--seconds", "0.2")
    assert r["playouts_per_s_9x9"] > 0 and r["moves_per_playout_19x19"] > 100


@needs_data
def test_bench_features_and_rollout_report_per_position_costs():
    r = bench("features", "--positions", "30", "--seconds", "0.2")
    assert r["positions"] == 30 and r["us_per_position"] > 0
    r = bench("rollout", "--positions", "5", "--seconds", "0.2")
    assert r["positions"] == 5 and r["moves_per_rollout"] > 0


@pytest.mark.skipif(not (MODELS_DIR / POLICY_FILE).exists(), reason="no shipped policy network")
def test_bench_mcts_reports_visits_against_the_networks_in_the_runtime_asked_for():
    r = bench("mcts", "--seconds", "0.5", "--positions", "1", "--threads", "1",
              "--runtime", "torch")
    assert r["visits_per_s"] > 0 and 0 < r["ratio_to_policy"] and r["expand_threshold"] == 3
    assert r["runtime"] == "torch"


def test_bench_mcts_times_a_two_headed_network_in_one_pass(tmp_path):
    import torch

    from nets.model import build, dual_config, save_model

    torch.manual_seed(0)
    save_model(build(dual_config(width=8, layers=3, arch="plain")), tmp_path / "d.safetensors")
    r = bench("mcts", "--seconds", "0.3", "--positions", "1", "--threads", "1", "--model",
              str(tmp_path / "d.safetensors"), "--expand-threshold", "1")
    assert r["two_headed"] is True and r["value_net"] is True and r["expand_threshold"] == 1
    assert r["visits_per_s"] > 0 and r["visits_per_cpu_s"] > 0 and r["networks_pos_per_s"] > 0


def test_a_bad_bench_option_is_a_command_line_error():
    proc = subprocess.run([sys.executable, "-m", "tengen.cli", "bench", "board", "--seconds",
                           "soon"], capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and b"invalid float value" in proc.stderr


def test_bench_train_reports_the_training_rate_the_devices_and_the_streams(tmp_path):
    from nets_helpers import random_games_dir

    games = random_games_dir(tmp_path, 12, 40, size=19)
    r = bench("train", "--data", str(games), "--arch", "plain", "--width", "8", "--layers", "3",
              "--batch-size", "16", "--window-games", "2", "--seconds", "0.3", "--device", "cpu",
              "--threads", "1")
    assert r["device"].startswith("cpu (") and r["width"] == 8 and r["loader_workers"] == 0
    assert r["train_pos_per_s"] > 0 and r["compute_pos_per_s"] > 0 and r["stream_pos_per_s"] > 0
    assert r["stream_bound"] == (r["stream_pos_per_s"] < r["compute_pos_per_s"])


@pytest.mark.skipif(not (MODELS_DIR / POLICY_FILE).exists(), reason="no shipped policy network")
def test_bench_mcts_and_selfplay_take_a_device_and_say_where_they_ran():
    r = bench("selfplay", "--games", "2", "--sizes", "9", "--seconds", "0.2", "--no-ray",
              "--device", "cpu")
    assert r["clock"] == "cpu" and r["games_at_once"] == 2 and r["selfplay_pos_per_s_9x9"] > 0
    r = bench("mcts", "--seconds", "0.3", "--positions", "1", "--threads", "1", "--device",
              "cpu", "--gpu-batch-size", "48")
    assert r["device"].startswith("cpu (") and r["batch_size"] == 16     # the CPU's batch


def test_a_device_asked_for_but_absent_is_a_command_line_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    proc = subprocess.run([sys.executable, "-m", "tengen.cli", "bench", "train", "--device",
                           "cuda"], capture_output=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2 and b"no CUDA GPU here" in proc.stderr
