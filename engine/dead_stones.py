"""Which stones are dead: a Monte Carlo estimate for scoring and for GTP's
``final_status_list`` / ``final_score``.

Why playouts: deciding life and death exactly is a search problem; at the
end of a game a few hundred random playouts from the position settle nearly
every group.  A chain whose points end up owned by the opponent in most
playouts is dead.  A chain that survives while its liberties stay dame
(owned by neither side) in most playouts lives in seki.

The playouts differ from ``board.random_playout`` in one way: neither side
plays a self-atari that would put a chain of two or more stones in atari.
Plain random play fills the shared liberties of a seki and loses one of the
two groups at random; with the rule the seki stands, as in a real game.
Single-stone self-ataris stay allowed, as they are needed to kill big eyes.

The result is for finished (or nearly finished) games: in the middle of a
game the playouts decide every open fight at random.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from . import board as B
from . import lookahead as LA
from .board import BLACK, PASS, WHITE
from .game import Game
from .rng import new_rng, randint
from .scoring import area_owner


@dataclass(frozen=True)
class StatusConfig:
    """``playouts`` per estimate; ``seed`` makes the estimate repeatable."""
    playouts: int = 200
    seed: int = 1


@njit(cache=True)
def _playout_move(s: np.ndarray, c: int, rng: np.ndarray) -> int:
    """A random legal move for ``c``: no own true eye filled, no self-atari
    of a chain of two or more stones; PASS when none is left."""
    n = s[B.H_NEMPTY]
    while n > 0:
        k = randint(rng, n)
        p = s[B.EMPTY_LIST + k]
        if (not B.is_eye(s, p, c) and B.is_legal(s, p, c)
                and (LA.size_after(s, p, c) < 2 or LA.libs_after(s, p, c, 2) >= 2)):
            return p
        n -= 1
        lp = s[B.EMPTY_LIST + n]
        s[B.EMPTY_LIST + k] = lp
        s[B.EMPTY_IDX + lp] = k
        s[B.EMPTY_LIST + n] = p
        s[B.EMPTY_IDX + p] = n
    return PASS


@njit(cache=True)
def ownership_counts(s0: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Play ``count`` playouts from ``s0`` to the end and count, for every
    point, how often it ends owned by Black and by White (area ownership).
    Returns ``(black, white)``, arrays indexed by board point."""
    rng = new_rng(seed)
    n = s0[B.H_N]
    w = s0[B.H_W]
    limit = 3 * n * n + 50
    nj = np.zeros(0, dtype=np.int64)
    none_dead = np.zeros(B.MAXM, dtype=np.int64)
    own = np.zeros(B.MAXM, dtype=np.int64)
    black = np.zeros(B.MAXM, dtype=np.int64)
    white = np.zeros(B.MAXM, dtype=np.int64)
    s = s0.copy()
    for _ in range(count):
        s[:] = s0
        s[B.H_PASSES] = 0  # a finished game is played on, not taken as over
        moves = 0
        while moves < limit and s[B.H_PASSES] < 2:
            c = s[B.H_TOMOVE]
            B.play(s, nj, _playout_move(s, c, rng), c)
            moves += 1
        area_owner(s, none_dead, own)
        for y in range(n):
            for x in range(n):
                p = (y + 1) * w + x + 1
                if own[p] == BLACK:
                    black[p] += 1
                elif own[p] == WHITE:
                    white[p] += 1
    return black, white


def chains(game: Game) -> list[list[int]]:
    """The chains on the board as lists of points, each sorted, ordered by
    their first point."""
    s = game.state
    by_head: dict[int, list[int]] = {}
    for p in sorted(game.stones()):
        by_head.setdefault(int(s[B.HEAD + p]), []).append(p)
    return sorted(by_head.values())


def stone_status(game: Game, config: StatusConfig = StatusConfig(),
                 counts: tuple[np.ndarray, np.ndarray] | None = None) -> dict[int, str]:
    """``{point: "alive" | "dead" | "seki"}`` for every stone on the board,
    the same for all stones of a chain.  ``counts``: ``ownership_counts``
    of ``config.playouts`` playouts already made (self-play uses the same
    playouts for the final-ownership target)."""
    s = game.state
    count = max(1, config.playouts)
    black, white = counts if counts is not None else ownership_counts(s, count, config.seed)
    owned = {BLACK: black, WHITE: white}
    libs = np.empty(B.MAXM, dtype=np.int64)
    status: dict[int, str] = {}
    for chain in chains(game):
        c = game.color_at(chain[0])
        opponent_share = sum(int(owned[3 - c][p]) for p in chain) / (count * len(chain))
        if opponent_share > 0.5:
            label = "dead"
        else:
            nlib = B.chain_liberties(s, chain[0], libs)
            dame = [count - black[p] - white[p] for p in libs[:nlib]]
            label = "seki" if all(d > count / 2 for d in dame) else "alive"
        for p in chain:
            status[p] = label
    return status


def dead_stones(game: Game, config: StatusConfig = StatusConfig(),
                counts: tuple[np.ndarray, np.ndarray] | None = None) -> list[int]:
    """The stones ``stone_status`` calls dead, sorted."""
    return sorted(p for p, label in stone_status(game, config, counts).items()
                  if label == "dead")


def final_score(game: Game, config: StatusConfig = StatusConfig(),
                counts: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Black minus White under the game's rules with the estimated dead
    stones removed, komi included."""
    return game.score(dead_stones(game, config, counts))

