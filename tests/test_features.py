"""The 48/49-plane encoder (nets.features).

Each feature has a hand-computed ASCII test; a slow reference encoder that
plays every move on a copy of the board checks all non-ladder planes on
random positions (the ladder planes have their own reference reader in
test_ladder.py).
"""

import numpy as np
import pytest
from conftest import random_position

from engine import board as B
from engine import lookahead as LA
from engine.ascii import from_ascii
from engine.board import BLACK, COLOR, EMPTY, PASS, WHITE
from engine.coords import to_point
from engine.game import Game
from nets import features as F

SIZES = dict(F.FEATURES)


def grid(x, name, first=1):
    """A feature group as a picture (top row first): '.' where no plane is
    set, else the bucket, counted from ``first``; asserts one-hotness."""
    off, k = F.offset(name), SIZES[name]
    sub = x[off:off + k]
    n = x.shape[-1]
    rows = []
    for y in range(n - 1, -1, -1):
        cells = []
        for xx in range(n):
            ks = np.flatnonzero(sub[:, y, xx])
            assert len(ks) <= 1, (name, xx, y, ks)
            cells.append("." if len(ks) == 0 else str(ks[0] + first))
        rows.append(" ".join(cells))
    return "\n".join(rows)


def pic(text):
    return "\n".join(" ".join(line.split()) for line in text.strip("\n").splitlines())


def at(x, name, xx, yy):
    """The bucket index (from 0) set at (xx, yy) for a feature, or None."""
    off, k = F.offset(name), SIZES[name]
    ks = np.flatnonzero(x[off:off + k, yy, xx])
    return None if len(ks) == 0 else int(ks[0])


# --------------------------------------------------------------------------
# registry and API
# --------------------------------------------------------------------------

def test_registry_offsets_and_counts():
    assert sum(k for _, k in F.FEATURES) == F.VALUE_PLANES == 49
    assert F.POLICY_PLANES == 48 and F.FEATURES[-1] == ("player_colour", 1)
    assert F.offset("stone_colour") == 0
    assert F.offset("ones") == 3
    assert F.offset("turns_since") == 4
    assert F.offset("liberties") == 12
    assert F.offset("capture_size") == 20
    assert F.offset("self_atari_size") == 28
    assert F.offset("liberties_after_move") == 36
    assert F.offset("ladder_capture") == 44
    assert F.offset("ladder_escape") == 45
    assert F.offset("sensibleness") == 46
    assert F.offset("zeros") == 47
    assert F.offset("player_colour") == 48
    with pytest.raises(ValueError, match="unknown feature"):
        F.offset("komi")


def test_check_feature_set():
    F.check_feature_set(F.FEATURE_SET_VERSION)
    with pytest.raises(ValueError, match="does not match"):
        F.check_feature_set("alphago48-v0")


def test_bad_inputs_get_clear_errors():
    g = Game(9)
    with pytest.raises(ValueError, match="board state"):
        F.encode_state(np.zeros(10, dtype=np.int64))
    with pytest.raises(ValueError, match="board state"):
        F.encode_state(g.state.astype(np.int32))
    with pytest.raises(ValueError, match="48"):
        F.encode(g.state, np.zeros((47, 9, 9), np.uint8))
    with pytest.raises(ValueError, match="board size"):
        F.encode(g.state, np.zeros((48, 19, 19), np.uint8))
    states = np.stack([g.state, g.state])
    with pytest.raises(ValueError, match="numbers of positions"):
        F.encode_batch(states, np.zeros((3, 48, 9, 9), np.uint8))


# --------------------------------------------------------------------------
# one ASCII test per feature
# --------------------------------------------------------------------------

LIBS_BOARD = """
. . . . . . .
. X X . . . .
. X O O . . .
. . O X . . .
. . . . . . .
. X X X X . .
. . . . . . .
"""


