"""Uniformly random playouts: moves drawn from the empty list, never filling
an own true eye, simple ko only, to two passes and an area count.

They measure the board's speed (``tengen bench board``) and make random
test positions; the dead-stone estimate (``engine.dead_stones``) plays a
variant that avoids self-atari, and the search's rollouts are the pattern
policy of ``rollout/``.
"""

import numpy as np
from numba import njit

from .board import (
    EMPTY_IDX,
    EMPTY_LIST,
    H_N,
    H_NEMPTY,
    H_PASSES,
    H_TOMOVE,
    H_W,
    HDR,
    MARK,
    MAXM,
    NBR,
    PASS,
    _eye_diagonals,
    _legal,
    _play,
)
from .rng import new_rng, rand_below
from .scoring import area_score
from .unowned import pointer


@njit(cache=True, inline='always')
def _playout_candidate(s: np.ndarray, p: int, c: int) -> bool:
    """``p`` (empty) is legal for ``c`` and not one of its true eyes."""
    nb = s[NBR + p]
    if nb & 15 != 0:
        return True  # an empty neighbour: legal (even the ko point has none), no eye
    if (nb >> (4 * (3 - c))) & 15 == 0 and _eye_diagonals(s, p, c):
        return False  # is_eye: no empty and no opponent neighbour, then the diagonals
    return _legal(s, p, c)


@njit(cache=True, inline='always')
def _draw_move(s: np.ndarray, c: int, rng: np.ndarray, restore: bool) -> int:
    """``random_move``; with ``restore`` False the empty list is left
    reordered (playouts, which keep no journal, save the restoring)."""
    total = s[H_NEMPTY]
    n = total
    choice = PASS
    while n > 0:
        k = rand_below(rng, n)
        p = s[EMPTY_LIST + k]
        if _playout_candidate(s, p, c):
            choice = p
            break
        n -= 1
        s[EMPTY_LIST + k] = s[EMPTY_LIST + n]
        s[EMPTY_LIST + n] = p
        if not restore:
            s[EMPTY_IDX + s[EMPTY_LIST + k]] = k
            s[EMPTY_IDX + p] = n
    if restore:
        # EMPTY_IDX still holds every point's home; each swap paired a tail
        # position with an earlier one, so sending the occupants of the
        # tail home, cycle by cycle, restores the whole list
        for t in range(n, total):
            while True:
                q = s[EMPTY_LIST + t]
                home = s[EMPTY_IDX + q]
                if home == t:
                    break
                s[EMPTY_LIST + t] = s[EMPTY_LIST + home]
                s[EMPTY_LIST + home] = q
    return choice


@njit(cache=True)
def random_move(s: np.ndarray, c: int, rng: np.ndarray) -> int:
    """A uniformly random legal move for ``c`` that does not fill one of its
    own true eyes, or PASS when there is none (simple ko, no superko).

    Draws from the empty list, swapping rejected points to its end so each
    point is tried at most once, then puts the list back in order: nothing
    but ``rng`` changes, so it may be used between ``journal_mark`` and
    ``undo_to``.
    """
    return _draw_move(pointer(s), c, pointer(rng), True)


@njit(cache=True)
def random_playout(s: np.ndarray, rng: np.ndarray, max_moves: int) -> int:
    """Play random moves on ``s`` (modified in place) until two passes in a
    row or ``max_moves``; return the number of moves played.

    Simple ko only (no superko, which needs the history): a long cycle is
    cut off by ``max_moves``."""
    s = pointer(s)
    rng = pointer(rng)
    moves = 0
    while moves < max_moves and s[H_PASSES] < 2:
        c = s[H_TOMOVE]
        p = _draw_move(s, c, rng, False)
        _play(s, None, p, c)
        moves += 1
    return moves


@njit(cache=True)
def copy_position(dst: np.ndarray, src: np.ndarray) -> None:
    """Make ``dst`` equal to ``src`` where a position can differ: the header
    and, in each section, the entries of the points of ``src``'s board.

    Moves only ever write there, so for two states of the same board size
    this equals ``dst[:] = src`` (the MARK scratch section aside) at a
    fraction of the cost on small boards: 10 x 121 entries instead of 7306
    on 9x9, which made the full copy a tenth of a playout's time."""
    m = src[H_W] * src[H_W]
    d = pointer(dst)
    s = pointer(src)
    for i in range(HDR):
        d[i] = s[i]
    # plain loops over raw pointers: LLVM turns them into vector copies,
    # where slice assignment ran Numba's generic element-by-element copy
    for base in range(HDR, MARK, MAXM):
        for i in range(base, base + m):
            d[i] = s[i]


@njit(cache=True)
def playouts(s0: np.ndarray, count: int, seed: int) -> tuple[int, int]:
    """Run ``count`` random playouts from ``s0``; return (black wins with
    komi ignored counted as area > 0, total moves played).  Simple ko only:
    a playout does not know the game's history, so no superko."""
    rng = new_rng(seed)
    s = s0.copy()
    wins = 0
    total = 0
    limit = 3 * s0[H_N] * s0[H_N] + 50
    for _ in range(count):
        copy_position(s, s0)
        total += random_playout(s, rng, limit)
        if area_score(s) > 0:
            wins += 1
    return wins, total
