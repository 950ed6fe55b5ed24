"""The search's and the search player's settings, with their real defaults.

Without Numba or PyTorch, so that the GTP front end can build and check
them from its command line at start-up.  Fields declared with ``option``
are command-line options (``tengen gtp --help``); the others are for code
(self-play, tests, benchmarks).
"""

import math
from dataclasses import dataclass

from engine.move_choice import ResignRule, TemperatureSchedule
from tengen.base.config import option, positive_int, require

VISITS_WITHOUT_CLOCK = 400      # visits per move when neither a clock nor --visits decides


@dataclass(frozen=True)
class SearchConfig:
    """One search.  ``lam`` and ``rollouts`` are what was asked for and
    decide the leaf value together: ``leaf_lambda * value network +
    (1 - leaf_lambda) * rollout result``.  Left unset, a search uses the
    value network alone (``leaf_lambda`` 1), which beat AlphaGo's even mix at
    equal time (BENCHMARKS.md "The value network alone against AlphaGo's
    mix"); ``rollouts=True`` alone means AlphaGo's 0.5, and any ``lam`` below
    1 alone switches rollouts on (``with_rollouts``)."""
    visits: int | None = option(
        None, parse=positive_int,
        help=f"visits per move (default {VISITS_WITHOUT_CLOCK} without a clock; with a clock "
             "or --time-per-move, a cap on top of the time limit)")
    batch_size: int = option(16, parse=positive_int, help="positions per network call")
    lam: float | None = option(
        None, flag="lambda", metavar="L",
        help="leaf value = L * value network + (1 - L) * rollout result "
             "(default 1, the value network alone; below 1 switches rollouts on)")
    rollouts: bool | None = option(None, help="mix fast rollouts into the leaf values "
                                              "(default: off unless --lambda is below 1; "
                                              "on alone means AlphaGo's --lambda 0.5)")
    expand_threshold: int = option(
        3, metavar="N", parse=positive_int,
        help="visits of a move before its position is expanded with the policy network; "
             "below that its leaf is valued only (AlphaGo's n_thr)")
    c_puct: float = 1.5
    fpu_reduction: float = 0.2        # unvisited children start at the parent's Q minus this
    dirichlet_alpha: float = 0.0      # root noise (self-play); 0: none
    dirichlet_eps: float = 0.25
    seed: int | None = None
    max_nodes: int = 100_000          # arena size; allocated lazily, so only use costs memory
    edges_per_node: int = 250         # arena sizing: average children per node
    reuse_tree: bool = True
    max_game_moves: int = 0           # terminal after this many moves (0: 3 n^2)

    def __post_init__(self) -> None:
        require(self.visits is None or self.visits >= 1, "visits must be at least 1")
        require(self.batch_size >= 1, "batch size must be at least 1")
        require(self.expand_threshold >= 1, "expand threshold must be at least 1")
        require(self.lam is None or (math.isfinite(self.lam) and 0.0 <= self.lam <= 1.0),
                "lambda must be between 0 and 1")
        require(self.with_rollouts or self.lam is None or self.lam >= 1.0,
                "lambda below 1 mixes in rollouts, which are switched off (--no-rollouts)")
        require(self.max_nodes >= 2 and self.edges_per_node >= 1, "the tree needs room")
        require(self.dirichlet_alpha >= 0, "Dirichlet alpha must be non-negative")

    @property
    def with_rollouts(self) -> bool:
        """Rollouts are mixed into the leaf values: asked for, or implied by
        a ``lam`` below 1."""
        if self.rollouts is not None:
            return self.rollouts
        return self.lam is not None and self.lam < 1.0

    @property
    def leaf_lambda(self) -> float:
        """The value network's weight in a leaf's value: ``lam`` when given,
        else 0.5 (AlphaGo's mix) with rollouts and 1 without."""
        if self.lam is not None:
            return self.lam
        return 0.5 if self.with_rollouts else 1.0


@dataclass(frozen=True)
class PlayConfig:
    """How the search player spends its time, chooses among the searched
    moves and resigns (the rules themselves: ``engine.move_choice``)."""
    time_per_move: float | None = option(
        None, metavar="SECONDS", help="thinking time per move when the GUI sets no time control")
    resign_threshold: float = option(
        0.05, metavar="P", help="resign when the win rate stays below P for 3 moves "
                                "(0 never resigns)")
    resign_moves: int = 3
    temperature: float = 0.0          # 0: the most visited move; else drawn by visits^(1/T)
    hard_move_factor: float = 2.0     # an unclear move may take this multiple of the budget
    unclear_ratio: float = 0.6        # runner-up visits above this share of the best's: unclear

    def __post_init__(self) -> None:
        require(self.time_per_move is None
                or (math.isfinite(self.time_per_move) and self.time_per_move > 0),
                "time per move must be a positive number of seconds")
        self.resign_rule   # checked where the rule lives
        TemperatureSchedule(self.temperature)

    @property
    def resign_rule(self) -> ResignRule:
        return ResignRule(self.resign_threshold, self.resign_moves)