def test_stone_colour_ones_zeros_follow_the_side_to_move():
    for to_move in (BLACK, WHITE):
        g = from_ascii(LIBS_BOARD, to_move=to_move)
        x = F.encode_game(g)
        col = x[0:3]
        mine = "X" if to_move == BLACK else "O"
        theirs = "O" if to_move == BLACK else "X"
        rows = pic(LIBS_BOARD).splitlines()
        for y in range(7):
            for xx in range(7):
                ch = rows[6 - y].split()[xx]
                assert col[:, y, xx].tolist() == [ch == mine, ch == theirs, ch == "."]
        assert x[F.offset("ones")].all()
        assert not x[F.offset("zeros")].any()
        assert x.shape == (48, 7, 7) and x.dtype == np.uint8


def test_player_colour_plane_of_the_value_net():
    g = from_ascii(LIBS_BOARD, to_move=BLACK)
    v = F.encode_game(g, value=True)
    assert v.shape == (49, 7, 7) and v[48].all()
    assert np.array_equal(v[:48], F.encode_game(g))
    g = from_ascii(LIBS_BOARD, to_move=WHITE)
    assert not F.encode_game(g, value=True)[48].any()


def test_liberties_of_chains_with_8_or_more_bucket():
    x = F.encode_game(from_ascii(LIBS_BOARD))
    assert grid(x, "liberties") == pic("""
. . . . . . .
. 6 6 . . . .
. 6 4 4 . . .
. . 4 2 . . .
. . . . . . .
. 8 8 8 8 . .
. . . . . . .
""")   # the bottom chain has 10 liberties: the "8 or more" plane


def test_turns_since_counts_passes_and_setup_stones_are_old():
    g = Game(5, 7.5)
    g.set_setup({to_point(0, 0, 5): BLACK})
    for c, xy in [(BLACK, (1, 1)), (WHITE, (3, 3)), (BLACK, None), (WHITE, (3, 1)),
                  (BLACK, (1, 3)), (WHITE, None), (BLACK, (2, 2)), (WHITE, (4, 4)),
                  (BLACK, (0, 4)), (WHITE, (4, 0))]:
        g.play(PASS if xy is None else to_point(*xy, 5), c)
    x = F.encode_game(g)
    assert grid(x, "turns_since") == pic("""
2 . . . 3
. 6 . 8 .
. . 4 . .
. 8 . 7 .
8 . . . 1
""")


CAPTURE_BOARD = """
. . . . . . .
. X X . . . .
X O O X . . .
. X . O X . .
. . X X . . .
. . . . . . .
. . . . . . .
"""


def test_capture_size_sums_every_chain_taken_and_zero_elsewhere():
    x = F.encode_game(from_ascii(CAPTURE_BOARD, to_move=BLACK))
    assert grid(x, "capture_size", first=0) == pic("""
0 0 0 0 0 0 0
0 . . 0 0 0 0
. . . . 0 0 0
0 . 3 . . 0 0
0 0 . . 0 0 0
0 0 0 0 0 0 0
0 0 0 0 0 0 0
""")


def test_liberties_after_a_capture_count_the_freed_points():
    x = F.encode_game(from_ascii(CAPTURE_BOARD, to_move=BLACK))
    # D4 joins three black chains and frees three points: 8 liberties
    assert at(x, "liberties_after_move", 2, 3) == 7          # bucket "8+"
    # for White the same point is suicide: no move plane at all
    y = F.encode_game(from_ascii(CAPTURE_BOARD, to_move=WHITE))
    assert y[F.offset("capture_size"):F.offset("zeros"), 3, 2].sum() == 0
    assert y[F.offset("stone_colour") + 2, 3, 2] == 1


MERGE_BOARD = """
. . . . .
. X . . .
X . X . .
. . . . .
. . . . .
"""


def test_liberties_after_move_merging_chains_counts_shared_liberties_once():
    x = F.encode_game(from_ascii(MERGE_BOARD, to_move=BLACK))
    la = lambda xx, yy: at(x, "liberties_after_move", xx, yy) + 1
    assert la(1, 2) == 7     # joins three stones; two liberties are shared
    assert la(0, 3) == 5
    assert la(2, 3) == 7
    assert la(1, 1) == 4     # open point
    assert la(0, 1) == 4     # extends one chain
    assert la(0, 0) == 2     # corner


