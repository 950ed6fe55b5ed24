"""The rollout policy's features (``nets.rollout``): what a candidate move
looks like to a linear softmax, as indices into one weight vector.

A candidate move ``q`` for the player ``c`` to move is an empty point that
is legal under simple ko and the board's suicide rule, is not a suicide,
and is not one of ``c``'s true eyes in the sense of ``engine.board.is_eye``
(rollouts never play anything else).  Every feature is one index into the
weight vector (``layout``); a move's logit is the sum of the weights of its
features.

==========  ===============================================================
group       index
==========  ===============================================================
pattern     the 3x3 pattern around ``q``, relative to the mover: each
            orthogonal neighbour empty / edge / own or opponent stone whose
            chain has 1, 2, 3+ liberties; each diagonal empty / edge / own /
            opponent; canonicalised under the 8 symmetries of the square
            (``pattern_classes``: 134,280 classes of the 2^20 raw codes)
capture     ``q`` captures 1, 2, 3, 4-6, 7+ stones
self_atari  ``q`` captures nothing and leaves its chain (1, 2, 3, 4-6, 7+
            stones) with one liberty
save        an own chain next to ``q`` is in atari (1, 2-3, 4+ stones) and
            ``q``, capturing nothing, leaves 2 / 3+ liberties
cap_save    ``q`` captures while an own chain next to it is in atari
edge        distance of ``q`` to the nearest edge: 0 .. 5, 6+
dist_last   offset of ``q`` from the previous move (the opponent's), up to
            Manhattan distance 4, in 8 classes (|dx|, |dy| sorted)
dist_last2  the same for the move before it (the mover's own)
response    the 12-point diamond around the previous move (each point
            empty / edge / own / opponent, plus that move's chain liberties
            1, 2, 3+), with ``q``'s place in it, canonicalised under the 8
            symmetries and hashed into 2^16 weights (AlphaGo's "response
            pattern")
==========  ===============================================================

The first six groups are "static" (``static_features``): they depend only
on the position around ``q``, which lets a rollout update them
incrementally.  The last three (``response_features``) depend on the
previous two moves and touch at most 92 points.  ``FEATURE_SET_VERSION``
names this definition; a model file trained on another one is refused.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from engine import board as B
from engine import lookahead as LA
from engine.board import COLOR, EMPTY, H_LAST, H_LAST2, H_N, H_W, HEAD, LIBS, MAXM, SIZE, WALL
from engine.coords import point_to_index

FEATURE_SET_VERSION = "rollout-v1"


# --------------------------------------------------------------------------
# symmetry tables (tiny; computed at import)
# --------------------------------------------------------------------------

ORTH = ((0, 1), (1, 0), (0, -1), (-1, 0))      # N E S W
DIAG = ((1, 1), (1, -1), (-1, -1), (-1, 1))    # NE SE SW NW


def _sym(k: int, dx: int, dy: int) -> tuple[int, int]:
    """Symmetry ``k`` (0..7) of the square applied to an offset: ``k % 4``
    quarter turns, then a mirror if ``k >= 4``."""
    for _ in range(k % 4):
        dx, dy = dy, -dx
    return (-dx, dy) if k >= 4 else (dx, dy)


def _perm(offsets: Sequence[tuple[int, int]]) -> np.ndarray:
    """perm[k, i]: where symmetry k sends offset i (an index into offsets)."""
    return np.array([[offsets.index(_sym(k, *d)) for d in offsets] for k in range(8)],
                    dtype=np.int64)


ORTH_PERM = _perm(ORTH)
DIAG_PERM = _perm(DIAG)

# offsets around a previous move up to Manhattan distance 4, nearest first;
# the first 12 are the response diamond
_NEAR = sorted(((dx, dy) for dx in range(-4, 5) for dy in range(-4, 5)
                if 0 < abs(dx) + abs(dy) <= 4), key=lambda d: (abs(d[0]) + abs(d[1]), d))
_CLASSES = sorted({tuple(sorted((abs(dx), abs(dy)))) for dx, dy in _NEAR},
                  key=lambda t: (t[0] + t[1], t))
NEAR_DX = np.array([d[0] for d in _NEAR], dtype=np.int64)
NEAR_DY = np.array([d[1] for d in _NEAR], dtype=np.int64)
NEAR_CLASS = np.array([_CLASSES.index(tuple(sorted((abs(dx), abs(dy))))) for dx, dy in _NEAR],
                      dtype=np.int64)
DIAMOND = 12
DIAMOND_PERM = _perm(_NEAR[:DIAMOND])

# --------------------------------------------------------------------------
# weight layout
# --------------------------------------------------------------------------

PATTERN_CODES = 1 << 20          # raw 3x3 codes: 4 x 3 bits + 4 x 2 bits
RESPONSE_BITS = 16
GROUPS = (("capture", 5), ("self_atari", 5), ("save", 6), ("cap_save", 1), ("edge", 7),
          ("dist_last", len(_CLASSES)), ("dist_last2", len(_CLASSES)),
          ("response", 1 << RESPONSE_BITS))


@functools.cache
def pattern_classes() -> tuple[np.ndarray, int]:
    """(ids, count): ids[code] is the class (0..count-1) of raw 3x3 code
    ``code``; codes related by a symmetry share a class."""
    canon = _canonical_codes()
    _, ids = np.unique(canon, return_inverse=True)
    return ids.astype(np.int32), int(ids.max()) + 1


@njit(cache=True)
def _canonical_codes() -> np.ndarray:
    """The smallest code in each raw code's orbit under the 8 symmetries."""
    canon = np.empty(PATTERN_CODES, dtype=np.int64)
    for code in range(PATTERN_CODES):
        best = PATTERN_CODES
        for k in range(8):
            v = 0
            for i in range(4):
                v |= ((code >> (3 * i)) & 7) << (3 * ORTH_PERM[k, i])
                v |= ((code >> (12 + 2 * i)) & 3) << (12 + 2 * DIAG_PERM[k, i])
            if v < best:
                best = v
        canon[code] = best
    return canon


