"""The self-play loop end to end: ``tengen selfplay`` / ``tengen train rl``
in a subprocess, killed with SIGKILL and resumed."""

import csv
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from selfplay_helpers import tiny_models

from nets.shards import ShardStats, iter_shards, read_shard

ROOT = pathlib.Path(__file__).resolve().parent.parent


def command(out, init, *extra):
    return [sys.executable, "-m", "tengen.cli", "selfplay", "--out", str(out), "--init",
            str(init), "--size", "9", "--games", "4", "--batch-games", "2", "--value-games", "2",
            "--max-moves", "60", "--score-playouts", "8",
            "--pool-every", "2", "--gate-every", "0", "--no-progress", *extra]


def checkpoint_iteration(out):
    path = out / "checkpoint.pt"
    if not path.exists():
        return -1
    try:
        return torch.load(path, weights_only=True)["iteration"]
    except Exception:       # noqa: BLE001 - written atomically: this would be a real failure
        raise


def test_a_run_killed_with_sigkill_resumes_with_its_pool_and_iteration(tmp_path):
    init = tiny_models(tmp_path / "init")
    out = tmp_path / "run"
    proc = subprocess.Popen(command(out, init, "--max-iterations", "50"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    try:
        while checkpoint_iteration(out) < 3 and time.time() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.2)
        time.sleep(0.3)                 # somewhere inside the next iteration
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    before = torch.load(out / "checkpoint.pt", weights_only=True)
    assert before["iteration"] >= 3
    stats = ShardStats()
    list(iter_shards(out / "shards", 9, stats))
    assert stats.skipped == 0 and stats.shards > 0       # no torn file anywhere
    target = before["iteration"] + 2
    done = subprocess.run(command(out, init, "--resume", "--max-iterations", str(target)),
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    after = torch.load(out / "checkpoint.pt", weights_only=True)
    assert after["iteration"] == target
    members = [m["version"] for m in after["pool"]["members"]]
    assert members[:len(before["pool"]["members"])] == \
        [m["version"] for m in before["pool"]["members"]]
    assert members == list(range(0, target + 1, 2))
    with open(out / "metrics.csv", newline="") as f:
        iterations = [int(r["iteration"]) for r in csv.DictReader(f)]
    assert iterations == list(range(1, target + 1))
    # without a progress bar, the log still says how each iteration went
    logged = re.findall(r"^selfplay: it (\d+)  win [\d.]+  vs v\d+  pos/s \d+  best v\d+  "
                        r"\(6 games, \d+ s\)$", done.stderr, re.M)
    assert [int(i) for i in logged] == [target - 1, target]
    sgfs = list((out / "sgf").rglob("*.sgf"))
    assert len(sgfs) >= 6 * target and all(p.stat().st_size > 0 for p in sgfs)
    shard = read_shard(next((out / "shards" / "rl").glob("*.npz")))
    assert shard.meta["versions"]["learner"] == shard.meta["iteration"]


def test_resuming_keeps_the_runs_design(tmp_path):
    init = tiny_models(tmp_path / "init")
    out = tmp_path / "run"
    first = subprocess.run(command(out, init, "--max-iterations", "1"), cwd=ROOT,
                           capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(command(out, init, "--max-iterations", "1"), cwd=ROOT,
                           capture_output=True, text=True, timeout=240)
    assert again.returncode == 2 and "--resume" in again.stderr
    rl = subprocess.run([sys.executable, "-m", "tengen.cli", "train", "rl", "--out",
                         str(out), "--resume", "--max-iterations", "3", "--games", "0",
                         "--value-games", "2", "--value-policy", "current", "--lr", "0.5",
                         "--no-progress"], cwd=ROOT, capture_output=True,
                        text=True, timeout=240)
    assert rl.returncode == 0, rl.stderr
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["iteration"] == 3 and ckpt["config"]["games"] == 0      # may change
    assert ckpt["config"]["rl"]["lr"] == 2e-5                         # the design stays
    value_shards = sorted((out / "shards" / "value").glob("it00000[12]-*.npz"))
    assert len(value_shards) == 2
    # no REINFORCE step in a value-only iteration: the policy stays version 1, and
    # the games of both such iterations say so
    assert ckpt["steps"] == 1
    assert [read_shard(f, 9).meta["versions"]["rl"] for f in value_shards] == [1, 1]
    assert not list((out / "shards" / "rl").glob("it00000[12]-*.npz"))
    # an iteration of value-position games has no RL opponent to report
    assert re.search(r"^selfplay: it 2  pos/s \d+  best v\d+  \(\d+ games", rl.stderr, re.M), \
        rl.stderr


@pytest.mark.parametrize("bad", [["--init", "/nonexistent"], ["--temperature", "-1"]])
def test_bad_input_is_a_clear_error_and_writes_no_run(tmp_path, bad):
    out = tmp_path / "run"
    res = subprocess.run([sys.executable, "-m", "tengen.cli", "selfplay", "--out", str(out),
                          "--no-progress", *bad], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2 and ("no policy.safetensors" in res.stderr
                                    or "temperature" in res.stderr)
    assert not (out / "checkpoint.pt").exists()


def test_a_promotion_makes_the_candidate_the_best_and_is_logged_with_its_elo(tmp_path,
                                                                          monkeypatch):
    from selfplay_helpers import quick_game_config

    import selfplay.evaluator as evaluator
    from selfplay.config import GateConfig, RunConfig
    from selfplay.gating import Promotion, promotion_test
    from selfplay.loop import SelfPlayRun

    def won(job):
        return Promotion(job.iteration, job.candidate, job.best, promotion_test(9, 0, 10),
                         elo_vs_start=120.0, share_vs_start=0.66)
    monkeypatch.setattr(evaluator, "run_gate", won)
    cfg = RunConfig(out=str(tmp_path / "run"), init=str(tiny_models(tmp_path / "init")),
                    games=2, batch_games=2, value_games=2, gate_every=1, max_iterations=2,
                    game=quick_game_config(), gate=GateConfig(gate_games=10))
    run = SelfPlayRun(cfg, progress=False)
    result = run.run()
    assert result["best"] == 2 and run.elo["2"] == 120.0
    assert (tmp_path / "run" / "best" / "policy-v00002.safetensors").exists()
    assert not list((tmp_path / "run" / "candidates").glob("*"))
    with open(tmp_path / "run" / "promotions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["candidate"] for r in rows] == ["1", "2"] and rows[1]["elo_vs_start"] == "120.0"
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["best"] == 2
    assert (tmp_path / "run" / "best.safetensors").read_bytes() == \
        (tmp_path / "run" / "best" / "policy-v00002.safetensors").read_bytes()


def test_the_learner_takes_its_own_threads_and_gives_the_games_theirs_back(tmp_path,
                                                                         monkeypatch):
    """``--learner-threads 2``: the REINFORCE step runs on two PyTorch
    threads (the workers wait for it), the games of the next iteration on
    ``--threads`` again."""
    from selfplay_helpers import quick_game_config

    from selfplay.config import RunConfig
    from selfplay.loop import SelfPlayRun
    from selfplay.rl import Reinforce

    seen = {"learner": [], "games": []}
    real_step = Reinforce.step

    def step(self, shards):
        seen["learner"].append(torch.get_num_threads())
        return real_step(self, shards)
    monkeypatch.setattr(Reinforce, "step", step)
    cfg = RunConfig(out=str(tmp_path / "run"), init=str(tiny_models(tmp_path / "init")),
                    games=2, batch_games=2, value_games=0, gate_every=0, max_iterations=2,
                    threads=1, learner_threads=2, game=quick_game_config())
    run = SelfPlayRun(cfg, progress=False)
    workers = run.make_workers()
    real_run = workers.run

    def play(jobs, weights):
        seen["games"].append(torch.get_num_threads())
        yield from real_run(jobs, weights)
    workers.run = play
    threads_before = torch.get_num_threads()
    try:
        run.run(workers)
    finally:
        torch.set_num_threads(threads_before)
    assert seen == {"learner": [2, 2], "games": [1, 1]}
