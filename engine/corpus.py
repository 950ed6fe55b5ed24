"""Many games of one board size in memory as flat arrays (``Corpus``), and
the same arrays packed into one file (``tengen pack``).

Why flat arrays: a move is two bytes, so 100,000 games fit in a few
megabytes after one pass over the archives, and compiled code replays
them (``engine.replay``) without Python objects; positions are re-created
by replaying, never stored.

Why a packed file: reading the eleven expert archives from SGF takes
minutes on every run; their ``Corpus`` written out (``pack_corpus``, the
arrays as they are in memory, LZMA-compressed, about 0.9 bytes a move) is
read in seconds, and the whole collection (about 24 MB) travels with the
repository to a GPU machine that takes 64 MiB in all.  A packed file is a
zip of ``.npy`` arrays, the games' metadata (source, name, date, players,
ranks, result) and ``meta.json``: a format version, the digest of its
arrays and of every source archive.  ``read_packed`` checks all of it: a
corrupt, foreign or newer file, or one packed from other archives than the
ones it is checked against, is a ``CorpusFileError`` that says so.  SGF
stays the interchange format: a packed file is a cache of archives, never
a source of games of its own.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from tengen.base.config import add_options, at_least, option, option_of, parse_config
from tengen.base.control import Progress
from tengen.base.files import atomic_write_bytes

from .board import STATE_LEN
from .replay import states_before
from .sgf.archive import Paths, ReadStats, iter_records
from .sgf.record import GameRecord

CORPUS_FORMAT = 1              # the packed file's layout; a reader refuses any other
PACKED_SUFFIX = ".npz"         # a packed corpus among SGF paths is told by its name
ARRAYS = ("points", "colors", "offsets", "setup_points", "setup_colors", "setup_offsets",
          "winner", "first", "margin", "komi")
METADATA = {"DT": "date", "PB": "black", "PW": "white", "BR": "black_rank",
            "WR": "white_rank"}     # SGF property -> games.json field (and name, result)


class CorpusFileError(ValueError):
    """A packed corpus that cannot be used: unreadable, corrupt, of another
    format, or not packed from the archives it is checked against."""


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


class _Builder:
    """A ``Corpus`` accumulated game by game (``load_corpus``, ``pack_corpus``)."""

    def __init__(self, size: int | None, metadata: bool = False):
        self.size = size
        self.pts: list[int] = []
        self.cols: list[int] = []
        self.offs = [0]
        self.spts: list[int] = []
        self.scols: list[int] = []
        self.soffs = [0]
        self.winners: list[int] = []
        self.first: list[int] = []
        self.margins: list[float] = []
        self.komis: list[float] = []
        self.other = 0                  # games of another size
        self.meta: dict[str, list[str]] | None = (
            {field: [] for field in ("name", "result", *METADATA.values())} if metadata
            else None)

    @property
    def games(self) -> int:
        return len(self.winners)

    def add(self, rec: GameRecord) -> bool:
        """Take one game record; False when it is of another size."""
        if self.size is None:
            self.size = rec.size
        if rec.size != self.size:
            self.other += 1
            return False
        for c, p in rec.moves:
            self.pts.append(p)
            self.cols.append(c)
        self.offs.append(len(self.pts))
        for p, c in rec.setup.items():
            self.spts.append(p)
            self.scols.append(c)
        self.soffs.append(len(self.spts))
        self.winners.append(rec.winner or 0)
        self.first.append(rec.first_to_move)
        self.margins.append(np.nan if rec.margin is None else rec.margin)
        self.komis.append(rec.komi)
        if self.meta is not None:
            self.meta["name"].append(rec.source.rpartition(":")[2] or rec.source)
            self.meta["result"].append(rec.result or "")
            for prop, field in METADATA.items():
                self.meta[field].append((rec.properties.get(prop) or [""])[0])
        return True

    def corpus(self, skipped: int) -> Corpus:
        return Corpus(self.size or 19, np.array(self.pts, np.int16), np.array(self.cols, np.int8),
                      np.array(self.offs, np.int64), np.array(self.spts, np.int16),
                      np.array(self.scols, np.int8), np.array(self.soffs, np.int64),
                      np.array(self.winners, np.int8), np.array(self.first, np.int8),
                      skipped + self.other, np.array(self.margins, np.float32),
                      np.array(self.komis, np.float32))


def is_packed(path: str | os.PathLike[str]) -> bool:
    """``path`` names a packed corpus (``pack_corpus``), not SGF games."""
    return str(path).endswith(PACKED_SUFFIX)


def load_corpus(paths: Paths, size: int | None = 19, max_games: int | None = None,
                progress: bool = False) -> Corpus:
    """Read games of ``size`` (None: the size of the first game read) from
    SGF files, directories or archives, and packed corpora (``.npz``,
    ``tengen pack``) among them; games of other sizes are skipped."""
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    packed = [p for p in paths if is_packed(p)]
    sgf = [p for p in paths if not is_packed(p)]
    parts: list[Corpus] = []
    for path in packed:
        part = read_packed(path)
        if size is not None and part.size != size:
            raise CorpusFileError(f"{path}: holds {part.size}x{part.size} games, not "
                                  f"{size}x{size}")
        size = part.size
        parts.append(part)
    if sgf or not packed:
        stats = ReadStats()
        build = _Builder(size)
        records = iter_records(sgf, stats)
        if progress:
            from tqdm import tqdm
            records = tqdm(records, desc="reading games", unit=" games")
        for rec in records:
            if build.add(rec) and max_games is not None and build.games >= max_games:
                break
        parts.append(build.corpus(stats.skipped))
    corpus = concat(parts)
    if max_games is not None and corpus.games > max_games:
        corpus = first_games(corpus, max_games)
    return corpus


def concat(parts: list[Corpus]) -> Corpus:
    """The games of ``parts`` (one board size) one after the other."""
    if len(parts) == 1:
        return parts[0]

    def joined(name: str, offsets: bool = False) -> np.ndarray:
        arrays, base = [], 0
        for i, part in enumerate(parts):
            a = getattr(part, name)
            if offsets:
                a = (a if i == 0 else a[1:]) + base
                base = int(a[-1])
            arrays.append(a)
        return np.concatenate(arrays)

    return Corpus(parts[0].size, joined("points"), joined("colors"), joined("offsets", True),
                  joined("setup_points"), joined("setup_colors"), joined("setup_offsets", True),
                  joined("winner"), joined("first"), sum(p.skipped for p in parts),
                  joined("margin"), joined("komi"))


def first_games(corpus: Corpus, games: int) -> Corpus:
    """The first ``games`` games of ``corpus``."""
    m, sm = int(corpus.offsets[games]), int(corpus.setup_offsets[games])
    return Corpus(corpus.size, corpus.points[:m], corpus.colors[:m], corpus.offsets[:games + 1],
                  corpus.setup_points[:sm], corpus.setup_colors[:sm],
                  corpus.setup_offsets[:games + 1], corpus.winner[:games], corpus.first[:games],
                  corpus.skipped, None if corpus.margin is None else corpus.margin[:games],
                  None if corpus.komi is None else corpus.komi[:games])


# ---- the packed file ------------------------------------------------------------------

def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sources_digest(sources: list[dict]) -> str:
    """One digest of the source archives (their names and contents)."""
    lines = "".join(f"{s['name']}\t{s['sha256']}\n" for s in sources)
    return hashlib.sha256(lines.encode()).hexdigest()


def _content_digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}\n".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def pack_corpus(paths: list[str], out: str | Path, size: int = 19, max_games: int | None = None,
                progress: bool = False) -> dict:
    """Read the games of ``size`` from ``paths`` (SGF archives, files or
    directories), in order, and write them to ``out`` as one packed
    corpus, atomically; returns its ``meta.json``."""
    stats = ReadStats()
    build = _Builder(size, metadata=True)
    sources: list[dict[str, Any]] = []
    source_of: list[int] = []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(desc="packing games", unit=" games")
    for path in paths:
        if Path(path).is_dir():
            raise CorpusFileError(f"{path}: a directory; pack SGF archives or files, whose "
                                  "digest the packed file records")
        before = build.games
        for rec in iter_records([path], stats):
            if build.add(rec):
                source_of.append(len(sources))
                if bar is not None:
                    bar.update(1)
            if max_games is not None and build.games >= max_games:
                break
        sources.append({"name": Path(path).name, "bytes": Path(path).stat().st_size,
                        "sha256": file_digest(path), "games": build.games - before})
        if max_games is not None and build.games >= max_games:
            break
    if bar is not None:
        bar.close()
    corpus = build.corpus(stats.skipped)
    arrays = {name: getattr(corpus, name) for name in ARRAYS}
    arrays["source"] = np.array(source_of, np.int16)
    games_json = json.dumps(build.meta, ensure_ascii=False, separators=(",", ":"))
    meta = {"format": CORPUS_FORMAT, "kind": "tengen-corpus", "size": corpus.size,
            "games": corpus.games, "moves": corpus.moves, "skipped": corpus.skipped,
            "sources": sources, "sources_sha256": sources_digest(sources),
            "content_sha256": _content_digest(arrays),
            "games_json_sha256": hashlib.sha256(games_json.encode()).hexdigest()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_LZMA) as zf:
        zf.writestr("meta.json", json.dumps(meta, indent=1))
        zf.writestr("games.json", games_json)
        for name, a in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(a), allow_pickle=False)
            zf.writestr(f"{name}.npy", member.getvalue())
    atomic_write_bytes(out, buf.getvalue())
    return meta


@overload
def read_packed(path: str | os.PathLike[str], sources: list[str] | None = None,
                metadata: Literal[False] = False) -> Corpus: ...


@overload
def read_packed(path: str | os.PathLike[str], sources: list[str] | None = None, *,
                metadata: Literal[True]) -> tuple[Corpus, dict, dict]: ...


def read_packed(path: str | os.PathLike[str], sources: list[str] | None = None,
                metadata: bool = False) -> Corpus | tuple[Corpus, dict, dict]:
    """The ``Corpus`` in a packed file, checked (module docstring); with
    ``sources`` (archive paths) also that it was packed from exactly these
    archives; with ``metadata`` (corpus, meta.json, games.json)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "meta.json" not in names:
                raise CorpusFileError(f"{path}: not a packed tengen corpus (no meta.json): "
                                      "pack SGF archives with tengen pack")
            meta = json.loads(zf.read("meta.json"))
            if meta.get("kind") != "tengen-corpus":
                raise CorpusFileError(f"{path}: not a packed tengen corpus")
            if meta.get("format") != CORPUS_FORMAT:
                raise CorpusFileError(f"{path}: packed corpus format {meta.get('format')}, this "
                                      f"tengen reads format {CORPUS_FORMAT}: pack the archives "
                                      "again with this tengen")
            arrays = {}
            for name in (*ARRAYS, "source"):
                with zf.open(f"{name}.npy") as f:
                    arrays[name] = np.lib.format.read_array(io.BytesIO(f.read()),
                                                            allow_pickle=False)
            games_json = zf.read("games.json") if metadata else None
    except FileNotFoundError:
        raise CorpusFileError(f"{path}: no such packed corpus") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError,
            EOFError, json.JSONDecodeError) as e:
        if isinstance(e, CorpusFileError):
            raise
        raise CorpusFileError(f"{path}: corrupt packed corpus ({type(e).__name__}: {e}); pack "
                              "the archives again") from None
    if _content_digest(arrays) != meta.get("content_sha256"):
        raise CorpusFileError(f"{path}: corrupt packed corpus: its games do not match the "
                              "digest recorded when it was packed; pack the archives again")
    if sources is not None:
        _check_sources(path, meta, sources)
    corpus = Corpus(int(meta["size"]), arrays["points"], arrays["colors"], arrays["offsets"],
                    arrays["setup_points"], arrays["setup_colors"], arrays["setup_offsets"],
                    arrays["winner"], arrays["first"], int(meta["skipped"]), arrays["margin"],
                    arrays["komi"])
    if not metadata:
        return corpus
    assert games_json is not None           # read with the metadata
    if hashlib.sha256(games_json).hexdigest() != meta.get("games_json_sha256"):
        raise CorpusFileError(f"{path}: corrupt packed corpus: its game metadata do not match "
                              "their digest; pack the archives again")
    return corpus, meta, json.loads(games_json)