@dataclass(frozen=True)
class Layout:
    """Offsets of the feature groups in the weight vector; ``none`` (the
    last index + 1) stands for "no feature in this slot" (weight 0)."""
    patterns: int
    capture: int
    self_atari: int
    save: int
    cap_save: int
    edge: int
    dist_last: int
    dist_last2: int
    response: int
    size: int

    @property
    def none(self) -> int:
        return self.size

    def sizes(self) -> dict[str, int]:
        return {"pattern": self.patterns} | dict(GROUPS)

    def offsets(self) -> np.ndarray:
        """int64 array of the offsets for compiled code (see ``OFF_*``)."""
        return np.array([self.capture, self.self_atari, self.save, self.cap_save, self.edge,
                         self.dist_last, self.dist_last2, self.response, self.none],
                        dtype=np.int64)


@functools.cache
def layout() -> Layout:
    _, k = pattern_classes()
    off: dict[str, int] = {}
    at = k
    for name, size in GROUPS:
        off[name] = at
        at += size
    return Layout(patterns=k, size=at, **off)


# positions in the ``off`` array (``Layout.offsets``) passed to compiled code
OFF_CAPTURE, OFF_SELF, OFF_SAVE, OFF_CAPSAVE, OFF_EDGE = 0, 1, 2, 3, 4
OFF_DIST, OFF_DIST2, OFF_RESP, OFF_NONE = 5, 6, 7, 8

# feature slots of a candidate in training (4 static, 3 response)
SLOTS = 7
SLOT_DIST, SLOT_DIST2, SLOT_RESP = 4, 5, 6


# --------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------

@njit(cache=True, inline="always")
def size5(k: int) -> int:
    """Stone count bucket 1, 2, 3, 4-6, 7+ -> 0..4."""
    if k <= 3:
        return k - 1
    return 3 if k <= 6 else 4


@njit(cache=True, inline="always")
def size3(k: int) -> int:
    """Stone count bucket 1, 2-3, 4+ -> 0..2."""
    if k == 1:
        return 0
    return 1 if k <= 3 else 2


@njit(cache=True)
def edge_table(n: int, off: np.ndarray) -> np.ndarray:
    """The edge feature index of every point of an n x n board."""
    t = np.empty(MAXM, dtype=np.int64)
    fill_edge(n, off, t)
    return t


@njit(cache=True)
def fill_edge(n: int, off: np.ndarray, t: np.ndarray) -> None:
    t[:] = off[OFF_NONE]
    w = n + 2
    for y in range(n):
        for x in range(n):
            d = min(min(x, y), min(n - 1 - x, n - 1 - y))
            t[(y + 1) * w + x + 1] = off[OFF_EDGE] + min(d, 6)