SNAPBACK_BOARD = """
. . . . .
. . . . .
O O . . .
X X O . .
O . O . .
"""


def test_self_atari_after_a_capture_and_capture_size():
    # Black's B1 takes the corner stone but leaves its three stones with
    # the single liberty A1: White takes them back (a snapback for White)
    x = F.encode_game(from_ascii(SNAPBACK_BOARD, to_move=BLACK))
    assert at(x, "capture_size", 1, 0) == 1
    assert at(x, "liberties_after_move", 1, 0) == 0          # one liberty
    assert grid(x, "self_atari_size") == pic("""
. . . . .
. . . . .
. . . . .
. . . . .
. 3 . . .
""")
    # White at B1 captures the two black stones and has 5 liberties
    y = F.encode_game(from_ascii(SNAPBACK_BOARD, to_move=WHITE))
    assert at(y, "capture_size", 1, 0) == 2
    assert at(y, "liberties_after_move", 1, 0) == 4
    assert not y[F.offset("self_atari_size"):F.offset("self_atari_size") + 8].any()


EYES_BOARD = """
. X . X .
X X X X X
. . . . .
. O X . .
. X . X .
"""


def test_sensibleness_excludes_true_eyes_at_edge_and_corner():
    x = F.encode_game(from_ascii(EYES_BOARD, to_move=BLACK))
    # A5 and E5 (corner eyes), C5 (edge eye) are not sensible; C1 is a
    # false eye on the edge (White's B2 on the diagonal), so it is
    assert grid(x, "sensibleness") == pic("""
. . . . .
. . . . .
1 1 1 1 1
1 . . 1 1
1 . 1 . 1
""")
    # for White the eyes are suicide (illegal), so also not sensible
    y = F.encode_game(from_ascii(EYES_BOARD, to_move=WHITE))
    assert grid(y, "sensibleness") == pic("""
. . . . .
. . . . .
1 1 1 1 1
1 . . 1 1
1 . . . 1
""")


def test_sensibleness_in_the_middle_allows_one_opponent_diagonal():
    x = F.encode_game(from_ascii("""
. . . . . . .
. O X O . . .
. X . X . . .
. . X . . X .
. . . . X . X
. . . . O X .
. . . . . . .
""", to_move=BLACK))
    assert at(x, "sensibleness", 2, 4) == 0     # two white diagonals: false eye
    assert at(x, "sensibleness", 5, 2) is None  # one white diagonal: still an eye


def test_ko_point_is_illegal_so_all_move_planes_are_off():
    g = from_ascii("""
. . . . .
. . . . .
. X O . .
X O . O .
. X O . .
""", to_move=BLACK)
    g.play(to_point(2, 1, 5))          # Black takes the ko at C2
    assert g.state[B.H_KO] == to_point(1, 1, 5)
    x = F.encode_game(g)               # White to move: B2 is the ko point
    assert x[F.offset("stone_colour") + 2, 1, 1] == 1
    assert x[F.offset("capture_size"):F.offset("zeros"), 1, 1].sum() == 0
    # once White has played elsewhere and Black answered, B2 retakes
    g.play(to_point(4, 4, 5))
    g.play(to_point(0, 4, 5))
    x = F.encode_game(g)
    assert at(x, "capture_size", 1, 1) == 1
    assert at(x, "sensibleness", 1, 1) == 0


# --------------------------------------------------------------------------
# the reference encoder, one-hotness, batches
# --------------------------------------------------------------------------

_NOJ = np.zeros(0, dtype=np.int64)


