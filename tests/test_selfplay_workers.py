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
