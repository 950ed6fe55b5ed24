"""Which network files a player loads, and how many threads run them.

Without PyTorch: the GTP front end builds this from its command line before
anything heavy is imported; the networks load on the first move.
"""

from dataclasses import dataclass
from pathlib import Path

from tengen.config import option, positive_int, require
from tengen.paths import MODELS_DIR, POLICY_FILE, VALUE_FILE


@dataclass(frozen=True)
class NetworkConfig:
    policy_model: str | None = option(
        None, metavar="PATH", help="policy network weights (default models/policy.safetensors)")
    value_model: str | None = option(
        None, metavar="PATH", help="value network weights (default models/value.safetensors "
        "when it exists; without a value network the search needs rollouts)")
    threads: int | None = option(None, parse=positive_int,
                                 help="PyTorch threads (default: all cores)")

    def __post_init__(self) -> None:
        require(self.threads is None or self.threads >= 1, "threads must be at least 1")

    def policy_path(self) -> Path:
        return Path(self.policy_model) if self.policy_model else MODELS_DIR / POLICY_FILE

    def value_path(self) -> Path | None:
        """The value network to load: the given file, else the shipped one
        if it exists, else None."""
        if self.value_model:
            return Path(self.value_model)
        default = MODELS_DIR / VALUE_FILE
        return default if default.exists() else None

    def has_policy(self) -> bool:
        return self.policy_path().exists()
