"""One search thread's analysis of a position (``Analyst.analyse``), and
what is read from the search for a response (``TurnResult``).

The search is ``mcts.analysis.PositionSearch.analyse``, the same call
``tengen analyze`` makes, so one position with one budget gets one answer in
both: ``maxVisits`` visits below the root (those of the subtree kept from
the position searched before included), ``maxTime`` seconds, a terminate,
whichever comes first, never stopping early.

The figures, all for the side to move (``responses`` turns them to the
side the query asks for):

* ``winrate``, ``utility`` (the search's value, in [-1, 1]) and ``lcb``
  (``mcts.search.lcb``, as ``lz-analyze`` reports it) of each move and of
  the root (the mean over all its visits, as KataGo's root is);
* ``scoreLead``: the lead after each move from the value network's
  ownership head (``nets.score.lead_after``, as ``kata-analyze``); the
  root's is the mean of its moves' weighted by visits (before any move
  is searched, the position's own lead, the mean of both sides to move).
  Raw network figures, not searched;
* ``scoreStdev``: the spread of the final score if every point's owner
  were drawn independently from the ownership map, the square root of
  the sum of ``1 - o^2`` over the points (``o`` a point's ownership).
  Groups live and die together, so the real spread is larger: this is a
  lower bound where KataGo's own is biased high;
* ownership: the value network's ownership map of the position after each
  move (``includeMovesOwnership``) and of the position itself
  (``includeOwnership``), for Black (+1: Black's), in KataGo's order: row
  by row from the top-left corner (A19 on 19x19);
* ``policy``: the policy network's probabilities in the same order, pass
  last, over the legal moves (superko included), -1 elsewhere;
* ``thisHash`` and ``symHash``: the stones, the side to move and the ko
  point hashed (BLAKE2b), the second the least over the board's eight
  symmetries.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine import board as B
from engine.board import BLACK, PASS
from engine.colors import COLOR_LETTERS
from engine.coords import format_gtp, point_to_index, to_xy
from engine.game import Game
from mcts.analysis import PositionFigures, PositionSearch, networks_of
from mcts.search import MoveStats, Search, lcb
from nets.features import encode_state
from nets.symmetry import NUM_SYMMETRIES, transform_planes

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch
    from nets.inference import Networks

WARM_UP_SIZE = 19           # the board the search is compiled and loaded on at start-up


@dataclass(frozen=True)
class TurnSettings:
    """How one turn is searched and reported."""
    visits: int
    max_time: float | None = None
    pv_length: int = 15               # moves after the first (KataGo's analysisPVLen)
    include_ownership: bool = False
    include_moves_ownership: bool = False
    include_policy: bool = False
    include_pv_visits: bool = False
    report_every: float | None = None
    first_report_after: float | None = None
    root_moves: frozenset | None = None   # points (and PASS) the root may play; None: all


@dataclass
class MoveResult:
    """One searched root move, for the side to move."""
    move: str
    visits: int
    winrate: float
    utility: float
    lcb: float
    prior: float
    pv: list
    pv_visits: list | None
    score_lead: float | None
    score_stdev: float | None
    ownership: list | None            # for Black, KataGo's order


@dataclass
class TurnResult:
    """What the search says about one position, for the side to move."""
    current_player: str
    visits: int
    winrate: float
    utility: float
    lcb: float
    score_lead: float | None
    score_stdev: float | None
    moves: list
    ownership: list | None            # for Black, KataGo's order
    policy: list | None
    this_hash: str
    sym_hash: str


def katago_order(grid: np.ndarray) -> list:
    """An (n, n) map indexed [y from the bottom, x] as KataGo lists it: row
    by row from the top, each from the left."""
    return [float(v) for v in grid[::-1].reshape(-1)]


def blacks(ownership: np.ndarray, mover: int) -> np.ndarray:
    """A map in the mover's frame turned to Black's."""
    return ownership if mover == BLACK else -ownership


def score_stdev(ownership: np.ndarray) -> float:
    """The independent-points spread of the final score (module docstring)."""
    return float(np.sqrt(np.clip(1.0 - ownership.astype(np.float64) ** 2, 0.0, None).sum()))


def position_hashes(game: Game) -> tuple[str, str]:
    """(thisHash, symHash) of ``game``'s position, side to move and ko."""
    n = game.size
    grid = np.zeros((n, n), np.uint8)
    for p, c in game.stones().items():
        x, y = to_xy(p, n)
        grid[y, x] = c
    ko = int(game.state[B.H_KO])
    if ko >= 0:
        x, y = to_xy(ko, n)
        grid[y, x] = 3
    head = bytes([n, game.to_move])

    def digest(g: np.ndarray) -> str:
        return hashlib.blake2b(head + np.ascontiguousarray(g).tobytes(),
                               digest_size=16).hexdigest().upper()
    return digest(grid), min(digest(transform_planes(grid, k)) for k in range(NUM_SYMMETRIES))


