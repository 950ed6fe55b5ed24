"""Counting a board (``engine.scoring``) against the plain-Python
Tromp-Taylor count of ``test_board``."""

import pytest
from conftest import random_position
from test_board import tromp_taylor

from engine import board as B
from engine.scoring import area_score


@pytest.mark.parametrize("n", [2, 3, 5, 9, 13, 19])
def test_area_score_is_tromp_taylor_in_the_middle_and_at_the_end_of_playouts(n):
    """Mid-game boards have empty regions of several points (counted by
    flooding them); finished playouts have single-point ones only (counted
    from the neighbour counts): both match the reference."""
    for seed in range(12):
        for moves in (n, n * n // 2, n * n, 3 * n * n + 50):
            s = random_position(n, moves, 1000 * n + seed, suicide=seed % 3 == 0)
            col = [int(v) for v in s[B.COLOR:B.COLOR + B.MAXM]]
            assert area_score(s) == tromp_taylor(col, n), (n, seed, moves)
