"""Every tygem game reads, and replays without an illegal move.

The archives are read in place with the training pipeline's reader
(``iter_records``), one archive per task on two worker processes.  Every
member must parse.  Each game is replayed by the compiled path under simple
ko (the rules the games were played under) and under Chinese rules, where
the only failures allowed are positional superko repetitions; every 20th
game is also replayed through ``Game`` and must build the same board.

The data hold one corrupt record (tygem-2011-04.zip:428829509.sgf repeats
its moves 148-151 as 152-155, so move 152 lands on an occupied point; an
undo logged twice, probably): ``iter_records`` skips such games.  The test
names it: exactly the known corrupt games fail, each with its known message,
confirmed by the independent ``Game`` replay; any other failure is a bug."""

import multiprocessing
import time
import zipfile

import numpy as np
import pytest
from conftest import DATA, needs_data

from engine import board as B
from engine.board import BLACK, WHITE
from engine.sgf.archive import ReadStats, iter_records
from engine.sgf.record import SGFError

CROSS_CHECK_EVERY = 20
KNOWN_CORRUPT = [
    "tygem-2011-04.zip:428829509.sgf: move 152 (W at qi = R11) is illegal: occupied",
]


def _same_state(a, b):
    a, b = a[:B.MARK].copy(), b[:B.MARK].copy()
    a[B.H_STAMP] = b[B.H_STAMP] = 0
    return np.array_equal(a, b)


def check_archive(path):
    """Read and replay one archive; return what was found."""
    with zipfile.ZipFile(path) as z:
        members = sum(1 for i in z.infolist() if i.filename.lower().endswith(".sgf"))
    stats = ReadStats()
    found = {"archive": path.name, "members": members, "superko": 0, "other": [],
             "cross_checked": 0, "mismatch": [], "odd_header": [], "illegal": [], "unconfirmed": []}
    for k, rec in enumerate(iter_records([path], stats, validate=False)):
        if (rec.size, rec.komi) != (19, 6.5) or (rec.result or "")[:2] in ("B+", "W+") and \
                rec.winner != {"B": BLACK, "W": WHITE}[rec.result[0]]:
            found["odd_header"].append(rec.source)
        try:
            rec.replay("korean")
        except SGFError as e:
            found["illegal"].append(str(e))
            try:
                rec.to_game("korean")
                found["unconfirmed"].append(str(e))
            except SGFError as slow:
                if str(slow) != str(e):
                    found["unconfirmed"].append(str(e))
            continue
        try:
            rec.replay("chinese")
        except SGFError as e:
            if str(e).endswith("is illegal: superko"):
                found["superko"] += 1
            else:
                found["other"].append(str(e))
        if k % CROSS_CHECK_EVERY == 0:
            found["cross_checked"] += 1
            if not _same_state(rec.replay("korean"), rec.to_game("korean").state):
                found["mismatch"].append(rec.source)
    found.update(games=stats.games, skipped=stats.skipped, errors=stats.errors)
    return found


@needs_data
@pytest.mark.data
@pytest.mark.slow
def test_every_tygem_game_replays():
    archives = sorted(DATA.glob("*.zip"))
    assert archives, f"no archives in {DATA}"
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(check_archive, archives, chunksize=1)
    elapsed = time.perf_counter() - start
    games = sum(r["games"] for r in results)
    superko = sum(r["superko"] for r in results)
    illegal = [m for r in results for m in r["illegal"]]
    print(f"\ntygem: {games} games in {len(archives)} archives read and replayed in {elapsed:.1f}s "
          f"on 2 processes; {superko} repeat a position (illegal only under positional "
          f"superko); {len(illegal)} corrupt: {illegal}")
    for r in results:
        assert r["skipped"] == 0, (r["archive"], r["errors"])
        assert r["games"] == r["members"], r["archive"]
        assert r["other"] == [], r["other"][:5]
        assert r["unconfirmed"] == [], r["unconfirmed"]
        assert r["mismatch"] == [] and r["odd_header"] == [], r
        assert r["cross_checked"] >= r["games"] // CROSS_CHECK_EVERY
    assert sorted(illegal) == KNOWN_CORRUPT
