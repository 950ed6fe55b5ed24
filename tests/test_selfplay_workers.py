"""Self-play workers as Ray actors: a private local Ray with two workers,
one killed in the middle of a batch; nothing written is lost."""

import pathlib

import pytest
from selfplay_helpers import quick_game_config, tiny_models

from nets.shards import read_shard
from selfplay.games import GameSpec
from selfplay.workers import Job, LocalWorkers, RayWorkers

ray = pytest.importorskip("ray")


def job(tag, games):
    specs = [GameSpec(seed=10 * len(tag) + k, black="p", white="p", learner=1)
             for k in range(games)]
    return Job("rl", 0, tag, specs, {"p": 0}, {"p": "rl-v0"})


def check_record(rec, games):
    shard = read_shard(rec.shard, 9)
    assert len(shard) == games == rec.games
    assert len(list(pathlib.Path(rec.sgf_dir).glob("*.sgf"))) == games


def test_a_worker_killed_mid_batch_loses_only_its_games_in_flight(tmp_path):
    init = tiny_models(tmp_path / "init")
    weights = (init / "policy.safetensors").read_bytes()
    cfg = quick_game_config(max_moves=80)
    workers = RayWorkers(cfg, str(tmp_path / "run"), 2, object_store_mb=80)
    try:
        assert workers.started and ray.available_resources().get("CPU", 0) <= 2
        refs = {0: workers.weights(0, weights)}
        jobs = [job("a-short", 1), job("b-long", 24), job("c-short", 2)]
        runner = workers.run(jobs, refs)
        records = [next(runner)]        # the short batch (actor 0); actor 1 plays the long one
        ray.kill(workers.actors[1])
        records += list(runner)
        assert workers.deaths == 1
        games = {"a-short": 1, "b-long": 24, "c-short": 2}
        assert sorted(r.shard.split("it000000-")[1][:-4] for r in records) == sorted(games)
        for r in records:
            check_record(r, games[r.shard.split("it000000-")[1][:-4]])
    finally:
        workers.close()
    assert not ray.is_initialized()


def test_the_local_worker_plays_all_jobs_together_and_writes_each_ones_records(tmp_path):
    init = tiny_models(tmp_path / "init")
    workers = LocalWorkers(quick_game_config(), str(tmp_path / "run"), in_flight=3)
    recs = list(workers.run([job("x", 2), job("yy", 3)],
                            {0: (init / "policy.safetensors").read_bytes()}))
    check_record(recs[0], 2)
    check_record(recs[1], 3)
    sgf = (pathlib.Path(recs[1].sgf_dir) / "g001.sgf").read_text()
    assert "PB[rl-v0]" in sgf and "seed 20" in sgf


# ---- joining a cluster that ray start made, and staying private without one --------------

DRIVER = """
import json, sys
from selfplay.workers import init_ray
try:
    init_ray(2, sys.argv[1] or None, 80)
except RuntimeError as e:
    print(json.dumps({"error": str(e)}))
    raise SystemExit(0)
import ray

@ray.remote
def one():
    return 1

print(json.dumps({"cpus": ray.cluster_resources().get("CPU"), "task": ray.get(one.remote()),
                  "gcs": ray.get_runtime_context().gcs_address}))
ray.shutdown()
"""


