"""The compiled board (``engine.board``) and its move predictions
(``engine.lookahead``, checked against what ``play`` then does) against
hand-computed positions and against a from-scratch reference written in
plain Python.

The reference (``Ref`` below) knows nothing of chains, heads or journals: it
floods the colour grid on every question, so it is slow but obviously right.
The randomized test plays thousands of moves and compares every incremental
structure of the fast board with it after every move.
"""

import numpy as np
import pytest

from engine import board as B
from engine import lookahead as LA
from engine.ascii import from_ascii
from engine.board import BLACK, EMPTY, PASS, WHITE
from engine.coords import parse_gtp, to_point
from engine.playouts import random_playout
from engine.rules import Rules

NOJ = np.zeros(0, dtype=np.int64)
# the part of a state that is the position (MARK and H_STAMP are scratch)
KEEP = np.ones(B.STATE_LEN, dtype=bool)
KEEP[B.MARK:B.MARK + B.MAXM] = False
KEEP[B.H_STAMP] = False


def at(game, vertex):
    return parse_gtp(vertex, game.size)


def pts(game, vertices):
    return {at(game, v) for v in vertices.split()}


# --------------------------------------------------------------------------
# a plain-Python reference: colours only, everything recomputed by flood fill
# --------------------------------------------------------------------------

def neighbours(p, w):
    return (p - 1, p + 1, p - w, p + w)


def flood_chain(col, p, w):
    """(stones, liberties) of the chain through ``p`` on colour list ``col``."""
    c = col[p]
    stones, libs, stack = {p}, set(), [p]
    while stack:
        r = stack.pop()
        for q in neighbours(r, w):
            if col[q] == c and q not in stones:
                stones.add(q)
                stack.append(q)
            elif col[q] == EMPTY:
                libs.add(q)
    return stones, libs


def ref_play(col, p, c, w, allow_suicide):
    """The colours after ``c`` plays ``p`` (no ko check) and the stones it
    captured, or None when the move is occupied or forbidden suicide."""
    if col[p] != EMPTY:
        return None
    new = list(col)
    new[p] = c
    captured = 0
    for q in neighbours(p, w):
        if new[q] == 3 - c:
            stones, libs = flood_chain(new, q, w)
            if not libs:
                for r in stones:
                    new[r] = EMPTY
                captured += len(stones)
    stones, libs = flood_chain(new, p, w)
    if not libs:
        if not allow_suicide or len(stones) == 1:
            return None
        for r in stones:
            new[r] = EMPTY
    return new, captured


def tromp_taylor(col, n):
    """Black area minus White area of a colour list (padded layout)."""
    w = n + 2
    score, seen = 0, set()
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            if col[p] in (BLACK, WHITE):
                score += 1 if col[p] == BLACK else -1
            elif p not in seen:
                region, reach, stack = {p}, set(), [p]
                while stack:
                    r = stack.pop()
                    for q in neighbours(r, w):
                        if col[q] == EMPTY and q not in region:
                            region.add(q)
                            stack.append(q)
                        elif col[q] in (BLACK, WHITE):
                            reach.add(col[q])
                seen |= region
                if reach == {BLACK}:
                    score += len(region)
                elif reach == {WHITE}:
                    score -= len(region)
    return score


class Ref:
    """A game on the reference board: colours plus the position history
    needed for simple ko (a move may not recreate the position before the
    opponent's last move)."""

    def __init__(self, n, allow_suicide):
        self.n, self.w, self.allow_suicide = n, n + 2, allow_suicide
        self.col = [3] * B.MAXM
        for p in self.board_points():
            self.col[p] = EMPTY
        self.prev = None          # position before the last move
        self.caps = [0, 0]

    def board_points(self):
        return [(y + 1) * self.w + x + 1 for y in range(self.n) for x in range(self.n)]

    def after(self, p, c):
        r = ref_play(self.col, p, c, self.w, self.allow_suicide)
        if r is None or r[0] == self.prev:
            return None
        return r

    def legal(self, p, c):
        return self.after(p, c) is not None

    def play(self, p, c):
        if p == PASS:
            self.prev = list(self.col)
            return 0
        new, captured = self.after(p, c)
        # suicide: the removed chain, the stone just played included
        lost = sum(1 for q in self.board_points()
                   if (self.col[q] == c or q == p) and new[q] == EMPTY)
        self.caps[c - 1] += captured
        self.caps[2 - c] += lost
        self.prev, self.col = self.col, new
        return captured


