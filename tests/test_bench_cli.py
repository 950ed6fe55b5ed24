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
def test_bench_mcts_reports_visits_against_the_networks():
    r = bench("mcts", "--seconds", "0.5", "--positions", "1", "--threads", "1")
    assert r["visits_per_s"] > 0 and 0 < r["ratio_to_policy"] and r["expand_threshold"] == 3


def test_a_bad_bench_option_is_a_command_line_error():
    proc = subprocess.run([sys.executable, "-m", "tengen.cli", "bench", "board", "--seconds",
                           "soon"], capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and b"invalid float value" in proc.stderr
