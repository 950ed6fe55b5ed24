"""The search's and the search player's settings, with their real defaults.

Without Numba or PyTorch, so that the GTP front end can build and check
them from its command line at start-up.  Fields declared with ``option``
are command-line options (``tengen gtp --help``); the others are for code
(self-play, tests, benchmarks).
"""

import math
from dataclasses import dataclass

from tengen.base.config import option, positive_int, require

VISITS_WITHOUT_CLOCK = 400      # visits per move when neither a clock nor --visits decides


@dataclass(frozen=True)
class SearchConfig:
    """One search.  ``lam`` and ``rollouts`` decide the leaf value together:
    ``lam * value network + (1 - lam) * rollout result``.  Left unset, a
    search uses the value network alone (``lam`` 1): at the same time per
    move it searches about 2.7 times the positions and beat AlphaGo's even
    mix 31 of 40 games (BENCHMARKS.md "The value network alone against
    AlphaGo's mix").  ``rollouts=True`` alone means AlphaGo's 0.5, and any
    ``lam`` below 1 alone switches rollouts on."""
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
    temperature: float = 0.0          # 0: the most visited move; else sample N^(1/T)
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
        rollouts, lam = self.rollouts, self.lam
        if rollouts is None:
            rollouts = lam is not None and lam < 1.0
        require(rollouts or lam is None or lam >= 1.0,
                "lambda below 1 mixes in rollouts, which are switched off (--no-rollouts)")
        if lam is None:
            lam = 0.5 if rollouts else 1.0
        object.__setattr__(self, "rollouts", rollouts)
        object.__setattr__(self, "lam", lam)
        require(self.max_nodes >= 2 and self.edges_per_node >= 1, "the tree needs room")
        require(self.temperature >= 0 and self.dirichlet_alpha >= 0, "temperature and "
                "Dirichlet alpha must be non-negative")


@dataclass(frozen=True)
class PlayConfig:
    """How the search player spends its time and when it resigns."""
    time_per_move: float | None = option(
        None, metavar="SECONDS", help="thinking time per move when the GUI sets no time control")
    resign_threshold: float = option(
        0.05, metavar="P", help="resign when the win rate stays below P for 3 moves "
                                "(0 never resigns)")
    resign_moves: int = 3
    hard_move_factor: float = 2.0     # an unclear move may take this multiple of the budget
    unclear_ratio: float = 0.6        # runner-up visits above this share of the best's: unclear

    def __post_init__(self) -> None:
        require(self.time_per_move is None
                or (math.isfinite(self.time_per_move) and self.time_per_move > 0),
                "time per move must be a positive number of seconds")
        require(0.0 <= self.resign_threshold < 1.0, "resign threshold must be at least 0 and below 1")
        require(self.resign_moves >= 1, "resign moves must be at least 1")
