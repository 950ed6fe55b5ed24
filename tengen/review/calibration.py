"""``tengen calibrate``: how well ``tengen analyze``'s win rates predict the
real results of held-out games.

Positions are drawn from games with a known winner (``B+``/``W+``; by
default every game of ``tygem-2011-11.zip``, which no network trained on,
in file order, no handicap games), a few per game at random move numbers
(the first and last ten moves left out), and each is searched exactly as
``tengen analyze`` searches (same budget, same reviewer).  Black's win rate
is set against whether Black won: a table by tenths of the win rate (how
many positions, the mean predicted, the share Black actually won) and the
Brier score, with the value network alone (no search) and the constant
0.5 (Brier 0.25) beside it for reference.  Each win rate is reported as
the review shows it, through the value network's calibration
(``nets.score.winrate``, fitted on other games by ``tengen
calibrate-value``), and raw, as the search found it: one run measures
both.  The figures go to stdout as Markdown tables, the predictions to
``--predictions`` as JSON.
"""

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.board import BLACK
from engine.game import Game
from engine.sgf.archive import ReadStats, iter_records
from engine.sgf.record import GameRecord, SGFError
from tengen.base.config import add_options, at_least, option, parse_config, section
from tengen.base.files import atomic_write
from tengen.base.paths import DATA_DIR, VALIDATION_ARCHIVE

from .config import AnalyzeConfig
from .games import rules_for

if TYPE_CHECKING:     # annotations only
    from mcts.search import Evaluator

BUCKETS = 10


@dataclass(frozen=True)
class CalibrateConfig:
    """``tengen calibrate``: which positions, and the review's search
    (``AnalyzeConfig``, less what only the review's outputs use)."""
    games: list[str] = option(
        default_factory=lambda: [str(DATA_DIR / VALIDATION_ARCHIVE)], positional=True,
        metavar="GAME", help=f"SGF files, folders or archives (default: "
                             f"{DATA_DIR / VALIDATION_ARCHIVE})")
    positions: int = option(500, help="positions to search")
    per_game: int = option(5, help="positions drawn from each game")
    calibration_seed: int = option(2011, help="seed of the draw of positions")
    predictions: str = option("calibration.json", help="where the predictions are written (JSON)")
    review: AnalyzeConfig = section(
        AnalyzeConfig, "search (as tengen analyze)",
        exclude=("out", "class_by", "thresholds", "top_mistakes", "candidates", "sgf", "html",
                 "plot", "json", "csv", "force", "progress"))

    def __post_init__(self) -> None:
        at_least(self, 1, "positions", "per_game")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, CalibrateConfig)


def draw_positions(paths: list[str], count: int, per_game: int,
                   seed: int) -> list[tuple[GameRecord, int]]:
    """(record, move number) pairs: ``per_game`` from each game with a
    winner and no handicap, until ``count``."""
    rng = random.Random(seed)
    out = []
    for rec in iter_records(paths, ReadStats()):
        if rec.winner is None or rec.handicap or len(rec.moves) < 40:
            continue
        numbers = rng.sample(range(10, len(rec.moves) - 10), per_game)
        out += [(rec, k) for k in sorted(numbers)]
        if len(out) >= count:
            return out[:count]
    return out


def brier(pairs: list[tuple[float, int]]) -> float:
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def table(pairs: list[tuple[float, int]]) -> list[dict]:
    rows = []
    for b in range(BUCKETS):
        lo, hi = b / BUCKETS, (b + 1) / BUCKETS
        inside = [(p, y) for p, y in pairs if lo <= p < hi or (b == BUCKETS - 1 and p == 1.0)]
        rows.append({"from": lo, "to": hi, "positions": len(inside),
                     "mean_predicted": sum(p for p, _ in inside) / len(inside) if inside else None,
                     "black_won": sum(y for _, y in inside) / len(inside) if inside else None})
    return rows


