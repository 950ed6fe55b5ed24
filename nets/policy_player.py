"""The raw policy network as a player: no search, the baseline the search
must beat (``--player policy``)."""

import numpy as np

from engine import board as B
from engine.board import PASS
from engine.clock import Clock
from engine.coords import index_to_point
from engine.game import Game
from engine.player import Player, pass_margin, with_mover

from .config import NetworkConfig
from .features import encode_state


class PolicyPlayer(Player):
    """Plays the policy network's most probable legal move (superko
    included), never filling its own true eye; passes when nothing else is
    left, or when the opponent passed and passing wins.  With
    ``temperature`` > 0 it samples the move from the policy^(1/T) instead
    (seeded by ``seed``): matches between policies (gating, RL against SL)
    then play many different games, where the most probable move would
    replay the same two."""

    name = "policy"

    def __init__(self, networks: NetworkConfig = NetworkConfig(), temperature: float = 0.0,
                 seed: int | None = None):
        self.networks = networks
        self.nets = None
        self.temperature = temperature
        self.rng = np.random.default_rng(seed)

    def ensure_networks(self, size: int | None = None):
        """The loaded ``nets.inference.Networks`` for an n x n board
        (PyTorch is imported on the first call, not when the GTP server
        starts); a size with a network of its own (``tengen/models/NxN/``)
        switches to it."""
        path = self.networks.policy_path(size)
        if self.nets is None or self.nets.policy_path != path:
            from .inference import Networks
            self.nets = Networks(path, None, threads=self.networks.threads)
        return self.nets

    def prepare(self, game: Game) -> None:
        self.ensure_networks(game.size)

    def genmove(self, game: Game, color: int, clock: Clock, cleanup: bool = False) -> int:
        nets = self.ensure_networks(game.size)
        g = with_mover(game, color)
        if game.moves and game.moves[-1][1] == PASS and pass_margin(g, color) > 0 and not cleanup:
            return PASS
        probs = nets.policy(encode_state(g.state)[None])[0]
        n = g.size
        order = np.argsort(-probs[:n * n])
        if self.temperature > 0:
            # a weighted draw without replacement: sort by u^(1/w) (Efraimidis-Spirakis)
            w = np.maximum(probs[:n * n].astype(np.float64), 1e-30) ** (1.0 / self.temperature)
            keys = np.log(self.rng.random(n * n)) / w
            order = np.argsort(-keys)
        for idx in order:
            p = index_to_point(int(idx), n)
            if not B.is_eye(g.state, p, color) and g.legal(p, color):
                return p
        return PASS
