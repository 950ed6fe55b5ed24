"""engine.status: the Monte Carlo dead-stone estimate."""

from engine.ascii import from_ascii
from engine.board import PASS
from engine.coords import parse_gtp
from engine.dead_stones import (
    StatusConfig,
    chains,
    dead_stones,
    final_score,
    ownership_counts,
    stone_status,
)

SEKI = """
    X . O X . X . X .
    X . O X X X X X X
    X X O X X X X X X
    O O X X X X X X X
    O O O O O O O O O
    . O . O . O . O .
    O O O O O O O O O
    . . . . X . . . .
    . . . . . . . . .
"""


def test_seki_dead_and_alive():
    g = from_ascii(SEKI)
    v = lambda name: parse_gtp(name, 9)
    for seed in (1, 2, 3):
        st = stone_status(g, StatusConfig(playouts=100, seed=seed))
        assert st[v("E2")] == "dead"
        assert {st[v(p)] for p in ("A9", "A8", "A7", "B7", "C9", "C8", "C7")} == {"seki"}
        assert st[v("D9")] == st[v("J6")] == "alive"      # the black wall with three eyes
        assert st[v("A6")] == st[v("A3")] == "alive"      # the white group below
    assert dead_stones(g) == [v("E2")]


def test_final_score_removes_dead_stones():
    g = from_ascii(SEKI, komi=7.5)
    # Black 26 stones + 3 eyes; White 27 stones + 5 eyes + the 18 points of
    # rows 1-2, E2 counted for White; B8 and B9 are dame
    assert final_score(g) == 29 - 50 - 7.5
    # Tromp-Taylor with E2 left standing: rows 1-2 touch both colours
    assert g.score() == 30 - 32 - 7.5


def test_a_finished_game_is_still_played_out():
    """After two passes the playouts must not stop at once: the dead stone
    is found either way."""
    g = from_ascii(SEKI)
    g.play(PASS)
    g.play(PASS)
    assert g.is_over
    assert dead_stones(g) == [parse_gtp("E2", 9)]


def test_ownership_counts_add_up():
    g = from_ascii(SEKI)
    black, white = ownership_counts(g.state, 50, 3)
    v = lambda name: parse_gtp(name, 9)
    assert black[v("E9")] == 50 and white[v("A1")] > 40       # an eye, white's area
    assert black[v("B9")] + white[v("B9")] == 0                # seki liberty: always dame
    assert (black + white).max() <= 50


def test_every_stone_gets_a_status_on_a_random_position():
    g = from_ascii("""
        . X O . .
        X X O . .
        O O O X .
        . . X X .
        . . . X .
    """)
    st = stone_status(g, StatusConfig(playouts=40))
    assert set(st) == set(g.stones())
    assert set(st.values()) <= {"alive", "dead", "seki"}
    assert sum(len(c) for c in chains(g)) == len(g.stones())
