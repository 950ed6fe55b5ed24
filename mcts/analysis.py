"""A search with the networks of each board size, and the one way to analyse
a position within a budget.

Why here: the GTP search player, ``tengen analyze``'s reviewer and the JSON
analysis protocol all search positions of games they are given; they must
load the same networks for a board size (``tengen/models/NxN/`` when the
size has its own) and spend a budget the same way, so that one position
with one budget gives the same answer in every front end.

The budget: with ``visits``, the visits a reused subtree brought along
count, so a position reached from the one searched before costs only the
missing visits; with ``seconds``, a time limit (both may be given: the
first reached ends it).  Neither stops early: an analysis wants every
candidate's figures, not only the best move.

The networks of one set of files are loaded once per process and shared by
every ``PositionSearch`` (the analysis protocol's search threads each have
their own tree, not their own copy of the weights); inference is
thread-safe.

``PositionFigures`` are what the value network says of an analysed
position besides the search (the score lead after each move, ownership
maps), which every analysis front end reports the same way.
"""

import os
import threading
from pathlib import Path
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from engine.board import BLACK
from engine.game import Game, IllegalMove
from engine.player import with_mover
from nets.config import NetworkConfig

from .config import SearchConfig
from .search import MoveStats, Search

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch
    from nets.inference import Networks

_LOADED: dict[tuple, "Networks"] = {}    # network files and settings -> the loaded networks
_LOADING = threading.Lock()


def _identity(path: Path | None) -> tuple[str, int, int] | None:
    """A network file as the cache knows it: a file rewritten in place is
    another file."""
    if path is None:
        return None
    st = os.stat(path)
    return (os.path.realpath(path), st.st_mtime_ns, st.st_size)


def shared_networks(policy: Path | None, value: Path | None, threads: int | None,
                    device: str = "auto", runtime: str = "torch") -> "Networks":
    """The networks of these files on ``device`` and ``runtime``, loaded
    once per process."""
    from nets.inference import Networks

    key = (_identity(policy), _identity(value), threads, device, runtime)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = Networks(policy, value, threads=threads, device=device,
                                    runtime=runtime)
        return _LOADED[key]


def networks_of(search: Search) -> "Networks":
    """``search``'s networks, as the ``Networks`` that ``PositionSearch``
    loads (a test's stand-in answers the same questions): what the analysis
    front ends ask besides the search (score leads, ownership, the policy
    map), which the search's ``Evaluator`` does not offer."""
    return cast("Networks", search.nets)


class PositionSearch:
    """The ``Search`` for the board being played or analysed, its networks
    loaded on first use (PyTorch is imported then, not when a front end
    starts) and switched when the board size has networks of its own."""

    def __init__(self, networks: NetworkConfig = NetworkConfig(),
                 config: SearchConfig = SearchConfig()):
        self.networks = networks
        self.config = config
        self.search: Search | None = None
        self._paths: tuple | None = None    # the network files the search runs
        # a front end may warm a player up on a thread while its first
        # commands arrive: loading happens once, under this
        self.lock = threading.RLock()

    def ensure(self, size: int | None = None) -> Search:
        """The Search with the networks for an n x n board loaded; a search
        handed in from outside (``search`` set directly) is kept as it is."""
        with self.lock:
            paths = (self.networks.policy_path(size), self.networks.value_path(size))
            if self.search is None or (self._paths is not None and paths != self._paths):
                from nets.rollout.policy import load_rollout

                nets = shared_networks(*paths, self.networks.threads, self.networks.device,
                                       self.networks.runtime)
                rollout = None if self.search is None else self.search.rollout
                if rollout is None and (self.config.with_rollouts or not nets.has_value):
                    rollout = load_rollout()   # RolloutFileError (a ValueError) when missing
                self.search = Search(nets, self.config, rollout)
                self._paths = paths
            return self.search

    def use(self, search: Search) -> None:
        """Search with ``search`` as it is, whatever the board size (tests,
        benchmarks: stand-in networks)."""
        with self.lock:
            self.search, self._paths = search, None

    def loaded_for(self, size: int) -> bool:
        """The loaded search runs the networks of an n x n board."""
        paths = (self.networks.policy_path(size), self.networks.value_path(size))
        return self.search is not None and (self._paths is None or self._paths == paths)

    def warm_up(self, game: Game) -> Search:
        """Load the networks for ``game``'s size and run a throw-away search
        on an empty board of that size, so that compilation and the
        networks' first calls are paid for before any clock or query waits."""
        with self.lock:
            search = self.ensure(game.size)
            search.set_position(Game(game.size, game.komi, game.rules))
            search.run(visits=2 * search.batch_size, early_stop=False)
            search.new_tree()
            return search

    def analyse(self, game: Game, color: int | None = None, visits: int | None = None,
                seconds: float | None = None, stop: Callable[[], bool] | None = None,
                callback: Callable[[Search], None] | None = None, callback_every: float = 1.0,
                root_moves: Collection[int] | None = None) -> Search:
        """Search ``game``'s position with ``color`` to move (default: the
        game's turn) until it has ``visits`` visits (those of a reused
        subtree included), ``seconds`` pass or ``stop()`` turns true; only
        ``root_moves`` at the root when given.  Returns the Search (read
        ``root_stats``)."""
        search = self.ensure(game.size)
        search.set_position(game, color, root_moves)
        if visits:
            need = visits - search.root_visits()
            if need > 0 or search.root_visits() == 0:
                search.run(visits=max(1, need), seconds=seconds, stop=stop, callback=callback,
                           callback_every=callback_every, early_stop=False)
        else:
            search.run(seconds=seconds, stop=stop, callback=callback,
                       callback_every=callback_every, early_stop=False)
        return search


