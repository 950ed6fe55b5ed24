"""Players built on the networks: the tree search (tengen's default) and the
raw policy network (the baseline the search must beat).

Both load their networks on the first move (or ``prepare``), never at
construction, so a GUI gets its first GTP answers at once.

Thinking time (SearchPlayer): under a clock, ``timing.plan_move`` gives a
usual and a hard limit counted from the moment the move was asked for
(network loading and compilation included), and ``timing.TimedStop`` ends
the search; without a clock, ``time_per_move`` seconds or ``visits``
visits per move.

End of game (SearchPlayer): when the opponent has just passed and the
position already wins by area count, pass and end the game; never pass
into a loss after the opponent's pass (the best other move is played while
one exists), nor in ``kgs-genmove_cleanup`` while stones of the opponent
believed dead remain; resign when the win rate stays below
``resign_winrate`` for ``resign_moves`` consecutive moves (never during
``kgs-genmove_cleanup``).
"""

import time
from dataclasses import dataclass

import numpy as np

from engine import board as B
from engine.board import BLACK, PASS
from engine.player import RESIGN, Player, PlayerOptions
from .search import Search, SearchConfig
from .timing import TimedStop, TimePlan, plan_move


@dataclass
class PlayConfig:
    resign_winrate: float = 0.05      # 0 disables resigning
    resign_moves: int = 3
    hard_move_factor: float = 2.0     # an unclear move may take this multiple of the budget
    unclear_ratio: float = 0.6        # runner-up visits above this share of the best's: unclear


def search_config_from(options):
    """The SearchConfig the command-line options ask for.  By default leaf
    values are AlphaGo's even mix (``lam`` 0.5) of the value network and a
    fast rollout: with the shipped value network, which calls the winner of
    only 66% of positions after move 100, the mix is what the strength
    matches measured (BENCHMARKS.md).  ``lam`` 1 or ``--no-rollouts`` is the
    value network alone; a value weight below 1 needs rollouts."""
    cfg = SearchConfig(seed=options.seed)
    if options.visits is not None:
        if options.visits < 1:
            raise ValueError("visits must be at least 1")
        cfg.visits = options.visits
    if options.batch_size is not None:
        if options.batch_size < 1:
            raise ValueError("batch size must be at least 1")
        cfg.batch_size = options.batch_size
    if options.expand_threshold is not None:
        if options.expand_threshold < 1:
            raise ValueError("expand threshold must be at least 1")
        cfg.expand_threshold = options.expand_threshold
    lam, rollouts = options.lam, options.rollouts
    if lam is not None and not 0.0 <= lam <= 1.0:
        raise ValueError("lambda must be in [0, 1]")
    if rollouts is None:
        rollouts = lam is None or lam < 1.0
    if not rollouts and lam is not None and lam < 1.0:
        raise ValueError("lambda below 1 mixes in rollouts, which are switched off")
    cfg.rollouts = rollouts
    cfg.lam = lam if lam is not None else (0.5 if rollouts else 1.0)
    return cfg


def play_config_from(options):
    cfg = PlayConfig()
    if options.resign_threshold is not None:
        if not 0.0 <= options.resign_threshold < 1.0:
            raise ValueError("resign threshold must be in [0, 1)")
        cfg.resign_winrate = options.resign_threshold
    return cfg


def load_networks(options, need_value=True):
    from nets.inference import MODELS_DIR, POLICY_FILE, VALUE_FILE, Networks

    pol = options.policy_model or MODELS_DIR / POLICY_FILE
    val = options.value_model or (MODELS_DIR / VALUE_FILE if need_value else None)
    if val is not None and not options.value_model and not (MODELS_DIR / VALUE_FILE).exists():
        val = None
    return Networks(pol, val, threads=options.threads)


def _area_for(game, color):
    """The margin a pass would end the game with, from ``color``'s point of
    view (komi included): the smaller of the bare area count (what the
    search's finished games are scored by) and the count with the
    Monte Carlo dead-stone estimate removed (what a referee or a GUI's
    scoring will say).  Passing only when both agree keeps tengen from
    ending a game that its own dead stones make look won."""
    from engine.status import final_score

    sign = 1 if color == BLACK else -1
    bare = sign * game.area_score()
    if bare <= 0:
        return bare
    return min(bare, sign * final_score(game))


def with_mover(game, color):
    """``game`` itself, or a copy where ``color`` is to move (GTP allows
    several moves of one colour in a row)."""
    if game.to_move == color:
        return game
    g = game.copy()
    g.state[B.H_TOMOVE] = color
    g.state[B.H_KO] = -1
    return g


def _opponent_dead_stones(game, color):
    from engine.status import dead_stones

    return [p for p in dead_stones(game) if game.color_at(p) != color]


