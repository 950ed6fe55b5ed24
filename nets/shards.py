"""Self-play training records: compressed shards of finished games.

Self-play (``selfplay/``) writes them and training reads them, so the
format lives here, below both: ``nets`` never imports ``selfplay``.

Why games and not encoded positions: a move is three bytes, so a shard of
a few hundred games is tens of kilobytes, and the positions are re-created
by replaying (``nets.data.encode_games``, compiled) when a learner needs
them, as for the expert games.  What a shard carries besides the moves:

* in its metadata the format version, the feature set of the networks
  that played (``FEATURE_SET_VERSION``: a learner refuses records made by
  networks that saw other planes), the board size, komi, rules, and what
  the writer adds (run iteration, network versions, worker);
* per game: the winner, the score, the seed, which colour the network being
  trained played (``learner``), its opponent's pool version, resignation
  (who resigned; in a no-resign game who *would* have resigned, to measure
  false resignations), the index of the value-training position
  (``sample``, -1 for none) and the final ownership map (Black's frame,
  percent, as ``nets.data.final_ownership``);
* per move: whether the network being trained sampled it (REINFORCE's
  gradient is for sampled moves only, not for rule passes).

A shard is one ``np.savez_compressed`` file written atomically
(``tengen.base.files.atomic_write``), so a crash leaves the old file or the
new one.  A shard that is corrupt, truncated, of another format, feature
set or board size anyway is reported and skipped (``iter_shards``): one bad
file never stops a training run.
"""

import json
import logging
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.board import BLACK
from engine.corpus import Corpus
from tengen.base.files import atomic_write

from .features import FEATURE_SET_VERSION

log = logging.getLogger(__name__)

SHARD_FORMAT = "tengen-selfplay-shard"
SHARD_VERSION = 1
SHARD_SUFFIX = ".npz"

# per-game arrays and their dtypes (the order is the file's)
GAME_FIELDS = {"winner": np.int8, "score": np.float32, "learner": np.int8,
               "opponent": np.int32, "seed": np.int64, "resigned": np.int8,
               "no_resign": np.uint8, "would_resign": np.int8, "sample": np.int32}
MOVE_FIELDS = {"points": np.int16, "colors": np.int8, "sampled": np.uint8}


class ShardError(ValueError):
    """A shard that cannot be used: unreadable, truncated, or of another
    format, feature set or board size."""


@dataclass
class Shard:
    """The games of one shard as flat arrays (CSR by game, as ``Corpus``)."""
    size: int
    komi: float
    meta: dict
    offsets: np.ndarray                 # int64 (games + 1,)
    points: np.ndarray                  # int16 board points, PASS = -1
    colors: np.ndarray                  # int8
    sampled: np.ndarray                 # uint8: moved by sampling the trained network
    games: dict = field(default_factory=dict)   # GAME_FIELDS name -> (games,) array
    ownership: np.ndarray | None = None  # int8 (games, n*n), Black's frame, percent
    path: str = ""

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def moves(self) -> int:
        return int(self.offsets[-1])

    def __getattr__(self, name: str) -> np.ndarray:
        games = self.__dict__.get("games", {})
        if name in games:
            return games[name]
        raise AttributeError(name)


def build_shard(size: int, komi: float, moves: list[list[tuple[int, int]]],
                sampled: list[list[bool]], per_game: dict[str, list],
                ownership: np.ndarray | None = None, meta: dict | None = None) -> Shard:
    """A Shard from Python lists: ``moves[g]`` is game g's (colour, point)
    list, ``sampled[g]`` a flag per move, ``per_game`` one list per
    ``GAME_FIELDS`` name (missing names get their neutral value)."""
    games = len(moves)
    offsets = np.zeros(games + 1, np.int64)
    offsets[1:] = np.cumsum([len(m) for m in moves]) if games else []
    flat = [cp for m in moves for cp in m]
    colors = np.array([c for c, _ in flat], np.int8)
    points = np.array([p for _, p in flat], np.int16)
    flags = np.array([bool(f) for s in sampled for f in s], np.uint8)
    if len(flags) != len(points):
        raise ValueError("one sampled flag per move")
    neutral = {"opponent": -1, "sample": -1, "score": np.nan}
    cols = {}
    for name, dtype in GAME_FIELDS.items():
        values = per_game.get(name, [neutral.get(name, 0)] * games)
        if len(values) != games:
            raise ValueError(f"{name}: {len(values)} values for {games} games")
        cols[name] = np.array(values, dtype)
    unknown = sorted(set(per_game) - set(GAME_FIELDS))
    if unknown:
        raise ValueError(f"unknown per-game fields {unknown}")
    if ownership is not None and ownership.shape != (games, size * size):
        raise ValueError(f"ownership must be (games, {size * size}), not {ownership.shape}")
    return Shard(size, float(komi), dict(meta or {}), offsets, points, colors, flags, cols,
                 None if ownership is None else ownership.astype(np.int8))


