"""The game a command plays: board size, komi and rule set (``GameSetup``).

One section of the command line (``--size``, ``--komi``, ``--rules``) for
every command that plays games (``tengen gtp``, ``selfplay``, ``match``,
``gate``), and the defaults of ``engine.game.Game``, so that the three
defaults and their checks are stated once.  Pure Python without Numba, so
that a command line is checked before the engine loads.
"""

import math
from dataclasses import dataclass

from tengen.base.config import option, require

from .rules import RULE_SETS, Rules, rules_named
from .sizes import check_size


@dataclass(frozen=True)
class GameSetup:
    """Board size, komi and rule set, checked when built."""
    size: int = option(19, help="board size")
    komi: float = option(7.5, help="komi")
    rules: str = option("chinese", help="rule set: " + ", ".join(RULE_SETS))

    def __post_init__(self) -> None:
        check_size(self.size)
        require(math.isfinite(self.komi), "komi must be a finite number")
        self.check_rules()

    def check_rules(self) -> None:
        """ValueError naming the known rule sets for an unknown one (a
        subclass may leave the check for later: ``tengen.gtp.config``)."""
        rules_named(self.rules)

    @property
    def rule_set(self) -> Rules:
        return rules_named(self.rules)