class PolicyPlayer(Player):
    """Plays the policy network's most probable legal move (superko
    included), never filling its own true eye; passes when nothing else is
    left, or when the opponent passed and passing wins."""

    name = "policy"

    def __init__(self, options=None):
        self.options = options or PlayerOptions()
        self.nets = None

    def ensure_networks(self):
        if self.nets is None:
            self.nets = load_networks(self.options, need_value=False)
        return self.nets

    def prepare(self, game):
        self.ensure_networks()

    def genmove(self, game, color, clock, cleanup=False):
        from nets.features import encode_state

        nets = self.ensure_networks()
        g = with_mover(game, color)
        if game.moves and game.moves[-1][1] == PASS and _area_for(g, color) > 0 and not cleanup:
            return PASS
        probs = nets.policy(encode_state(g.state)[None])[0]
        n = g.size
        for idx in np.argsort(-probs[:n * n]):
            p = int((idx // n + 1) * (n + 2) + idx % n + 1)
            if not B.is_eye(g.state, p, color) and g.legal(p, color):
                return p
        return PASS

    def analysis_commands(self):
        from .analysis import heatmap_commands
        return heatmap_commands(self.ensure_networks, value=False)


class SearchPlayer(Player):
    """Monte Carlo tree search with the policy and value networks."""

    name = "mcts"

    def __init__(self, options=None, search_config=None, play_config=None):
        self.options = options or PlayerOptions()
        self.search_config = search_config or search_config_from(self.options)
        self.play = play_config or play_config_from(self.options)
        self.search = None
        self._warm = False
        self._off_turn = False    # the tree's root was searched for the side not to move
        self._low = 0

    # ---- loading ----------------------------------------------------------
    def ensure_search(self):
        if self.search is None:
            nets = load_networks(self.options)
            rollout = None
            if self.search_config.rollouts or nets.value_net is None:
                try:
                    from nets.rollout import load_rollout
                except ImportError:
                    if nets.value_net is None:
                        raise ValueError("no value network and no rollout policy to "
                                         "evaluate positions with") from None
                    raise ValueError("rollouts asked for but no rollout policy is "
                                     "available") from None
                rollout = load_rollout()
            self.search = Search(nets, self.search_config, rollout)
        return self.search

    def prepare(self, game):
        """Load the networks and run a throw-away search on an empty board
        of ``game``'s size, so that compilation and the networks' first
        calls are paid for now rather than inside a timed search."""
        search = self.ensure_search()
        if not self._warm:
            from engine.game import Game

            search.set_position(Game(game.size, game.komi, game.rules))
            search.run(visits=2 * self.search_config.batch_size, early_stop=False)
            search.root_key = None   # the next position starts a fresh tree
            self._warm = True
        return search

    def new_game(self, game):
        self._low = 0
        if self.search is not None:
            self.search.root_key = None

    # ---- searching --------------------------------------------------------
    def think(self, game, color, visits=None, stop=None, callback=None, callback_every=1.0,
              early_stop=True):
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

    def time_plan(self, game, color, clock):
        """(TimePlan for this move or None when visits decide, whether it
        comes from the clock)."""
        plan = None
        if clock is not None:
            plan = plan_move(clock, game, color, self.play.hard_move_factor)
        if plan is not None:
            return plan, True
        if self.options.time_per_move:
            t = self.options.time_per_move
            return TimePlan(soft=t, hard=t), False
        return None, False

    def genmove(self, game, color, clock, cleanup=False, report=None, report_every=1.0,
                started=None):
        """As ``Player.genmove``; ``report(search)`` is called every
        ``report_every`` seconds while searching and once at the end;
        ``started`` (``time.perf_counter()``) is when the move was asked
        for, if earlier than this call."""
        started = time.perf_counter() if started is None else started
        g = with_mover(game, color)
        opponent_passed = bool(game.moves) and game.moves[-1][1] == PASS
        if opponent_passed and not cleanup and _area_for(g, color) > 0:
            return PASS
        search = self.prepare(game)
        plan, from_clock = self.time_plan(game, color, clock)
        if plan is None:
            visits, stop = self.search_config.visits, None
        else:
            # under a time limit, visits cap the search only when asked for;
            # a clock's time runs from the request (loading included),
            # --time-per-move's from now
            visits = self.options.visits
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
                or (opponent_passed and _area_for(g, color) <= 0)
                or (cleanup and _opponent_dead_stones(g, color))):
            # no time to search (the policy's pass is no reason to pass),
            # or passing would end the game in a loss or leave dead stones
            # standing in a cleanup: play on while there is anything to play
            move = next((s.move for s in stats if s.move != PASS), PASS)
        winrate = (search.root_value() + 1) / 2
        self._low = self._low + 1 if winrate < self.play.resign_winrate else 0
        if not cleanup and self.play.resign_winrate > 0 and self._low >= self.play.resign_moves:
            return RESIGN
        return move

    def analysis_commands(self):
        from .analysis import analysis_commands
        return analysis_commands(self)
