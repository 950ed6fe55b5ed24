"""``nets.data``: training windows, their final-ownership targets, and the
position stream."""

import numpy as np
import pytest
from nets_helpers import random_games_dir, small_config

from nets.features import VALUE_PLANES
from nets.train import Trainer


def test_window_smaller_than_a_batch_is_an_error(tmp_path):
    games = random_games_dir(tmp_path, count=2, moves=5)
    t = Trainer(small_config(tmp_path, games, max_positions=64), progress=False)
    with pytest.raises(ValueError, match="fewer than one batch"):
        t.stream.next_batch()


def test_value_positions_carry_final_ownership_in_the_movers_frame(tmp_path):
    from engine.corpus import load_corpus
    from nets.data import build_window, final_ownership

    games = random_games_dir(tmp_path, count=2, moves=30)
    corpus = load_corpus([str(games)], size=9)
    own = final_ownership(corpus, playouts=8)
    assert own.shape == (2, 81) and np.abs(own).max() <= 100
    w = build_window(corpus, np.array([0]), VALUE_PLANES, np.random.default_rng(0),
                     symmetries=False, ownership=own)
    black_to_move = w.planes_of(np.arange(len(w)))[:, -1, 0, 0] == 1
    targets = w.owner_of(np.arange(len(w)))
    assert black_to_move.any() and (~black_to_move).any()
    assert np.array_equal(targets[black_to_move][0].ravel(), own[0] / 100.0)
    assert np.array_equal(targets[~black_to_move][0].ravel(), -own[0] / 100.0)
