"""The search's and the search player's settings, with their real defaults.

Without Numba or PyTorch, so that the GTP front end can build and check
them from its command line at start-up.  Fields declared with ``option``
are command-line options (``tengen gtp --help``); the others are for code
(self-play, tests, benchmarks).
"""

import math
from dataclasses import dataclass

from engine.move_choice import ResignRule, TemperatureSchedule
from nets.symmetry import NUM_SYMMETRIES
from tengen.base.config import at_least, option, require

VISITS_WITHOUT_CLOCK = 400      # visits per move when neither a clock nor --visits decides
CHOICES = ("visits", "lcb")      # how the search player picks its move among the searched ones


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
        None,
        help=f"visits per move (default {VISITS_WITHOUT_CLOCK} without a clock; with a clock "
             "or --time-per-move, a cap on top of the time limit)")
    batch_size: int = option(16, help="positions per network call on the CPU")
    gpu_batch_size: int = option(
        64, help="positions per network call when the networks run on a GPU (CUDA or MPS), "
                 "where a call of 16 leaves the device idle; tengen bench mcts --device cuda "
                 "--gpu-batch-size N measures the rate of each size")
    lam: float | None = option(
        None, flag="lambda", metavar="L",
        help="leaf value = L * value network + (1 - L) * rollout result "
             "(default 1, the value network alone; below 1 switches rollouts on)")
    rollouts: bool | None = option(None, help="mix fast rollouts into the leaf values "
                                              "(default: off unless --lambda is below 1; "
                                              "on alone means AlphaGo's --lambda 0.5)")
    expand_threshold: int = option(
        3, metavar="N",
        help="visits of a move before its position is expanded with the policy network; "
             "below that its leaf is valued only (AlphaGo's n_thr)")
    c_puct: float = option(1.5, metavar="C", help="exploration constant of PUCT")
    c_puct_base: float = option(
        0.0, metavar="B", help="exploration grows with the parent's visits N: C + "
                               "log((1 + N + B) / B), AlphaZero's schedule (0: C alone)")
    fpu_reduction: float = option(
        0.2, metavar="R", help="first-play urgency: an unvisited move starts at its parent's "
                               "value less R")
    fpu_by_policy: bool = option(
        False, help="scale the first-play reduction by the square root of the prior mass "
                    "already visited (Leela Zero's form)")
    root_policy_temperature: float = option(
        1.0, metavar="T", help="the root's priors raised to 1/T and renormalised (above 1: "
                               "wider search at the root)")
    symmetries: int = option(
        1, metavar="K", help="each leaf evaluated under the first K of the board's eight "
                             "symmetries, priors and value averaged (steadier figures for a "
                             "review, K times the network time a visit)")
    dirichlet_alpha: float = 0.0      # root noise (self-play); 0: none
    dirichlet_eps: float = 0.25
    seed: int | None = None
    max_nodes: int = 100_000          # arena size; allocated lazily, so only use costs memory
    edges_per_node: int = 250         # arena sizing: average children per node
    reuse_tree: bool = True
    max_game_moves: int = 0           # terminal after this many moves (0: 3 n^2)

    def __post_init__(self) -> None:
        at_least(self, 1, "visits", "batch_size", "gpu_batch_size", "expand_threshold")
        require(1 <= self.symmetries <= NUM_SYMMETRIES, f"symmetries must be 1 to {NUM_SYMMETRIES}")
        require(self.lam is None or (math.isfinite(self.lam) and 0.0 <= self.lam <= 1.0),
                "lambda must be between 0 and 1")
        require(self.with_rollouts or self.lam is None or self.lam >= 1.0,
                "lambda below 1 mixes in rollouts, which are switched off (--no-rollouts)")
        require(self.max_nodes >= 2 and self.edges_per_node >= 1, "the tree needs room")
        require(self.dirichlet_alpha >= 0, "Dirichlet alpha must be non-negative")
        require(math.isfinite(self.c_puct) and self.c_puct > 0, "c_puct must be positive")
        require(math.isfinite(self.c_puct_base) and self.c_puct_base >= 0,
                "c_puct_base must be at least 0")
        require(math.isfinite(self.fpu_reduction), "fpu reduction must be a number")
        require(math.isfinite(self.root_policy_temperature) and self.root_policy_temperature > 0,
                "root policy temperature must be positive")

    def leaves_per_call(self, accelerated: bool) -> int:
        """Leaves walked under virtual loss and evaluated in one network call:
        ``gpu_batch_size`` for networks on a GPU, else ``batch_size``."""
        return self.gpu_batch_size if accelerated else self.batch_size

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
    choose_by: str = option("visits", choices=CHOICES,
                            help="the move played: the most visited, or the highest lower "
                                 "confidence bound on the win rate among moves with at least "
                                 "a tenth of the best's visits")
    vary_moves: int | None = option(
        None, metavar="N", help="for the first N moves of a game, play one of the moves whose "
                                "visits are within noise of the best's (one standard "
                                "deviation), drawn with --seed: play varies with the seed "
                                "without weakening (default size^2/12: 30 on 19x19; 0: never)")
    temperature: float = 0.0          # 0: the most visited move; else drawn by visits^(1/T)
    hard_move_factor: float = 2.0     # an unclear move may take this multiple of the budget
    unclear_ratio: float = 0.6        # runner-up visits above this share of the best's: unclear

    def __post_init__(self) -> None:
        require(self.time_per_move is None
                or (math.isfinite(self.time_per_move) and self.time_per_move > 0),
                "time per move must be a positive number of seconds")
        self.resign_rule   # checked where the rule lives
        TemperatureSchedule(self.temperature)
        require(self.vary_moves is None or self.vary_moves >= 0, "vary moves must be at least 0")

    def varied_moves(self, size: int) -> int:
        """How many opening moves are drawn among the near-best (``vary_moves``)."""
        return size * size // 12 if self.vary_moves is None else self.vary_moves

    @property
    def resign_rule(self) -> ResignRule:
        return ResignRule(self.resign_threshold, self.resign_moves)
