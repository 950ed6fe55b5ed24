"""What the engine's command line sets (``EngineConfig``), without Numba or
PyTorch: the server builds and checks it at start-up, the Go commands
(``tengen.gtp.commands``) read it when they load."""

import math
from dataclasses import dataclass

from engine.game_setup import GameSetup
from mcts.config import PlayConfig, SearchConfig
from nets.config import NetworkConfig
from tengen.base.config import at_least, option, require, section
from tengen.base.control import Logging

PLAYERS = ("mcts", "policy", "random")
NETWORK_PLAYERS = ("mcts", "policy")


@dataclass(frozen=True)
class InitialGame(GameSetup):
    """The game the engine starts with.  An unknown ``--rules`` is not
    refused at start-up: every Go command answers the error when the
    commands load (``tengen.gtp.commands``), while ``name`` and ``version``
    still work, so that a GUI shows the message instead of an engine that
    died."""

    def check_rules(self) -> None:
        pass


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine's command line sets."""
    player: str | None = option(
        None, choices=PLAYERS,
        help="move generator: mcts (tree search, the default when tengen/models/policy.safetensors "
             "exists), policy (the raw policy network) or random (the default otherwise)")
    setup: InitialGame = section(InitialGame, "initial game (the GUI normally sets it; "
                                              "kgs-rules sets the rules)")
    seed: int | None = option(None, help="random seed (repeatable games)")
    policy_temperature: float = option(
        0.0, metavar="T", help="policy player: sample each move from the policy^(1/T) "
                               "(0: the most probable move)")
    status_playouts: int = option(
        200, help="playouts per dead-stone estimate (final_score, final_status_list)")
    log: Logging = section(Logging)
    warm_up: bool = option(True, help="load the engine and compile the search in the background "
                                      "at start-up, while the GUI sends its set-up commands")
    networks: NetworkConfig = section(NetworkConfig, "networks")
    search: SearchConfig = section(SearchConfig, "search (mcts player)")
    play: PlayConfig = section(PlayConfig, "time and resignation (mcts player)")

    def __post_init__(self) -> None:
        at_least(self, 1, "status_playouts")
        require(math.isfinite(self.policy_temperature) and self.policy_temperature >= 0,
                "policy temperature must be at least 0")
        if self.player in NETWORK_PLAYERS:
            require(self.networks.has_policy(),
                    f"the {self.player} player needs a policy network: none at "
                    f"{self.networks.policy_path()}; pass --policy-model")

    @property
    def chosen_player(self) -> str:
        """``player``, or when none is named: ``mcts`` with a policy network
        at hand, else ``random``."""
        if self.player is not None:
            return self.player
        return "mcts" if self.networks.has_policy() else "random"
