"""A search with the networks of each board size, and the one way to analyse
a position within a budget.

Why here: the GTP search player, ``tengen analyze``'s reviewer and the JSON
analysis protocol all search positions of games they are given; they must
load the same networks for a board size (``tengen/models/NxN/`` when the
size has its own) and spend a budget the same way, so that one position
with one budget gives the same answer in every front end.

The budget: with ``visits``, the visits a reused subtree brought along
count, so a position reached from the one searched before costs only the
missing visits; with ``seconds``, a fixed time.  Neither stops early: an
analysis wants every candidate's figures, not only the best move.
"""

import threading
from collections.abc import Callable, Collection

from engine.game import Game
from nets.config import NetworkConfig

from .config import SearchConfig
from .search import Search


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
                from nets.inference import Networks
                from nets.rollout.policy import load_rollout

                nets = Networks(*paths, threads=self.networks.threads)
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

    def analyse(self, game: Game, color: int | None = None, visits: int | None = None,
                seconds: float | None = None, stop: Callable[[], bool] | None = None,
                callback: Callable[[Search], None] | None = None, callback_every: float = 1.0,
                root_moves: Collection[int] | None = None) -> Search:
        """Search ``game``'s position with ``color`` to move (default: the
        game's turn) until it has ``visits`` visits (those of a reused
        subtree included) or for ``seconds``, or until ``stop()``; only
        ``root_moves`` at the root when given.  Returns the Search (read
        ``root_stats``)."""
        search = self.ensure(game.size)
        search.set_position(game, color, root_moves)
        if visits:
            need = visits - search.root_visits()
            if need > 0 or search.root_visits() == 0:
                search.run(visits=max(1, need), stop=stop, callback=callback,
                           callback_every=callback_every, early_stop=False)
        else:
            search.run(seconds=seconds, stop=stop, callback=callback,
                       callback_every=callback_every, early_stop=False)
        return search