class _Reader:
    """Reads a search's root for one turn; each move's network figures
    (``mcts.analysis.PositionFigures``, the same as ``kata-analyze``'s) are
    computed once, however many reports show them."""

    def __init__(self, game: Game, settings: TurnSettings):
        self.game = game
        self.color = game.to_move
        self.settings = settings
        self.figures: PositionFigures | None = None

    def _figures(self, nets: "Networks") -> PositionFigures | None:
        if self.figures is None and nets.has_value:
            self.figures = PositionFigures(nets, self.game, self.color)
        return self.figures

    def _policy(self, nets: "Networks") -> list[float]:
        game, n = self.game, self.game.size
        probs = nets.policy(encode_state(game.state, value=True)[None])[0].astype(np.float64)
        legal = np.zeros(n * n + 1, bool)
        legal[n * n] = True
        for p in game.points():
            legal[point_to_index(p, n)] = game.legal(p)
        probs = np.where(legal, probs, 0.0)
        probs /= probs.sum()
        grid = np.where(legal[:-1], probs[:-1], -1.0).reshape(n, n)
        return katago_order(grid) + [float(probs[-1])]

    def read(self, search: Search) -> TurnResult:
        settings, n = self.settings, self.game.size
        nets = networks_of(search)
        stats = [s for s in search.root_stats(settings.pv_length + 1, settings.include_pv_visits)
                 if s.visits > 0]
        figures = self._figures(nets)
        leads: list[float | None] = [None] * len(stats)
        maps: list[np.ndarray | None] = [None] * len(stats)
        root_map = lead = None
        if figures is not None:
            moves = [s.move for s in stats]
            leads = figures.leads(moves)
            maps = [None if m is None else blacks(m, self.color)
                    for m in figures.ownership_after(moves)]
            root_map = blacks(figures.ownership(), self.color)
            lead = figures.root_lead(stats)
        results = [self._move(s, n, x, m) for s, x, m in zip(stats, leads, maps)]
        visits = search.root_visits()
        q = search.root_value()
        root = MoveStats(PASS, visits, q, 1.0)
        this_hash, sym_hash = position_hashes(self.game)
        return TurnResult(
            current_player=COLOR_LETTERS[self.color], visits=visits, winrate=root.winrate,
            utility=q, lcb=lcb(root), score_lead=lead,
            score_stdev=None if root_map is None else score_stdev(root_map),
            moves=results,
            ownership=(katago_order(root_map)
                       if settings.include_ownership and root_map is not None else None),
            policy=self._policy(nets) if settings.include_policy else None,
            this_hash=this_hash, sym_hash=sym_hash)

    def _move(self, s: MoveStats, n: int, lead: float | None,
              own: np.ndarray | None) -> MoveResult:
        return MoveResult(
            move=format_gtp(s.move, n), visits=s.visits, winrate=s.winrate, utility=s.q,
            lcb=lcb(s), prior=s.prior, pv=[format_gtp(p, n) for p in s.pv],
            pv_visits=s.pv_visits if self.settings.include_pv_visits else None,
            score_lead=lead,
            score_stdev=None if own is None else score_stdev(own),
            ownership=(katago_order(own)
                       if self.settings.include_moves_ownership and own is not None else None))


class Analyst:
    """One search thread's searcher: a ``PositionSearch`` (its own tree,
    its networks loaded per board size) and what is read from it."""

    def __init__(self, positions: PositionSearch):
        self.positions = positions

    def warm_up(self) -> None:
        """Load the networks of the usual board and compile the search now,
        so that the first query waits for neither."""
        self.positions.warm_up(Game(WARM_UP_SIZE))

    def clear(self) -> None:
        """Forget the tree (``clear_cache``): the next position is searched
        afresh, as after a restart."""
        if self.positions.search is not None:
            self.positions.search.new_tree()

    def analyse(self, game: Game, settings: TurnSettings, stop: Callable[[], bool],
                report: Callable[[TurnResult], None] | None = None) -> TurnResult | None:
        """Search ``game``'s position as ``settings`` say until ``stop()``
        or the budget ends; ``report(result)`` every ``report_every``
        seconds meanwhile (first after ``first_report_after``).  None when
        stopped before the search began."""
        if stop():
            return None
        reader = _Reader(game, settings)
        started = time.perf_counter()
        callback, every = None, 1.0
        if report is not None and settings.report_every is not None:
            report_every = settings.report_every
            first = settings.first_report_after or report_every
            due = [started + first]

            def callback(search: Search) -> None:
                now = time.perf_counter()
                if now >= due[0]:
                    due[0] = now + report_every
                    report(reader.read(search))
            every = min(first, report_every)
        search = self.positions.analyse(game, visits=settings.visits, seconds=settings.max_time,
                                        stop=stop,
                                        callback=callback, callback_every=every,
                                        root_moves=settings.root_moves)
        return reader.read(search)