def _check_sources(path: str | os.PathLike[str], meta: dict, sources: list[str]) -> None:
    """The packed file came from exactly these archives, byte for byte."""
    recorded = {s["name"]: s["sha256"] for s in meta["sources"]}
    given = {Path(p).name: file_digest(p) for p in sources}
    if given != recorded:
        changed = sorted(n for n in given.keys() & recorded.keys() if given[n] != recorded[n])
        raise CorpusFileError(
            f"{path}: packed from other archives than these: "
            + "; ".join(part for part in (
                f"not packed from {sorted(given.keys() - recorded.keys())}"
                if given.keys() - recorded.keys() else "",
                f"packed from {sorted(recorded.keys() - given.keys())} too"
                if recorded.keys() - given.keys() else "",
                f"changed since: {changed}" if changed else "") if part)
            + "; pack them again")


# ---- tengen pack ----------------------------------------------------------------------

@dataclass(frozen=True)
class PackConfig:
    """``tengen pack ARCHIVE... --out FILE`` (and ``--check``)."""
    archives: list[str] = option(positional=True, metavar="ARCHIVE",
                                 help="SGF archives (.zip) or .sgf files, packed in this order")
    out: str = option(metavar="FILE", help="the packed corpus to write (FILE.npz); with --check, "
                                            "the packed corpus to check against the archives")
    size: int = option(19, help="board size of the games packed (others are skipped)")
    max_games: int = option(0, help="pack at most this many games (0: all)")
    check: bool = option(False, help="write nothing: check that --out was packed from exactly "
                                     "these archives and is whole")
    progress: bool = option_of(Progress, "progress")

    def __post_init__(self) -> None:
        at_least(self, 0, "max_games")
        at_least(self, 2, "size")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, PackConfig)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cfg = parse_config(parser, PackConfig, args)
    if not is_packed(cfg.out):
        parser.error(f"--out {cfg.out}: a packed corpus is named FILE{PACKED_SUFFIX}")
    try:
        if cfg.check:
            _, meta, _ = read_packed(cfg.out, cfg.archives, metadata=True)
        else:
            meta = pack_corpus(cfg.archives, cfg.out, cfg.size, cfg.max_games or None,
                               cfg.progress and sys.stderr.isatty())
    except CorpusFileError as e:
        print(f"tengen pack: {e}", file=sys.stderr)
        return 2
    summary = {k: meta[k] for k in ("games", "moves", "skipped", "sources_sha256")}
    summary.update(file=str(cfg.out), mb=round(Path(cfg.out).stat().st_size / 1e6, 2),
                   sources=[s["name"] for s in meta["sources"]], checked=cfg.check)
    print(json.dumps(summary))
    return 0
