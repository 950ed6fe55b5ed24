"""``tengen.referee.openings``: which recorded games give a match its openings."""

import pytest

from engine.board import BLACK, WHITE
from engine.coords import parse_gtp
from engine.rules import rules_named
from tengen.referee.openings import load_openings

CHINESE = rules_named("chinese")

# Ten small records, read in the order of their names.
GAMES = {
    "a01": "(;GM[1]SZ[5];B[cc];W[bb];B[dd])",          # usable: C3 B4
    "a02": "(;GM[1]SZ[5];B[cc];W[bb];B[ad])",          # the same opening again
    "a03": "(;GM[1]SZ[9];B[cc];W[bb])",                # another size
    "a04": "(;GM[1]SZ[5]HA[2]AB[bb][dd];W[cc];B[bc])",  # handicap stones
    "a05": "(;GM[1]SZ[5];B[cc];W[];B[bb])",            # a pass inside the opening
    "a06": "(;GM[1]SZ[5];B[cc])",                      # too short
    "a07": "(;GM[1]SZ[5];B[cc];W[b",                   # corrupt
    "a08": "(;GM[1]SZ[5];W[cc];B[bb])",                # White first
    "a09": "(;GM[1]SZ[5];B[bc];W[dc];B[cd])",          # usable: B3 D3
    "a10": "(;GM[1]SZ[5];B[aa];W[ee])",                # usable: A5 E1
}


@pytest.fixture
def folder(tmp_path):
    for name, text in GAMES.items():
        (tmp_path / f"{name}.sgf").write_text(text)
    return tmp_path


def moves(*gtp):
    return tuple((BLACK if i % 2 == 0 else WHITE, parse_gtp(m, 5)) for i, m in enumerate(gtp))


def test_only_distinct_even_openings_of_the_board_size_are_taken_in_file_order(folder):
    got = load_openings(str(folder), 3, 2, 5, CHINESE)
    assert [o.moves for o in got] == [moves("C3", "B4"), moves("B3", "D3"), moves("A5", "E1")]
    assert got[0].source.endswith("a01.sgf") and got[1].source.endswith("a09.sgf")
    assert got[0].describe(5).startswith("first 2 moves of ") and got[0].describe(5).endswith("(C3 B4)")


def test_skip_gives_a_second_process_the_openings_after_the_first_ones(folder):
    got = load_openings(str(folder), 2, 2, 5, CHINESE, skip=1)
    assert [o.moves for o in got] == [moves("B3", "D3"), moves("A5", "E1")]


def test_longer_openings_drop_the_games_too_short_for_them(folder):
    (only,) = load_openings(str(folder), 1, 3, 5, CHINESE)
    assert only.moves == moves("C3", "B4", "D2")
    with pytest.raises(ValueError, match="3 usable openings of 3 moves"):
        load_openings(str(folder), 4, 3, 5, CHINESE)     # a01, a02 (now distinct), a09


def test_too_few_openings_or_a_missing_source_is_a_clear_error(folder, tmp_path):
    with pytest.raises(ValueError, match=r"3 usable openings of 2 moves on 5x5 \(needed 4"):
        load_openings(str(folder), 4, 2, 5, CHINESE)
    with pytest.raises(ValueError, match="no such file"):
        load_openings(str(tmp_path / "missing.zip"), 1, 2, 5, CHINESE)
