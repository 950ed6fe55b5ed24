"""How a player turns its preferences into a move: the temperature schedule,
the pass rule and the resign rule, written once for every player.

Why one module: the GTP search and policy players, self-play's policy games
and search moves, and the reviewer all choose moves; when each wrote its own
sampling, pass and resign code, the copies drifted apart (different valid
resign thresholds, different pass conditions).  Here each rule is a small
function or frozen dataclass that knows only the game and the numbers it is
given, so it sits in the engine, below every player.

* **Temperature**: a move is drawn with probability proportional to
  ``weight^(1/T)`` (visits of a search, probabilities of a policy network;
  for logits that is a softmax of ``logit / T``), or the best one is taken
  at ``T = 0``; ``TemperatureSchedule`` samples the first moves of a game
  only.  A draw is one uniform number ``u`` mapped through the cumulative
  weights, so that a caller can take ``u`` from the game's own generator
  before it knows whether a rule will decide instead, and a game's random
  sequence never depends on which rule fired.
* **Choosing among searched moves**: the most visited, or the best lower
  confidence bound (``choose_by_lcb``); in the opening, one of the moves
  whose visits are within noise of the best (``close_to_best``), drawn with
  the player's seed, so that play varies with the seed without weakening.
* **Passing**: after the opponent's pass, pass when the count says passing
  wins (``passing_wins``), never pass into a loss (``passing_loses``), and
  in a clean-up phase do not pass while stones believed dead remain
  (``opponent_dead_stones``).  The count (``pass_margin``) is the smaller
  of the bare area count and the count with the estimated dead stones
  removed, so a player does not end a game its own dead stones make look won.
* **Resigning**: ``ResignRule`` (threshold, consecutive judgements) and
  ``ResignCounter``, one per player of a game.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tengen.base.config import require

from .moves import PASS

if TYPE_CHECKING:   # the rules' settings are read at GTP start-up, before Numba loads
    from .dead_stones import StatusConfig
    from .game import Game

# ---- temperature ---------------------------------------------------------------


def draw(weights: np.ndarray, u: float) -> int:
    """The index that a uniform ``u`` in [0, 1) picks with probability
    proportional to ``weights`` (non-negative); -1 when they sum to 0."""
    cum = np.cumsum(weights)
    if not cum[-1] > 0:
        return -1
    target = float(u) * float(cum[-1])      # in double precision whatever the weights' type
    return min(int(np.searchsorted(cum, target, side="right")), len(weights) - 1)


def tempered(weights: Sequence[float] | np.ndarray, temperature: float) -> np.ndarray:
    """``weights^(1/T)`` (T > 0): visit counts or probabilities sharpened
    (T < 1) or flattened (T > 1)."""
    return np.asarray(weights, np.float64) ** (1.0 / temperature)


def softmax_weights(logits: np.ndarray, allowed: np.ndarray, temperature: float) -> np.ndarray:
    """Unnormalised ``exp(logit / T)`` over the ``allowed`` entries (0
    elsewhere), row by row, shifted by each row's largest allowed value so
    that nothing overflows: the weights of ``policy^(1/T)``."""
    z = np.where(allowed, logits / temperature, -np.inf)
    z -= np.max(np.where(allowed, z, -1e30), axis=-1, keepdims=True)
    return np.where(allowed, np.exp(z), 0.0)


def choose_by_weight(weights: Sequence[float] | np.ndarray, temperature: float,
                     rng: np.random.Generator) -> int:
    """The index of the move to play among candidates listed best first:
    the first at ``T = 0`` or when every weight is 0, else drawn in
    proportion to ``weight^(1/T)`` (one number from ``rng``)."""
    w = np.asarray(weights, np.float64)
    if temperature <= 0 or not w.sum() > 0:
        return 0
    return draw(tempered(w, temperature), rng.random())


def close_to_best(visits: Sequence[float] | np.ndarray, z: float = 1.0) -> list[int]:
    """The indices of the moves (listed most visited first) whose visits are
    within ``z`` standard deviations of the best's, ``sqrt(N_best)``: moves
    the search cannot tell apart from its best one."""
    n = np.asarray(visits, np.float64)
    if len(n) == 0 or n[0] <= 0:
        return [0] if len(n) else []
    return [i for i in range(len(n)) if n[i] > 0 and n[i] >= n[0] - z * math.sqrt(n[0])]


def choose_by_lcb(visits: Sequence[float] | np.ndarray, lcbs: Sequence[float] | np.ndarray,
                  min_share: float = 0.1) -> int:
    """The index of the move with the highest lower confidence bound on its
    win rate among those with at least ``min_share`` of the most visited
    move's visits (Leela Zero's choice: a move that is merely lucky in few
    visits does not win)."""
    n = np.asarray(visits, np.float64)
    if len(n) == 0 or n.max() <= 0:
        return 0
    floor = max(1.0, min_share * n.max())
    best, best_lcb = 0, -math.inf
    for i in range(len(n)):
        if n[i] >= floor and lcbs[i] > best_lcb:
            best, best_lcb = i, float(lcbs[i])
    return best


@dataclass(frozen=True)
class TemperatureSchedule:
    """Sample the first ``moves`` moves of a game (None: every move) with
    ``temperature``, then play the best move: openings differ from game to
    game, the rest is played as well as the player can."""
    temperature: float = 0.0
    moves: int | None = None

    def __post_init__(self) -> None:
        require(math.isfinite(self.temperature) and self.temperature >= 0,
                "temperature must be at least 0")
        require(self.moves is None or self.moves >= 0, "temperature moves must be at least 0")

    def at(self, move_number: int) -> float:
        """The temperature of the move after ``move_number`` moves."""
        return self.temperature if self.moves is None or move_number < self.moves else 0.0


# ---- passing -------------------------------------------------------------------

def opponent_passed(game: "Game") -> bool:
    """The last move of ``game`` was a pass."""
    return bool(game.moves) and game.moves[-1][1] == PASS


def pass_margin(game: "Game", color: int, status: "StatusConfig | None" = None) -> float:
    """The margin a pass would end the game with, from ``color``'s point of
    view (komi included): the smaller of the bare area count (what the
    search's finished games are scored by) and the count with the
    Monte Carlo dead-stone estimate removed (what a referee or a GUI's
    scoring will say).  ``status``: the estimate's playouts (self-play
    spends fewer than a referee; None: the estimate's defaults)."""
    from .board import BLACK
    from .dead_stones import StatusConfig, final_score

    sign = 1 if color == BLACK else -1
    bare = sign * game.area_score()
    if bare <= 0:
        return bare
    return min(bare, sign * final_score(game, status or StatusConfig()))


def passing_wins(game: "Game", color: int, status: "StatusConfig | None" = None) -> bool:
    """The opponent has just passed and a pass by ``color`` would end the
    game won: the one case where every player passes at once."""
    return opponent_passed(game) and pass_margin(game, color, status) > 0


def passing_loses(game: "Game", color: int, status: "StatusConfig | None" = None) -> bool:
    """The opponent has just passed and a pass by ``color`` would end the
    game lost (or drawn): a player plays on instead while it has a move."""
    return opponent_passed(game) and pass_margin(game, color, status) <= 0


def opponent_dead_stones(game: "Game", color: int) -> list[int]:
    """The stones of ``color``'s opponent that the estimate calls dead: in a
    clean-up phase (``kgs-genmove_cleanup``) a player does not pass while
    any remain."""
    from .dead_stones import dead_stones

    return [p for p in dead_stones(game) if game.color_at(p) != color]


# ---- resigning -----------------------------------------------------------------

@dataclass(frozen=True)
class ResignRule:
    """Resign when the win rate of the player to move stays below
    ``threshold`` for ``consecutive`` judgements in a row (threshold 0:
    never).  A threshold of one half or more would resign games the player
    believes it is winning."""
    threshold: float = 0.05
    consecutive: int = 3

    def __post_init__(self) -> None:
        require(math.isfinite(self.threshold) and 0.0 <= self.threshold < 0.5,
                "resign threshold must be at least 0 and below 0.5")
        require(self.consecutive >= 1, "resign moves must be at least 1")


class ResignCounter:
    """One player's run of low win rates under a ``ResignRule``."""

    def __init__(self, rule: ResignRule):
        self.rule = rule
        self.low = 0

    def judge(self, winrate: float) -> bool:
        """Count one more judgement; True when the player should resign now."""
        self.low = self.low + 1 if winrate < self.rule.threshold else 0
        return self.rule.threshold > 0 and self.low >= self.rule.consecutive

    def reset(self) -> None:
        self.low = 0