def check_state(s, ref):
    """Every incremental structure of ``s`` equals a recomputation from its
    colours, and the colours equal the reference's."""
    assert s[B.H_N] == ref.n
    w = int(s[B.H_W])
    col = [int(v) for v in s[B.COLOR:B.COLOR + B.MAXM]]
    assert col == ref.col
    seen, h = set(), 0
    empties = set()
    for p in ref.board_points():
        c = col[p]
        cnt = [0, 0, 0]
        for q in neighbours(p, w):
            if col[q] != 3:
                cnt[col[q]] += 1
        assert s[B.NBR + p] == cnt[0] + (cnt[1] << 4) + (cnt[2] << 8), p
        if c == EMPTY:
            empties.add(p)
            continue
        h ^= int(B.ZOBRIST[c, p])
        if p in seen:
            continue
        stones, libs = flood_chain(col, p, w)
        seen |= stones
        heads = {int(s[B.HEAD + q]) for q in stones}
        assert len(heads) == 1
        hd = heads.pop()
        assert hd in stones
        assert s[B.LIBS + hd] == len(libs)
        assert s[B.SIZE + hd] == len(stones)
        cycle, r = set(), p
        while True:
            cycle.add(r)
            r = int(s[B.NEXT + r])
            if r == p:
                break
            assert r in stones and len(cycle) <= len(stones)
        assert cycle == stones
        out = np.zeros(B.MAXM, dtype=np.int64)
        k = B.chain_liberties(s, p, out)
        assert sorted(out[:k]) == sorted(libs)
        k = B.chain_stones(s, p, out)
        assert sorted(out[:k]) == sorted(stones)
    assert h & (2 ** 64 - 1) == int(s[B.H_HASH]) & (2 ** 64 - 1)
    ne = int(s[B.H_NEMPTY])
    lst = [int(v) for v in s[B.EMPTY_LIST:B.EMPTY_LIST + ne]]
    assert sorted(lst) == sorted(empties)
    for k, p in enumerate(lst):
        assert s[B.EMPTY_IDX + p] == k
    for p in ref.board_points():
        if col[p] != EMPTY:
            assert s[B.EMPTY_IDX + p] == -1
    assert [int(s[B.H_CAP]), int(s[B.H_CAP + 1])] == ref.caps


# --------------------------------------------------------------------------
# randomized consistency against the reference
# --------------------------------------------------------------------------

def _play_random_game(n, allow_suicide, rng, moves, seen):
    """Play ``moves`` random legal moves (a few passes) checking everything
    after each; ``seen`` counts the rare events met, to show coverage."""
    s = B.new_state(n, allow_suicide)
    twin = s.copy()           # the same moves without a journal
    ref = Ref(n, allow_suicide)
    j = B.new_journal()
    snaps = []
    small = n <= 5
    for _ in range(moves):
        c = int(s[B.H_TOMOVE])
        empties = [int(p) for p in s[B.EMPTY_LIST:B.EMPTY_LIST + s[B.H_NEMPTY]]]
        # legality against the reference: every empty point on small boards,
        # a sample of all points (occupied ones too) elsewhere
        probe = empties if small else [int(p) for p in rng.choice(ref.board_points(), 12)]
        for p in probe:
            legal = bool(B.is_legal(s, p, c))
            assert legal == ref.legal(p, c), (n, p, c)
            if not legal and s[B.COLOR + p] == EMPTY:
                seen["ko" if p == s[B.H_KO] else "suicide"] += 1
        legal = [p for p in empties if B.is_legal(s, p, c)]
        p = PASS if not legal or rng.random() < 0.03 else int(rng.choice(legal))
        if p != PASS:
            predicted = (int(LA.hash_after(s, p, c)), int(LA.captures_by(s, p, c)),
                         int(LA.size_after(s, p, c)),
                         [int(LA.libs_after(s, p, c, cap)) for cap in (1, 2, 3, 1000)])
            prey = {int(s[B.HEAD + q]) for q in neighbours(p, ref.w)
                    if s[B.COLOR + q] == 3 - c and B.chain_libs(s, q) == 1}
            seen["multi-capture"] += len(prey) > 1
        else:
            assert LA.hash_after(s, PASS, c) == s[B.H_HASH]
        snaps.append((B.journal_mark(j), s.copy()))
        movenum = int(s[B.H_MOVENUM])
        captured = int(B.play(s, j, p, c))
        assert captured == ref.play(p, c)
        assert B.play(twin, NOJ, p, c) == captured
        assert np.array_equal(twin[KEEP], s[KEEP])
        check_state(s, ref)
        assert s[B.H_TOMOVE] == 3 - c and s[B.H_LAST] == p and s[B.H_MOVENUM] == movenum + 1
        if p != PASS:
            h, cap, size, libs = predicted
            assert h == s[B.H_HASH] and cap == captured
            if s[B.COLOR + p] == c:
                real_libs, real_size = int(B.chain_libs(s, p)), int(B.chain_size(s, p))
                assert s[B.MOVED + p] == movenum
            else:  # multi-stone suicide: the chain is gone
                seen["played suicide"] += 1
                real_libs, real_size = 0, size
            assert size == real_size
            assert libs == [min(real_libs, cap) for cap in (1, 2, 3, 1000)]
    return s, j, snaps


