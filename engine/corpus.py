"""Many games of one board size in memory as flat arrays (``Corpus``).

Why flat arrays: a move is two bytes, so 100,000 games fit in a few
megabytes after one pass over the archives, and compiled code replays
them (``engine.replay``) without Python objects; positions are re-created
by replaying, never stored.
"""

from dataclasses import dataclass

import numpy as np

from .board import STATE_LEN
from .replay import states_before
from .sgf.archive import Paths, ReadStats, iter_records


@dataclass
class Corpus:
    """All games of one board size as flat arrays (CSR by game)."""
    size: int
    points: np.ndarray    # int16 board points (PASS = -1) of every move
    colors: np.ndarray    # int8 colour of every move
    offsets: np.ndarray   # int64, game g's moves are offsets[g]:offsets[g+1]
    setup_points: np.ndarray
    setup_colors: np.ndarray
    setup_offsets: np.ndarray
    winner: np.ndarray    # int8 per game: BLACK, WHITE or 0 (unknown/draw)
    first: np.ndarray     # int8 per game: the colour to move after the setup
    skipped: int = 0      # games not read (malformed, other size)
    margin: np.ndarray | None = None  # float32 per game: Black's counted margin, NaN if none
    komi: np.ndarray | None = None    # float32 per game

    @property
    def games(self) -> int:
        return len(self.offsets) - 1

    @property
    def moves(self) -> int:
        return int(self.offsets[-1])

    def states_before(self, pick: np.ndarray) -> np.ndarray:
        """The positions (rows of ``STATE_LEN``) before the moves flagged in
        ``pick`` (a bool per move of the corpus), in corpus order, each with
        that move's player to play (``engine.replay.states_before``)."""
        out = np.zeros((int(pick.sum()), STATE_LEN), np.int64)
        m = states_before(self.size, self.points, self.colors, self.offsets, self.setup_points,
                          self.setup_colors, self.setup_offsets, self.first, pick, out)
        return out[:m]


def load_corpus(paths: Paths, size: int | None = 19, max_games: int | None = None,
                progress: bool = False) -> Corpus:
    """Read games of ``size`` (None: the size of the first game read) from
    SGF files, directories or archives; games of other sizes are skipped."""

    stats = ReadStats()
    pts: list[int] = []
    cols: list[int] = []
    offs = [0]
    spts: list[int] = []
    scols: list[int] = []
    soffs = [0]
    winners: list[int] = []
    first: list[int] = []
    margins: list[float] = []
    komis: list[float] = []
    other = 0
    records = iter_records(paths, stats)
    if progress:
        from tqdm import tqdm
        records = tqdm(records, desc="reading games", unit=" games")
    for rec in records:
        if size is None:
            size = rec.size
        if rec.size != size:
            other += 1
            continue
        for c, p in rec.moves:
            pts.append(p)
            cols.append(c)
        offs.append(len(pts))
        for p, c in rec.setup.items():
            spts.append(p)
            scols.append(c)
        soffs.append(len(spts))
        winners.append(rec.winner or 0)
        first.append(rec.first_to_move)
        margins.append(np.nan if rec.margin is None else rec.margin)
        komis.append(rec.komi)
        if max_games is not None and len(winners) >= max_games:
            break
    return Corpus(size or 19, np.array(pts, np.int16), np.array(cols, np.int8),
                  np.array(offs, np.int64), np.array(spts, np.int16),
                  np.array(scols, np.int8), np.array(soffs, np.int64),
                  np.array(winners, np.int8), np.array(first, np.int8), stats.skipped + other,
                  np.array(margins, np.float32), np.array(komis, np.float32))
