"""Where handicap stones go (``engine.handicap``)."""

import pytest

from engine.coords import all_points, format_gtp, to_xy
from engine.handicap import fixed_handicap_points, spread_points


@pytest.mark.parametrize("size,n", [(19, 2), (19, 4), (19, 9), (13, 5), (9, 9), (8, 4)])
def test_free_placement_takes_the_fixed_points_where_gtp_defines_them(size, n):
    assert spread_points(n, size) == fixed_handicap_points(n, size)


def test_more_stones_than_fixed_points_keep_the_fixed_ones_and_spread_the_rest():
    stones = spread_points(13, 19)
    assert stones[:9] == fixed_handicap_points(9, 19)
    assert len(set(stones)) == 13 and set(stones) <= set(all_points(19))


def test_on_a_small_board_the_centre_comes_first_then_a_corner():
    first, second = (format_gtp(p, 5) for p in spread_points(2, 5))
    assert first == "C3" and second in {"A1", "A5", "E1", "E5"}


def _min_sq_distance(p, chosen, size):
    x, y = to_xy(p, size)
    return min((x - a) ** 2 + (y - b) ** 2 for a, b in (to_xy(q, size) for q in chosen))


@pytest.mark.parametrize("size,n", [(5, 6), (6, 7), (19, 16)])
def test_each_extra_stone_is_as_far_from_the_others_as_any_free_point(size, n):
    """Against a brute-force reference: no free point is farther (by the
    nearest chosen stone) than the one picked at each step."""
    stones = spread_points(n, size)
    start = len(fixed_handicap_points(min(n, 9 if size % 2 and size >= 9 else 4), size)) \
        if size >= 7 else 1
    for k in range(max(start, 1), n):
        chosen = stones[:k]
        best = max(_min_sq_distance(p, chosen, size) for p in all_points(size) if p not in chosen)
        assert _min_sq_distance(stones[k], chosen, size) == best
    assert len(set(stones)) == n
