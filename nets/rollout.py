"""AlphaGo's fast rollout policy: a linear softmax over small local pattern
features, played in compiled code to the end of the game to score a leaf of
the search (``load_rollout``).

Why linear and local: a rollout plays a few hundred moves per leaf, so a
move must cost microseconds, not the milliseconds of a network.  AlphaGo
(Silver et al. 2016, Extended Data Table 4) used about 109,000 pattern
weights and reached 24.2% move prediction at 2 us per move; this is the same
design, smaller.

Features of a candidate move ``q`` for the player ``c`` to move (a
candidate is an empty point that is legal under simple ko and the board's
suicide rule, is not a suicide, and is not one of ``c``'s true eyes in the
sense of ``engine.board.is_eye``).  Every feature is one index into one
weight vector; a move's logit is the sum of the weights of its features.

==========  ===============================================================
group       index
==========  ===============================================================
pattern     the 3x3 pattern around ``q``, relative to the mover: each
            orthogonal neighbour empty / edge / own or opponent stone whose
            chain has 1, 2, 3+ liberties; each diagonal empty / edge / own /
            opponent; canonicalised under the 8 symmetries of the square
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

The first six groups are "static": they depend only on the position near
``q``, so a rollout keeps exp(static logit) of every point for both colours
and after a move recomputes only the points whose features may have changed
(``_play_tracked`` says which, and why that set is exact; a test checks it
against full recomputation).  The last three depend on the previous moves;
they touch at most 92 points and are recomputed every step.  A move is
sampled by choosing between those "near" points (their weights multiplied
by the response factors) and the rest, which is drawn from row sums of the
static weights, rejecting draws that land on a near point.

The model file is a ``.npz`` read with ``allow_pickle=False``: ``weights``
(float32, one per feature index) and ``meta`` (JSON: format, feature set
version, group sizes, training provenance).  A file from another feature set
or with the wrong number of weights is refused with ``RolloutFileError``.
"""

import functools
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit

from engine import board as B
from engine.board import (BLACK, COLOR, EMPTY, HEAD, LIBS, MAXM, MAXW, NEXT, PASS, SIZE,
                          STATE_LEN, WALL, WHITE, H_KO, H_LAST, H_LAST2, H_N, H_PASSES,
                          H_SUICIDE, H_TOMOVE, H_W)

FEATURE_SET_VERSION = "rollout-v1"
FILE_FORMAT = "tengen-rollout"
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
ROLLOUT_FILE = "rollout.npz"


class RolloutFileError(ValueError):
    """A rollout model file that cannot be used: missing, unreadable, from
    another feature set, or with the wrong number of weights."""


# --------------------------------------------------------------------------
# symmetry tables (tiny; computed at import)
# --------------------------------------------------------------------------

ORTH = ((0, 1), (1, 0), (0, -1), (-1, 0))      # N E S W
DIAG = ((1, 1), (1, -1), (-1, -1), (-1, 1))    # NE SE SW NW


def _sym(k, dx, dy):
    """Symmetry ``k`` (0..7) of the square applied to an offset: ``k % 4``
    quarter turns, then a mirror if ``k >= 4``."""
    for _ in range(k % 4):
        dx, dy = dy, -dx
    return (-dx, dy) if k >= 4 else (dx, dy)


def _perm(offsets):
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
def pattern_classes():
    """(ids, count): ids[code] is the class (0..count-1) of raw 3x3 code
    ``code``; codes related by a symmetry share a class."""
    canon = _canonical_codes()
    _, ids = np.unique(canon, return_inverse=True)
    return ids.astype(np.int32), int(ids.max()) + 1


@njit(cache=True)
def _canonical_codes():
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
    def none(self):
        return self.size

    def sizes(self):
        return {"pattern": self.patterns} | dict(GROUPS)

    def offsets(self):
        """int64 array of the offsets for compiled code (see ``_OFF_*``)."""
        return np.array([self.capture, self.self_atari, self.save, self.cap_save, self.edge,
                         self.dist_last, self.dist_last2, self.response, self.none],
                        dtype=np.int64)


