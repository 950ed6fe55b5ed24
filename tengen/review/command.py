"""``tengen analyze GAME.sgf [MORE.sgf | DIR | ARCHIVE.zip ...]``: review
games into ``--out`` (default ``tengen-review/``).

Per game ``NAME`` it writes ``NAME-review.sgf`` (annotated), ``NAME.html``
(the report), ``NAME.png`` (the graph) and ``NAME.json`` (the review,
``tengen.review.schema``); across the games ``summary.csv``.  A game whose JSON
is there with the same fingerprint (same file, same search settings and
networks) is not searched again: an interrupted batch resumes where it
stopped, and new thresholds re-class finished games at once.  A file that
cannot be read, or a game with an illegal move, is reported on stderr and
skipped; the batch goes on.  Exit status 0 when every game was reviewed,
1 when some were skipped, 2 for a bad command line.
"""

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.rules import Rules
from engine.sgf.archive import ReadStats
from engine.sgf.record import SGFError
from tengen.base.config import add_options, option, parse_config
from tengen.base.files import atomic_write

from .config import AnalyzeConfig
from .games import InputGame, find_games, fingerprint, rules_for, search_settings
from .mistakes import classify
from .schema import GameReview, from_dict, to_json

if TYPE_CHECKING:     # annotations only: the reviewer loads the search and PyTorch
    from tqdm import tqdm

    from .reviewer import Reviewer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Games:
    """What ``tengen analyze`` reviews (its settings are ``AnalyzeConfig``)."""
    games: list[str] = option(positional=True, metavar="GAME",
                              help=".sgf files, folders of them, or .zip / .tar.gz archives")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, Games)
    add_options(parser, AnalyzeConfig)


def output_paths(out: Path, name: str) -> dict[str, Path]:
    return {"sgf": out / f"{name}-review.sgf", "html": out / f"{name}.html",
            "plot": out / f"{name}.png", "json": out / f"{name}.json"}


def finished_review(path: Path, fp: str) -> GameReview | None:
    """The review in ``path`` if it is complete and has fingerprint ``fp``."""
    try:
        with open(path, encoding="utf-8") as f:
            review = from_dict(json.load(f))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return review if review.fingerprint == fp else None


def write_outputs(review: GameReview, game: InputGame, rules: Rules, paths: dict[str, Path],
                  config: AnalyzeConfig) -> None:
    """The chosen outputs of one game; the JSON first, so that a run killed
    while writing the others does not search the game again."""
    if config.json:
        with atomic_write(paths["json"], "w") as f:
            f.write(to_json(review))
    if config.sgf:
        from .sgf_out import annotated_sgf
        with atomic_write(paths["sgf"]) as f:
            f.write(annotated_sgf(game.data, game.index, review))
    if config.html:
        from .html_report import write_report
        write_report(paths["html"], review, game.record, rules)
    if config.plot:
        from .plot import write_plot
        write_plot(paths["plot"], review)


class Batch:
    """Reviews games one after the other, with progress bars on stderr."""

    def __init__(self, config: AnalyzeConfig):
        self.config = config
        self.out = Path(config.out)
        self._settings: dict[int, dict] = {}      # search_settings by board size
        self._reviewer: Reviewer | None = None
        self.reviewed: list[GameReview] = []
        self.resumed = 0
        self.failed: list[str] = []

    def settings(self, size: int) -> dict:
        """``search_settings`` of an n x n board, its network files digested
        once a run, as the reviewer loads them once."""
        if size not in self._settings:
            self._settings[size] = search_settings(self.config, size)
        return self._settings[size]

    @property
    def reviewer(self) -> "Reviewer":
        if self._reviewer is None:
            from .reviewer import Reviewer
            self._reviewer = Reviewer(self.config)
        return self._reviewer

    def run_one(self, game: InputGame, inputs: set[str], bar: "tqdm | None" = None
                ) -> GameReview:
        rules = rules_for(game.record, self.config.rules)
        settings = self.settings(game.record.size)
        fp = fingerprint(game, rules, settings)
        paths = output_paths(self.out, game.name)
        for p in paths.values():
            if os.path.abspath(p) in inputs:
                raise SGFError(f"{game.record.source}: the output {p} would overwrite an input")
        review = None if self.config.force else finished_review(paths["json"], fp)
        if review is not None:
            self.resumed += 1
        else:
            progress = None
            if bar is not None:
                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.n = done
                    bar.refresh()
            review = self.reviewer.review(game.record, rules, game.name, fp, progress)
        review.settings = {**review.settings, **settings}
        classify(review, self.config)
        write_outputs(review, game, rules, paths, self.config)
        return review

    def run(self, games: list[InputGame], inputs: set[str]) -> None:
        from tqdm import tqdm

        show = None if self.config.progress else True      # None: only on a terminal
        outer = tqdm(total=len(games), unit="game", desc="games", disable=show, file=sys.stderr)
        inner = tqdm(total=0, unit="pos", desc="positions", leave=False, disable=show,
                     file=sys.stderr, position=1)
        try:
            for game in games:
                inner.reset()
                inner.set_description(game.name[:30])
                try:
                    self.reviewed.append(self.run_one(game, inputs, inner))
                except (SGFError, ValueError, OSError) as e:
                    self._fail(game, str(e))
                except Exception as e:       # bad input never stops the batch
                    log.exception("reviewing %s failed", game.record.source)
                    self._fail(game, f"{type(e).__name__}: {e}")
                outer.update(1)
        finally:
            inner.close()
            outer.close()
        if self.config.csv and self.reviewed:
            from .csv_out import write_csv
            write_csv(self.out / "summary.csv", self.reviewed)

    def _fail(self, game: InputGame, message: str) -> None:
        self.failed.append(message)
        log.warning("skipped %s", message)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    parser = parser or argparse.ArgumentParser(prog="tengen analyze")
    config = parse_config(parser, AnalyzeConfig, args)
    paths = parse_config(parser, Games, args).games
    if not config.networks.has_policy():
        parser.error(f"no policy network at {config.networks.policy_path()}; pass --policy-model")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    stats = ReadStats()
    try:
        games = find_games(paths, stats)
    except (FileNotFoundError, ValueError) as e:
        parser.error(str(e))
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    inputs = {os.path.abspath(p) for p in paths}
    batch = Batch(config)
    batch.run(games, inputs)
    skipped = stats.skipped + len(batch.failed)
    searched = len(batch.reviewed) - batch.resumed
    print(f"tengen analyze: {len(batch.reviewed)} games reviewed into {out}/ ({searched} searched, "
          f"{batch.resumed} already done), {skipped} skipped", file=sys.stderr)
    for message in (stats.errors + batch.failed)[:20]:
        print(f"  skipped: {message}", file=sys.stderr)
    return 1 if skipped else 0
