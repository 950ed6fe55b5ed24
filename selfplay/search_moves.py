"""Self-play moves by the search: few visits, root Dirichlet noise, a
temperature schedule, every game's tree searched in the same network calls.

Why the search at all in self-play: its moves are stronger than the raw
policy's, so games (and the value positions taken from them) are closer to
good play; with few visits (16-64) and the rounds of all games batched
together (``mcts.search.run_searches``) a move costs a few dozen network
positions.  The noise (AlphaGo Zero: Dirichlet(10/n^2) mixed in at 25 %)
makes the search try moves its prior would never visit; the first
``temperature_moves`` moves are drawn in proportion to visits^(1/T), the
rest are the most visited move (``engine.move_choice``), so openings differ
between games and the rest of the game is played as well as the search can.

The tree is searched afresh for every move (no reuse: the noise belongs to
one root).  The pass rules are those of policy play (``selfplay.games``).
A search move is not a sample of the policy, so it carries no REINFORCE
gradient (``sampled`` is False).
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from engine.dead_stones import StatusConfig
from engine.move_choice import choose_by_weight, passing_loses, passing_wins
from engine.moves import PASS
from mcts.config import SearchConfig
from mcts.search import Search, run_searches

from .config import GameConfig

if TYPE_CHECKING:
    from engine.game import Game
    from nets.inference import Networks


class Board(Protocol):
    """A game in flight as the search moves see it (``selfplay.games``'
    boards): its game, its seed and its own search trees, one per network."""
    game: "Game"
    searches: dict[str, Search]

    @property
    def seed(self) -> int: ...


def pass_rule(game: "Game", playouts: int) -> int | None:
    """PASS when the rules of play say pass now (the opponent passed and
    passing wins by the count, its dead stones estimated with ``playouts``
    playouts), None when the network or search chooses."""
    return PASS if passing_wins(game, game.to_move, StatusConfig(playouts=playouts)) else None


def search_config(cfg: GameConfig) -> SearchConfig:
    """The search of self-play's moves: ``cfg.visits`` visits in rounds of
    ``cfg.search_batch`` leaves, value network only, every leaf expanded,
    root noise, a fresh tree for every move, an arena just large enough."""
    return SearchConfig(
        batch_size=cfg.search_batch, rollouts=False, expand_threshold=1,
        dirichlet_alpha=cfg.noise_alpha, reuse_tree=False,
        max_nodes=cfg.visits + 4 * cfg.search_batch + 8,
        edges_per_node=cfg.setup.size ** 2 + 1)


class SearchMoves:
    """Moves for boards by the search with each key's policy network and
    the value network ``value`` (a ``nets.inference.Networks``)."""

    def __init__(self, cfg: GameConfig, nets: Mapping[str, "Networks"], value: "Networks | None"):
        if value is None or not value.has_value:
            raise ValueError("self-play with --visits needs a value network")
        self.cfg = cfg
        self.nets = {k: v.with_value_of(value) for k, v in nets.items()}
        self.search_config = search_config(cfg)
        self.rounds = 0

    def _search(self, board: Board, key: str) -> Search:
        """The board's own search tree for ``key`` (seeded by the game)."""
        trees = board.searches
        if key not in trees:
            seed = int(np.random.SeedSequence([board.seed, len(trees)]).generate_state(1)[0])
            trees[key] = Search(self.nets[key], replace(self.search_config, seed=seed))
        return trees[key]

    def moves(self, key: str, boards: Sequence[Board]) -> list[tuple[int, bool]]:
        """(move, sampled=False) for each board, where ``key`` is to move."""
        cfg = self.cfg
        out: list[tuple[int, bool] | None] = [None] * len(boards)
        todo = []
        for i, b in enumerate(boards):
            if pass_rule(b.game, cfg.score_playouts) is not None:
                out[i] = (PASS, False)
            else:
                todo.append(i)
        searches = [self._search(boards[i], key) for i in todo]
        for i, s in zip(todo, searches):
            s.set_position(boards[i].game)
        self.rounds += run_searches(searches, cfg.visits, early_stop=False)
        for i, s in zip(todo, searches):
            out[i] = (self._choose(boards[i], s), False)
        return [o for o in out if o is not None]

    def _choose(self, board: Board, search: Search) -> int:
        """The most visited move, or one drawn by visits^(1/T) in the
        opening (``GameConfig.schedule``); pass only from
        ``first_pass_move`` on and never into a loss."""
        g = board.game
        stats = search.root_stats()
        may_pass = len(g.moves) >= self.cfg.first_pass_move and not passing_loses(
            g, g.to_move, StatusConfig(playouts=self.cfg.score_playouts))
        stats = [st for st in stats if st.move != PASS or may_pass] or stats
        if not stats:
            return PASS
        t = self.cfg.schedule.at(len(g.moves))
        return stats[choose_by_weight([st.visits for st in stats], t, search.rng)].move