@pytest.mark.parametrize("allow_suicide", [False, True])
def test_random_games_match_reference(allow_suicide):
    """Incremental chains, liberties, neighbour counts, empty list, hash and
    prisoners equal a from-scratch recomputation after every move; the
    predictions (hash/captures/size/libs_after) equal what ``play`` does,
    with a journal and without (two compiled variants);
    legality equals the reference's (simple ko = no return to the position
    before the opponent's move); and undo_to restores every earlier state
    exactly (the MARK scratch section and H_STAMP excluded)."""
    rng = np.random.default_rng(20240501 + allow_suicide)
    seen = {"ko": 0, "suicide": 0, "multi-capture": 0, "played suicide": 0}
    plan = [(2, 6), (3, 5), (4, 4), (5, 3)] + [(n, 1) for n in range(6, 14)]
    for n, games in plan:
        for _ in range(games):
            s, j, snaps = _play_random_game(n, allow_suicide, rng, min(3 * n * n, 240), seen)
            for mark, snap in reversed(snaps):
                B.undo_to(s, j, mark)
                assert np.array_equal(s[KEEP], snap[KEEP])
    # the comparison above only means something if these really happened
    assert seen["ko"] and seen["suicide"] and seen["multi-capture"]
    assert bool(seen["played suicide"]) == allow_suicide


# --------------------------------------------------------------------------
# hand-made positions
# --------------------------------------------------------------------------

def predictions(g, vertex, c):
    """(captures_by, libs_after uncapped, size_after) of a move, unplayed."""
    s, p = g.state, at(g, vertex)
    return (int(LA.captures_by(s, p, c)), int(LA.libs_after(s, p, c, 1000)),
            int(LA.size_after(s, p, c)))


def play_checked(g, vertex, c):
    """Play through Game, checking hash_after against the result."""
    p = PASS if vertex == "pass" else at(g, vertex)
    h = int(LA.hash_after(g.state, p, c))
    captured = g.play(p, c)
    assert h == g.state[B.H_HASH]
    return captured


def test_capture_of_four_groups_at_once():
    g = from_ascii("""
        . . X . .
        . X O X .
        X O . O X
        . X O X .
        . . X . .
    """)
    assert predictions(g, "C3", BLACK) == (4, 4, 1)
    # the hash after C3, from scratch: the stones that will be left
    expected = 0
    for v in "C5 B4 D4 A3 C3 E3 B2 D2 C1".split():
        expected ^= int(B.ZOBRIST[BLACK, at(g, v)])
    assert int(LA.hash_after(g.state, at(g, "C3"), BLACK)) & (2 ** 64 - 1) == expected & (2 ** 64 - 1)
    assert play_checked(g, "C3", BLACK) == 4
    assert g.captures(BLACK) == 4
    for v in ("C4", "B3", "D3", "C2"):
        assert g.color_at(at(g, v)) == EMPTY
    s = g.state
    assert B.chain_libs(s, at(g, "C3")) == 4
    assert B.chain_libs(s, at(g, "B4")) == 4    # A4 B5 + freed C4 B3
    assert B.chain_libs(s, at(g, "A3")) == 3    # A4 A2 + freed B3
    assert B.chain_libs(s, at(g, "C1")) == 3    # B1 D1 + freed C2
    assert s[B.H_KO] == -1


def test_capture_of_a_long_chain_frees_every_point():
    g = from_ascii("""
        X X X X .
        O O O X .
        . . O X .
        O O O X .
        X X X X .
    """)
    s = g.state
    assert B.chain_libs(s, at(g, "A4")) == 2 and B.chain_size(s, at(g, "A4")) == 7
    assert B.chain_libs(s, at(g, "A5")) == 5 and B.chain_size(s, at(g, "A5")) == 11
    assert predictions(g, "A3", BLACK) == (0, 1, 1)
    play_checked(g, "A3", BLACK)
    assert predictions(g, "B3", BLACK) == (7, 5, 2)   # joins A3; libs A4 A2 B4 C3 B2
    play_checked(g, "B3", BLACK)
    assert g.captures(BLACK) == 7
    assert B.chain_libs(s, at(g, "A5")) == 5 + 7
    assert B.chain_libs(s, at(g, "A3")) == 5 and B.chain_size(s, at(g, "B3")) == 2
    assert s[B.H_NEMPTY] == 25 - 13