def reference(s):
    """Every non-ladder plane by playing each move on a copy."""
    n = int(s[B.H_N])
    c = int(s[B.H_TOMOVE])
    buf = np.empty(B.MAXM, dtype=np.int64)
    out = np.zeros((F.POLICY_PLANES, n, n), np.uint8)
    out[F.offset("ones")] = 1
    opp_stones = lambda t: int(np.sum(t[COLOR:COLOR + B.MAXM] == 3 - c))
    for yy in range(n):
        for xx in range(n):
            p = to_point(xx, yy, n)
            col = int(s[COLOR + p])
            if col != EMPTY:
                out[0 if col == c else 1, yy, xx] = 1
                age = int(s[B.H_MOVENUM] - s[B.MOVED + p])
                out[F.offset("turns_since") + min(age, 8) - 1, yy, xx] = 1
                libs = B.chain_liberties(s, p, buf)
                out[F.offset("liberties") + min(libs, 8) - 1, yy, xx] = 1
                continue
            out[2, yy, xx] = 1
            if not B.is_legal(s, p, c):
                continue
            t = s.copy()
            B.play(t, _NOJ, p, c)
            taken = opp_stones(s) - opp_stones(t)
            out[F.offset("capture_size") + min(taken, 7), yy, xx] = 1
            if t[COLOR + p] == c:
                libs = B.chain_liberties(t, p, buf)
                size = B.chain_stones(t, p, buf)
                out[F.offset("liberties_after_move") + min(libs, 8) - 1, yy, xx] = 1
                if libs == 1:
                    out[F.offset("self_atari_size") + min(size, 8) - 1, yy, xx] = 1
            if not B.is_eye(s, p, c):
                out[F.offset("sensibleness"), yy, xx] = 1
    return out


def random_positions(count):
    for i in range(count):
        n = (5, 7, 9, 13, 19)[i % 5]
        yield random_position(n, 5 + (i * 37) % (n * n), 100 + i, suicide=(i % 7 == 3))


LADDER = slice(F.offset("ladder_capture"), F.offset("ladder_escape") + 1)


def test_matches_reference_encoder_on_random_positions():
    for s in random_positions(60):
        x = F.encode_state(s)
        ref = reference(s)
        x[LADDER] = 0
        diff = np.argwhere(x != ref)
        assert len(diff) == 0, f"plane, y, x differing: {diff[:5].tolist()}"


def test_buckets_are_one_hot_exactly_where_defined():
    for s in random_positions(40):
        n = int(s[B.H_N])
        c = int(s[B.H_TOMOVE])
        x = F.encode_state(s).astype(int)
        group = lambda name: x[F.offset(name):F.offset(name) + SIZES[name]].sum(axis=0)
        stone = np.zeros((n, n), bool)
        legal = np.zeros((n, n), bool)
        alive = np.zeros((n, n), bool)   # legal and not a (multi-stone) suicide
        for yy in range(n):
            for xx in range(n):
                p = to_point(xx, yy, n)
                stone[yy, xx] = s[COLOR + p] != EMPTY
                legal[yy, xx] = B.is_legal(s, p, c) and not stone[yy, xx]
                alive[yy, xx] = legal[yy, xx] and LA.libs_after(s, p, c, 1) > 0
        assert (group("stone_colour") == 1).all()
        assert np.array_equal(group("turns_since"), stone)
        assert np.array_equal(group("liberties"), stone)
        assert np.array_equal(group("capture_size"), legal)
        assert np.array_equal(group("liberties_after_move"), alive)
        atari = x[F.offset("liberties_after_move")] == 1
        assert np.array_equal(group("self_atari_size"), atari)
        assert not (x[F.offset("sensibleness")] & ~legal).any()
        assert not (x[LADDER].sum(axis=0) & ~legal).any()


def test_batch_equals_single_encodes_and_leaves_states_unchanged():
    states = np.stack([random_position(9, 20 + 5 * i, i) for i in range(6)])
    before = states.copy()
    out = np.zeros((6, F.VALUE_PLANES, 9, 9), np.uint8)
    F.encode_batch(states, out)
    for i in range(6):
        assert np.array_equal(out[i], F.encode_state(states[i], value=True))
    keep = np.ones(B.STATE_LEN, bool)
    keep[B.MARK:B.MARK + B.MAXM] = False      # scratch marks of the queries
    keep[B.H_STAMP] = False
    assert np.array_equal(states[:, keep], before[:, keep])
