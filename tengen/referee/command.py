"""``tengen match``'s command line: the options, the line per game on
stderr, the results table on stdout (the referee itself is
``tengen.referee.match``)."""

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from tengen.base.config import add_options, from_args, option, require, section
from tengen.base.control import Logging

from .elo import results_table
from .match import GameOutcome, MatchConfig, MatchError, Referee


@dataclass(frozen=True)
class FixedColours:
    black: str | None = option(None, metavar="CMD",
                               help="command line of the engine playing Black")
    white: str | None = option(None, metavar="CMD",
                               help="command line of the engine playing White")


@dataclass(frozen=True)
class AlternatingColours:
    engine_a: str | None = option(None, metavar="CMD", help="command line of engine A")
    engine_b: str | None = option(None, metavar="CMD", help="command line of engine B")


@dataclass(frozen=True)
class Engines:
    """The two engines, as ``--black/--white`` (A always Black) or as
    ``--engine-a/--engine-b`` (colours alternating): ``MatchConfig``'s
    ``engine_a``, ``engine_b`` and ``alternate``."""
    fixed: FixedColours = section(FixedColours, "fixed colours")
    alternating: AlternatingColours = section(AlternatingColours,
                                              "alternating colours (A takes Black in odd games)")

    def __post_init__(self) -> None:
        fixed = self.fixed.black is not None or self.fixed.white is not None
        alt = self.alternating.engine_a is not None or self.alternating.engine_b is not None
        require(fixed != alt, "give either --black and --white, or --engine-a and --engine-b")

    def match_fields(self) -> dict[str, Any]:
        if self.fixed.black is not None or self.fixed.white is not None:
            return {"engine_a": self.fixed.black, "engine_b": self.fixed.white,
                    "alternate": False}
        return {"engine_a": self.alternating.engine_a, "engine_b": self.alternating.engine_b,
                "alternate": True}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, Engines)
    add_options(parser, MatchConfig)
    add_options(parser, Logging)


def config_from_args(args: argparse.Namespace) -> MatchConfig:
    """MatchConfig from parsed arguments; ValueError for a bad combination."""
    return from_args(MatchConfig, args, **from_args(Engines, args).match_fields())


def _report(outcome: GameOutcome, black_label: str, white_label: str) -> None:
    opening = f" after the {outcome.opening}" if outcome.opening else ""
    print(f"game {outcome.number}: {black_label} (B) vs {white_label} (W): {outcome.result} "
          f"[{outcome.reason}] {outcome.moves} moves{opening}, {outcome.seconds:.1f} s",
          file=sys.stderr, flush=True)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    from_args(Logging, args).configure()
    try:
        config = config_from_args(args)
        result = Referee(config).run(progress=_report)
    except (ValueError, MatchError) as e:
        print(f"tengen match: {e}", file=sys.stderr)
        return 2
    print(results_table(result))
    return 0
