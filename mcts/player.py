"""Players built on the networks: the tree search (tengen's default) and the
raw policy network (the baseline the search must beat).

Both load their networks on the first move, never at construction, so a
GUI gets its first GTP answers at once.

End of game (SearchPlayer): when the opponent has just passed and the
position already wins by area count, pass and end the game; never pass into
a loss (the next-best move is played instead while one exists); resign
when the win rate stays below ``resign_winrate`` for ``resign_moves``
consecutive moves (never during ``kgs-genmove_cleanup``).
"""

from dataclasses import dataclass

import numpy as np

from engine import board as B
from engine.board import BLACK, PASS
from engine.player import RESIGN, Player, PlayerOptions
from .search import Search, SearchConfig


@dataclass
class PlayConfig:
    resign_winrate: float = 0.05      # 0 disables resigning
    resign_moves: int = 3
    min_seconds: float = 0.05         # never think less than this under a clock
    hard_move_factor: float = 2.0     # up to this multiple of the budget on unclear moves


def load_networks(options, need_value=True):
    from nets.inference import MODELS_DIR, POLICY_FILE, VALUE_FILE, Networks

    pol = options.policy_model or MODELS_DIR / POLICY_FILE
    val = options.value_model or (MODELS_DIR / VALUE_FILE if need_value else None)
    if val is not None and not options.value_model and not (MODELS_DIR / VALUE_FILE).exists():
        val = None
    return Networks(pol, val)


def _area_for(game, color):
    """Area count (komi included) from ``color``'s point of view."""
    score = game.area_score()
    return score if color == BLACK else -score


def _with_mover(game, color):
    """``game`` itself, or a copy where ``color`` is to move (GTP allows
    several moves of one colour in a row)."""
    if game.to_move == color:
        return game
    g = game.copy()
    g.state[B.H_TOMOVE] = color
    g.state[B.H_KO] = -1
    return g


class PolicyPlayer(Player):
    """Plays the policy network's most probable legal move (superko
    included), never filling its own true eye; passes when nothing else is
    left, or when the opponent passed and passing wins."""

    name = "policy"

    def __init__(self, options=None):
        self.options = options or PlayerOptions()
        self.nets = None

    def genmove(self, game, color, clock, cleanup=False):
        from nets.features import encode_state

        if self.nets is None:
            self.nets = load_networks(self.options, need_value=False)
        g = _with_mover(game, color)
        if game.moves and game.moves[-1][1] == PASS and _area_for(g, color) > 0 and not cleanup:
            return PASS
        probs = self.nets.policy(encode_state(g.state)[None])[0]
        n = g.size
        for idx in np.argsort(-probs[:n * n]):
            p = int((idx // n + 1) * (n + 2) + idx % n + 1)
            if not B.is_eye(g.state, p, color) and g.legal(p, color):
                return p
        return PASS


class SearchPlayer(Player):
    """Monte Carlo tree search with the policy and value networks."""

    name = "mcts"

    def __init__(self, options=None, search_config=None, play_config=None):
        self.options = options or PlayerOptions()
        self.search_config = search_config or SearchConfig(seed=self.options.seed)
        self.play = play_config or PlayConfig()
        self.search = None
        self._low = 0

    def ensure_search(self):
        if self.search is None:
            nets = load_networks(self.options)
            rollout = None
            if self.search_config.rollouts or nets.value_net is None:
                from .rollout import load_rollout
                rollout = load_rollout()
            self.search = Search(nets, self.search_config, rollout)
        return self.search

    def new_game(self, game):
        self._low = 0
        if self.search is not None:
            self.search.root_key = None

    def think(self, game, color, seconds=None, visits=None, stop=None, callback=None,
              callback_every=1.0):
        """Search ``game`` for ``color``; returns the Search."""
        search = self.ensure_search()
        g = _with_mover(game, color)
        search.set_position(g)
        cfg = self.search_config
        if visits is None:
            visits = cfg.visits if not seconds else 0
        search.run(visits=visits, seconds=seconds, stop=stop, callback=callback,
                   callback_every=callback_every)
        return search

    def genmove(self, game, color, clock, cleanup=False):
        g = _with_mover(game, color)
        opponent_passed = bool(game.moves) and game.moves[-1][1] == PASS
        if opponent_passed and not cleanup and _area_for(g, color) > 0:
            return PASS
        budget = clock.move_budget(game, color) if clock is not None else None
        cfg = self.search_config
        if budget is not None:
            seconds = max(self.play.min_seconds, budget)
            search = self.think(g, color, seconds=seconds, visits=cfg.visits or None)
            stats = search.root_stats()
            # an unclear choice (the runner-up close behind) earns more time
            if (len(stats) > 1 and stats[1].visits > 0.6 * stats[0].visits
                    and self.play.hard_move_factor > 1):
                extra = seconds * (self.play.hard_move_factor - 1)
                allowed = clock.budget(color, 1.0)
                extra = min(extra, max(0.0, allowed - 2 * seconds) if allowed else 0.0)
                if extra > 0.05:
                    search.run(seconds=extra)
        else:
            search = self.think(g, color, seconds=cfg.seconds or None)
        stats = search.root_stats()
        move = search.choose(stats)
        if move == PASS and opponent_passed and _area_for(g, color) <= 0:
            # passing would end the game in a loss: play on while we can
            for s in stats:
                if s.move != PASS:
                    move = s.move
                    break
        winrate = (search.root_value() + 1) / 2
        self._low = self._low + 1 if winrate < self.play.resign_winrate else 0
        if (not cleanup and self.play.resign_winrate > 0 and self._low >= self.play.resign_moves):
            return RESIGN
        return move

    def analysis_commands(self):
        from .analysis import analysis_commands
        return analysis_commands(self)
