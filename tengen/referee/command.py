"""``tengen match``'s command line: the options, the line per game on
stderr, the results table on stdout (the referee itself is
``tengen.referee.match``)."""

import argparse
import logging
import sys

from tengen.base.config import add_options, from_args

from .elo import results_table
from .match import MatchConfig, MatchError, Referee


def add_arguments(parser: argparse.ArgumentParser) -> None:
    fixed = parser.add_argument_group("fixed colours")
    fixed.add_argument("--black", metavar="CMD", help="command line of the engine playing Black")
    fixed.add_argument("--white", metavar="CMD", help="command line of the engine playing White")
    alt = parser.add_argument_group("alternating colours (A takes Black in odd games)")
    alt.add_argument("--engine-a", metavar="CMD", help="command line of engine A")
    alt.add_argument("--engine-b", metavar="CMD", help="command line of engine B")
    add_options(parser, MatchConfig)
    parser.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        default="WARNING", help="stderr logging level (default WARNING)")


def config_from_args(args: argparse.Namespace) -> MatchConfig:
    """MatchConfig from parsed arguments; ValueError for a bad combination."""
    fixed = args.black is not None or args.white is not None
    alt = args.engine_a is not None or args.engine_b is not None
    if fixed == alt:
        raise ValueError("give either --black and --white, or --engine-a and --engine-b")
    return from_args(MatchConfig, args, engine_a=args.black if fixed else args.engine_a,
                     engine_b=args.white if fixed else args.engine_b, alternate=alt)


def _report(outcome, black_label, white_label):
    opening = f" after the {outcome.opening}" if outcome.opening else ""
    print(f"game {outcome.number}: {black_label} (B) vs {white_label} (W): {outcome.result} "
          f"[{outcome.reason}] {outcome.moves} moves{opening}, {outcome.seconds:.1f} s",
          file=sys.stderr, flush=True)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
        result = Referee(config).run(progress=_report)
    except (ValueError, MatchError) as e:
        print(f"tengen match: {e}", file=sys.stderr)
        return 2
    print(results_table(result))
    return 0