def markdown(result: dict) -> str:
    """The calibrated and the raw tables of the search's win rates, and the
    Brier scores."""
    lines = []
    for title, rows in (("the review's (calibrated)", result["table"]),
                        ("the search's, raw", result["table_raw"])):
        lines += [f"| Black's win rate: {title} | positions | mean predicted | Black won |",
                  "|---|---|---|---|"]
        for r in rows:
            if r["positions"]:
                lines.append(f"| {100 * r['from']:.0f}-{100 * r['to']:.0f}% | {r['positions']} | "
                             f"{100 * r['mean_predicted']:.1f}% | {100 * r['black_won']:.1f}% |")
        lines.append("")
    lines.append(f"Brier score on {result['positions']} positions: search "
                 f"{result['brier_search']:.4f} (raw {result['brier_search_raw']:.4f}), value "
                 f"network alone {result['brier_value']:.4f} (raw "
                 f"{result['brier_value_raw']:.4f}), constant 0.5: 0.2500 (lower is better)")
    return "\n".join(lines)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    from nets.score import winrate

    from .reviewer import Reviewer

    parser = parser or argparse.ArgumentParser(prog="tengen calibrate")
    calibration = parse_config(parser, CalibrateConfig, args)
    config = calibration.review
    drawn = draw_positions(calibration.games, calibration.positions, calibration.per_game,
                           calibration.calibration_seed)
    if not drawn:
        parser.error("no game with a winner found")
    reviewer = Reviewer(config)
    records: list[dict[str, Any]] = []
    start = time.perf_counter()
    for i, (rec, k) in enumerate(drawn):
        try:
            game = rec.to_game(rules_for(rec, config.rules), upto=k)
        except SGFError as e:          # legal with simple ko, not under superko
            print(f"skipped {e}", file=sys.stderr)
            continue
        color = rec.moves[k][0]
        search = reviewer.search(game, color)
        stats = search.root_stats(1)
        win = stats[0].winrate if stats and stats[0].visits else (search.root_value() + 1) / 2
        # the networks of the position's board size, as the search just used
        nets = reviewer.positions.ensure(game.size).nets
        value = _value_winrate(nets, game, color)

        def black(p: float, color: int = color) -> float:
            return p if color == BLACK else 1 - p
        records.append({"source": rec.source, "move": k, "to_move": "BW"[color - 1],
                        "black_winrate": black(winrate(nets, win)), "black_winrate_raw": black(win),
                        "black_value": black(winrate(nets, value)), "black_value_raw": black(value),
                        "black_won": int(rec.winner == BLACK)})
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(drawn)} positions, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr)
    if not records:
        parser.error("no position could be searched")

    def pairs(key: str) -> list[tuple[float, int]]:
        return [(r[key], r["black_won"]) for r in records]
    result = {"positions": len(records), "games": len({r["source"] for r in records}),
              "budget": list(config.budget),
              "brier_search": brier(pairs("black_winrate")),
              "brier_search_raw": brier(pairs("black_winrate_raw")),
              "brier_value": brier(pairs("black_value")),
              "brier_value_raw": brier(pairs("black_value_raw")),
              "table": table(pairs("black_winrate")), "table_raw": table(pairs("black_winrate_raw")),
              "table_value": table(pairs("black_value")),
              "elapsed_s": time.perf_counter() - start, "predictions": records}
    with atomic_write(calibration.predictions, "w") as f:
        json.dump(result, f, indent=1)
    print(markdown(result))
    return 0


def _value_winrate(nets: "Evaluator", game: Game, color: int) -> float:
    """The value network's win rate for ``color`` to move, no search."""
    import numpy as np

    from engine.player import with_mover
    from nets.features import VALUE_PLANES, encode_batch

    g = with_mover(game, color)
    planes = np.zeros((1, VALUE_PLANES, g.size, g.size), np.uint8)
    encode_batch(g.state[None], planes)
    return float((nets.value(planes)[0] + 1) / 2)
