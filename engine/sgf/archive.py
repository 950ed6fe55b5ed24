"""Streaming many games out of files, directories and archives, with the
bad ones counted and skipped (``iter_records``)."""

import logging
import os
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, overload

from ..rules import RULE_SETS, Rules
from .read import MAX_FILE_BYTES, checked_record, parse_trees
from .record import GameRecord, SGFError, rules_of

log = logging.getLogger(__name__)

# iter_records checks records with simple ko: most expert games come from
# Korean and Japanese servers, where repeating a whole-board position is legal
# (21 of tygem's 119k games do); a repetition is a rules difference, not a
# corrupt record.  Occupied points, suicide and ko are still caught.
RECORD_RULES = RULE_SETS["korean"]
_ARCHIVE_TAR = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar")


@dataclass
class ReadStats:
    """Counts kept by ``iter_records``: ``games`` yielded, ``skipped``
    (malformed or illegal games, unreadable files, members or archives),
    ``ignored`` files and members that are not SGF, and the first
    ``max_errors`` skip messages."""
    games: int = 0
    skipped: int = 0
    ignored: int = 0
    errors: list[str] = field(default_factory=list)
    max_errors: int = 20

    def skip(self, message: str) -> None:
        self.skipped += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(message)
        log.warning("skipped %s", message)

    def summary(self) -> str:
        text = f"{self.games} games read, {self.skipped} skipped, {self.ignored} non-SGF entries ignored"
        if self.errors:
            more = self.skipped - len(self.errors)
            text += "; first errors:\n  " + "\n  ".join(self.errors)
            if more > 0:
                text += f"\n  ... and {more} more"
        return text


def _kind(path: str) -> str | None:
    low = path.lower()
    if low.endswith(".sgf"):
        return "sgf"
    if low.endswith(".zip"):
        return "zip"
    if low.endswith(_ARCHIVE_TAR):
        return "tar"
    return None


# a path, or several: .sgf files, directories, archives
Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
# what ``iter_records(..., with_data=True)`` yields: (record, its file's bytes, its index there)
RecordWithData = tuple[GameRecord, bytes, int]


@overload
def iter_records(paths: Paths, stats: ReadStats | None = None, rules: Rules | str | None = None,
                 validate: bool = True, max_bytes: int = MAX_FILE_BYTES,
                 with_data: Literal[False] = False) -> Iterator[GameRecord]: ...


@overload
def iter_records(paths: Paths, stats: ReadStats | None = None, rules: Rules | str | None = None,
                 validate: bool = True, max_bytes: int = MAX_FILE_BYTES, *,
                 with_data: Literal[True]) -> Iterator[RecordWithData]: ...


