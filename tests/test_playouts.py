"""Random playouts (``engine.playouts``): legal moves that never fill an own
eye, the area count at the end against the plain-Python reference of
``test_board``, and the position helpers the playouts rely on."""

import numpy as np
import pytest
from test_board import KEEP, NOJ, tromp_taylor

from engine import board as B
from engine.ascii import from_ascii
from engine.board import BLACK, EMPTY, PASS
from engine.coords import to_point
from engine.playouts import copy_position, playouts, random_move, random_playout
from engine.rng import new_rng
from engine.scoring import area_score


@pytest.mark.parametrize("n", [5, 9])
def test_random_move_and_playout_end(n):
    """random_move picks legal moves that never fill an own true eye and
    passes only when no such move is left; a finished playout's area score
    equals the reference Tromp-Taylor count."""
    rng = np.array([12345 + n], dtype=np.uint64)
    for _ in range(6):
        s = B.new_state(n)
        for _ in range(3 * n * n):
            c = int(s[B.H_TOMOVE])
            before = s.copy()
            p = int(random_move(s, c, rng))
            assert np.array_equal(s, before)      # it only reads the position
            empties = [int(q) for q in s[B.EMPTY_LIST:B.EMPTY_LIST + s[B.H_NEMPTY]]]
            ok = [q for q in empties if B.is_legal(s, q, c) and not B.is_eye(s, q, c)]
            if p == PASS:
                assert ok == []
            else:
                assert p in ok
            B.play(s, NOJ, p, c)
            if s[B.H_PASSES] >= 2:
                break
        col = [int(v) for v in s[B.COLOR:B.COLOR + B.MAXM]]
        assert s[B.H_PASSES] == 2
        assert area_score(s) == tromp_taylor(col, n)
        # the last to pass had nothing left but its own eyes
        last = 3 - int(s[B.H_TOMOVE])
        for q in range(B.MAXM):
            if col[q] == EMPTY:
                assert B.is_eye(s, q, last) or not B.is_legal(s, q, last)


def test_playouts_count_wins_by_area():
    s0 = B.new_state(5)
    wins, moves = playouts(s0, 50, 3)
    rng = new_rng(3)   # as playouts seeds it
    expect_wins = expect_moves = 0
    for _ in range(50):
        s = s0.copy()
        expect_moves += random_playout(s, rng, 3 * 25 + 50)
        col = [int(v) for v in s[B.COLOR:B.COLOR + B.MAXM]]
        expect_wins += tromp_taylor(col, 5) > 0
    assert (wins, moves) == (expect_wins, expect_moves)
    assert 0 < wins < 50


def test_copy_position_restores_a_played_out_state():
    for n in (2, 9, 25):
        s0 = from_ascii("\n".join([". " * n] * n)).state.copy()
        B.play(s0, NOJ, to_point(0, 0, n), BLACK)
        s = s0.copy()
        random_playout(s, np.array([n + 5], dtype=np.uint64), 3 * n * n)
        assert not np.array_equal(s, s0)
        copy_position(s, s0)
        assert np.array_equal(s, s0)


def test_random_move_is_safe_inside_a_journal():
    """Moves chosen by random_move and played with a journal undo exactly
    (the draw reorders the empty list only while it runs)."""
    rng = np.array([11], dtype=np.uint64)
    for _ in range(30):
        s = B.new_state(5)
        for _ in range(15):
            c = int(s[B.H_TOMOVE])
            B.play(s, NOJ, random_move(s, c, rng), c)
        before = s.copy()
        j = B.new_journal()
        m = B.journal_mark(j)
        for _ in range(8):
            c = int(s[B.H_TOMOVE])
            B.play(s, j, random_move(s, c, rng), c)
        B.undo_to(s, j, m)
        assert np.array_equal(s[KEEP], before[KEEP])
