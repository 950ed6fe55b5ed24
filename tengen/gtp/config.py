"""What the engine's command line sets (``EngineConfig``), without Numba or
PyTorch: the server builds and checks it at start-up, the Go commands
(``tengen.gtp.commands``) read it when they load."""

import math
from dataclasses import dataclass

from engine.rules import RULE_SETS
from engine.sizes import check_size
from mcts.config import PlayConfig, SearchConfig
from nets.config import NetworkConfig
from tengen.base.config import option, positive_int, require, section

PLAYERS = ("mcts", "policy", "random")
NETWORK_PLAYERS = ("mcts", "policy")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine's command line sets."""
    player: str | None = option(
        None, choices=PLAYERS,
        help="move generator: mcts (tree search, the default when tengen/models/policy.safetensors "
             "exists), policy (the raw policy network) or random (the default otherwise)")
    size: int = option(19, help="initial board size (the GUI normally sets it)")
    komi: float = option(7.5, help="initial komi (the GUI normally sets it)")
    rules: str = option("chinese", help="rule set: " + ", ".join(RULE_SETS) + "; also "
                        "settable by kgs-rules")
    seed: int | None = option(None, help="random seed (repeatable games)")
    policy_temperature: float = option(
        0.0, metavar="T", help="policy player: sample each move from the policy^(1/T) "
                               "(0: the most probable move)")
    status_playouts: int = option(
        200, parse=positive_int,
        help="playouts per dead-stone estimate (final_score, final_status_list)")
    log_level: str = option("WARNING", choices=LOG_LEVELS, help="stderr logging level")
    warm_up: bool = option(True, help="load the engine and compile the search in the background "
                                      "at start-up, while the GUI sends its set-up commands")
    networks: NetworkConfig = section(NetworkConfig, "networks")
    search: SearchConfig = section(SearchConfig, "search (mcts player)")
    play: PlayConfig = section(PlayConfig, "time and resignation (mcts player)")

    def __post_init__(self) -> None:
        check_size(self.size)
        require(math.isfinite(self.komi), "komi must be a finite number")
        # --rules is checked when the Go commands load (gtp.commands): every Go
        # command then answers the error, while name and version still work
        require(self.status_playouts >= 1, "status playouts must be at least 1")
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
