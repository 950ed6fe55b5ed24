"""``tengen analyze``'s settings (``AnalyzeConfig``), without Numba or PyTorch.

The defaults are chosen for a CPU: the value network alone (no rollouts:
about 2.7 times the visits per second, BENCHMARKS.md "MCTS") and a visit
budget that reviews a 250-move 19x19 game in about two minutes on two
cores (BENCHMARKS.md "Analysis").  The classes' thresholds are losses in
win-rate percentage points (``--class-by winrate``) or in points of the
score estimate (``--class-by points``).
"""

import math
from dataclasses import dataclass

from mcts.config import SearchConfig
from nets.config import NetworkConfig
from tengen.base.config import at_least, option, option_of, require, section
from tengen.base.control import Progress

DEFAULT_VISITS = 800
CLASSES = ("good", "inaccuracy", "mistake", "blunder")      # by increasing loss
DEFAULT_THRESHOLDS = {"winrate": (5.0, 10.0, 20.0), "points": (2.0, 5.0, 10.0)}
OUTPUTS = ("sgf", "html", "plot", "json", "csv")


def parse_thresholds(text: str) -> tuple[float, float, float]:
    """``"5,10,20"``: the losses from which a move is an inaccuracy, a
    mistake and a blunder."""
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if len(parts) != 3:
        raise ValueError("thresholds: three numbers, e.g. 5,10,20")
    values = tuple(float(p) for p in parts)
    return values  # type: ignore[return-value]


@dataclass(frozen=True)
class AnalyzeConfig:
    """Everything ``tengen analyze`` takes besides the games."""
    out: str = option("tengen-review", metavar="DIR",
                      help="folder for the reviews (created; one set of files per game)")
    visits: int | None = option(
        None, help=f"search visits per position (default {DEFAULT_VISITS} unless --seconds is "
                   "given)")
    seconds: float | None = option(None, help="search time per position instead of visits")
    class_by: str = option("winrate", choices=("winrate", "points"),
                           help="what the classes measure: win rate lost (percentage points) "
                                "or points lost (score estimate)")
    thresholds: tuple | None = option(
        None, parse=parse_thresholds, text=lambda t: ",".join(map(repr, t)), metavar="I,M,B",
        help="losses from which a move is an inaccuracy, a mistake, a blunder (default "
             "5,10,20 percentage points by win rate, 2,5,10 points by score)")
    top_mistakes: int = option(5, help="biggest mistakes listed for each player")
    candidates: int = option(5, help="candidate moves kept for each position (at least 5: the "
                                  "top-5 agreement counts them)")
    rules: str | None = option(None, help="rule set (default: the file's RU, else chinese)")
    sgf: bool = option(True, help="write the annotated SGF")
    html: bool = option(True, help="write the HTML report")
    plot: bool = option(True, help="write the win-rate and score graph (PNG)")
    json: bool = option(True, help="write the review as JSON (what a later run resumes from)")
    csv: bool = option(True, help="write summary.csv across the games")
    force: bool = option(False, help="search games again even when a finished review exists")
    progress: bool = option_of(Progress, "progress",
                               help="progress bars on stderr (off when not a terminal)")
    batch_size: int = option_of(SearchConfig, "batch_size")
    symmetries: int = option_of(SearchConfig, "symmetries")
    recheck: int = option(0, metavar="N",
                          help="a second, deeper pass over the N moves that lost most in the "
                               "first: the better move and the move played each searched alone "
                               "with --recheck-visits, their win rates the move's before and after")
    recheck_visits: int = option(2 * DEFAULT_VISITS, metavar="V",
                                 help="visits of each search of the second pass")
    rollouts: bool = option(False, help="mix fast rollouts into the leaf values (slower; "
                                        "default: the value network alone)")
    seed: int | None = option(None, help="random seed")
    networks: NetworkConfig = section(NetworkConfig, "networks")

    def __post_init__(self) -> None:
        at_least(self, 1, "visits", "top_mistakes", "recheck_visits")
        at_least(self, 0, "recheck")
        require(self.seconds is None or (math.isfinite(self.seconds) and self.seconds > 0),
                "seconds must be a positive number")
        require(self.visits is None or self.seconds is None,
                "give either --visits or --seconds, not both")
        require(self.candidates >= 5, "candidates must be at least 5 (the top-5 agreement)")
        t = self.class_thresholds
        require(all(math.isfinite(x) and x > 0 for x in t) and t[0] < t[1] < t[2],
                "thresholds must be positive and increasing (inaccuracy < mistake < blunder)")

    @property
    def class_thresholds(self) -> tuple[float, float, float]:
        return tuple(self.thresholds) if self.thresholds else DEFAULT_THRESHOLDS[self.class_by]

    @property
    def budget(self) -> tuple[int | None, float | None]:
        """(visits, seconds) per position."""
        if self.seconds:
            return None, self.seconds
        return self.visits or DEFAULT_VISITS, None

    def search_config(self) -> SearchConfig:
        return SearchConfig(batch_size=self.batch_size, rollouts=self.rollouts, seed=self.seed,
                            symmetries=self.symmetries)

    def outputs(self) -> list[str]:
        return [name for name in OUTPUTS if getattr(self, name)]
