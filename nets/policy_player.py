"""The raw policy network as a player: no search, the baseline the search
must beat (``--player policy``)."""

from typing import TYPE_CHECKING

import numpy as np

from engine import board as B
from engine.clock import Clock
from engine.coords import index_to_point
from engine.game import Game
from engine.move_choice import draw, passing_wins, tempered
from engine.moves import PASS
from engine.player import POLICY_MAP, Player, with_mover

from .config import NetworkConfig
from .features import encode_state

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch
    from .inference import Networks


class PolicyPlayer(Player):
    """Plays the policy network's most probable legal move (superko
    included), never filling its own true eye; passes when nothing else is
    left, or when the opponent passed and passing wins
    (``engine.move_choice``).  With ``temperature`` > 0 it draws the move
    from the policy^(1/T) over those moves instead (seeded by ``seed``):
    matches between policies (gating, RL against SL) then play many
    different games, where the most probable move would replay the same
    two."""

    name = "policy"
    analyses = frozenset({POLICY_MAP})

    def __init__(self, networks: NetworkConfig = NetworkConfig(), temperature: float = 0.0,
                 seed: int | None = None):
        self.networks = networks
        self.nets: "Networks | None" = None
        self.temperature = temperature
        self.rng = np.random.default_rng(seed)

    def ensure_networks(self, size: int | None = None) -> "Networks":
        """The loaded ``nets.inference.Networks`` for an n x n board
        (PyTorch is imported on the first call, not when the GTP server
        starts); a size with a network of its own (``tengen/models/NxN/``)
        switches to it."""
        path = self.networks.policy_path(size)
        if self.nets is None or self.nets.policy_path != path:
            from .inference import Networks
            self.nets = Networks(path, None, threads=self.networks.threads,
                                 device=self.networks.device, runtime=self.networks.runtime)
        return self.nets

    def networks_for(self, size: int) -> "Networks":
        """The loaded networks for an n x n board (``ensure_networks``)."""
        return self.ensure_networks(size)

    def prepare(self, game: Game) -> None:
        self.ensure_networks(game.size)

    def genmove(self, game: Game, color: int, clock: Clock, cleanup: bool = False) -> int:
        nets = self.ensure_networks(game.size)
        g = with_mover(game, color)
        if not cleanup and passing_wins(g, color):
            return PASS
        probs = nets.policy(encode_state(g.state, value=True)[None])[0]
        n = g.size

        def playable(idx: int) -> bool:
            p = index_to_point(idx, n)
            return not B.is_eye(g.state, p, color) and g.legal(p, color)
        if self.temperature > 0:
            allowed = np.array([playable(i) for i in range(n * n)])
            weights = np.where(allowed, tempered(np.maximum(probs[:n * n], 1e-30),
                                                 self.temperature), 0.0)
            k = draw(weights, self.rng.random())
            return index_to_point(k, n) if k >= 0 else PASS
        return next((index_to_point(int(i), n) for i in np.argsort(-probs[:n * n])
                     if playable(int(i))), PASS)
