"""Ladder reading (engine.ladder) and the two ladder planes.

Hand-made positions check the shapes a ladder reader must get right; a
plain recursive reader written from the definition (copies instead of the
journal, no pruning) checks the fast one on every point of many positions.
"""

import numpy as np
from conftest import needs_data, random_position

from engine import board as B
from engine import ladder as L
from engine import lookahead as LA
from engine.ascii import from_ascii
from engine.board import BLACK, COLOR, EMPTY, WHITE
from engine.coords import to_point
from nets import features as F


def ladder_planes(game):
    x = F.encode_game(game)
    return x[F.offset("ladder_capture")], x[F.offset("ladder_escape")]


def points_of(plane):
    """{(x, y)} where a plane is set."""
    ys, xs = np.nonzero(plane)
    return {(int(x), int(y)) for x, y in zip(xs, ys)}


def with_stones(n, black, white, to_move):
    """A game of size n with the given (x, y) stones."""
    g = from_ascii("\n".join([". " * n] * n), to_move=to_move)
    stones = {to_point(x, y, n): BLACK for x, y in black}
    stones.update({to_point(x, y, n): WHITE for x, y in white})
    g.set_setup(stones, to_move)
    return g


# The ladder shape: White's stone O at C5 has two liberties; Black's atari
# from above (D6) leaves the extension at D5 with two liberties, and
# Black keeps chasing it up and to the right into the edge.
LADDER = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . X O . . . . .
. . . X X . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_working_ladder_is_a_capture_and_only_from_the_right_side():
    g = from_ascii(LADDER, to_move=BLACK)
    capture, escape = ladder_planes(g)
    # the atari from above (3, 5) works; the one from the right (4, 4)
    # lets White extend upwards to three liberties
    assert points_of(capture) == {(3, 5)}
    assert not escape.any()


def test_ladder_breaker_stops_the_capture():
    g = from_ascii(LADDER, to_move=BLACK)
    g.set_setup({to_point(7, 7, 9): WHITE})   # on the ladder's diagonal path
    capture, _ = ladder_planes(g)
    assert not capture.any()


def test_ladder_breaker_of_the_attacker_colour_does_not_help_the_defender():
    g = from_ascii(LADDER, to_move=BLACK)
    g.set_setup({to_point(7, 7, 9): BLACK})
    capture, _ = ladder_planes(g)
    assert points_of(capture) == {(3, 5)}


def test_escape_fails_in_a_working_ladder_and_succeeds_with_a_breaker():
    g = from_ascii(LADDER, to_move=BLACK)
    g.play(to_point(3, 5, 9))                  # Black's atari: White to move
    capture, escape = ladder_planes(g)
    assert not escape.any()                    # extending at (4, 4) is futile
    x = F.encode_game(g)
    assert x[F.offset("liberties_after_move") + 1, 4, 4] == 1   # legal, 2 libs
    g2 = from_ascii(LADDER, to_move=BLACK)
    g2.set_setup({to_point(7, 7, 9): WHITE})
    g2.play(to_point(3, 5, 9))
    _, escape2 = ladder_planes(g2)
    assert points_of(escape2) == {(4, 4)}


ESCAPE_BY_CAPTURE = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . X O . . . .
. . X O X O . . .
. . X . . . . . .
. . . X . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_escape_by_capturing_an_attacking_stone():
    # White's O at D5 is in atari (liberty D4); extending there leaves one
    # liberty, but capturing Black's E5 (in atari at E4) frees it
    g = from_ascii(ESCAPE_BY_CAPTURE, to_move=WHITE)
    capture, escape = ladder_planes(g)
    assert points_of(escape) == {(4, 3)}
    assert (3, 3) not in points_of(escape)


def test_defender_capturing_the_attacker_breaks_the_ladder():
    # the ladder of LADDER, but Black's stone D4 is itself short of
    # liberties: after the atari White captures it instead of running
    g = from_ascii("""
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . X O . . . . .
. . O X X . . . .
. . . O O . . . .
. . . . . . . . .
. . . . . . . . .
""", to_move=BLACK)
    capture, _ = ladder_planes(g)
    assert (3, 5) not in points_of(capture)