def write_shard(path: str | os.PathLike, shard: Shard) -> int:
    """Write ``shard`` to ``path`` (compressed, atomically); returns its size
    in bytes."""
    meta = dict(shard.meta, format=SHARD_FORMAT, format_version=SHARD_VERSION,
                feature_set=FEATURE_SET_VERSION, size=shard.size, komi=shard.komi,
                games=len(shard))
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True)), "offsets": shard.offsets,
              "points": shard.points, "colors": shard.colors, "sampled": shard.sampled,
              **{f"game_{k}": v for k, v in shard.games.items()}}
    if shard.ownership is not None:
        arrays["ownership"] = shard.ownership
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)
    return os.path.getsize(path)


def _check(cond: bool, path: object, message: str) -> None:
    if not cond:
        raise ShardError(f"{path}: {message}")


def read_shard(path: str | os.PathLike, size: int | None = None) -> Shard:
    """The shard in ``path``; ShardError when it is corrupt or truncated,
    of another format or feature set, or (``size`` given) of another board
    size."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise ShardError(f"{path}: unreadable or truncated shard ({type(e).__name__}: {e})") \
            from None
    _check("meta" in data, path, "no metadata: not a self-play shard")
    try:
        meta = json.loads(str(data["meta"]))
    except ValueError as e:
        raise ShardError(f"{path}: metadata is not valid JSON ({e})") from None
    _check(isinstance(meta, dict) and meta.get("format") == SHARD_FORMAT, path,
           "not a tengen self-play shard")
    _check(meta.get("format_version") == SHARD_VERSION, path,
           f"shard format version {meta.get('format_version')}, this code reads {SHARD_VERSION}")
    _check(meta.get("feature_set") == FEATURE_SET_VERSION, path,
           f"made with feature set {meta.get('feature_set')!r}, this encoder is "
           f"{FEATURE_SET_VERSION!r}")
    n = meta.get("size")
    _check(isinstance(n, int) and 2 <= n <= 25, path, f"bad board size {n!r}")
    _check(size is None or n == size, path, f"{n}x{n} games, expected {size}x{size}")
    for name in ("offsets", "points", "colors", "sampled", *(f"game_{k}" for k in GAME_FIELDS)):
        _check(name in data, path, f"array {name!r} missing")
    offsets = data["offsets"].astype(np.int64)
    games = len(offsets) - 1
    moves = len(data["points"])
    _check(games >= 0 and offsets[0] == 0 and offsets[-1] == moves
           and bool(np.all(np.diff(offsets) >= 0)), path, "inconsistent game offsets")
    _check(len(data["colors"]) == moves and len(data["sampled"]) == moves, path,
           "move arrays of different lengths")
    _check(games == meta.get("games"), path, "game count does not match the metadata")
    cols = {}
    for k, dtype in GAME_FIELDS.items():
        a = data[f"game_{k}"]
        _check(a.shape == (games,), path, f"per-game array {k!r} has shape {a.shape}")
        cols[k] = a.astype(dtype, copy=False)
    own = data.get("ownership")
    _check(own is None or own.shape == (games, n * n), path, "ownership of the wrong shape")
    pts = data["points"]
    _check(bool(np.all((pts == -1) | ((pts > 0) & (pts < (n + 2) * (n + 2))))), path,
           "a move off the board")
    return Shard(n, float(meta.get("komi", 0.0)), meta, offsets, pts.astype(np.int16),
                 data["colors"].astype(np.int8), data["sampled"].astype(np.uint8), cols,
                 None if own is None else own.astype(np.int8), path)


@dataclass
class ShardStats:
    """What ``iter_shards`` read and skipped, with the first messages."""
    shards: int = 0
    games: int = 0
    skipped: int = 0
    errors: list = field(default_factory=list)

    def skip(self, message: str) -> None:
        self.skipped += 1
        if len(self.errors) < 20:
            self.errors.append(message)
        log.warning("skipped shard %s", message)

    def summary(self) -> str:
        text = f"{self.shards} shards ({self.games} games) read, {self.skipped} skipped"
        return text + ("; " + "; ".join(self.errors[:3]) if self.errors else "")


def shard_files(paths: str | os.PathLike | Iterable, newest_first: bool = False) -> list[Path]:
    """The shard files in ``paths`` (files, or directories searched
    recursively), ordered by name (writers name them so that this is the
    order they were written in); a path that does not exist raises."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"no such file or directory: {p}")
        if p.is_dir():
            found += [f for f in p.rglob(f"*{SHARD_SUFFIX}") if not f.name.startswith(".")]
        else:
            found.append(p)
    found.sort(key=lambda f: (f.name, str(f)), reverse=newest_first)
    return found