@njit(cache=True)
def static_features(s: np.ndarray, q: int, c: int, off: np.ndarray, edge: np.ndarray
                    ) -> tuple[bool, int, int, int, int]:
    """(candidate, raw 3x3 code, tactical index, save index, edge index)
    of a move by ``c`` at ``q``; indices are ``off[OFF_NONE]`` when absent.

    Reads only: the colours of the 8 neighbours, the liberty counts and
    sizes of the orthogonally adjacent chains, the liberty sets of adjacent
    own chains with at most 3 liberties (through ``libs_after``), and the ko
    point.  ``nets.rollout.weights.play_tracked`` relies on exactly this list."""
    none = off[OFF_NONE]
    if s[COLOR + q] != EMPTY or B.is_eye(s, q, c) or not B.is_legal(s, q, c):
        return False, 0, none, none, none
    w = s[H_W]
    code = 0
    own_atari = 0      # stones of distinct own chains in atari next to q
    captured = 0       # stones of distinct opponent chains in atari next to q
    h0 = -1
    h1 = -1
    h2 = -1
    i = 0
    for r in (q + w, q + 1, q - w, q - 1):
        col = s[COLOR + r]
        st = 0
        if col == WALL:
            st = 1
        elif col != EMPTY:
            h = s[HEAD + r]
            libs = s[LIBS + h]
            st = (1 if col == c else 4) + min(libs, 3)
            if libs == 1 and h != h0 and h != h1 and h != h2:
                if col == c:
                    own_atari += s[SIZE + h]
                else:
                    captured += s[SIZE + h]
                if h0 < 0:
                    h0 = h
                elif h1 < 0:
                    h1 = h
                else:
                    h2 = h
        code |= st << (3 * i)
        i += 1
    i = 0
    for r in (q + w + 1, q - w + 1, q - w - 1, q + w - 1):
        col = s[COLOR + r]
        st = 0
        if col == WALL:
            st = 1
        elif col == c:
            st = 2
        elif col != EMPTY:
            st = 3
        code |= st << (12 + 2 * i)
        i += 1
    tactic = none
    save = none
    if captured > 0:
        tactic = off[OFF_CAPTURE] + size5(captured)
        if own_atari > 0:
            save = off[OFF_CAPSAVE]
    elif own_atari > 0 or _may_self_atari(s, q, c):
        libs = LA.libs_after(s, q, c, 3)
        if libs == 0:
            return False, 0, none, none, none    # a suicide the rules allow: never played
        if libs == 1:
            tactic = off[OFF_SELF] + size5(LA.size_after(s, q, c))
        elif own_atari > 0:
            save = off[OFF_SAVE] + 3 * (libs - 2) + size3(own_atari)
    return True, code, tactic, save, edge[q]


@njit(cache=True, inline="always")
def _may_self_atari(s: np.ndarray, q: int, c: int) -> bool:
    """False when a move by c at q surely keeps 2+ liberties: it has two
    empty neighbours, or joins an own chain with 3+ liberties."""
    if B.nb_count(s, q, EMPTY) >= 2:
        return False
    w = s[H_W]
    for r in (q + w, q + 1, q - w, q - 1):
        if s[COLOR + r] == c and s[LIBS + s[HEAD + r]] >= 3:
            return False
    return True


@njit(cache=True, inline="always")
def _hash16(key: int) -> np.int64:
    return np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - RESPONSE_BITS))


@njit(cache=True, inline="always")
def _distance_features(m: int, n: int, w: int, base: int, slot: int, rq: np.ndarray,
                       rf: np.ndarray, rs: np.ndarray, k: int) -> int:
    """Append the distance feature (index ``base`` + class, slot ``slot``)
    of every point near the move ``m`` to rq/rf/rs from entry k; returns
    the new count."""
    mx = m % w - 1
    my = m // w - 1
    for i in range(NEAR_DX.shape[0]):
        x = mx + NEAR_DX[i]
        y = my + NEAR_DY[i]
        if 0 <= x < n and 0 <= y < n:
            rq[k] = (y + 1) * w + x + 1
            rf[k] = base + NEAR_CLASS[i]
            rs[k] = slot
            k += 1
    return k


