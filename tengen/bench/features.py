"""``tengen bench features``: microseconds to encode one 19x19 position.

Positions come from real games (the validation archive), sampled every few
moves from the opening to the end, so the figure includes mid-game boards
with many chains and ladder candidates, not just sparse openings.  One
core (``numba.set_num_threads(1)``), JIT compilation excluded; the headline
``us_per_position`` is ``encode_batch`` over all of them, the way training
encodes, and ``us_per_position_single_call`` is one ``encode`` call from
Python per position.
"""

import pathlib
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba import njit

from engine.board import H_MOVENUM, H_TOMOVE
from engine.corpus import load_corpus
from engine.ladder import ladder_maps, new_scratch
from nets import features as F
from tengen.base.config import option
from tengen.base.paths import DATA_DIR, VALIDATION_ARCHIVE

from .timing import timed_rounds

DEFAULT_ARCHIVE = DATA_DIR / VALIDATION_ARCHIVE


def archive_option() -> Any:
    """The benchmarks' game archive: positions from real games."""
    return option(DEFAULT_ARCHIVE, help="zip of SGF games (default: the tygem-9d validation set)")


@dataclass(frozen=True)
class Config:
    archive: pathlib.Path = archive_option()
    positions: int = option(400, help="positions to encode")
    every: int = option(15, help="take every k-th position of each game")
    seconds: float = option(3.0, help="measuring time")

def sample_positions(archive: pathlib.Path, count: int, every: int) -> np.ndarray:
    """Board states every ``every`` moves through the archive's 19x19
    games, in the archive's order, until ``count``."""
    if not archive.is_file():
        raise SystemExit(f"no game archive at {archive}")
    corpus = load_corpus([archive], 19, max_games=max(20, count // 10))
    while True:
        offs = corpus.offsets
        index = np.arange(corpus.moves) - np.repeat(offs[:-1], np.diff(offs))
        pick = (index > 0) & (index % every == 0)
        if pick.sum() >= count or corpus.games < max(20, count // 10):
            break
        corpus = load_corpus([archive], 19, max_games=4 * corpus.games)
    return corpus.states_before(pick)[:count]


@njit(cache=True)
def _ladders_only(states: np.ndarray, capture: np.ndarray, escape: np.ndarray) -> None:
    """The ladder planes alone, for the cost breakdown."""
    j, stk = new_scratch()
    for i in range(states.shape[0]):
        capture[:] = 0
        escape[:] = 0
        ladder_maps(states[i], j, stk, states[i][H_TOMOVE], capture, escape)


def _timed(fn: Callable[[], object], seconds: float, rounds_min: int = 5
           ) -> tuple[float, float, float]:
    """(median CPU seconds, best CPU seconds, median wall seconds) of
    repeated ``fn()`` (``tengen.bench.timing.timed_rounds``)."""
    rounds = timed_rounds(fn, seconds, rounds_min)
    cpu = [r[0] for r in rounds]
    return statistics.median(cpu), min(cpu), statistics.median(r[1] for r in rounds)


def run(args: Config) -> dict:
    numba.set_num_threads(1)
    states = sample_positions(args.archive, args.positions, args.every)
    b = len(states)
    out = np.empty((b, F.POLICY_PLANES, 19, 19), dtype=np.uint8)
    capture = np.empty((19, 19), dtype=np.uint8)
    escape = np.empty((19, 19), dtype=np.uint8)
    # compile (or load from the cache) and warm up
    F.encode_batch(states, out)
    F.encode(states[0], out[0])
    _ladders_only(states, capture, escape)

    def singles() -> None:
        for i in range(b):
            F.encode(states[i], out[i])

    med, best, wall = _timed(lambda: F.encode_batch(states, out), args.seconds)
    single, _, _ = _timed(singles, args.seconds / 3, 3)
    ladders, _, _ = _timed(lambda: _ladders_only(states, capture, escape), args.seconds / 3, 3)
    us = lambda sec: round(1e6 * sec / b, 2)
    return {
        "us_per_position": us(med),
        "us_per_position_best": us(best),
        "us_per_position_wall": us(wall),
        "us_per_position_single_call": us(single),
        "us_ladder_planes_per_position": us(ladders),
        "positions": b,
        "mean_move_number": round(float(states[:, H_MOVENUM].mean()), 1),
        "ladder_captures_per_position": round(float(out[:, F.offset("ladder_capture")].sum()) / b, 2),
        "feature_set": F.FEATURE_SET_VERSION,
    }
