"""What ``tengen analysis``'s command line sets (``AnalysisConfig``), without
Numba or PyTorch.  A query's own fields (``maxVisits``, ``overrideSettings``
``maxTime`` and ``reportAnalysisWinratesAs``, ``analysisPVLen``) override
the defaults set here for that query."""

import math
from dataclasses import dataclass

from mcts.config import SearchConfig
from nets.config import NetworkConfig
from tengen.base.config import at_least, option, require, section

PERSPECTIVES = ("BLACK", "WHITE", "SIDETOMOVE")


@dataclass(frozen=True)
class AnalysisConfig:
    max_visits: int = option(
        500,
        help="visits below the root of a position when the query sets no maxVisits "
             "(as KataGo's analysis_example.cfg)")
    max_time: float | None = option(
        None, metavar="SECONDS",
        help="seconds per position at most (default: no limit; a query's "
             "overrideSettings maxTime overrides)")
    analysis_threads: int = option(
        2,
        help="positions searched at once, each with its own tree (KataGo's -analysis-threads)")
    report_winrates_as: str = option(
        "BLACK", choices=PERSPECTIVES,
        help="the side win rates, scores and ownership are given for, when a query's "
             "overrideSettings do not say (as KataGo's analysis_example.cfg)")
    pv_length: int = option(15, 
                            help="moves of each line after its first (KataGo's analysisPVLen)")
    quit_without_waiting: bool = option(
        False, help="at the end of the input, stop the searches in flight and drop the queued "
                    "queries instead of finishing them")
    warm_up: bool = option(True, help="load the networks and compile the search at start-up, "
                                      "while the first queries wait (stderr says when ready)")
    exit_with_parent: bool = option(
        True, help="end when the process that started the engine ends, though stdin stays open "
                   "(KaTrain starts its altcommand through a shell and, stopping the engine, "
                   "ends only the shell); --no-exit-with-parent for a detached batch")
    networks: NetworkConfig = section(NetworkConfig, "networks")
    search: SearchConfig = section(SearchConfig, "search", exclude=("visits",))

    def __post_init__(self) -> None:
        at_least(self, 1, "max_visits", "analysis_threads", "pv_length")
        require(self.max_time is None or (math.isfinite(self.max_time) and self.max_time > 0),
                "max time must be a positive number of seconds")
        require(self.report_winrates_as in PERSPECTIVES,
                f"report winrates as must be one of {', '.join(PERSPECTIVES)}")
