"""``nets.rollout.weights``: the weights a rollout updates after each move equal
a full recomputation at every step."""

import numpy as np
import pytest
from rollout_helpers import random_model, random_position

from nets.rollout import policy as R


@pytest.mark.parametrize("n,seed,suicide", [(9, 1, False), (9, 2, True), (13, 3, False),
                                            (19, 4, False)])
def test_incremental_weights_equal_full_recomputation_at_every_step(n, seed, suicide):
    # random weights: many self-ataris, captures and kos along the way
    model = random_model(seed, 2.0)
    off, ew_pat, ewv = model.exp_tables()
    states = np.stack([random_position(n, m, seed + m, suicide) for m in (0, 10, n * n // 2)])
    out = np.empty(len(states))
    moves, bad = R.rollouts(states, 7.5, seed, off, ew_pat, ewv, out, True)
    assert moves > len(states) * n and bad == 0
