"""Counting a board: area (Tromp-Taylor) and territory scores, with dead
stones given.  Which stones are dead is ``engine.dead_stones``' estimate.

Compiled, because the search scores every finished game it reaches and the
random playouts end with an area count.
"""

from collections.abc import Iterable

import numpy as np
from numba import njit

from .board import BLACK, COLOR, EMPTY, H_CAP, H_N, H_W, MAXM, NBR, WALL, WHITE


@njit(cache=True)
def area_owner(s: np.ndarray, dead: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Tromp-Taylor ownership: ``out[p]`` = BLACK/WHITE for stones and for
    empty regions that reach only that colour, EMPTY otherwise (dame).
    ``dead[p] != 0`` marks stones to treat as removed (empty) first."""
    w = s[H_W]
    n = s[H_N]
    stack = np.empty(MAXM, dtype=np.int64)
    region = np.empty(MAXM, dtype=np.int64)
    seen = np.zeros(MAXM, dtype=np.bool_)
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            c = s[COLOR + p]
            if c != EMPTY and dead[p] == 0:
                out[p] = c
                continue
            if seen[p]:
                continue
            # flood the region of empty (or dead) points from p
            sp = 0
            nr = 0
            stack[sp] = p
            sp += 1
            seen[p] = True
            reach = 0
            while sp > 0:
                sp -= 1
                r = stack[sp]
                region[nr] = r
                nr += 1
                for q in (r - 1, r + 1, r - w, r + w):
                    cq = s[COLOR + q]
                    if cq == WALL:
                        continue
                    if cq == EMPTY or dead[q] != 0:
                        if not seen[q]:
                            seen[q] = True
                            stack[sp] = q
                            sp += 1
                    else:
                        reach |= cq
            owner = EMPTY
            if reach == BLACK or reach == WHITE:
                owner = reach
            for k in range(nr):
                out[region[k]] = owner
    return out


@njit(cache=True)
def area_score(s: np.ndarray) -> int:
    """Black's area minus White's (stones plus surrounded empty points),
    komi not included."""
    n = s[H_N]
    w = s[H_W]
    # where no empty point touches another (a random playout's end: any
    # such point would still be a move), each is a region of its own,
    # owned by the colour of its neighbours if they are all one colour
    score = 0
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            c = s[COLOR + p]
            if c == BLACK:
                score += 1
            elif c == WHITE:
                score -= 1
            else:
                nb = s[NBR + p]
                if nb & 15 != 0:
                    return _area_score_by_regions(s)
                if (nb >> (4 * WHITE)) & 15 == 0:
                    score += 1
                elif (nb >> (4 * BLACK)) & 15 == 0:
                    score -= 1
    return score


@njit(cache=True)
def _area_score_by_regions(s: np.ndarray) -> int:
    """``area_score`` through ``area_owner``'s regions."""
    n = s[H_N]
    w = s[H_W]
    dead = np.zeros(MAXM, dtype=np.int64)
    own = np.zeros(MAXM, dtype=np.int64)
    area_owner(s, dead, own)
    score = 0
    for y in range(n):
        for x in range(n):
            o = own[(y + 1) * w + x + 1]
            if o == BLACK:
                score += 1
            elif o == WHITE:
                score -= 1
    return score


@njit(cache=True)
def territory_score(s: np.ndarray, dead: np.ndarray) -> int:
    """Black's territory plus prisoners minus White's, komi not included.

    Dead stones (``dead[p] != 0``) are removed and counted as prisoners;
    territory is the empty points of regions that reach one colour only."""
    n = s[H_N]
    w = s[H_W]
    own = np.zeros(MAXM, dtype=np.int64)
    area_owner(s, dead, own)
    score = s[H_CAP + BLACK - 1] - s[H_CAP + WHITE - 1]
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            c = s[COLOR + p]
            if c != EMPTY and dead[p] == 0:
                continue
            if c == BLACK:
                score -= 1  # a dead black stone is White's prisoner
            elif c == WHITE:
                score += 1
            if own[p] == BLACK:
                score += 1
            elif own[p] == WHITE:
                score -= 1
    return score


def dead_mask(dead: Iterable[int]) -> np.ndarray:
    """The ``dead`` argument of the scoring functions: 1 at each point of
    ``dead`` (an iterable of board points)."""
    mask = np.zeros(MAXM, dtype=np.int64)
    for p in dead:
        mask[p] = 1
    return mask


def result_string(score: float) -> str:
    """``B+3.5`` / ``W+0.5`` / ``0`` (jigo) from Black-minus-White."""
    if score > 0:
        return f"B+{score:g}"
    if score < 0:
        return f"W+{-score:g}"
    return "0"
