"""The tree search as a player (``--player mcts``, tengen's default).

It loads its networks on the first move (or ``prepare``), never at
construction, so a GUI gets its first GTP answers at once.

Thinking time: under a clock, ``timing.plan_move`` gives a
usual and a hard limit counted from the moment the move was asked for
(network loading and compilation included), and ``timing.TimedStop`` ends
the search; without a clock, ``time_per_move`` seconds or ``visits``
visits per move.

End of game: when the opponent has just passed and the
position already wins by area count, pass and end the game; never pass
into a loss after the opponent's pass (the best other move is played while
one exists), nor in ``kgs-genmove_cleanup`` while stones of the opponent
believed dead remain; resign when the win rate stays below
``resign_threshold`` for ``resign_moves`` consecutive moves (never during
``kgs-genmove_cleanup``).
"""

import threading
import time
from collections.abc import Callable

from engine.board import PASS
from engine.clock import Clock
from engine.game import Game
from engine.player import RESIGN, Player, opponent_dead_stones, pass_margin, with_mover
from nets.config import NetworkConfig
from nets.rollout.policy import load_rollout

from .config import VISITS_WITHOUT_CLOCK, PlayConfig, SearchConfig
from .search import Search
from .timing import TimedStop, TimePlan, plan_move


class SearchPlayer(Player):
    """Monte Carlo tree search with the policy and value networks."""

    name = "mcts"

    def __init__(self, networks: NetworkConfig = NetworkConfig(),
                 search: SearchConfig = SearchConfig(), play: PlayConfig = PlayConfig()):
        self.networks = networks
        self.search_config = search
        self.play = play
        self.search: Search | None = None
        self._paths = None        # the network files the search runs
        self._warm = False
        self._off_turn = False    # the tree's root was searched for the side not to move
        self._low = 0
        # the GTP server may warm the player up on a thread while the GUI's
        # first commands arrive: loading and warming happen once, under this
        self._loading = threading.RLock()

    # ---- loading ----------------------------------------------------------
    def ensure_search(self, size: int | None = None) -> Search:
        """The Search with the networks for an n x n board loaded (PyTorch is
        imported on the first call, not when the GTP server starts); a board
        size with networks of its own (``tengen/models/NxN/``) switches to them."""
        with self._loading:
            paths = (self.networks.policy_path(size), self.networks.value_path(size))
            # a search handed in from outside (self._paths None) is kept as it is
            if self.search is None or (self._paths is not None and paths != self._paths):
                from nets.inference import Networks

                nets = Networks(*paths, threads=self.networks.threads)
                rollout = None if self.search is None else self.search.rollout
                if rollout is None and (self.search_config.rollouts or nets.value_net is None):
                    rollout = load_rollout()   # RolloutFileError (a ValueError) when missing
                self.search = Search(nets, self.search_config, rollout)
                self._paths = paths
                self._warm = False
            return self.search

    def prepare(self, game: Game) -> Search:
        """Load the networks and run a throw-away search on an empty board
        of ``game``'s size, so that compilation and the networks' first
        calls are paid for now rather than inside a timed search."""
        with self._loading:
            search = self.ensure_search(game.size)
            if not self._warm:
                search.set_position(Game(game.size, game.komi, game.rules))
                search.run(visits=2 * self.search_config.batch_size, early_stop=False)
                search.root_key = None   # the next position starts a fresh tree
                self._warm = True
            return search

    def new_game(self, game: Game) -> None:
        self._low = 0
        if self.search is not None:
            self.search.root_key = None

    # ---- searching --------------------------------------------------------
    def think(self, game: Game, color: int, visits: int | None = None,
              stop: Callable[[], bool] | None = None,
              callback: Callable[[Search], None] | None = None, callback_every: float = 1.0,
              early_stop: bool = True) -> Search:
        """Search ``game`` for ``color`` until ``visits`` visits or ``stop()``
        (at least one of them); returns the Search."""
        search = self.prepare(game)
        g = with_mover(game, color)
        off_turn = g is not game
        if off_turn or self._off_turn:
            # the tree's positions follow the game's turn order: a root with
            # the other side to move shares no subtree with it
            search.root_key = None
        self._off_turn = off_turn
        search.set_position(g)
        search.run(visits=visits, stop=stop, callback=callback, callback_every=callback_every,
                   early_stop=early_stop)
        return search

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
                started: float | None = None) -> int:
        """As ``Player.genmove``; ``report(search)`` is called every
        ``report_every`` seconds while searching and once at the end;
        ``started`` (``time.perf_counter()``) is when the move was asked
        for, if earlier than this call."""
        started = time.perf_counter() if started is None else started
        g = with_mover(game, color)
        opponent_passed = bool(game.moves) and game.moves[-1][1] == PASS
        if opponent_passed and not cleanup and pass_margin(g, color) > 0:
            return PASS
        search = self.prepare(game)
        plan, from_clock = self.time_plan(game, color, clock)
        if plan is None:
            visits, stop = self.search_config.visits or VISITS_WITHOUT_CLOCK, None
        else:
            # under a time limit, visits cap the search only when asked for;
            # a clock's time runs from the request (loading included),
            # --time-per-move's from now
            visits = self.search_config.visits
            stop = TimedStop(search, plan, started if from_clock else time.perf_counter(),
                             self.play.unclear_ratio)
        self.think(game, color, visits=visits, stop=stop, callback=report,
                   callback_every=report_every)
        if report is not None:
            report(search)
        stats = search.root_stats()
        move = search.choose(stats)
        if move == PASS and stats and (
                stats[0].visits == 0
                or (opponent_passed and pass_margin(g, color) <= 0)
                or (cleanup and opponent_dead_stones(g, color))):
            # no time to search (the policy's pass is no reason to pass),
            # or passing would end the game in a loss or leave dead stones
            # standing in a cleanup: play on while there is anything to play
            move = next((s.move for s in stats if s.move != PASS), PASS)
        winrate = (search.root_value() + 1) / 2
        self._low = self._low + 1 if winrate < self.play.resign_threshold else 0
        if not cleanup and self.play.resign_threshold > 0 and self._low >= self.play.resign_moves:
            return RESIGN
        return move
