"""``nets.rollout.features``: the rollout policy's move features, checked on
ASCII boards, against a slow reference that plays each move on a copy of the
board, and for invariance under the board's symmetries and the colours."""

import numpy as np
import pytest
from rollout_helpers import LAY, random_model, random_position

from engine import board as B
from engine.ascii import from_ascii
from engine.board import BLACK, COLOR, EMPTY, H_LAST, H_N, WHITE
from engine.coords import to_point
from nets.rollout import features as F

OFF = LAY.offsets()
IDS, _ = F.pattern_classes()


def features(state, p, color):
    """static_features with the pattern as its class id: (candidate,
    class, tactical index, save index, edge index)."""
    s = np.array(state, dtype=np.int64)
    ok, code, tactic, save, edge = F.static_features(s, p, color, OFF,
                                                     F.edge_table(int(s[H_N]), OFF))
    return ok, int(IDS[code]), int(tactic), int(save), int(edge)


def named(index):
    """(group, bucket) of a feature index, None for "no feature"."""
    if index == LAY.none:
        return None
    groups = [("capture", LAY.capture), ("self_atari", LAY.self_atari), ("save", LAY.save),
              ("cap_save", LAY.cap_save), ("edge", LAY.edge)]
    name, at = max((g for g in groups if g[1] <= index), key=lambda g: g[1])
    return name, index - at


def pt(game, x, y):
    return to_point(x, y, game.size)


def test_capture_and_save_on_an_ascii_board():
    g = from_ascii("""
        . . . . . . .
        . . . . . . .
        . . X X . . .
        . X O O X . .
        . . X O X . .
        . . . . . . .
        . . . . . . .
    """, to_move=BLACK)
    # the three white stones have one liberty, (3, 1)
    ok, _, tactic, save, _ = features(g.state, pt(g, 3, 1), BLACK)
    assert ok and named(tactic) == ("capture", 2) and named(save) is None   # 3 stones
    # for White the same point saves them: 3+ liberties, a chain of 2-3 in atari
    ok, _, tactic, save, _ = features(g.state, pt(g, 3, 1), WHITE)
    assert ok and named(tactic) is None and named(save) == ("save", 3 + 1)
    # a move far away has only its pattern and its distance to the edge
    ok, _, tactic, save, edge = features(g.state, pt(g, 6, 6), BLACK)
    assert ok and named(tactic) is None and named(save) is None and named(edge) == ("edge", 0)
    assert named(features(g.state, pt(g, 5, 5), BLACK)[4]) == ("edge", 1)
    assert not features(g.state, pt(g, 3, 2), BLACK)[0]            # occupied


def test_self_atari_cap_save_suicide_and_eyes():
    g = from_ascii("""
        . . . . .
        . . . . .
        . X . O .
        X O . X O
        . X . O .
    """, to_move=BLACK)
    q = pt(g, 2, 1)
    # (2, 1) is the last liberty of the white stone (1, 1) and of the black stone (3, 1):
    # either side captures there and saves its own stone in atari
    for c in (BLACK, WHITE):
        ok, _, tactic, save, _ = features(g.state, q, c)
        assert ok and named(tactic) == ("capture", 0) and named(save) == ("cap_save", 0)
    # White at (0, 2) captures nothing and is left with one liberty
    ok, _, tactic, save, _ = features(g.state, pt(g, 0, 2), WHITE)
    assert ok and named(tactic) == ("self_atari", 0) and named(save) is None
    # Black at (4, 0) or White at (0, 0) would be suicide: never candidates
    assert not features(g.state, pt(g, 4, 0), BLACK)[0]
    assert not features(g.state, pt(g, 0, 0), WHITE)[0]
    # Black's (0, 0) is no true eye (the white stone on its diagonal): a candidate
    assert features(g.state, pt(g, 0, 0), BLACK)[0]
    eyes = from_ascii("""
        . X .
        X . X
        . X .
    """)
    for x, y in ((0, 0), (1, 1), (2, 2)):
        assert not features(eyes.state, pt(eyes, x, y), BLACK)[0]     # own true eyes
        assert not features(eyes.state, pt(eyes, x, y), WHITE)[0]     # suicide for White
    # the ko point is not a candidate for the player to move
    ko = from_ascii("""
        . X O .
        X O . O
        . X O .
        . . . .
    """, to_move=BLACK)
    ko.play(pt(ko, 2, 2), BLACK)            # Black captures at the ko point's neighbour
    k = int(ko.state[B.H_KO])
    assert k == pt(ko, 1, 2)
    assert not features(ko.state, k, WHITE)[0]


def _reference(s, q, c):
    """Features of a move by c at q from playing it on a copy:
    (capture stones, liberties after (capped at 3), chain size after,
    stones of own chains in atari next to q), None if not a candidate."""
    if s[COLOR + q] != EMPTY or B.is_eye(s, q, c) or not B.is_legal(s, q, c):
        return None
    w = int(s[B.H_W])
    heads = {int(s[B.HEAD + r]) for r in (q - 1, q + 1, q - w, q + w)
             if s[COLOR + r] == c and B.chain_libs(s, r) == 1}
    own_atari = sum(int(s[B.SIZE + h]) for h in heads)
    t = s.copy()
    captured = B.play(t, np.zeros(0, np.int64), q, c)
    if t[COLOR + q] != c:
        return None                          # suicide
    return captured, min(int(B.chain_libs(t, q)), 3), int(B.chain_size(t, q)), own_atari


def _bucket5(k):
    return k - 1 if k <= 3 else (3 if k <= 6 else 4)


