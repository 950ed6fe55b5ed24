"""An iteration's jobs: who plays the RL and the value-position games."""

import pytest

from selfplay.config import RunConfig
from selfplay.pool import OpponentPool
from selfplay.schedule import iteration_jobs


@pytest.fixture
def pool(tmp_path):
    src = tmp_path / "policy.safetensors"
    src.write_bytes(b"weights")
    pool = OpponentPool(tmp_path / "pool")
    for v in (0, 10):
        pool.add(src, v, v)
    return pool


def value_jobs(cfg, pool, version, best):
    return [j for j in iteration_jobs(cfg, 12, pool, version, best, None) if j.kind == "value"]


def test_value_games_play_the_gated_best_after_the_random_move_by_default(pool):
    jobs = value_jobs(RunConfig(games=4, value_games=6, batch_games=4), pool, version=12, best=10)
    assert [j.versions for j in jobs] == [{"sl": 0, "rl": 10}] * 2
    assert sum(len(j.specs) for j in jobs) == 6
    assert all(s.before == "sl" and s.black == s.white == "rl" for j in jobs for s in j.specs)


def test_value_games_can_play_the_current_policy_after_the_random_move(pool):
    cfg = RunConfig(games=0, value_games=4, batch_games=4, value_policy="current")
    jobs = value_jobs(cfg, pool, version=12, best=0)
    assert [j.versions for j in jobs] == [{"sl": 0, "rl": 12}]
    assert jobs[0].labels == {"sl": "sl-v0", "rl": "rl-v12"}


def test_the_rl_games_pit_the_current_policy_against_a_pool_member(pool):
    jobs = iteration_jobs(RunConfig(games=4, value_games=0, batch_games=2), 12, pool, 12, 10,
                          None)
    assert {j.kind for j in jobs} == {"rl"} and len(jobs) == 2
    assert all(j.versions["learner"] == 12 and j.versions["opponent"] in (0, 10) for j in jobs)
    learners = [s.learner for j in jobs for s in j.specs]
    assert learners[0::2] != learners[1::2]          # colours alternate
