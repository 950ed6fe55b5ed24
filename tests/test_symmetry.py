"""The eight board symmetries (nets.symmetry) against the encoder."""

import numpy as np
import pytest
from conftest import needs_data, random_position

from engine import board as B
from engine.board import COLOR, EMPTY
from engine.coords import to_point, to_xy
from nets import features as F
from nets.symmetry import (
    index_permutation,
    inverse,
    mean_ownership_back,
    mean_policy_back,
    mean_values_back,
    symmetric_batch,
    transform_index,
    transform_planes,
    transform_policy,
)

_NOJ = np.zeros(0, dtype=np.int64)


def transform_point(p, k, n):
    if p < 0:
        return p
    x, y = to_xy(p, n)
    i = transform_index(y * n + x, k, n)
    return to_point(i % n, i // n, n)


def transform_state(s, k):
    """The same position turned by symmetry k: stones, ages, ko point, side
    to move and move count carried over (chains rebuilt by the engine)."""
    n = int(s[B.H_N])
    t = B.new_state(n, bool(s[B.H_SUICIDE]))
    stones = [(to_point(x, y, n), int(s[COLOR + to_point(x, y, n)]))
              for y in range(n) for x in range(n)]
    for p, c in stones:
        if c != EMPTY:
            assert B.play(t, _NOJ, transform_point(p, k, n), c) == 0
    for p, c in stones:
        if c != EMPTY:
            t[B.MOVED + transform_point(p, k, n)] = s[B.MOVED + p]
    for h in (B.H_TOMOVE, B.H_MOVENUM, B.H_PASSES):
        t[h] = s[h]
    for h in (B.H_KO, B.H_LAST, B.H_LAST2):
        t[h] = transform_point(int(s[h]), k, n)
    return t


def assert_equivariant(s):
    x = F.encode_state(s, value=True)
    for k in range(8):
        y = F.encode_state(transform_state(s, k), value=True)
        want = transform_planes(x, k)
        assert np.array_equal(y, want), (k, np.argwhere(y != want)[:5].tolist())


def ladder_points(s):
    x = F.encode_state(s)
    return int(x[F.offset("ladder_capture")].sum() + x[F.offset("ladder_escape")].sum())


def test_encoding_commutes_with_symmetries_on_random_positions():
    ladders = 0
    for i in range(12):
        n = (7, 9, 13)[i % 3]
        s = random_position(n, 15 + 11 * i, 200 + i)
        ladders += ladder_points(s)
        assert_equivariant(s)
    assert ladders > 0        # the ladder planes are part of the check


@needs_data
def test_encoding_commutes_with_symmetries_on_expert_positions_with_ladders():
    from tengen.bench.features import DEFAULT_ARCHIVE, sample_positions
    states = sample_positions(DEFAULT_ARCHIVE, 40, 20)
    ladders = 0
    for s in states:
        ladders += ladder_points(s)
        assert_equivariant(s)
    assert ladders > 0


@pytest.mark.parametrize("n", [5, 9, 19])
def test_transform_index_agrees_with_transform_planes(n):
    planes = np.zeros((n * n, n, n), np.uint8)
    planes.reshape(n * n, n * n)[np.arange(n * n), np.arange(n * n)] = 1   # one-hot
    for k in range(8):
        moved = transform_planes(planes, k)
        idx = transform_index(np.arange(n * n), k, n)
        assert np.array_equal(np.argmax(moved.reshape(n * n, -1), axis=1), idx)
        assert transform_index(n * n, k, n) == n * n                       # pass stays
        assert all(transform_index(int(i), k, n) == int(j) for i, j in zip(range(n * n), idx))
        assert sorted(idx.tolist()) == list(range(n * n))


def test_inverse_undoes_and_the_eight_are_distinct():
    n = 7
    a = np.random.default_rng(0).integers(0, 255, (3, n, n))
    seen = set()
    for k in range(8):
        back = transform_planes(transform_planes(a, k), inverse(k))
        assert np.array_equal(back, a)
        assert inverse(inverse(k)) == k
        seen.add(transform_planes(a, k).tobytes())
        i = np.arange(n * n + 1)
        assert np.array_equal(transform_index(transform_index(i, k, n), inverse(k), n), i)
    assert len(seen) == 8
    assert np.array_equal(transform_planes(a, 0), a)


def test_policy_vectors_move_with_their_points():
    n = 5
    pol = np.random.default_rng(1).random((2, n * n + 1))
    for k in range(8):
        out = transform_policy(pol, k, n)
        perm = index_permutation(k, n)
        assert np.array_equal(out[:, perm], pol)
        assert np.allclose(transform_policy(out, inverse(k), n), pol)


def test_averages_over_a_symmetric_batch_turn_each_answer_back_first():
    """A stand-in network whose ownership is its input's first plane and
    whose value is a function of the position: every orientation's answer,
    turned back, is the original's, so the averages equal it; with one
    orientation each helper hands back the very array it was given."""
    n, b = 5, 3
    planes = np.random.default_rng(2).random((b, 2, n, n))
    for k in (1, 2, 8):
        batch = symmetric_batch(planes, k)
        values = np.tile(planes.sum(axis=(1, 2, 3)), k)
        own = batch[:, 0]
        assert np.allclose(mean_values_back(values, k), planes.sum(axis=(1, 2, 3)))
        assert np.allclose(mean_ownership_back(own, k), planes[:, 0])
        policy = np.concatenate([own.reshape(k * b, n * n), np.ones((k * b, 1))], axis=1)
        assert np.allclose(mean_policy_back(policy, k, n)[:, :-1], planes[:, 0].reshape(b, -1))
    values, own = planes.sum(axis=(1, 2, 3)), planes[:, 0]
    assert mean_values_back(values, 1) is values and mean_ownership_back(own, 1) is own


def test_torch_tensors_transform_like_arrays():
    torch = pytest.importorskip("torch")
    a = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    for k in range(8):
        assert np.array_equal(transform_planes(torch.from_numpy(a), k).numpy(),
                              transform_planes(a, k))


def test_bad_arguments():
    with pytest.raises(ValueError):
        transform_planes(np.zeros((3, 3)), 8)
    with pytest.raises(ValueError):
        transform_planes(np.zeros((3, 4)), 1)
    with pytest.raises(ValueError):
        transform_index(26, 1, 5)
    with pytest.raises(ValueError):
        inverse(-1)