def test_snapback():
    g = from_ascii("""
        . . . . .
        . . . . .
        O O O O .
        X X X O .
        . . X O .
    """, to_move=WHITE)
    assert predictions(g, "B1", WHITE) == (0, 1, 1)   # the throw-in
    play_checked(g, "B1", WHITE)
    assert B.chain_libs(g.state, at(g, "A2")) == 1
    assert predictions(g, "A1", BLACK) == (1, 1, 5)   # takes it, in atari itself
    assert play_checked(g, "A1", BLACK) == 1
    assert g.state[B.H_KO] == -1                       # not a ko: A1 touches A2
    assert g.legal(at(g, "B1"), WHITE)
    assert predictions(g, "B1", WHITE) == (5, 3, 1)   # A1 C1 B2 touch B1
    assert play_checked(g, "B1", WHITE) == 5
    assert g.captures(WHITE) == 5 and g.captures(BLACK) == 1
    assert B.chain_libs(g.state, at(g, "B1")) == 3


SUICIDE = """
    . . . . .
    . . . . .
    . . . . .
    O O . . .
    . X O . .
"""


def test_suicide_is_illegal_by_default():
    g = from_ascii(SUICIDE)
    a1 = at(g, "A1")
    assert not B.is_legal(g.state, a1, BLACK)
    assert g.why_illegal(a1) == "suicide"
    # a lone stone with no liberty: White at A1 would capture B1, so legal
    assert g.why_illegal(a1, WHITE) is None


def test_multi_stone_suicide_allowed_only_under_the_rule():
    g = from_ascii(SUICIDE, rules=Rules("tt", "positional", True, "area"))
    a1 = at(g, "A1")
    assert predictions(g, "A1", BLACK) == (0, 0, 2)
    assert g.legal(a1)
    h = int(LA.hash_after(g.state, a1, BLACK))
    assert g.play(a1) == 0
    assert g.color_at(a1) == EMPTY and g.color_at(at(g, "B1")) == EMPTY
    assert g.captures(WHITE) == 2             # both stones go to White
    assert h == g.state[B.H_HASH]
    assert B.chain_libs(g.state, at(g, "A2")) == 5   # A1 A3 B3 C2 (from B2) B1
    assert g.to_move == WHITE


def test_lone_stone_suicide_is_always_illegal():
    for suicide in (False, True):
        g = from_ascii("""
            . O .
            O . O
            . O .
        """, rules=Rules("x", "positional", suicide, "area"))
        assert g.why_illegal(at(g, "B2")) == "suicide"
        assert g.why_illegal(at(g, "A1")) == "suicide"
        assert g.why_illegal(at(g, "B2"), WHITE) is None   # filling own eye


KO = """
    . . . . .
    . . . . .
    . X O . .
    X O . O .
    . X O . .
"""


def test_ko_forbids_the_immediate_retake_only():
    g = from_ascii(KO, rules=Rules("j", "simple", False, "territory"))
    assert play_checked(g, "C2", BLACK) == 1
    b2 = at(g, "B2")
    assert g.state[B.H_KO] == b2
    assert not B.is_legal(g.state, b2, WHITE)
    assert g.why_illegal(b2) == "ko"
    play_checked(g, "E5", WHITE)              # a ko threat elsewhere
    assert g.state[B.H_KO] == -1
    play_checked(g, "E4", BLACK)
    assert play_checked(g, "B2", WHITE) == 1  # the retake
    c2 = at(g, "C2")
    assert g.state[B.H_KO] == c2 and g.why_illegal(c2) == "ko"


def test_ko_point_cleared_by_a_pass():
    g = from_ascii(KO, rules=Rules("j", "simple", False, "territory"))
    g.play(at(g, "C2"))
    b2 = at(g, "B2")
    g.play(PASS)
    assert g.state[B.H_KO] == -1
    g.play(PASS)
    assert g.legal(b2, WHITE) and B.is_legal(g.state, b2, WHITE)
    # the ko point belongs to the side to move only: after White's pass the
    # ko is gone for both
    assert g.play(b2) == 1