def test_ladder_into_the_corner_along_the_edge():
    # White's first-line stone has two liberties; either atari leaves the
    # extension with one liberty against the edge: both capture
    g = from_ascii("""
. . . . . .
. . . . . .
. . . . . .
. . . . . .
. X X . . .
. O . . . .
""", to_move=BLACK)
    capture, _ = ladder_planes(g)
    assert points_of(capture) == {(0, 0), (2, 0)}


def test_long_ladder_across_a_19x19_board_into_the_edge():
    black = [(2, 3), (3, 2), (4, 2)]
    white = [(3, 3)]
    g = with_stones(19, black, white, BLACK)
    capture, _ = ladder_planes(g)
    assert points_of(capture) == {(3, 4)}
    # a breaker near the far corner still breaks it
    g.set_setup({to_point(16, 16, 19): WHITE})
    capture, _ = ladder_planes(g)
    assert not capture.any()


def test_corner_to_corner_ladder_on_25x25_fits_the_depth_bound():
    # the longest diagonal ladder there is: 23 diagonal steps, ~92 plies
    black = [(0, 1), (1, 0), (2, 0)]
    white = [(1, 1)]
    g = with_stones(25, black, white, BLACK)
    capture, _ = ladder_planes(g)
    assert (1, 2) in points_of(capture)


def test_reading_leaves_the_position_unchanged_and_reports_the_chain():
    g = from_ascii(LADDER, to_move=BLACK)
    g.play(to_point(3, 5, 9))
    s = g.state
    before = s.copy()
    j, stk = L.new_scratch()
    assert L.ladder_captured(s, j, to_point(3, 4, 9), stk)
    assert not L.ladder_captured(s, j, to_point(3, 5, 9), stk)   # not in atari
    assert j[0] == 1                                                # journal empty again
    keep = np.ones(B.STATE_LEN, bool)
    keep[B.MARK:B.MARK + B.MAXM] = False                            # scratch marks
    keep[B.H_STAMP] = False
    assert np.array_equal(s[keep], before[keep])


def test_journal_running_out_counts_as_not_captured():
    g = from_ascii(LADDER, to_move=BLACK)
    g.play(to_point(3, 5, 9))
    s = g.state
    before = s.copy()
    _, stk = L.new_scratch()
    tiny = B.new_journal(60)          # room for about one move
    assert not L.ladder_captured(s, tiny, to_point(3, 4, 9), stk)
    assert tiny[0] == 1
    assert np.array_equal(s[:B.MARK], before[:B.MARK])


# --------------------------------------------------------------------------
# a reference reader straight from the definition: recursion over copies,
# no pruning, no static shortcuts
# --------------------------------------------------------------------------

_NOJ = np.zeros(0, dtype=np.int64)


