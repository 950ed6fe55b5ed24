"""``nets.rollout.policy``: the compiled rollouts: the sampler's frequencies
against the softmax of the full computation, rollouts for termination and
sign, bad input refused."""

import numpy as np
import pytest
from rollout_helpers import LAY, random_model, random_position

from engine import board as B
from engine.ascii import from_ascii
from engine.board import BLACK, H_LAST, H_LAST2, H_PASSES, WHITE
from nets.rollout import model as RM
from nets.rollout import policy as R


def softmax(z):
    z = np.where(np.isfinite(z), z, -np.inf)
    e = np.exp(z - z.max())
    return e / e.sum()


def test_hand_set_weights_pick_the_capture():
    g = from_ascii("""
        . . . . . . . . .
        . . . . . . . . .
        . . . X . . . . .
        . . X O X . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
    """, to_move=BLACK)
    w = np.zeros(LAY.size, np.float32)
    w[LAY.capture:LAY.capture + 5] = 6.0
    model = RM.RolloutModel(w)
    logits = model.logits(g.state)
    n = g.size
    assert int(np.argmax(logits)) == 4 * n + 3          # (3, 4): below the white stone
    counts = np.zeros(n * n + 1, np.int64)
    off, ew_pat, ewv = model.exp_tables()
    R.sample_counts(g.state.copy(), 2000, 1, off, ew_pat, ewv, counts)
    p = softmax(logits)[4 * n + 3]
    assert p > 0.7 and abs(counts[4 * n + 3] / 2000 - p) < 0.05


@pytest.mark.parametrize("scale,near_boost", [(1.0, 0.0), (0.5, 12.0)])
def test_sampler_draws_the_softmax_of_the_full_computation(scale, near_boost):
    s = random_position(9, 30, 11)
    n = 9
    assert s[H_LAST] >= 0 and s[H_LAST2] >= 0
    model = random_model(5, scale)
    if near_boost:
        # nearly all the mass next to the previous move: exercises the rejection path
        model.weights[LAY.dist_last:LAY.dist_last + 8] += near_boost
    p = softmax(model.logits(s))
    counts = np.zeros(n * n + 1, np.int64)
    draws = 40_000
    off, ew_pat, ewv = model.exp_tables()
    R.sample_counts(s, draws, 3, off, ew_pat, ewv, counts)
    assert counts[n * n] == 0                            # never a pass with moves left
    freq = counts[:n * n] / draws
    assert np.all(freq[p == 0] == 0)
    assert 0.5 * np.abs(freq - p).sum() < 0.03


def test_rollouts_end_with_two_passes_and_no_move_left():
    model = random_model(1)
    off, ew_pat, ewv = model.exp_tables()
    scratch = R._new_scratch()
    rng = np.array([12345], np.uint64)
    for seed in range(4):
        s = random_position(9, 5 * seed, seed)
        moves, _ = R._rollout(s, 3 * 81, off, ew_pat, ewv, scratch, rng, False)
        assert moves < 3 * 81 and s[H_PASSES] == 2
        for c in (BLACK, WHITE):
            assert not np.isfinite(model.logits(s, c)).any()


def test_rollout_results_have_the_right_sign():
    black_owns = from_ascii("""
        X X X X X
        X . X X X
        X X X X X
        X X X . X
        X X X X X
    """, to_move=WHITE)
    white_owns = from_ascii("""
        O O O O O
        O . O O O
        O O O O O
        O O O . O
        O O O O O
    """, to_move=BLACK)
    rollout = R.RolloutPolicy(random_model(2))
    states = np.stack([black_owns.state, white_owns.state, black_owns.state])
    before = states.copy()
    z = rollout(states, 6.5, 42)
    assert z.dtype == np.float64 and z.tolist() == [1.0, -1.0, 1.0]
    assert np.array_equal(states, before)               # the caller's rows are untouched
    assert rollout(states[:1], 25.0, 1).tolist() == [0.0]   # area 25 - komi 25: a draw
    # from an open 9x9 board: every result is a win, a loss or a draw, and both occur
    z = rollout(np.stack([B.new_state(9)] * 40), 7.0, 3)
    assert set(z.tolist()) <= {-1.0, 0.0, 1.0} and {-1.0, 1.0} <= set(z.tolist())


def test_rollout_refuses_bad_input():
    rollout = R.RolloutPolicy(RM.RolloutModel.zeros())
    with pytest.raises(ValueError, match="int64"):
        rollout(np.zeros((2, 10), np.int64), 7.5, 1)
    with pytest.raises(ValueError, match="int64"):
        rollout(np.zeros((1, B.STATE_LEN), np.int32), 7.5, 1)
    one = rollout(B.new_state(5), 0.5, 1)              # one row on its own is accepted
    assert one.shape == (1,)