def test_capturing_two_stones_is_not_a_ko():
    g = from_ascii("""
        . . . . .
        . X X O .
        X O O . O
        . X X O .
        . . . . .
    """)
    # D3 takes two and is left with one liberty (C3); White may take it
    # back at once: one stone for two does not repeat the position
    assert predictions(g, "D3", BLACK) == (2, 1, 1)
    g.play(at(g, "D3"))
    assert g.state[B.H_KO] == -1
    assert g.legal(at(g, "C3"))
    assert g.play(at(g, "C3")) == 1


@pytest.mark.parametrize("n", [2, 3, 9])
def test_edge_and_corner_liberties(n):
    g = from_ascii("\n".join([". " * n] * n))
    s = g.state
    for y in range(n):
        for x in range(n):
            p = to_point(x, y, n)
            edges = (x in (0, n - 1)) + (y in (0, n - 1))
            assert B.nb_count(s, p, EMPTY) == 4 - edges
            assert LA.libs_after(s, p, BLACK, 10) == 4 - edges
    g.play(to_point(0, 0, n))
    assert B.chain_libs(s, to_point(0, 0, n)) == 2
    if n > 3:
        g.play(to_point(1, n - 1, n))         # top edge: 3 liberties
        assert B.chain_libs(s, to_point(1, n - 1, n)) == 3
        g.play(to_point(1, 1, n))             # diagonal of the corner stone
        assert B.chain_libs(s, to_point(1, 1, n)) == 4


@pytest.mark.parametrize("n", [2, 9, 13, 19, 25])
def test_board_sizes(n):
    s = B.new_state(n)
    assert s[B.H_N] == n and s[B.H_NEMPTY] == n * n
    col = s[B.COLOR:B.COLOR + B.MAXM]
    assert (col == EMPTY).sum() == n * n and (col == B.WALL).sum() == B.MAXM - n * n
    corner = to_point(n - 1, n - 1, n)
    assert col[corner] == EMPTY and col[corner + 1] == B.WALL and col[corner + n + 2] == B.WALL
    B.play(s, NOJ, corner, BLACK)
    assert B.chain_libs(s, corner) == 2
    # a whole random playout stays consistent on every size
    rng = np.array([n * 7919 + 1], dtype=np.uint64)
    random_playout(s, rng, 3 * n * n)
    ref = Ref(n, False)
    ref.col = [int(v) for v in s[B.COLOR:B.COLOR + B.MAXM]]
    ref.caps = [int(s[B.H_CAP]), int(s[B.H_CAP + 1])]
    check_state(s, ref)


@pytest.mark.parametrize("n", [0, 1, 26, -3])
def test_bad_board_sizes_are_rejected(n):
    with pytest.raises(ValueError):
        B.new_state(n)


def _with_white(text, vertices):
    g = from_ascii(text)
    g.set_setup({at(g, v): WHITE for v in vertices})
    return g


CENTRE_EYE = """
    . . . . .
    . X X X .
    . X . X .
    . X X X .
    . . . . .
"""
EDGE_EYE = """
    . . . . .
    . . . . .
    . . . . .
    . X X X .
    . X . X .
"""
CORNER_EYE = """
    . . . . .
    . . . . .
    . . . . .
    X X . . .
    . X . . .
"""


@pytest.mark.parametrize("board,vertex,white_diagonals,eye", [
    (CENTRE_EYE, "C3", "", True),
    (CENTRE_EYE, "C3", "B4", True),          # one bad diagonal is fine inside
    (CENTRE_EYE, "C3", "B4 D2", False),      # two make it false
    (EDGE_EYE, "C1", "", True),
    (EDGE_EYE, "C1", "B2", False),           # on the edge one is enough
    (CORNER_EYE, "A1", "", True),
    (CORNER_EYE, "A1", "B2", False),         # and in the corner
])
def test_is_eye(board, vertex, white_diagonals, eye):
    g = _with_white(board, white_diagonals.split())
    p = at(g, vertex)
    assert bool(B.is_eye(g.state, p, BLACK)) == eye
    assert not B.is_eye(g.state, p, WHITE)


def test_is_eye_needs_all_neighbours_own():
    g = _with_white(CENTRE_EYE, ["C2"])      # an opponent neighbour
    assert not B.is_eye(g.state, at(g, "C3"), BLACK)
    g = from_ascii(EDGE_EYE)
    assert not B.is_eye(g.state, at(g, "A1"), BLACK)   # empty neighbour A2
    assert not B.is_eye(g.state, at(g, "B1"), BLACK)   # occupied


def test_chain_walks_on_an_empty_point_return_nothing():
    s = B.new_state(5)
    out = np.zeros(B.MAXM, dtype=np.int64)
    p = to_point(2, 2, 5)
    assert B.chain_liberties(s, p, out) == 0 and B.chain_stones(s, p, out) == 0
