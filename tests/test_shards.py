"""Self-play shards (nets/shards.py): round trip, and corrupt, truncated or
foreign shards reported and skipped."""

import json

import numpy as np
import pytest

from engine.board import BLACK, WHITE
from engine.coords import to_point
from nets.shards import (
    ShardError,
    ShardStats,
    build_shard,
    iter_shards,
    load_value_positions,
    read_shard,
    write_shard,
)

N = 9


def small_shard(games=3, sample=2):
    moves = [[(BLACK, to_point(g, 0, N)), (WHITE, to_point(g, 8, N)), (BLACK, -1),
              (WHITE, -1)] for g in range(games)]
    sampled = [[True, False, False, False] for _ in range(games)]
    per_game = {"winner": [BLACK] * games, "learner": [BLACK] * games, "seed": list(range(games)),
                "sample": [sample] * games}
    own = np.full((games, N * N), 50, np.int8)
    return build_shard(N, 7.5, moves, sampled, per_game, own, {"iteration": 4})


def test_a_shard_reads_back_as_written(tmp_path):
    path = tmp_path / "a.npz"
    write_shard(path, small_shard())
    s = read_shard(path, N)
    assert len(s) == 3 and s.moves == 12 and s.meta["iteration"] == 4
    assert s.meta["feature_set"] == "alphago48-v1" and s.size == N and s.komi == 7.5
    assert s.seed.tolist() == [0, 1, 2] and s.points[2] == -1 and s.ownership[0, 0] == 50


def corrupt_files(tmp_path):
    good = tmp_path / "it000001-good.npz"
    write_shard(good, small_shard())
    data = good.read_bytes()
    (tmp_path / "it000002-truncated.npz").write_bytes(data[:len(data) // 2])
    (tmp_path / "it000003-garbage.npz").write_bytes(b"not a zip file at all")
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    for name, change in (("it000004-features", {"feature_set": "other-v9"}),
                         ("it000005-size", {"size": 19})):
        with open(tmp_path / f"{name}.npz", "wb") as f:
            np.savez_compressed(f, **dict(arrays, meta=np.array(json.dumps({**meta, **change}))))
    return good


def test_corrupt_truncated_and_foreign_shards_are_reported_and_skipped(tmp_path):
    good = corrupt_files(tmp_path)
    stats = ShardStats()
    shards = list(iter_shards(tmp_path, N, stats))
    assert [s.path for s in shards] == [str(good)]
    assert stats.skipped == 4 and stats.games == 3
    text = " ".join(stats.errors)
    assert "truncated" in text and "feature set" in text and "19x19" in text


def test_reading_a_bad_shard_directly_raises_a_shard_error(tmp_path):
    corrupt_files(tmp_path)
    for name in ("it000002-truncated", "it000003-garbage", "it000004-features"):
        with pytest.raises(ShardError, match=name):
            read_shard(tmp_path / f"{name}.npz")


def test_value_positions_take_one_position_per_game_and_skip_bad_shards(tmp_path):
    corrupt_files(tmp_path)
    write_shard(tmp_path / "it000006-more.npz", small_shard(games=2, sample=1))
    found = load_value_positions(tmp_path, N)
    assert found.corpus.games == 5 and found.moves.tolist() == [2, 2, 2, 1, 1]
    assert found.stats.skipped == 4 and found.ownership.shape == (5, N * N)


def test_the_window_keeps_the_newest_games(tmp_path):
    write_shard(tmp_path / "it000001-a.npz", small_shard(games=3, sample=2))
    write_shard(tmp_path / "it000002-b.npz", small_shard(games=3, sample=1))
    found = load_value_positions(tmp_path, N, max_games=4)
    assert found.moves.tolist() == [2, 1, 1, 1]


def test_a_directory_without_value_positions_is_an_error(tmp_path):
    write_shard(tmp_path / "a.npz", small_shard(sample=-1))
    with pytest.raises(ValueError, match="no value positions"):
        load_value_positions(tmp_path, N)
