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
import zipfile

import numba
import numpy as np
from numba import njit
from sgfmill import sgf, sgf_moves

from engine.board import BLACK, WHITE, STATE_LEN, H_TOMOVE, H_MOVENUM
from engine.coords import to_point
from engine.game import Game, IllegalMove, Rules
from engine.ladder import ladder_maps, new_scratch
from . import features as F
from .bench_timing import timed_rounds
from .data import DATA_DIR, VALIDATION_ARCHIVE

DEFAULT_ARCHIVE = DATA_DIR / VALIDATION_ARCHIVE
_COLOURS = {"b": BLACK, "w": WHITE}


def add_arguments(parser):
    parser.add_argument("--archive", type=pathlib.Path, default=DEFAULT_ARCHIVE,
                        help="zip of SGF games (default: the tygem-9d validation set)")
    parser.add_argument("--positions", type=int, default=400,
                        help="positions to encode (default 400)")
    parser.add_argument("--every", type=int, default=15,
                        help="take every k-th position of each game (default 15)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="measuring time (default 3)")


def sample_positions(archive, count, every):
    """Board states every ``every`` moves through the archive's games, in
    name order, until ``count``; games that fail to parse are skipped."""
    if not archive.is_file():
        raise SystemExit(f"no game archive at {archive}")
    states = []
    simple_ko = Rules("bench", "simple", False, "area")
    with zipfile.ZipFile(archive) as z:
        for name in sorted(z.namelist()):
            if len(states) >= count:
                break
            try:
                game = sgf.Sgf_game.from_bytes(z.read(name))
                if game.get_size() != 19:
                    continue
                board, plays = sgf_moves.get_setup_and_moves(game)
            except ValueError:
                continue
            g = Game(19, 6.5, simple_ko)
            setup = {to_point(col, row, 19): _COLOURS[c]
                     for c, (row, col) in board.list_occupied_points()}
            try:
                if setup:
                    g.set_setup(setup, WHITE)
                for i, (c, move) in enumerate(plays):
                    p = -1 if move is None else to_point(move[1], move[0], 19)
                    g.play(p, _COLOURS[c])
                    if i % every == every - 1:
                        states.append(g.state.copy())
            except IllegalMove:
                continue
    return np.array(states[:count], dtype=np.int64).reshape(-1, STATE_LEN)


@njit(cache=True)
def _ladders_only(states, capture, escape):
    """The ladder planes alone, for the cost breakdown."""
    j, stk = new_scratch()
    for i in range(states.shape[0]):
        capture[:] = 0
        escape[:] = 0
        ladder_maps(states[i], j, stk, states[i][H_TOMOVE], capture, escape)


def _timed(fn, seconds, rounds_min=5):
    """(median CPU seconds, best CPU seconds, median wall seconds) of
    repeated ``fn()`` (``bench_timing.timed_rounds``)."""
    rounds = timed_rounds(fn, seconds, rounds_min)
    cpu = [r[0] for r in rounds]
    return statistics.median(cpu), min(cpu), statistics.median(r[1] for r in rounds)


def run(args):
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

    def singles():
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