def iter_records(paths: Paths, stats: ReadStats | None = None, rules: Rules | str | None = None,
                 validate: bool = True, max_bytes: int = MAX_FILE_BYTES, with_data: bool = False
                 ) -> Iterator[GameRecord | RecordWithData]:
    """Stream GameRecords from ``paths``: .sgf files, directories (searched
    recursively, in sorted order), and .zip / .tar / .tar.gz / .tgz /
    .tar.bz2 archives of SGF files; every game of a collection.

    One file or archive member is in memory at a time (tar archives are
    read as a stream, zip members one by one).  Games that cannot be read,
    or (``validate``) that hold an illegal move under ``rules`` (default
    ``RECORD_RULES``: simple ko; checked by the compiled
    ``GameRecord.replay``), are skipped:
    counted in ``stats`` (a ReadStats) and logged once each at warning
    level.  Entries that are not SGF (other names, directories, links) are
    counted as ignored.  A path that does not exist, or a file of an
    unknown type named directly, raises at once (FileNotFoundError /
    ValueError): that is a caller's mistake, not bad data.

    ``with_data``: yield ``(record, data, k)`` instead, ``data`` the bytes
    of the SGF file the record came from and ``k`` its game's index in that
    collection (what a tool needs that rewrites the file, variations and
    all, such as ``tengen analyze``)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    names = [os.fspath(p) for p in paths]
    for p in names:
        if not os.path.exists(p):
            raise FileNotFoundError(f"no such file or directory: {p}")
        if not os.path.isdir(p) and _kind(p) is None:
            raise ValueError(f"{p}: not an .sgf file, a directory or a .zip/.tar.gz/.tgz/.tar.bz2 archive")
    stats = ReadStats() if stats is None else stats
    reader = _Reader(stats, RECORD_RULES if rules is None else rules_of(rules), validate, max_bytes,
                     with_data)
    return reader.run(names)


class _Reader:
    def __init__(self, stats: ReadStats, rules: Rules, validate: bool, max_bytes: int,
                 with_data: bool = False) -> None:
        self.with_data = with_data
        self.stats = stats
        self.rules = rules
        self.validate = validate
        self.max_bytes = max_bytes

    def run(self, paths: list[str]) -> Iterator[GameRecord | RecordWithData]:
        for path in paths:
            if os.path.isdir(path):
                yield from self._directory(path)
            else:
                yield from self._file(path, _kind(path))

    def _directory(self, top: str) -> Iterator[GameRecord | RecordWithData]:
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                kind = _kind(path)
                if kind is None or os.path.islink(path):
                    self.stats.ignored += 1
                else:
                    yield from self._file(path, kind)

    def _file(self, path: str, kind: str | None) -> Iterator[GameRecord | RecordWithData]:
        if kind == "zip":
            yield from self._zip(path)
        elif kind == "tar":
            yield from self._tar(path)
        else:
            try:
                with open(path, "rb") as f:
                    data = f.read(self.max_bytes + 1)
            except OSError as e:
                self.stats.skip(f"{path}: cannot read: {e}")
                return
            yield from self._games(data, path)

    def _games(self, data: bytes, source: str) -> Iterator[GameRecord | RecordWithData]:
        """The records of one SGF file's bytes, bad ones counted."""
        if len(data) > self.max_bytes:
            self.stats.skip(f"{source}: larger than {self.max_bytes} bytes, not a game record")
            return
        try:
            trees = parse_trees(data, source)
        except SGFError as e:
            self.stats.skip(str(e))
            return
        for k, tree in enumerate(trees):
            name = f"{source}#{k + 1}" if len(trees) > 1 else source
            try:
                rec = checked_record(tree, name, None)
                if self.validate:
                    rec.replay(self.rules)
            except SGFError as e:
                self.stats.skip(str(e))
                continue
            self.stats.games += 1
            yield (rec, data, k) if self.with_data else rec

    def _zip(self, path: str) -> Iterator[GameRecord | RecordWithData]:
        name = os.path.basename(path)
        try:
            zf = zipfile.ZipFile(path)
        except Exception as e:   # hostile archives raise many types; none may escape
            self.stats.skip(f"{name}: not a readable zip archive: {e}")
            return
        with zf:
            for info in zf.infolist():
                if info.is_dir() or _kind(info.filename) != "sgf":
                    self.stats.ignored += 1
                    continue
                source = f"{name}:{info.filename}"
                if info.file_size > self.max_bytes:
                    self.stats.skip(f"{source}: larger than {self.max_bytes} bytes, not a game record")
                    continue
                try:
                    with zf.open(info) as f:
                        data = f.read(self.max_bytes + 1)
                except Exception as e:   # bad CRC, zlib errors, encryption, truncation
                    self.stats.skip(f"{source}: unreadable member: {e}")
                    continue
                yield from self._games(data, source)

    def _tar(self, path: str) -> Iterator[GameRecord | RecordWithData]:
        name = os.path.basename(path)
        try:
            tf = tarfile.open(path, mode="r|*")
        except Exception as e:
            self.stats.skip(f"{name}: not a readable tar archive: {e}")
            return
        with tf:
            members = iter(tf)
            while True:
                try:
                    info = next(members)
                except StopIteration:
                    break
                except Exception as e:   # truncated or corrupt stream: nothing after it is readable
                    self.stats.skip(f"{name}: archive corrupt or truncated: {e}")
                    break
                if not info.isfile() or _kind(info.name) != "sgf":
                    self.stats.ignored += 1
                    continue
                source = f"{name}:{info.name}"
                if info.size > self.max_bytes:
                    self.stats.skip(f"{source}: larger than {self.max_bytes} bytes, not a game record")
                    continue
                try:
                    member = tf.extractfile(info)
                    assert member is not None       # a file member has its data
                    data = member.read(self.max_bytes + 1)
                except Exception as e:
                    self.stats.skip(f"{source}: archive corrupt or truncated: {e}")
                    break
                yield from self._games(data, source)
