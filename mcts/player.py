"""The tree search as a player (``--player mcts``, tengen's default).

It loads its networks on the first move (or ``prepare``), never at
construction, so a GUI gets its first GTP answers at once.

Thinking time: under a clock, ``timing.plan_move`` gives a
usual and a hard limit counted from the moment the move was asked for
(network loading and compilation included), and ``timing.TimedStop`` ends
the search; without a clock, ``time_per_move`` seconds or ``visits``
visits per move.

End of game (the rules: ``engine.move_choice``): when the opponent has
just passed and passing wins, pass and end the game; never pass into a loss
after the opponent's pass (the best other move is played while one exists),
nor in ``kgs-genmove_cleanup`` while stones of the opponent believed dead
remain; resign under ``PlayConfig.resign_rule`` (never during
``kgs-genmove_cleanup``).
"""

import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

from engine.clock import Clock
from engine.game import Game
from engine.move_choice import (
    ResignCounter,
    choose_by_lcb,
    choose_by_weight,
    close_to_best,
    opponent_dead_stones,
    passing_loses,
    passing_wins,
)
from engine.moves import PASS, RESIGN
from engine.player import POLICY_MAP, SEARCH_ANALYSIS, VALUE_MAP, Player, with_mover
from nets.config import NetworkConfig

from .analysis import PositionSearch, networks_of
from .config import VISITS_WITHOUT_CLOCK, PlayConfig, SearchConfig
from .search import MoveStats, Search, lcb
from .timing import TimedStop, TimePlan, plan_move

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch
    from nets.inference import Networks


class SearchPlayer(Player):
    """Monte Carlo tree search with the policy and value networks."""

    name = "mcts"
    analyses = frozenset({SEARCH_ANALYSIS, POLICY_MAP, VALUE_MAP})

    def __init__(self, networks: NetworkConfig = NetworkConfig(),
                 search: SearchConfig = SearchConfig(), play: PlayConfig = PlayConfig()):
        self.networks = networks
        self.search_config = search
        self.play = play
        self.positions = PositionSearch(networks, search)
        self._warm = False
        self._resign = ResignCounter(play.resign_rule)
        self._rng = np.random.default_rng(search.seed)   # the temperature's draws

    # ---- loading ----------------------------------------------------------
    @property
    def search(self) -> Search | None:
        """The loaded search (None before the first move or ``prepare``)."""
        return self.positions.search

    @search.setter
    def search(self, search: Search) -> None:
        self.positions.use(search)

    def ensure_search(self, size: int | None = None) -> Search:
        """The Search with the networks for an n x n board loaded
        (``mcts.analysis.PositionSearch``)."""
        with self.positions.lock:
            before = self.positions.search
            search = self.positions.ensure(size)
            if search is not before:
                self._warm = False
            return search

    def prepare(self, game: Game) -> Search:
        """Load the networks and warm the search up once
        (``PositionSearch.warm_up``), so that compilation and the networks'
        first calls are paid for now rather than inside a timed search."""
        with self.positions.lock:
            search = self.ensure_search(game.size)
            if not self._warm:
                search = self.positions.warm_up(game)
                self._warm = True
            return search

    def new_game(self, game: Game) -> None:
        self._resign.reset()
        if self.search is not None:
            self.search.new_tree()

    def networks_for(self, size: int) -> "Networks":
        """The networks the search runs on an n x n board (loaded if need be)."""
        return networks_of(self.ensure_search(size))

    # ---- searching --------------------------------------------------------
    def think(self, game: Game, color: int, visits: int | None = None,
              stop: Callable[[], bool] | None = None,
              callback: Callable[[Search], None] | None = None, callback_every: float = 1.0,
              early_stop: bool = True, root_moves: Collection[int] | None = None) -> Search:
        """Search ``game`` for ``color`` until ``visits`` visits or ``stop()``
        (at least one of them), only ``root_moves`` at the root when given;
        returns the Search."""
        search = self.prepare(game)
        search.set_position(game, color, root_moves)
        search.run(visits=visits, stop=stop, callback=callback, callback_every=callback_every,
                   early_stop=early_stop)
        return search

    def choose(self, stats: list[MoveStats], move_number: int, size: int) -> int:
        """The move to play among the searched ones (``engine.move_choice``):
        drawn by visits^(1/T) with a temperature; in the first
        ``PlayConfig.varied_moves`` moves, one the search cannot tell from
        its best, drawn with the seed; else by visits or by LCB
        (``PlayConfig.choose_by``)."""
        if not stats:
            return PASS
        visits = [s.visits for s in stats]
        if self.play.temperature > 0:
            return stats[choose_by_weight(visits, self.play.temperature, self._rng)].move
        if move_number < self.play.varied_moves(size):
            close = close_to_best(visits)
            if len(close) > 1:
                return stats[close[int(self._rng.integers(len(close)))]].move
        if self.play.choose_by == "lcb":
            return stats[choose_by_lcb(visits, [lcb(s) for s in stats])].move
        return stats[0].move

    def time_plan(self, game: Game, color: int, clock: Clock | None) -> tuple[TimePlan | None, bool]:
        """(TimePlan for this move or None when visits decide, whether it
        comes from the clock)."""
        plan = None
        if clock is not None:
            plan = plan_move(clock, game, color, self.play.hard_move_factor)
        if plan is not None:
            return plan, True
        if self.play.time_per_move:
            t = self.play.time_per_move
            return TimePlan(soft=t, hard=t), False
        return None, False

    def genmove(self, game: Game, color: int, clock: Clock | None, cleanup: bool = False,
                report: Callable[[Search], None] | None = None, report_every: float = 1.0,
                started: float | None = None, root_moves: Collection[int] | None = None) -> int:
        """As ``Player.genmove``; ``report(search)`` is called every
        ``report_every`` seconds while searching and once at the end;
        ``started`` (``time.perf_counter()``) is when the move was asked
        for, if earlier than this call."""
        started = time.perf_counter() if started is None else started
        g = with_mover(game, color)
        if not cleanup and passing_wins(g, color):
            return PASS
        search = self.prepare(game)
        plan, from_clock = self.time_plan(game, color, clock)
        if plan is None:
            visits: int | None = self.search_config.visits or VISITS_WITHOUT_CLOCK
            stop: TimedStop | None = None
        else:
            # under a time limit, visits cap the search only when asked for;
            # a clock's time runs from the request (loading included),
            # --time-per-move's from now
            visits = self.search_config.visits
            stop = TimedStop(search, plan, started if from_clock else time.perf_counter(),
                             self.play.unclear_ratio)
        self.think(game, color, visits=visits, stop=stop, callback=report,
                   callback_every=report_every, root_moves=root_moves)
        if report is not None:
            report(search)
        stats = search.root_stats()
        move = self.choose(stats, len(game.moves), game.size)
        if move == PASS and stats and (
                stats[0].visits == 0
                or passing_loses(g, color)
                or (cleanup and opponent_dead_stones(g, color))):
            # no time to search (the policy's pass is no reason to pass),
            # or passing would end the game in a loss or leave dead stones
            # standing in a cleanup: play on while there is anything to play
            move = next((s.move for s in stats if s.move != PASS), PASS)
        winrate = (search.root_value() + 1) / 2
        if self._resign.judge(winrate) and not cleanup:
            return RESIGN
        return move
