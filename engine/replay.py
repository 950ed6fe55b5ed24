"""Replaying recorded games in compiled code: the setup stones, the check of
each recorded move, and whole games replayed to a move.

Why one module: every consumer of game records replays them (the SGF
reader's legality check, ``Game``'s setup, training windows, final-ownership
targets, the rollout policy's training, benchmarks), and each used to carry
its own copy of the loop; the copies disagreed on an illegal setup stone.
Here the setup is placed by ``place_setup`` only, and a recorded move is
checked by ``recorded_move_ok`` only.
"""

import numpy as np
from numba import njit

from . import board as B
from . import lookahead as LA
from .board import EMPTY, PASS

REASONS = ("", "off-board", "occupied", "ko", "suicide", "superko")
KO_CODES = {"simple": 0, "positional": 1, "situational": 2}


@njit(cache=True, nogil=True, inline="always")
def recorded_move(points: np.ndarray, colours: np.ndarray, k: int) -> tuple[int, int]:
    """(point, colour) of entry ``k`` of a record's arrays, widened from
    their int16 / int8 to the int64 that the board's functions take."""
    # NumPy's int64 is an int to compiled code, not to the type checker
    return np.int64(points[k]), np.int64(colours[k])  # type: ignore[return-value]


@njit(cache=True, nogil=True)
def place_setup(s: np.ndarray, points: np.ndarray, colours: np.ndarray, first_to_move: int
                ) -> int:
    """Place setup stones on the empty position ``s`` (in place) and make it
    the start of a game: no move played, no ko, no prisoners, the stones
    "placed long ago" for the history planes, ``first_to_move`` to play.

    Returns the index of the first stone that cannot stand (on an occupied
    point, capturing, or without liberties), or -1 when all stand.  A
    position with a bad stone is not a valid start; callers refuse it."""
    nj = np.zeros(0, dtype=np.int64)
    for k in range(points.shape[0]):
        p, c = recorded_move(points, colours, k)
        if not B.is_legal(s, p, c) or B.play(s, nj, p, c) != 0 or s[B.COLOR + p] != c:
            return k
    for k in range(points.shape[0]):
        s[B.MOVED + points[k]] = -100
    s[B.H_MOVENUM] = 0
    s[B.H_LAST] = B.NO_MOVE
    s[B.H_LAST2] = B.NO_MOVE
    s[B.H_PASSES] = 0
    s[B.H_KO] = -1
    s[B.H_CAP] = 0
    s[B.H_CAP + 1] = 0
    s[B.H_TOMOVE] = first_to_move
    return -1


@njit(cache=True, nogil=True)
def start_position(n: int, spts: np.ndarray, scols: np.ndarray, so0: int, so1: int, first: int
                   ) -> tuple[np.ndarray, bool]:
    """(the position after a corpus game's setup stones ``spts[so0:so1]``,
    ``first`` to move; whether the setup is valid)."""
    s = B.new_state(n)
    bad = place_setup(s, spts[so0:so1], scols[so0:so1], first)
    return s, bad < 0


@njit(cache=True, nogil=True, inline="always")
def recorded_move_ok(s: np.ndarray, p: int, c: int) -> bool:
    """Prepare ``s`` for the recorded move ``c`` at ``p`` and say whether it
    may be played (simple ko): the recorded mover moves even where the
    record left out a pass."""
    s[B.H_TOMOVE] = c
    return B.is_legal(s, p, c)


@njit(cache=True, nogil=True)
def replay_corpus_game(n: int, pts: np.ndarray, cols: np.ndarray, offs: np.ndarray,
                       spts: np.ndarray, scols: np.ndarray, soffs: np.ndarray, first: np.ndarray,
                       g: int, upto: int) -> tuple[np.ndarray, int]:
    """(position of corpus game ``g`` after its first ``upto`` moves (-1:
    all), moves played): replay stops early at an invalid setup (0 moves)
    or an illegal move."""
    s, ok = start_position(n, spts, scols, soffs[g], soffs[g + 1], first[g])
    if not ok:
        return s, 0
    nj = np.zeros(0, dtype=np.int64)
    end = offs[g + 1] if upto < 0 else min(offs[g + 1], offs[g] + upto)
    for k in range(offs[g], end):
        p, c = recorded_move(pts, cols, k)
        if not recorded_move_ok(s, p, c):
            return s, k - offs[g]
        B.play(s, nj, p, c)
    return s, end - offs[g]


@njit(cache=True)
def replay_moves(s: np.ndarray, colours: np.ndarray, points: np.ndarray, ko_rule: int
                 ) -> tuple[int, int]:
    """Play ``colours[i]`` at ``points[i]`` in order on ``s`` (in place),
    checking each move as ``Game.play`` does; stop at the first illegal one.

    ``ko_rule``: 0 simple ko, 1 positional superko, 2 situational superko
    (``KO_CODES``).  The history starts from ``s`` as given.  Returns
    (moves played, reason code): code 0 when all were legal, else an index
    into ``REASONS`` for move number ``played``.  Superko compares the hash
    after the move with every earlier one: a few hundred moves cost tens of
    thousands of integer compares, cheaper than any hash set."""
    n = points.shape[0]
    hist = np.empty(n + 1, dtype=np.int64)
    side = np.empty(n + 1, dtype=np.int64)
    hist[0] = s[B.H_HASH]
    side[0] = s[B.H_TOMOVE]
    nj = np.zeros(0, dtype=np.int64)
    for i in range(n):
        c = colours[i]
        p = points[i]
        if p != PASS:
            if p < 0 or p >= B.MAXM or s[B.COLOR + p] == B.WALL:
                return i, 1
            if s[B.COLOR + p] != EMPTY:
                return i, 2
            if not B.is_legal(s, p, c):
                if p == s[B.H_KO] and c == s[B.H_TOMOVE]:
                    return i, 3
                return i, 4
            if ko_rule != 0:
                h = LA.hash_after(s, p, c)
                for k in range(i + 1):
                    if hist[k] == h and (ko_rule == 1 or side[k] == 3 - c):
                        return i, 5
        B.play(s, nj, p, c)
        hist[i + 1] = s[B.H_HASH]
        side[i + 1] = 3 - c
    return n, 0


@njit(cache=True, nogil=True)
def states_before(n: int, pts: np.ndarray, cols: np.ndarray, offs: np.ndarray, spts: np.ndarray,
                  scols: np.ndarray, soffs: np.ndarray, first: np.ndarray, pick: np.ndarray,
                  out: np.ndarray) -> int:
    """Replay every corpus game and copy into the rows of ``out`` the
    position before each move whose flag in ``pick`` (one per move of the
    corpus) is set, that move's player to play; a game stops at an invalid
    setup or an illegal move.  Returns the number of rows written (at most
    ``out.shape[0]``)."""
    m = 0
    nj = np.zeros(0, dtype=np.int64)
    for g in range(offs.shape[0] - 1):
        if m >= out.shape[0]:
            break
        if not pick[offs[g]:offs[g + 1]].any():
            continue
        s, ok = start_position(n, spts, scols, soffs[g], soffs[g + 1], first[g])
        if not ok:
            continue
        for k in range(offs[g], offs[g + 1]):
            p, c = recorded_move(pts, cols, k)
            if not recorded_move_ok(s, p, c):
                break
            if pick[k] and m < out.shape[0]:
                out[m] = s
                m += 1
            B.play(s, nj, p, c)
    return m
