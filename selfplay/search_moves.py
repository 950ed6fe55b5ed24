"""Self-play moves by the search: few visits, root Dirichlet noise, a
temperature schedule, every game's tree searched in the same network calls.

Why the search at all in self-play: its moves are stronger than the raw
policy's, so games (and the value positions taken from them) are closer to
good play; with few visits (16-64) and the rounds of all games batched
together (``mcts.many.run_many``) a move costs a few dozen network
positions.  The noise (AlphaGo Zero: Dirichlet(10/n^2) mixed in at 25 %)
makes the search try moves its prior would never visit; the first
``temperature_moves`` moves are drawn in proportion to visits^(1/T), the
rest are the most visited move, so openings differ between games and the
rest of the game is played as well as the search can.

The tree is searched afresh for every move (no reuse: the noise belongs to
one root).  The pass rules are those of policy play (``selfplay.games``).
A search move is not a sample of the policy, so it carries no REINFORCE
gradient (``sampled`` is False).
"""

from collections.abc import Mapping

import numpy as np

from engine.board import PASS
from engine.dead_stones import StatusConfig
from engine.player import pass_margin
from mcts.config import SearchConfig
from mcts.many import run_many
from mcts.search import Search


def pass_rule(game, playouts: int) -> int | None:
    """PASS when the rules of play say pass now (the opponent passed and
    passing wins by the count, its dead stones estimated with ``playouts``
    playouts), None when the network or search chooses."""
    if (game.moves and game.moves[-1][1] == PASS
            and pass_margin(game, game.to_move, StatusConfig(playouts=playouts)) > 0):
        return PASS
    return None


class PolicyAndValue:
    """One key's policy network with the worker's value network, as the
    search wants them (``policy``, ``value`` and ``value_net``)."""

    def __init__(self, policy, value):
        self.policy = policy.policy
        self.value = value.value
        self.value_net = value.value_net
        self.policy_net = policy.policy_net


class SearchMoves:
    """Moves for boards by the search with each key's policy network and
    the value network ``value`` (a ``nets.inference.Networks``)."""

    def __init__(self, cfg, nets: Mapping, value):
        if value is None or getattr(value, "value_net", None) is None:
            raise ValueError("self-play with --visits needs a value network")
        self.cfg = cfg
        self.nets = {k: PolicyAndValue(v, value) for k, v in nets.items()}
        self.search_config = SearchConfig(
            batch_size=cfg.search_batch, rollouts=False, expand_threshold=1,
            dirichlet_alpha=cfg.noise_alpha, reuse_tree=False,
            max_nodes=cfg.visits + 4 * cfg.search_batch + 8,
            edges_per_node=cfg.size * cfg.size + 1)
        self.rounds = 0

    def _search(self, board, key: str) -> Search:
        """The board's own search tree for ``key`` (seeded by the game)."""
        trees = board.__dict__.setdefault("searches", {})
        if key not in trees:
            seed = int(np.random.SeedSequence([board.spec.seed, len(trees)]).generate_state(1)[0])
            trees[key] = Search(self.nets[key], SearchConfig(**{
                **self.search_config.__dict__, "seed": seed}))
        return trees[key]

    def moves(self, key: str, boards: list) -> list[tuple[int, bool]]:
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
        self.rounds += run_many(searches, cfg.visits)
        for i, s in zip(todo, searches):
            out[i] = (self._choose(boards[i], s), False)
        return out

    def _choose(self, board, search: Search) -> int:
        g = board.game
        stats = search.root_stats()
        opponent_passed = bool(g.moves) and g.moves[-1][1] == PASS
        may_pass = len(g.moves) >= self.cfg.first_pass_move and not (
            opponent_passed
            and pass_margin(g, g.to_move, StatusConfig(playouts=self.cfg.score_playouts)) <= 0)
        stats = [st for st in stats if st.move != PASS or may_pass] or stats
        if not stats:
            return PASS
        visits = np.array([st.visits for st in stats], np.float64)
        t = self.cfg.temperature
        if len(g.moves) < self.cfg.sampled_moves and t > 0 and visits.sum() > 0:
            w = visits ** (1.0 / t)
            return stats[int(search.rng.choice(len(stats), p=w / w.sum()))].move
        return stats[0].move