class PositionFigures:
    """What the value network says of one analysed position besides the
    search, in ``color``'s frame (+1: ``color``'s), each figure computed once
    however many reports show it: the lead after each root move
    (``nets.score.lead_after``: the mean of both sides to move), the
    ownership map of the position and after each move (the ownership head,
    rows the board's y from line 1), and the root's lead: the mean of the
    searched moves' leads weighted by their visits, as a search's root
    value is the mean of its moves' (before any move is searched, the
    position's own lead).  The networks must have a value network."""

    def __init__(self, nets: "Networks", game: Game, color: int):
        self.nets, self.game, self.color = nets, with_mover(game, color), color
        self._leads: dict[int, float | None] = {}
        self._maps: dict[int, np.ndarray | None] = {}
        self._root: np.ndarray | None = None
        self._own_lead: float | None = None

    def leads(self, moves: Sequence[int]) -> list[float | None]:
        """``color``'s lead after each of ``moves`` (None for an illegal one)."""
        from nets.score import lead_after

        todo = [p for p in dict.fromkeys(moves) if p not in self._leads]
        if todo:
            leads = lead_after(self.nets, self.game, self.color, todo)
            assert leads is not None        # the networks have a value network
            self._leads.update(zip(todo, leads))
        return [self._leads[p] for p in moves]

    def ownership_after(self, moves: Sequence[int]) -> list[np.ndarray | None]:
        """The ownership after each move (None for an illegal one), the
        opponent then to move."""
        from nets.score import movers_ownership

        todo, positions = [], []
        for p in dict.fromkeys(moves):
            if p in self._maps:
                continue
            g = self.game.copy()
            try:
                g.play(p, self.color)
            except IllegalMove:
                self._maps[p] = None
                continue
            todo.append(p)
            positions.append((g, 3 - self.color))
        if todo:
            for p, own in zip(todo, movers_ownership(self.nets, positions)):
                self._maps[p] = -own
        return [self._maps[p] for p in moves]

    def ownership(self) -> np.ndarray:
        """The ownership map of the position itself."""
        from nets.score import movers_ownership

        if self._root is None:
            self._root = movers_ownership(self.nets, [(self.game, self.color)])[0]
        return self._root

    def own_lead(self) -> float:
        """The position's own lead, the mean of both sides to move."""
        from nets.score import black_leads, both_sides

        if self._own_lead is None:
            black = black_leads(self.nets, both_sides(self.game), 2)
            assert black is not None        # the networks have a value network
            lead = (black[0] + black[1]) / 2
            self._own_lead = lead if self.color == BLACK else -lead
        return self._own_lead

    def root_lead(self, stats: Sequence[MoveStats]) -> float:
        """The root's lead: its searched moves' leads weighted by visits."""
        searched = [s for s in stats if s.visits > 0]
        pairs = [(lead, s.visits) for lead, s in zip(self.leads([s.move for s in searched]),
                                                      searched) if lead is not None]
        if not pairs:
            return self.own_lead()
        return sum(x * v for x, v in pairs) / sum(v for _, v in pairs)
