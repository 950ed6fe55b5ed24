"""``engine.coords``: every conversion round-trips and bad input is refused."""

import pytest

from engine import board as B
from engine.board import PASS
from engine.coords import (
    CoordinateError,
    all_points,
    format_gtp,
    format_sgf,
    index_to_point,
    is_point,
    on_board,
    parse_gtp,
    parse_sgf,
    point_to_index,
    to_point,
    to_xy,
)


@pytest.mark.parametrize("n", [2, 9, 19, 25])
def test_round_trips(n):
    pts = all_points(n)
    assert len(set(pts)) == n * n
    for i, p in enumerate(pts):
        x, y = to_xy(p, n)
        assert on_board(x, y, n) and to_point(x, y, n) == p
        assert point_to_index(p, n) == i == y * n + x
        assert index_to_point(i, n) == p
        assert parse_gtp(format_gtp(p, n), n) == p
        assert parse_sgf(format_sgf(p, n), n) == p
    assert point_to_index(PASS, n) == n * n and index_to_point(n * n, n) == PASS


@pytest.mark.parametrize("n", [2, 9, 19, 25])
def test_points_are_the_empty_points_of_a_new_board(n):
    s = B.new_state(n)
    empty = {int(p) for p in range(B.MAXM) if s[B.COLOR + p] == B.EMPTY}
    assert empty == set(all_points(n))
    # is_point: exactly those, never PASS, the border or beyond the array
    assert {p for p in range(-3, B.MAXM + 3) if is_point(p, n)} == empty


def test_known_vertices():
    # A1 is the bottom-left corner, columns skip I, SGF rows count from the top
    assert to_xy(parse_gtp("A1", 19), 19) == (0, 0)
    assert to_xy(parse_gtp("T19", 19), 19) == (18, 18)
    assert to_xy(parse_gtp("J3", 9), 9) == (8, 2)
    assert to_xy(parse_gtp("z25", 25), 25) == (24, 24)
    assert format_gtp(to_point(7, 0, 19), 19) == "H1"
    assert format_gtp(to_point(8, 0, 19), 19) == "J1"
    assert parse_sgf("aa", 19) == parse_gtp("A19", 19)
    assert parse_sgf("ds", 19) == parse_gtp("D1", 19)
    assert format_sgf(parse_gtp("Q16", 19), 19) == "pd"
    assert parse_gtp(" pass ", 9) == PASS and parse_gtp("PASS", 9) == PASS
    assert format_gtp(PASS, 9) == "pass" and format_sgf(PASS, 9) == ""


def test_sgf_pass_forms():
    assert parse_sgf("", 19) == PASS and parse_sgf("tt", 19) == PASS
    assert parse_sgf("tt", 9) == PASS            # FF[3] pass on small boards
    assert to_xy(parse_sgf("tt", 21), 21) == (19, 1)   # a real point on 21x21


@pytest.mark.parametrize("vertex,n", [
    ("I5", 19), ("A0", 9), ("A20", 19), ("K1", 9), ("", 9), ("A", 9), ("1A", 9),
    ("AA1", 19), ("A-1", 9), ("Ä1", 9), ("A1.5", 9), ("Z1", 19), ("A²", 9), ("A١", 9),
])
def test_bad_gtp_vertices(vertex, n):
    with pytest.raises(CoordinateError):
        parse_gtp(vertex, n)


@pytest.mark.parametrize("text,n", [("a", 9), ("abc", 9), ("jj", 9), ("aj", 9), ("A1", 9),
                                    ("zz", 25), ("a!", 9)])
def test_bad_sgf_points(text, n):
    with pytest.raises(CoordinateError):
        parse_sgf(text, n)


def test_coordinate_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_gtp("I1", 9)
