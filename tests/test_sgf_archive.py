"""``engine.sgf.archive``: streaming records from directories, zip and tar
archives, damaged ones included, with what was skipped counted."""

import io
import logging
import os
import tarfile
import zipfile

import pytest
from sgf_helpers import KO, random_game, sp

from engine.sgf.archive import ReadStats, iter_records
from engine.sgf.read import parse_sgf
from engine.sgf.write import game_to_sgf


def sgf_bytes(seed, n=9, moves=50):
    return game_to_sgf(random_game(n, moves, seed), result="B+R").encode()


ILLEGAL = b"(;SZ[9];B[ee];W[ee])"
GARBAGE = b"\x00\xffnot an sgf file at all"


def test_directory_and_plain_files(tmp_path, caplog):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.sgf").write_bytes(sgf_bytes(1))
    (tmp_path / "a" / "b" / "two.SGF").write_bytes(sgf_bytes(2))
    (tmp_path / "a" / "b" / "bad.sgf").write_bytes(GARBAGE)
    (tmp_path / "a" / "b" / "illegal.sgf").write_bytes(ILLEGAL)
    (tmp_path / "readme.txt").write_text("not a game")
    stats = ReadStats()
    with caplog.at_level(logging.WARNING, logger="engine.sgf"):
        recs = list(iter_records([tmp_path], stats))
    assert sorted(os.path.basename(r.source) for r in recs) == ["one.sgf", "two.SGF"]
    assert (stats.games, stats.skipped, stats.ignored) == (2, 2, 1)
    assert any("bad.sgf: malformed SGF" in m for m in stats.errors)
    assert any("illegal.sgf: move 2 (W at ee = E5) is illegal: occupied" in m for m in stats.errors)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    assert "2 games read, 2 skipped" in stats.summary()


def test_zip_archive_with_corrupt_members(tmp_path):
    path = tmp_path / "games.zip"
    marker = b"(;SZ[9]C[corrupt me];B[aa])"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("g/1.sgf", sgf_bytes(1), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("g/", b"")                              # a directory entry
        z.writestr("g/2.sgf", GARBAGE)
        z.writestr("g/notes.txt", b"hello")
        z.writestr("g/3.sgf", ILLEGAL)
        z.writestr("g/4.sgf", marker, compress_type=zipfile.ZIP_STORED)
        z.writestr("g/5.sgf", sgf_bytes(5), compress_type=zipfile.ZIP_DEFLATED)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"corrupt me", b"corrupt ME"))   # CRC no longer matches
    stats = ReadStats()
    recs = list(iter_records(path, stats))
    assert [r.source for r in recs] == ["games.zip:g/1.sgf", "games.zip:g/5.sgf"]
    assert (stats.games, stats.skipped, stats.ignored) == (2, 3, 2)
    assert any("games.zip:g/4.sgf: unreadable member" in m for m in stats.errors)
    assert recs[0].moves == parse_sgf(sgf_bytes(1)).moves


def test_tar_archives(tmp_path):
    for suffix, mode in ((".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.bz2", "w:bz2")):
        path = tmp_path / f"games{suffix}"
        with tarfile.open(path, mode) as t:
            for name, data in (("x/1.sgf", sgf_bytes(1)), ("x/bad.sgf", GARBAGE),
                               ("x/info.txt", b"text"), ("x/2.sgf", sgf_bytes(2))):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            d = tarfile.TarInfo("x/sub")
            d.type = tarfile.DIRTYPE
            t.addfile(d)
        stats = ReadStats()
        recs = list(iter_records([path], stats))
        assert [r.source for r in recs] == [f"games{suffix}:x/1.sgf", f"games{suffix}:x/2.sgf"]
        assert (stats.games, stats.skipped, stats.ignored) == (2, 1, 2)


def test_truncated_tar_keeps_the_games_before_the_damage(tmp_path):
    path = tmp_path / "games.tar.gz"
    games = [sgf_bytes(s, n=19, moves=200) for s in range(6)]
    with tarfile.open(path, "w:gz") as t:
        for i, data in enumerate(games):
            info = tarfile.TarInfo(f"{i}.sgf")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3])
    stats = ReadStats()
    recs = list(iter_records(path, stats))
    assert 0 < len(recs) < len(games) and stats.skipped == 1
    assert [r.moves for r in recs] == [parse_sgf(g).moves for g in games[:len(recs)]]
    assert "corrupt or truncated" in stats.errors[0]


def test_unreadable_archives_are_counted(tmp_path):
    for name in ("broken.zip", "broken.tar.gz", "broken.tar.bz2"):
        (tmp_path / name).write_bytes(GARBAGE * 100)
    (tmp_path / "empty.zip").write_bytes(b"")
    stats = ReadStats()
    assert list(iter_records(sorted(tmp_path.iterdir()), stats)) == []
    assert stats.skipped == 4 and stats.games == 0


def test_validation_rules_and_caller_errors(tmp_path):
    superko = f"(;SZ[9]{KO};B[{sp('D4')}];W[];B[];W[{sp('C4')}])"
    path = tmp_path / "ko.sgf"
    path.write_text(superko)
    assert len(list(iter_records(path))) == 1               # simple ko by default
    stats = ReadStats()
    assert list(iter_records(path, stats, rules="chinese")) == []
    assert stats.skipped == 1
    (tmp_path / "occupied.sgf").write_bytes(ILLEGAL)
    assert len(list(iter_records(tmp_path / "occupied.sgf", validate=False))) == 1
    with pytest.raises(FileNotFoundError):
        iter_records([tmp_path / "nope.zip"])
    (tmp_path / "x.rar").write_bytes(b"")
    with pytest.raises(ValueError, match="x.rar"):
        iter_records([tmp_path / "x.rar"])


def test_oversized_members_are_skipped(tmp_path):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.sgf", b"(;C[" + b"x" * 5000 + b"])")
        z.writestr("small.sgf", b"(;SZ[9];B[aa])")
    stats = ReadStats()
    recs = list(iter_records(path, stats, max_bytes=1000))
    assert [r.source for r in recs] == ["big.zip:small.sgf"] and stats.skipped == 1