class Reference:
    def __init__(self):
        self.plays = 0
        self.buf = np.empty(B.MAXM, dtype=np.int64)

    def libs(self, s, q):
        return int(B.chain_libs(s, q))

    def liberties(self, s, q):
        k = B.chain_liberties(s, q, self.buf)
        return [int(v) for v in self.buf[:k]]

    def stones(self, s, q):
        k = B.chain_stones(s, q, self.buf)
        return [int(v) for v in self.buf[:k]]

    def neighbours(self, s, p):
        w = int(s[B.H_W])
        return (p - 1, p + 1, p - w, p + w)

    def playable(self, s, p, c):
        return B.is_legal(s, p, c) and not (s[B.H_SUICIDE] and LA.libs_after(s, p, c, 1) == 0)

    def after(self, s, p, c):
        self.plays += 1
        t = s.copy()
        B.play(t, _NOJ, p, c)
        return t

    def captured(self, s, q, depth):
        """q's chain is in atari, its owner to move: captured whatever it does."""
        d = int(s[COLOR + q])
        a = 3 - d
        moves = set(self.liberties(s, q))
        for r in self.stones(s, q):
            for t in self.neighbours(s, r):
                if s[COLOR + t] == a and self.libs(s, t) == 1:
                    moves |= set(self.liberties(s, t))
        for m in sorted(moves):
            if not self.playable(s, m, d):
                continue
            t = self.after(s, m, d)
            libs = self.libs(t, q)
            if libs >= 3:
                return False
            if libs == 1:
                if not B.is_legal(t, self.liberties(t, q)[0], a):
                    return False
                continue
            if depth + 1 >= L.MAX_PLIES or not self.attack(t, q, depth + 1):
                return False
        return True

    def attack(self, s, q, depth):
        """q's chain has two liberties, the attacker to move: some atari captures."""
        a = 3 - int(s[COLOR + q])
        for m in self.liberties(s, q):
            if not self.playable(s, m, a):
                continue
            t = self.after(s, m, a)
            if self.libs(t, q) == 1 and depth + 1 < L.MAX_PLIES and self.captured(t, q, depth + 1):
                return True
        return False

    def capture_point(self, s, p, c):
        if not self.playable(s, p, c):
            return False
        t = self.after(s, p, c)
        return any(t[COLOR + q] == 3 - c and self.libs(t, q) == 1 and self.captured(t, q, 0)
                   for q in self.neighbours(s, p))

    def escape_point(self, s, p, c):
        if not self.playable(s, p, c):
            return False
        o = 3 - c
        chains = set()
        for q in self.neighbours(s, p):
            if s[COLOR + q] == c and self.libs(s, q) == 1:
                chains.add(int(s[B.HEAD + q]))
            if s[COLOR + q] == o and self.libs(s, q) == 1:
                for r in self.stones(s, q):
                    for t in self.neighbours(s, r):
                        if s[COLOR + t] == c and self.libs(s, t) == 1:
                            chains.add(int(s[B.HEAD + t]))
        t = self.after(s, p, c)
        for x in chains:
            libs = self.libs(t, x)
            if libs >= 3 or (libs == 2 and not self.attack(t, x, 0)):
                return True
        return False


def compare_with_reference(s, budget=150):
    """Both ladder planes of s against the reference on every point;
    points whose reference reading exceeds ``budget`` plays are skipped
    (the fast reader's play budget may legitimately cut those short).
    Returns how many capture and escape points the reference found."""
    n = int(s[B.H_N])
    c = int(s[B.H_TOMOVE])
    x = F.encode_state(s)
    cap = x[F.offset("ladder_capture")]
    esc = x[F.offset("ladder_escape")]
    found = [0, 0]
    for yy in range(n):
        for xx in range(n):
            p = to_point(xx, yy, n)
            if s[COLOR + p] != EMPTY:
                assert cap[yy, xx] == 0 and esc[yy, xx] == 0
                continue
            for k, (plane, fn) in enumerate(((cap, "capture_point"), (esc, "escape_point"))):
                ref = Reference()
                want = getattr(ref, fn)(s, p, c)
                if ref.plays > budget:
                    continue
                assert plane[yy, xx] == want, (fn, (xx, yy))
                found[k] += want
    return found


def test_fast_reader_matches_reference_on_random_positions():
    found = np.zeros(2, int)
    for seed in range(40):
        n = (7, 9, 13)[seed % 3]
        s = random_position(n, 10 + (seed * 7) % (2 * n * n // 3), seed + 1)
        found += compare_with_reference(s)
    # the positions must actually exercise both planes
    assert found[0] > 0 and found[1] > 0


@needs_data
def test_fast_reader_matches_reference_on_expert_positions():
    from tengen.bench.features import DEFAULT_ARCHIVE, sample_positions
    states = sample_positions(DEFAULT_ARCHIVE, 24, 25)
    found = np.zeros(2, int)
    for s in states:
        found += compare_with_reference(s)
    assert found[0] > 0 and found[1] > 0