def ray_processes(marker):
    """Live processes whose command line names ``marker`` (a temp dir)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes().decode(
                    errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def stop_group(proc, timeout=30):
    """End a process started in a session of its own, then its whole group."""
    import os
    import signal
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.mark.slow
def test_a_cluster_from_ray_start_with_a_token_is_joined_and_without_an_address_ray_stays_private():
    """The README's recipe on Ray's own terms: ``ray start --head`` on a
    machine that holds a token (as it does after any private instance)
    turns token authentication on.  A driver naming the head's address
    joins it (the token sent because one is at hand); the same machine,
    head still running, gets a private instance of its own when no address
    is given; and a machine without the token is told what to do.  The
    head runs in a temp dir and home of its own, on its own port, and is
    stopped by its process group: no Ray process is left behind."""
    import json
    import os
    import shutil
    import socket
    import subprocess
    import sys
    import tempfile
    import time

    ray_cli = shutil.which("ray") or pytest.skip("the ray command is not on PATH")
    base = tempfile.mkdtemp(prefix="tgr", dir="/tmp")      # short: Ray's socket paths
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")}
    env.update(HOME=f"{base}/home", RAY_TMPDIR=f"{base}/t", RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=str(pathlib.Path(__file__).resolve().parent.parent))
    os.makedirs(env["HOME"])
    os.makedirs(env["RAY_TMPDIR"])
    subprocess.run([ray_cli, "get-auth-token", "--generate"], env=env, check=True,
                   capture_output=True, timeout=120)
    assert (pathlib.Path(env["HOME"]) / ".ray" / "auth_token").is_file()
    head = subprocess.Popen([ray_cli, "start", "--head", "--port", str(port), "--num-cpus", "1",
                             "--include-dashboard", "false", "--disable-usage-stats", "--block"],
                            env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    drivers = []
    try:
        address_file = pathlib.Path(env["RAY_TMPDIR"]) / "ray" / "ray_current_cluster"
        deadline = time.monotonic() + 180
        while not address_file.exists() and head.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert address_file.exists(), head.stdout.read() if head.poll() is not None else "no head"
        address = address_file.read_text().strip()
        assert address.endswith(f":{port}")

        def driver(addr, **changes):
            p = subprocess.Popen([sys.executable, "-c", DRIVER, addr], env={**env, **changes},
                                 start_new_session=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            drivers.append(p)
            return p

        no_token = f"{base}/home-without-token"
        os.makedirs(no_token)
        runs = {"joined": driver(address), "private": driver(""),
                "refused": driver(address, HOME=no_token)}
        out = {}
        for name, p in runs.items():
            stdout, stderr = p.communicate(timeout=300)
            assert p.returncode == 0, stderr[-3000:]
            out[name] = json.loads(stdout.strip().splitlines()[-1])
        assert out["joined"] == {"cpus": 1.0, "task": 1, "gcs": address}
        assert out["private"]["cpus"] == 2.0 and out["private"]["gcs"] != address
        message = out["refused"]["error"]
        assert message.startswith(f"cannot join the Ray cluster at {address!r}")
        assert "~/.ray/auth_token" in message and "RAY_AUTH_MODE=token" in message
    finally:
        for p in drivers:
            stop_group(p)
        stop_group(head)
        deadline = time.monotonic() + 30
        while ray_processes(base) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = ray_processes(base)
        shutil.rmtree(base, ignore_errors=True)
    assert left == []


def test_ray_workers_ask_for_their_share_of_the_gpus_only_when_the_networks_run_on_cuda():
    from selfplay.workers import gpus_per_worker

    assert gpus_per_worker("cpu", 4, 2.0, None) == 0.0
    assert gpus_per_worker("mps", 4, 0.0, None) == 0.0
    assert gpus_per_worker("cuda", 4, 1.0, None) == 0.25      # four workers share one GPU
    assert gpus_per_worker("cuda", 2, 8.0, None) == 1.0       # at most one each
    assert gpus_per_worker("cuda", 3, 2.0, 0.5) == 0.5
    with pytest.raises(RuntimeError, match="has 0 GPU"):
        gpus_per_worker("cuda", 2, 0.0, None)
    with pytest.raises(RuntimeError, match="has 1 GPU"):
        gpus_per_worker("cuda", 2, 1.0, 2.0)
    with pytest.raises(RuntimeError, match="pass --device cuda"):
        gpus_per_worker("cpu", 2, 1.0, 0.5)


def test_a_gpu_worker_plays_hundreds_of_games_at_once_a_cpu_worker_tens():
    from selfplay.config import RunConfig

    cfg = RunConfig()
    assert cfg.games_at_once(False) == cfg.batch_games == 32
    assert cfg.games_at_once(True) == cfg.gpu_batch_games == 256
    with pytest.raises(ValueError, match="--device must be"):
        RunConfig(device="gpu")