@njit(cache=True)
def response_features(s: np.ndarray, c: int, off: np.ndarray, rq: np.ndarray, rf: np.ndarray,
                      rs: np.ndarray, keys: np.ndarray) -> int:
    """The response features of the position for the mover ``c``: writes
    (point, feature index, slot) triples into rq/rf/rs and returns how many.
    Points may be occupied or illegal; callers keep only candidates.
    ``keys`` is scratch for 8 integers."""
    n = s[H_N]
    w = s[H_W]
    k = 0
    last = s[H_LAST]
    if last >= 0:
        k = _distance_features(last, n, w, off[OFF_DIST], SLOT_DIST, rq, rf, rs, k)
        lx = last % w - 1
        ly = last // w - 1
        # the diamond's colours relative to c, then its 8 symmetric codes
        keys[:8] = 0
        for i in range(DIAMOND):
            x = lx + NEAR_DX[i]
            y = ly + NEAR_DY[i]
            st = 1
            if 0 <= x < n and 0 <= y < n:
                col = s[COLOR + (y + 1) * w + x + 1]
                st = 0 if col == EMPTY else (2 if col == c else 3)
            for t in range(8):
                keys[t] |= st << (2 * DIAMOND_PERM[t, i])
        lb = 3
        if s[COLOR + last] != EMPTY:
            lb = min(s[LIBS + s[HEAD + last]], 3) - 1
        for i in range(DIAMOND):
            x = lx + NEAR_DX[i]
            y = ly + NEAR_DY[i]
            if 0 <= x < n and 0 <= y < n:
                q = (y + 1) * w + x + 1
                if s[COLOR + q] == EMPTY:
                    best = keys[0] << 4 | DIAMOND_PERM[0, i]
                    for t in range(1, 8):
                        v = keys[t] << 4 | DIAMOND_PERM[t, i]
                        if v < best:
                            best = v
                    rq[k] = q
                    rf[k] = off[OFF_RESP] + _hash16(best << 2 | lb)
                    rs[k] = SLOT_RESP
                    k += 1
    last2 = s[H_LAST2]
    if last2 >= 0:
        k = _distance_features(last2, n, w, off[OFF_DIST2], SLOT_DIST2, rq, rf, rs, k)
    return k


RESPONSE_MAX = 2 * len(_NEAR) + DIAMOND


@njit(cache=True)
def position_features(s: np.ndarray, c: int, off: np.ndarray, edge: np.ndarray,
                      pat_id: np.ndarray, cand: np.ndarray, feats: np.ndarray,
                      index: np.ndarray) -> int:
    """All candidates of ``c`` (into ``cand``) and their features (``feats``
    rows, ``SLOTS`` indices each, ``off[OFF_NONE]`` where empty); leaves
    ``index[q]`` = the candidate number of point q, which the caller resets
    to -1 afterwards.  Returns the number of candidates.  This full
    computation is what training and evaluation use, and what the
    incremental rollout is checked against."""
    n = s[H_N]
    w = s[H_W]
    none = off[OFF_NONE]
    m = 0
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            ok, code, tactic, save, e = static_features(s, q, c, off, edge)
            if ok:
                cand[m] = q
                feats[m, 0] = pat_id[code]
                feats[m, 1] = tactic
                feats[m, 2] = save
                feats[m, 3] = e
                for k in range(4, SLOTS):
                    feats[m, k] = none
                index[q] = m
                m += 1
    rq = np.empty(RESPONSE_MAX, dtype=np.int64)
    rf = np.empty(RESPONSE_MAX, dtype=np.int64)
    rs = np.empty(RESPONSE_MAX, dtype=np.int64)
    k = response_features(s, c, off, rq, rf, rs, np.empty(8, dtype=np.int64))
    for i in range(k):
        j = index[rq[i]]
        if j >= 0:
            feats[j, rs[i]] = rf[i]
    return m


@njit(cache=True)
def position_logits(s: np.ndarray, c: int, off: np.ndarray, edge: np.ndarray,
                    pat_id: np.ndarray, weights: np.ndarray, out: np.ndarray) -> int:
    """Logits of ``c``'s moves by policy index (y * n + x) into ``out``;
    -inf where the rollout would never play.  Returns the candidate count."""
    n = s[H_N]
    cand = np.empty(MAXM, dtype=np.int64)
    feats = np.empty((MAXM, SLOTS), dtype=np.int64)
    index = np.full(MAXM, -1, dtype=np.int64)
    m = position_features(s, c, off, edge, pat_id, cand, feats, index)
    out[:] = -np.inf
    for j in range(m):
        z = 0.0
        for k in range(SLOTS):
            z += weights[feats[j, k]]
        q = cand[j]
        out[point_to_index(q, n)] = z
    return m


# --------------------------------------------------------------------------
# rollouts
# --------------------------------------------------------------------------
