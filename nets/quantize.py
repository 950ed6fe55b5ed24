"""``tengen quantize``: the int8 files (``nets.int8``) of a model
directory's networks, or of one network file, calibrated on positions of
real games.

The calibration positions are ``--positions`` positions of a board size,
one from each of as many random games among the first ten times as many of
``--archive`` (by default the first training archive of
``../shared/data/tygem-9d``, never the held-out one), under random
symmetries as training sees them.  A directory's own networks are the
19x19 ones, its ``NxN/`` directories hold those of other sizes (the layout
of ``tengen/models/``); each is calibrated on positions of its size, and a
size the archive has no games of is skipped, and said.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.corpus import Corpus, CorpusFileError, load_corpus
from tengen.base.config import add_options, at_least, option, parse_config, require
from tengen.base.paths import MODELS_DIR, POLICY_FILE, VALUE_FILE, default_archives

from .data import build_window
from .features import VALUE_PLANES
from .int8 import quantize_model

GAMES_PER_POSITION = 10     # games read from the archive for each calibration position


@dataclass(frozen=True)
class QuantizeConfig:
    model: str = option("default", metavar="PATH", help="a network file, or a directory of "
                        "networks (policy.safetensors, value.safetensors, NxN/ for other board "
                        "sizes' networks); default: the shipped networks, tengen/models/")
    archive: str | None = option(None, metavar="PATH", help="the games to calibrate on: SGF "
                                 "archives, files or directories, or a packed corpus (default: "
                                 "the first training archive of ../shared/data/tygem-9d)")
    positions: int = option(320, help="calibration positions of each board size, each from "
                                      "another game")
    sizes: list[int] = option(default_factory=lambda: [19], help="the board sizes whose networks "
                              "to quantize (default 19): a directory's own networks are 19x19's, "
                              "NxN/ holds another size's; a network file is calibrated on "
                              "positions of the first size")

    def __post_init__(self) -> None:
        at_least(self, 1, "positions")
        require(bool(self.sizes) and min(self.sizes) >= 2, "--sizes: board sizes of 2 or more")


def networks_to_quantize(model: str, sizes: list[int]) -> dict[int, list[Path]]:
    """The network files to quantize, by the board size of their
    calibration positions: ``model`` a file (the first size), or a
    directory laid out as ``tengen/models/``."""
    path = MODELS_DIR if model == "default" else Path(model)
    if path.is_file():
        return {sizes[0]: [path]}
    found = {}
    for size in sizes:
        folder = path if size == 19 else path / f"{size}x{size}"
        files = [folder / name for name in (POLICY_FILE, VALUE_FILE) if (folder / name).exists()]
        if files:
            found[size] = files
    return found


def calibration_batches(corpus: Corpus, count: int, planes: int = VALUE_PLANES,
                        batch: int = 32, seed: int = 1) -> list[np.ndarray]:
    """``count`` positions of ``corpus`` (one from each of ``count`` random
    games, under random symmetries, as training sees them) as float32
    batches of ``planes`` planes; the 49 value planes serve a policy network
    too, which reads the first 48."""
    rng = np.random.default_rng(seed)
    games = np.sort(rng.choice(corpus.games, size=count, replace=False))
    w = build_window(corpus, games, planes, rng, per_game=1)
    x = w.planes_of(np.arange(len(w))).astype(np.float32)
    return [x[i:i + batch] for i in range(0, len(x), batch)]


def _calibration(archive: str, size: int, positions: int) -> list[np.ndarray]:
    """``calibration_batches`` of ``positions`` positions of ``size`` from
    the first games of ``archive``; CorpusFileError when it has none."""
    corpus = load_corpus(archive, size, max_games=GAMES_PER_POSITION * positions)
    if corpus.games == 0:
        raise CorpusFileError(f"{archive}: no {size}x{size} games")
    return calibration_batches(corpus, min(positions, corpus.games))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, QuantizeConfig)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cfg = parse_config(parser, QuantizeConfig, args)
    targets = networks_to_quantize(cfg.model, cfg.sizes)
    if not targets:
        parser.error(f"--model {cfg.model}: no network of the sizes {cfg.sizes} there")
    archive = cfg.archive or next(iter(default_archives()[0]), None)
    if archive is None:
        parser.error("no training archive (../shared/data/tygem-9d is absent): give --archive")
    started = time.perf_counter()
    written: list[str] = []
    positions: dict[int, int] = {}
    skipped: dict[int, str] = {}
    for size, files in targets.items():
        try:
            batches = _calibration(archive, size, cfg.positions)
        except CorpusFileError as e:
            skipped[size] = str(e)
            print(f"tengen quantize: {size}x{size} networks not quantized: {e}", file=sys.stderr)
            continue
        positions[size] = sum(map(len, batches))
        for path in files:
            try:
                written.append(str(quantize_model(path, batches)))
            except ValueError as e:         # ONNX Runtime missing
                print(f"tengen quantize: {e}", file=sys.stderr)
                return 2
            print(f"wrote {written[-1]} ({positions[size]} {size}x{size} positions)",
                  file=sys.stderr)
    print(json.dumps({"written": written, "archive": str(archive), "positions": positions,
                      "skipped": skipped, "seconds": round(time.perf_counter() - started, 1)}))
    return 0 if written else 2