def iter_shards(paths: str | os.PathLike | Iterable, size: int | None = None,
                stats: ShardStats | None = None,
                newest_first: bool = False) -> Iterator[Shard]:
    """The readable shards in ``paths``; a bad one is counted in ``stats``,
    logged and skipped."""
    stats = ShardStats() if stats is None else stats
    for f in shard_files(paths, newest_first):
        try:
            shard = read_shard(f, size)
        except ShardError as e:
            stats.skip(str(e))
            continue
        stats.shards += 1
        stats.games += len(shard)
        yield shard


def to_corpus(shards: list[Shard], games: list[np.ndarray] | None = None) -> Corpus:
    """The games of ``shards`` (or only ``games[i]`` of shard i: indices) as
    an ``engine.corpus.Corpus``, so that ``nets.data`` replays and encodes
    them like expert games."""
    if not shards:
        raise ValueError("no shards")
    n = shards[0].size
    pts, cols, lens, winners = [], [], [], []
    for i, s in enumerate(shards):
        if s.size != n:
            raise ValueError(f"{s.path}: {s.size}x{s.size} games among {n}x{n} ones")
        pick = np.arange(len(s)) if games is None else games[i]
        for g in pick:
            a, b = s.offsets[g], s.offsets[g + 1]
            pts.append(s.points[a:b])
            cols.append(s.colors[a:b])
            lens.append(b - a)
        winners.append(s.winner[pick])
    offsets = np.zeros(len(lens) + 1, np.int64)
    offsets[1:] = np.cumsum(lens)
    count = len(lens)

    def cat(xs: list[np.ndarray], t: type) -> np.ndarray:
        return np.concatenate(xs).astype(t) if xs else np.zeros(0, t)

    return Corpus(n, cat(pts, np.int16), cat(cols, np.int8), offsets,
                  np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(count + 1, np.int64),
                  cat(winners, np.int8), np.full(count, BLACK, np.int8))


@dataclass
class ValuePositions:
    """One training position per self-play game, AlphaGo's value data:
    the games (``corpus``), the index of each game's position (``moves``:
    the position before that move), the final ownership (Black's frame)."""
    corpus: Corpus
    moves: np.ndarray        # int64 (games,)
    ownership: np.ndarray    # int8 (games, n*n)
    stats: ShardStats


def value_position_mask(shard: Shard) -> np.ndarray:
    """Per game: it holds a value position (its index falls inside the
    game, which has a winner)."""
    return (shard.sample >= 0) & (shard.sample < np.diff(shard.offsets)) & (shard.winner != 0)


def load_value_positions(paths: str | os.PathLike | Iterable, size: int,
                         max_games: int | None = None) -> ValuePositions:
    """The value positions of the shards in ``paths``: games with a
    ``sample`` index, a winner and an ownership map, the newest
    ``max_games`` of them (a window over the most recent records)."""
    stats = ShardStats()
    chosen, picks, total = [], [], 0
    for shard in iter_shards(paths, size, stats, newest_first=True):
        if shard.ownership is None:
            continue
        idx = np.nonzero(value_position_mask(shard))[0]
        if max_games is not None:
            idx = idx[max(0, len(idx) - (max_games - total)):]
        if len(idx):
            chosen.append(shard)
            picks.append(idx)
            total += len(idx)
        if max_games is not None and total >= max_games:
            break
    if not chosen:
        raise ValueError(f"no value positions in {paths} ({stats.summary()})")
    chosen.reverse()
    picks.reverse()
    corpus = to_corpus(chosen, picks)
    moves = np.concatenate([s.sample[i] for s, i in zip(chosen, picks)]).astype(np.int64)
    own = np.concatenate([s.ownership[i] for s, i in zip(chosen, picks)
                          if s.ownership is not None])      # every chosen shard has one
    return ValuePositions(corpus, moves, own, stats)
