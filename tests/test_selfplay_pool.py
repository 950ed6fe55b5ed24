"""The opponent pool: uniform draws, bounded size, saved and restored whole."""

import numpy as np
import pytest

from selfplay.pool import OpponentPool


def make_pool(tmp_path, members, max_size=0):
    src = tmp_path / "policy.safetensors"
    src.write_bytes(b"weights")
    pool = OpponentPool(tmp_path / "pool", max_size)
    for v in range(members):
        pool.add(src, v, v * 10)
    return pool


def test_opponents_are_drawn_uniformly_from_every_member(tmp_path):
    pool = make_pool(tmp_path, 4)
    rng = np.random.default_rng(0)
    counts = np.bincount([pool.sample(rng).version for _ in range(8000)], minlength=4)
    assert counts.min() > 1800 and counts.max() < 2200


def test_the_same_seed_draws_the_same_opponents(tmp_path):
    pool = make_pool(tmp_path, 5)
    a = [pool.sample(np.random.default_rng([3, i])).version for i in range(20)]
    b = [pool.sample(np.random.default_rng([3, i])).version for i in range(20)]
    assert a == b and len(set(a)) > 1


def test_a_full_pool_drops_its_oldest_member_but_never_the_start(tmp_path):
    pool = make_pool(tmp_path, 6, max_size=3)
    assert [m.version for m in pool.members] == [0, 4, 5]
    files = sorted(f.name for f in (tmp_path / "pool").iterdir())
    assert files == [m.file for m in pool.members]


def test_a_restored_pool_has_the_same_members_and_drops_orphan_files(tmp_path):
    pool = make_pool(tmp_path, 3)
    state = pool.state()
    (tmp_path / "pool" / "policy-v00099.safetensors").write_bytes(b"left by a crash")
    again = OpponentPool(tmp_path / "pool")
    again.restore(state)
    assert again.members == pool.members
    assert not (tmp_path / "pool" / "policy-v00099.safetensors").exists()


def test_a_pool_whose_member_file_is_gone_is_refused(tmp_path):
    pool = make_pool(tmp_path, 2)
    pool.path(pool.members[1]).unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        OpponentPool(tmp_path / "pool").restore(pool.state())


def test_an_empty_pool_cannot_be_drawn_from(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        OpponentPool(tmp_path / "pool").sample(np.random.default_rng(0))