@functools.cache
def layout():
    _, k = pattern_classes()
    off = {}
    at = k
    for name, size in GROUPS:
        off[name] = at
        at += size
    return Layout(patterns=k, size=at, **off)


# positions in the ``off`` array passed to compiled code
_OFF_CAPTURE, _OFF_SELF, _OFF_SAVE, _OFF_CAPSAVE, _OFF_EDGE = 0, 1, 2, 3, 4
_OFF_DIST, _OFF_DIST2, _OFF_RESP, _OFF_NONE = 5, 6, 7, 8

# feature slots of a candidate in training (4 static, 3 response)
SLOTS = 7
SLOT_DIST, SLOT_DIST2, SLOT_RESP = 4, 5, 6


# --------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _size5(k):
    """Stone count bucket 1, 2, 3, 4-6, 7+ -> 0..4."""
    if k <= 3:
        return k - 1
    return 3 if k <= 6 else 4


@njit(cache=True, inline="always")
def _size3(k):
    """Stone count bucket 1, 2-3, 4+ -> 0..2."""
    if k == 1:
        return 0
    return 1 if k <= 3 else 2


@njit(cache=True)
def edge_table(n, off):
    """The edge feature index of every point of an n x n board."""
    t = np.empty(MAXM, dtype=np.int64)
    _fill_edge(n, off, t)
    return t


@njit(cache=True)
def _fill_edge(n, off, t):
    t[:] = off[_OFF_NONE]
    w = n + 2
    for y in range(n):
        for x in range(n):
            d = min(min(x, y), min(n - 1 - x, n - 1 - y))
            t[(y + 1) * w + x + 1] = off[_OFF_EDGE] + min(d, 6)


@njit(cache=True)
def static_features(s, q, c, off, edge):
    """(candidate, raw 3x3 code, tactical index, save index, edge index)
    of a move by ``c`` at ``q``; indices are ``off[_OFF_NONE]`` when absent.

    Reads only: the colours of the 8 neighbours, the liberty counts and
    sizes of the orthogonally adjacent chains, the liberty sets of adjacent
    own chains with at most 3 liberties (through ``libs_after``), and the ko
    point.  ``_play_tracked`` relies on exactly this list."""
    none = off[_OFF_NONE]
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
        tactic = off[_OFF_CAPTURE] + _size5(captured)
        if own_atari > 0:
            save = off[_OFF_CAPSAVE]
    elif own_atari > 0 or _may_self_atari(s, q, c):
        libs = B.libs_after(s, q, c, 3)
        if libs == 0:
            return False, 0, none, none, none    # a suicide the rules allow: never played
        if libs == 1:
            tactic = off[_OFF_SELF] + _size5(B.size_after(s, q, c))
        elif own_atari > 0:
            save = off[_OFF_SAVE] + 3 * (libs - 2) + _size3(own_atari)
    return True, code, tactic, save, edge[q]


@njit(cache=True, inline="always")
def _may_self_atari(s, q, c):
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
def _hash16(key):
    return np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - RESPONSE_BITS))


@njit(cache=True)
def response_features(s, c, off, rq, rf, rs, keys):
    """The response features of the position for the mover ``c``: writes
    (point, feature index, slot) triples into rq/rf/rs and returns how many.
    Points may be occupied or illegal; callers keep only candidates.
    ``keys`` is scratch for 8 integers."""
    n = s[H_N]
    w = s[H_W]
    k = 0
    last = s[H_LAST]
    if last >= 0:
        lx = last % w - 1
        ly = last // w - 1
        for i in range(NEAR_DX.shape[0]):
            x = lx + NEAR_DX[i]
            y = ly + NEAR_DY[i]
            if 0 <= x < n and 0 <= y < n:
                rq[k] = (y + 1) * w + x + 1
                rf[k] = off[_OFF_DIST] + NEAR_CLASS[i]
                rs[k] = SLOT_DIST
                k += 1
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
                    rf[k] = off[_OFF_RESP] + _hash16(best << 2 | lb)
                    rs[k] = SLOT_RESP
                    k += 1
    last2 = s[H_LAST2]
    if last2 >= 0:
        lx = last2 % w - 1
        ly = last2 // w - 1
        for i in range(NEAR_DX.shape[0]):
            x = lx + NEAR_DX[i]
            y = ly + NEAR_DY[i]
            if 0 <= x < n and 0 <= y < n:
                rq[k] = (y + 1) * w + x + 1
                rf[k] = off[_OFF_DIST2] + NEAR_CLASS[i]
                rs[k] = SLOT_DIST2
                k += 1
    return k