def _bucket3(k):
    return 0 if k == 1 else (1 if k <= 3 else 2)


def _pattern_code(s, q, c):
    """The raw 3x3 code, from the documented definition."""
    w = int(s[B.H_W])
    code = 0
    for i, r in enumerate((q + w, q + 1, q - w, q - 1)):
        col = s[COLOR + r]
        if col == EMPTY:
            st = 0
        elif col == B.WALL:
            st = 1
        else:
            st = (1 if col == c else 4) + min(int(B.chain_libs(s, r)), 3)
        code |= st << (3 * i)
    for i, r in enumerate((q + w + 1, q - w + 1, q - w - 1, q + w - 1)):
        col = s[COLOR + r]
        st = 0 if col == EMPTY else 1 if col == B.WALL else 2 if col == c else 3
        code |= st << (12 + 2 * i)
    return code


@pytest.mark.parametrize("n,moves,seed,suicide", [(9, 40, 1, False), (9, 70, 2, False),
                                                  (13, 120, 3, False), (9, 60, 4, True),
                                                  (19, 250, 5, False)])
def test_static_features_match_a_reference_that_plays_the_move(n, moves, seed, suicide):
    s = random_position(n, moves, seed, suicide)
    edge = F.edge_table(n, OFF)
    none = LAY.none
    checked = 0
    for y in range(n):
        for x in range(n):
            q = to_point(x, y, n)
            for c in (BLACK, WHITE):
                ref = _reference(s, q, c)
                ok, code, tactic, save, e = F.static_features(s.copy(), q, c, OFF, edge)
                assert ok == (ref is not None), (x, y, c)
                if ref is None:
                    continue
                captured, libs, size, own_atari = ref
                want_t, want_s = none, none
                if captured:
                    want_t = LAY.capture + _bucket5(captured)
                    want_s = LAY.cap_save if own_atari else none
                elif libs == 1:
                    want_t = LAY.self_atari + _bucket5(size)
                elif own_atari:
                    want_s = LAY.save + 3 * (libs - 2) + _bucket3(own_atari)
                assert (tactic, save) == (want_t, want_s), (x, y, c, ref)
                assert code == _pattern_code(s, q, c)
                assert e == LAY.edge + min(x, y, n - 1 - x, n - 1 - y, 6)
                checked += 1
    assert checked > n * n // 3


def _transform(grid, k):
    """Symmetry k of a (y, x) grid: k % 4 quarter turns, then a mirror."""
    g = np.rot90(grid, k % 4)
    return np.fliplr(g) if k >= 4 else g


def test_patterns_and_responses_are_invariant_under_the_symmetries_and_colours():
    base = from_ascii("""
        . . . . . . . .
        . . X O . . . .
        . X O . O . . .
        . X O X . . . .
        . . X . . . O .
        . . . . . O X .
        . . . . . . . .
        . . . . . . . .
    """, to_move=BLACK)
    n = base.size
    colours = np.array([[base.color_at(to_point(x, y, n)) for x in range(n)] for y in range(n)])
    coords = np.array([[y * n + x for x in range(n)] for y in range(n)])
    last = (3, 5)                                 # the white stone at D6 "was just played"

    def position(col_grid, swap):
        stones = {}
        for y in range(n):
            for x in range(n):
                c = int(col_grid[y, x])
                if c != EMPTY:
                    stones[to_point(x, y, n)] = (3 - c) if swap else c
        g = from_ascii("\n".join(". " * n for _ in range(n)))
        g.set_setup(stones, WHITE if swap else BLACK)
        return g

    reference = {}
    for k in range(8):
        for swap in (False, True):
            grid = _transform(colours, k)
            where = _transform(coords, k)
            g = position(grid, swap)
            s = g.state.copy()
            ly, lx = np.argwhere(where == last[1] * n + last[0])[0]
            s[H_LAST] = to_point(int(lx), int(ly), n)
            mover = WHITE if swap else BLACK
            model = random_model(7)
            logits = model.logits(s, mover)
            for y in range(n):
                for x in range(n):
                    orig = int(where[y, x])
                    f = features(s, to_point(x, y, n), mover)
                    z = logits[y * n + x]
                    if orig in reference:
                        assert reference[orig][0] == f, (k, swap, orig)
                        assert reference[orig][1] == pytest.approx(z), (k, swap, orig)
                    else:
                        reference[orig] = (f, z)
    # and the test is not vacuous: distinct shapes get distinct classes
    assert len({f[1] for f, _ in reference.values() if f[0]}) > 10


def test_pattern_classes_are_the_orbits_of_the_symmetries():
    ids, count = F.pattern_classes()
    assert 2 ** 20 // 8 < count < 2 ** 20 // 4
    rng = np.random.default_rng(3)
    for code in rng.integers(0, 2 ** 20, size=200):
        orth = [(code >> (3 * i)) & 7 for i in range(4)]
        diag = [(code >> (12 + 2 * i)) & 3 for i in range(4)]
        # one quarter turn: N<-W, E<-N, ... (see F.ORTH_PERM)
        for k in range(8):
            v = 0
            for i in range(4):
                v |= orth[i] << (3 * int(F.ORTH_PERM[k, i]))
                v |= diag[i] << (12 + 2 * int(F.DIAG_PERM[k, i]))
            assert ids[v] == ids[code]
    # a pattern and its colour swap differ (colour-relative, not colour-blind)
    own_n = 2 | (0 << 3)      # own stone with 1 liberty to the north
    opp_n = 5
    assert ids[own_n] != ids[opp_n]