RESPONSE_MAX = 2 * len(_NEAR) + DIAMOND


@njit(cache=True)
def position_features(s, c, off, edge, pat_id, cand, feats, index):
    """All candidates of ``c`` (into ``cand``) and their features (``feats``
    rows, ``SLOTS`` indices each, ``off[_OFF_NONE]`` where empty); leaves
    ``index[q]`` = the candidate number of point q, which the caller resets
    to -1 afterwards.  Returns the number of candidates.  This full
    computation is what training and evaluation use, and what the
    incremental rollout is checked against."""
    n = s[H_N]
    w = s[H_W]
    none = off[_OFF_NONE]
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
def position_logits(s, c, off, edge, pat_id, weights, out):
    """Logits of ``c``'s moves by policy index (y * n + x) into ``out``;
    -inf where the rollout would never play.  Returns the candidate count."""
    n = s[H_N]
    w = s[H_W]
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
        out[(q // w - 1) * n + q % w - 1] = z
    return m


# --------------------------------------------------------------------------
# rollouts
# --------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _uniform(rng):
    """A float in [0, 1)."""
    return np.float64(B.xorshift(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _static_weight(s, q, c, off, edge, ew_pat, ewv):
    """exp(static logit) of a move by c at q, 0 if not a candidate."""
    ok, code, tactic, save, e = static_features(s, q, c, off, edge)
    if not ok:
        return 0.0
    return ew_pat[code] * ewv[tactic] * ewv[save] * ewv[e]


@njit(cache=True, inline="always")
def _weight_of(s, q, c, code, own_atari, captured, strong, empties, off, edge, ew_pat, ewv):
    """The tactical part of ``static_features`` for one colour, given what
    ``_static_pair`` read around q, as a weight (``_static_weight``'s
    product, factor for factor)."""
    none = off[_OFF_NONE]
    tactic = none
    save = none
    if captured > 0:
        tactic = off[_OFF_CAPTURE] + _size5(captured)
        if own_atari > 0:
            save = off[_OFF_CAPSAVE]
    elif own_atari > 0 or (empties < 2 and not strong):
        libs = B.libs_after(s, q, c, 3)
        if libs == 0:
            return 0.0
        if libs == 1:
            tactic = off[_OFF_SELF] + _size5(B.size_after(s, q, c))
        elif own_atari > 0:
            save = off[_OFF_SAVE] + 3 * (libs - 2) + _size3(own_atari)
    return ew_pat[code] * ewv[tactic] * ewv[save] * ewv[edge[q]]


@njit(cache=True)
def _static_pair(s, q, off, edge, ew_pat, ewv):
    """(Black's, White's) ``_static_weight`` at q from one read of the
    neighbourhood: the rollout keeps both colours' weights, and the two
    share every load (the codes differ only by swapping own and opponent)."""
    if s[COLOR + q] != EMPTY:
        return 0.0, 0.0
    w = s[H_W]
    code_b = 0
    code_w = 0
    atari_b = 0        # stones of distinct black chains in atari next to q
    atari_w = 0
    strong_b = False   # a black chain with 3+ liberties next to q
    strong_w = False
    alive_b = False    # a black chain with 2+ liberties next to q
    alive_w = False
    nbr_b = 0
    nbr_w = 0
    empties = 0
    h0 = -1
    h1 = -1
    h2 = -1
    i = 0
    for r in (q + w, q + 1, q - w, q - 1):
        col = s[COLOR + r]
        st_b = 0
        st_w = 0
        if col == EMPTY:
            empties += 1
        elif col == WALL:
            st_b = 1
            st_w = 1
        else:
            h = s[HEAD + r]
            libs = s[LIBS + h]
            b = min(libs, 3)
            if col == BLACK:
                st_b = 1 + b
                st_w = 4 + b
                nbr_b += 1
                strong_b |= libs >= 3
                alive_b |= libs >= 2
            else:
                st_b = 4 + b
                st_w = 1 + b
                nbr_w += 1
                strong_w |= libs >= 3
                alive_w |= libs >= 2
            if libs == 1 and h != h0 and h != h1 and h != h2:
                if col == BLACK:
                    atari_b += s[SIZE + h]
                else:
                    atari_w += s[SIZE + h]
                if h0 < 0:
                    h0 = h
                elif h1 < 0:
                    h1 = h
                else:
                    h2 = h
        code_b |= st_b << (3 * i)
        code_w |= st_w << (3 * i)
        i += 1
    diag_b = 0         # black stones on the diagonals (spoil a white eye)
    diag_w = 0
    wall = False
    i = 0
    for r in (q + w + 1, q - w + 1, q - w - 1, q + w - 1):
        col = s[COLOR + r]
        st_b = 0
        st_w = 0
        if col == WALL:
            st_b = 1
            st_w = 1
            wall = True
        elif col == BLACK:
            st_b = 2
            st_w = 3
            diag_b += 1
        elif col == WHITE:
            st_b = 3
            st_w = 2
            diag_w += 1
        code_b |= st_b << (12 + 2 * i)
        code_w |= st_w << (12 + 2 * i)
        i += 1
    # legality (simple ko, suicide rule) and true eyes, as B.is_legal / B.is_eye
    ko = q == s[H_KO]
    to_move = s[H_TOMOVE]
    suicide_ok = s[H_SUICIDE] == 1
    ok_b = empties > 0 or alive_b or atari_w > 0 or (suicide_ok and nbr_b > 0)
    ok_w = empties > 0 or alive_w or atari_b > 0 or (suicide_ok and nbr_w > 0)
    if ko:
        ok_b &= to_move != BLACK
        ok_w &= to_move != WHITE
    if empties == 0 and nbr_w == 0:      # a black eye?
        ok_b &= not (diag_w == 0 if wall else diag_w < 2)
    if empties == 0 and nbr_b == 0:
        ok_w &= not (diag_b == 0 if wall else diag_b < 2)
    wb = 0.0
    ww = 0.0
    if ok_b:
        wb = _weight_of(s, q, BLACK, code_b, atari_b, atari_w, strong_b, empties, off, edge,
                        ew_pat, ewv)
    if ok_w:
        ww = _weight_of(s, q, WHITE, code_w, atari_w, atari_b, strong_w, empties, off, edge,
                        ew_pat, ewv)
    return wb, ww


@njit(cache=True)
def _row_sum(ew, ci, r, w, n):
    t = 0.0
    base = ci * MAXM + r * w + 1
    for x in range(n):
        t += ew[base + x]
    return t


@njit(cache=True)
def _init_weights(s, off, edge, ew_pat, ewv, ew, rows):
    """Static weights of every point for both colours, and their row sums."""
    n = s[H_N]
    w = s[H_W]
    ew[:] = 0.0
    rows[:] = 0.0
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            ew[q], ew[MAXM + q] = _static_pair(s, q, off, edge, ew_pat, ewv)
    for r in range(1, n + 1):
        rows[r] = _row_sum(ew, 0, r, w, n)
        rows[MAXW + r] = _row_sum(ew, 1, r, w, n)


@njit(cache=True, inline="always")
def _mark(dm, dl, stamp, q):
    """Add q to the dirty list dl (dl[0] = length) unless already there."""
    if dm[q] != stamp:
        dm[q] = stamp
        k = dl[0] + 1
        dl[k] = q
        dl[0] = k


@njit(cache=True)
def _mark_liberties(s, dm, dl, stamp, p):
    """Mark the liberties of the chain through stone p."""
    w = s[H_W]
    r = p
    while True:
        for t in (r - 1, r + 1, r - w, r + w):
            if s[COLOR + t] == EMPTY:
                _mark(dm, dl, stamp, t)
        r = s[NEXT + r]
        if r == p:
            break


@njit(cache=True)
def _mark_around(s, dm, dl, stamp, p):
    """Mark p and its 8 neighbours (their 3x3 patterns contain p)."""
    w = s[H_W]
    for r in (p - w - 1, p - w, p - w + 1, p - 1, p, p + 1, p + w - 1, p + w, p + w + 1):
        if s[COLOR + r] != WALL:
            _mark(dm, dl, stamp, r)


@njit(cache=True)
def _play_tracked(s, p, c, off, edge, ew_pat, ewv, ew, rows, dm, dl, stamp, buf):
    """Play a legal move (or PASS) and bring the static weights up to date.

    Which points can change (see ``static_features`` for what a point's
    features read):

    * the 3x3 neighbourhood of every point whose colour changes: p and
      every captured stone;
    * the liberties of every chain whose liberty count or membership
      changed while it had, before or after, at most 3 liberties: the
      opponent chains next to p (one liberty fewer), the own chains p joins
      (merged), the mover's chains next to captured stones (more
      liberties).  A chain with 4+ liberties before and after shows as "3+"
      in every pattern and gives ``libs_after`` its cap from its size
      alone, so its liberties need no update;
    * the old and new ko points.
    """
    w = s[H_W]
    n = s[H_N]
    o = 3 - c
    dl[0] = 0
    old_ko = s[H_KO]
    ncap = 0
    nopp = 0           # opponent chains next to p: a stone of each in buf[8..]
    own_low = False    # p joins an own chain with <= 3 liberties
    joins = False
    if p != PASS:
        for q in (p - 1, p + 1, p - w, p + w):
            col = s[COLOR + q]
            if col == c:
                joins = True
                if s[LIBS + s[HEAD + q]] <= 3:
                    own_low = True
            elif col == o:
                h = s[HEAD + q]
                seen = False
                for k in range(nopp):
                    if s[HEAD + buf[8 + k]] == h:
                        seen = True
                if not seen:
                    if s[LIBS + h] == 1:
                        # captured: remember its stones (buf[16..])
                        r = h
                        while True:
                            buf[16 + ncap] = r
                            ncap += 1
                            r = s[NEXT + r]
                            if r == h:
                                break
                    buf[8 + nopp] = q
                    nopp += 1
    B.play(s, buf[:0], p, c)
    if p != PASS:
        _mark_around(s, dm, dl, stamp, p)
        for k in range(nopp):
            q = buf[8 + k]
            if s[COLOR + q] == o and s[LIBS + s[HEAD + q]] <= 3:
                _mark_liberties(s, dm, dl, stamp, q)
        nheads = 0     # the mover's chains next to captured stones (buf[12..15])
        for k in range(ncap):
            r = buf[16 + k]
            _mark_around(s, dm, dl, stamp, r)
            for t in (r - 1, r + 1, r - w, r + w):
                if s[COLOR + t] == c:
                    h = s[HEAD + t]
                    seen = False
                    for m in range(nheads):
                        if buf[12 + m] == h:
                            seen = True
                    if not seen:
                        _mark_liberties(s, dm, dl, stamp, t)
                        if nheads < 4:
                            buf[12 + nheads] = h
                            nheads += 1
        if joins and (own_low or s[LIBS + s[HEAD + p]] <= 3):
            _mark_liberties(s, dm, dl, stamp, p)
    if old_ko >= 0:
        _mark(dm, dl, stamp, old_ko)
    if s[H_KO] >= 0:
        _mark(dm, dl, stamp, s[H_KO])
    # recompute the marked points, then the rows they lie in
    for k in range(1, dl[0] + 1):
        q = dl[k]
        ew[q], ew[MAXM + q] = _static_pair(s, q, off, edge, ew_pat, ewv)
    for k in range(1, dl[0] + 1):
        r = dl[k] // w
        if dm[MAXM + r] != stamp:
            dm[MAXM + r] = stamp
            rows[r] = _row_sum(ew, 0, r, w, n)
            rows[MAXW + r] = _row_sum(ew, 1, r, w, n)


@njit(cache=True)
def _choose(s, c, off, ewv, ew, rows, near_mark, near, mult, stamp, rq, rf, rs, rng):
    """Sample the rollout policy's move for ``c`` (PASS when it has no
    candidate).  ``ew``/``rows`` must be current (``_play_tracked``)."""
    n = s[H_N]
    w = s[H_W]
    cb = (c - 1) * MAXM
    rb = (c - 1) * MAXW
    k = response_features(s, c, off, rq, rf, rs, near[RESPONSE_MAX:])
    nn = 0
    for i in range(k):
        q = rq[i]
        if ew[cb + q] > 0.0:
            if near_mark[q] != stamp:
                near_mark[q] = stamp
                near[nn] = q
                nn += 1
                mult[q] = 1.0
            mult[q] *= ewv[rf[i]]
    near_static = 0.0
    near_mass = 0.0
    for i in range(nn):
        q = near[i]
        near_static += ew[cb + q]
        near_mass += ew[cb + q] * mult[q]
    total = 0.0
    for r in range(1, n + 1):
        total += rows[rb + r]
    if total <= 0.0:
        return PASS
    rest = max(total - near_static, 0.0)
    u = _uniform(rng) * (near_mass + rest)
    if u < near_mass:
        for i in range(nn):
            q = near[i]
            u -= ew[cb + q] * mult[q]
            if u < 0.0:
                return q
        return near[nn - 1]
    # the others: draw from the static weights, reject the near points
    for _ in range(64):
        v = _uniform(rng) * total
        q = -1
        for r in range(1, n + 1):
            if v < rows[rb + r]:
                base = r * w + 1
                for x in range(n):
                    e = ew[cb + base + x]
                    if e > 0.0:
                        q = base + x
                        v -= e
                        if v < 0.0:
                            break
                break
            v -= rows[rb + r]
        if q >= 0 and near_mark[q] != stamp:
            return q
    # (only when nearly all the weight sits on the near points) exact scan
    rest = 0.0
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            if near_mark[q] != stamp:
                rest += ew[cb + q]
    v = _uniform(rng) * rest
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            if near_mark[q] != stamp and ew[cb + q] > 0.0:
                v -= ew[cb + q]
                if v < 0.0:
                    return q
    return near[0] if nn > 0 else PASS


@njit(cache=True)
def _new_scratch():
    ew = np.zeros(2 * MAXM, dtype=np.float64)       # colour index * MAXM + point
    rows = np.zeros(2 * MAXW, dtype=np.float64)
    dm = np.zeros(MAXM + MAXW, dtype=np.int64)       # dirty stamps: points, then rows
    dl = np.zeros(MAXM + 1, dtype=np.int64)
    near_mark = np.zeros(MAXM, dtype=np.int64)
    near = np.zeros(RESPONSE_MAX + 8, dtype=np.int64)     # (the last 8: scratch)
    mult = np.ones(MAXM, dtype=np.float64)
    rq = np.zeros(RESPONSE_MAX, dtype=np.int64)
    rf = np.zeros(RESPONSE_MAX, dtype=np.int64)
    rs = np.zeros(RESPONSE_MAX, dtype=np.int64)
    buf = np.zeros(16 + MAXM, dtype=np.int64)
    edge = np.zeros(MAXM, dtype=np.int64)
    return ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge


@njit(cache=True)
def _views(scratch):
    """The scratch arrays as ``raw_view``s: compiled calls then skip the
    atomic reference counting of their array arguments, which cost more
    than the features themselves (measured: 100 ns instead of 40 ns per
    point).  Valid while ``scratch`` is alive."""
    ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge = scratch
    return (B.raw_view(ew), B.raw_view(rows), B.raw_view(dm), B.raw_view(dl),
            B.raw_view(near_mark), B.raw_view(near), B.raw_view(mult), B.raw_view(rq),
            B.raw_view(rf), B.raw_view(rs), B.raw_view(buf), B.raw_view(edge))


@njit(cache=True)
def _check_weights(s, off, edge, ew_pat, ewv, ew, rows):
    """Entries of ``ew``/``rows`` that differ from a fresh computation with
    the single-colour reference ``static_features``: the tests' check that
    the incremental update and ``_static_pair`` are both exact."""
    n = s[H_N]
    w = s[H_W]
    ew2 = np.zeros_like(ew)
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            ew2[q] = _static_weight(s, q, BLACK, off, edge, ew_pat, ewv)
            ew2[MAXM + q] = _static_weight(s, q, WHITE, off, edge, ew_pat, ewv)
    bad = 0
    for i in range(ew.shape[0]):
        if ew2[i] != ew[i]:
            bad += 1
    for r in range(1, n + 1):
        if rows[r] != _row_sum(ew2, 0, r, w, n) or rows[MAXW + r] != _row_sum(ew2, 1, r, w, n):
            bad += 1
    return bad


@njit(cache=True)
def _rollout(s, max_moves, off, ew_pat, ewv, scratch, rng, check):
    """Play the rollout policy on ``s`` (in place) until two passes in a row
    or ``max_moves``; returns (moves played, weight mismatches found when
    ``check``)."""
    ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge = _views(scratch)
    s = B.raw_view(s)
    off = B.raw_view(off)
    ew_pat = B.raw_view(ew_pat)
    ewv = B.raw_view(ewv)
    rng = B.raw_view(rng)
    _fill_edge(s[H_N], off, edge)
    _init_weights(s, off, edge, ew_pat, ewv, ew, rows)
    moves = 0
    bad = 0
    stamp = dm.max() + 1
    nstamp = near_mark.max() + 1
    while moves < max_moves and s[H_PASSES] < 2:
        c = s[H_TOMOVE]
        p = _choose(s, c, off, ewv, ew, rows, near_mark, near, mult, nstamp, rq, rf, rs, rng)
        nstamp += 1
        _play_tracked(s, p, c, off, edge, ew_pat, ewv, ew, rows, dm, dl, stamp, buf)
        stamp += 1
        moves += 1
        if check:
            bad += _check_weights(s, off, edge, ew_pat, ewv, ew, rows)
    return moves, bad


@njit(cache=True, nogil=True)
def rollouts(states, komi, seed, off, ew_pat, ewv, out, check=False):
    """For each state row: copy it, play the rollout policy to the end
    (two passes, or 3 n^2 moves), and write Black's result by area count
    with ``komi`` into ``out`` (+1 win, -1 loss, 0 draw).  Returns (moves
    played in all, weight mismatches when ``check``)."""
    rng = np.empty(1, dtype=np.uint64)
    rng[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    scratch = _new_scratch()
    s = np.empty(STATE_LEN, dtype=np.int64)
    total = 0
    bad = 0
    for i in range(states.shape[0]):
        s[:] = states[i]
        n = s[H_N]
        moves, b = _rollout(s, 3 * n * n, off, ew_pat, ewv, scratch, rng, check)
        total += moves
        bad += b
        score = B.area_score(s) - komi
        out[i] = 1.0 if score > 0 else (-1.0 if score < 0 else 0.0)
    return total, bad


@njit(cache=True)
def sample_counts(state, count, seed, off, ew_pat, ewv, out):
    """Draw the rollout policy's move ``count`` times from one position
    (without playing it); ``out[policy index]`` counts them, pass last.
    The sampler's distribution is what the tests compare with the softmax
    of ``position_logits``."""
    rng = np.empty(1, dtype=np.uint64)
    rng[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge = _new_scratch()
    s = state.copy()
    n = s[H_N]
    w = s[H_W]
    _fill_edge(n, off, edge)
    _init_weights(s, off, edge, ew_pat, ewv, ew, rows)
    c = s[H_TOMOVE]
    for t in range(count):
        p = _choose(s, c, off, ewv, ew, rows, near_mark, near, mult, t + 1, rq, rf, rs, rng)
        out[n * n if p == PASS else (p // w - 1) * n + p % w - 1] += 1


# --------------------------------------------------------------------------
# the model file and the search's entry point
# --------------------------------------------------------------------------

@dataclass
class RolloutModel:
    """The weights and what the file says about them."""
    weights: np.ndarray                       # float32, layout().size
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        lay = layout()
        w = np.asarray(self.weights)
        if w.ndim != 1 or w.shape[0] != lay.size:
            raise RolloutFileError(f"{w.shape} rollout weights, expected ({lay.size},)")
        if not np.all(np.isfinite(w)):
            raise RolloutFileError("rollout weights are not all finite")
        self.weights = w.astype(np.float32)

    @classmethod
    def zeros(cls):
        """A uniform policy (every candidate equally likely)."""
        return cls(np.zeros(layout().size, np.float32))

    def tables(self):
        """(off, pattern ids, weights with a trailing 0 for "none") for the
        full-computation functions."""
        ids, _ = pattern_classes()
        return layout().offsets(), ids, np.append(self.weights.astype(np.float64), 0.0)

    def exp_tables(self):
        """(off, exp pattern weight by raw 3x3 code, exp of the weights with
        a trailing 1) for the rollouts: a move's weight is a product."""
        off, ids, w = self.tables()
        w = np.clip(w, -30.0, 30.0)     # products of a few factors stay finite and > 0
        ew = np.exp(w)
        return off, ew[ids], ew

    def logits(self, state, color=None):
        """Logits of the moves of ``color`` (default: the player to move)
        by policy index, -inf where the rollout never plays."""
        state = np.ascontiguousarray(state, dtype=np.int64)
        n = int(state[H_N])
        c = int(state[H_TOMOVE]) if color is None else int(color)
        off, ids, w = self.tables()
        out = np.empty(n * n, np.float64)
        position_logits(state.copy(), c, off, edge_table(n, off), ids, w, out)
        return out


def save_rollout(model, path):
    """Write ``model`` to ``path`` (.npz) atomically."""
    path = Path(path)
    lay = layout()
    meta = {"format": FILE_FORMAT, "feature_set": FEATURE_SET_VERSION,
            "groups": lay.sizes(), "size": lay.size, "provenance": model.provenance}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, weights=model.weights.astype(np.float32), meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)


def load_model(path=None):
    """The RolloutModel in ``path`` (default ``models/rollout.npz``)."""
    path = Path(path) if path is not None else MODELS_DIR / ROLLOUT_FILE
    if not path.is_file():
        raise RolloutFileError(f"{path}: no such rollout model file "
                               "(train one with 'tengen train rollout')")
    try:
        with np.load(path, allow_pickle=False) as z:
            weights = z["weights"]
            meta = json.loads(str(z["meta"][()]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise RolloutFileError(f"{path}: not a readable rollout model file ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise RolloutFileError(f"{path}: not a {FILE_FORMAT} file")
    if meta.get("feature_set") != FEATURE_SET_VERSION:
        raise RolloutFileError(f"{path}: rollout feature set {meta.get('feature_set')!r} does not "
                               f"match this code's {FEATURE_SET_VERSION!r}; retrain it")
    if meta.get("groups") != layout().sizes():
        raise RolloutFileError(f"{path}: feature groups {meta.get('groups')} do not match "
                               f"{layout().sizes()}")
    try:
        return RolloutModel(weights, meta.get("provenance") or {})
    except RolloutFileError as e:
        raise RolloutFileError(f"{path}: {e}") from None


class RolloutPolicy:
    """``policy(states, komi, seed)``: Black's rollout results (+1/-1/0,
    float64) from each row of ``states`` ((B, STATE_LEN) int64, not
    modified).  Runs without the GIL."""

    def __init__(self, model):
        self.model = model
        self.off, self.ew_pat, self.ewv = model.exp_tables()
        self.moves = 0        # moves played by all rollouts so far

    def __call__(self, states, komi, seed):
        states = np.asarray(states)
        if states.ndim == 1:
            states = states[None, :]
        if states.ndim != 2 or states.shape[1] != STATE_LEN or states.dtype != np.int64:
            raise ValueError(f"rollout states must be (B, {STATE_LEN}) int64, got "
                             f"{states.shape} {states.dtype}")
        out = np.empty(len(states), np.float64)
        moves, _ = rollouts(np.ascontiguousarray(states), float(komi), int(seed) & ((1 << 63) - 1),
                            self.off, self.ew_pat, self.ewv, out)
        self.moves += moves
        return out


def load_rollout(path=None):
    """The rollout function of the model in ``path`` (default
    ``models/rollout.npz``); raises RolloutFileError when it cannot be used."""
    return RolloutPolicy(load_model(path))
