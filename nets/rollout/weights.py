"""The static weights a rollout keeps for every point and both colours,
exp(static logit) of a move there (``nets.rollout.features``), with their row
sums, and their exact incremental update after a move.

Why kept and updated rather than recomputed: a rollout plays a few hundred
moves, and the static features depend only on the position around a point,
so after a move only the points whose features may have changed are
recomputed (``play_tracked`` says which, and why that set is exact;
``check_weights`` compares with a full recomputation, which a test does at
every step).  ``static_pair`` computes both colours' weights from one read
of the neighbourhood.  Sampling from these weights is ``nets.rollout.policy``.
"""


import numpy as np
from numba import njit

from engine import board as B
from engine import lookahead as LA
from engine.board import (
    BLACK,
    COLOR,
    EMPTY,
    H_KO,
    H_N,
    H_SUICIDE,
    H_TOMOVE,
    H_W,
    HEAD,
    LIBS,
    MAXM,
    MAXW,
    NEXT,
    PASS,
    SIZE,
    WALL,
    WHITE,
)

from .features import (
    OFF_CAPSAVE,
    OFF_CAPTURE,
    OFF_NONE,
    OFF_SAVE,
    OFF_SELF,
    size3,
    size5,
    static_features,
)


@njit(cache=True)
def static_weight(s: np.ndarray, q: int, c: int, off: np.ndarray, edge: np.ndarray,
                  ew_pat: np.ndarray, ewv: np.ndarray) -> float:
    """exp(static logit) of a move by c at q, 0 if not a candidate."""
    ok, code, tactic, save, e = static_features(s, q, c, off, edge)
    if not ok:
        return 0.0
    return ew_pat[code] * ewv[tactic] * ewv[save] * ewv[e]


@njit(cache=True, inline="always")
def _weight_of(s: np.ndarray, q: int, c: int, code: int, own_atari: int, captured: int,
               strong: bool, empties: int, off: np.ndarray, edge: np.ndarray, ew_pat: np.ndarray,
               ewv: np.ndarray) -> float:
    """The tactical part of ``static_features`` for one colour, given what
    ``static_pair`` read around q, as a weight (``static_weight``'s
    product, factor for factor)."""
    none = off[OFF_NONE]
    tactic = none
    save = none
    if captured > 0:
        tactic = off[OFF_CAPTURE] + size5(captured)
        if own_atari > 0:
            save = off[OFF_CAPSAVE]
    elif own_atari > 0 or (empties < 2 and not strong):
        libs = LA.libs_after(s, q, c, 3)
        if libs == 0:
            return 0.0
        if libs == 1:
            tactic = off[OFF_SELF] + size5(LA.size_after(s, q, c))
        elif own_atari > 0:
            save = off[OFF_SAVE] + 3 * (libs - 2) + size3(own_atari)
    return ew_pat[code] * ewv[tactic] * ewv[save] * ewv[edge[q]]


@njit(cache=True)
def static_pair(s: np.ndarray, q: int, off: np.ndarray, edge: np.ndarray, ew_pat: np.ndarray,
                ewv: np.ndarray) -> tuple[float, float]:
    """(Black's, White's) ``static_weight`` at q from one read of the
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
def row_sum(ew: np.ndarray, ci: int, r: int, w: int, n: int) -> float:
    t = 0.0
    base = ci * MAXM + r * w + 1
    for x in range(n):
        t += ew[base + x]
    return t


@njit(cache=True)
def init_weights(s: np.ndarray, off: np.ndarray, edge: np.ndarray, ew_pat: np.ndarray,
                 ewv: np.ndarray, ew: np.ndarray, rows: np.ndarray) -> None:
    """Static weights of every point for both colours, and their row sums."""
    n = s[H_N]
    w = s[H_W]
    ew[:] = 0.0
    rows[:] = 0.0
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            ew[q], ew[MAXM + q] = static_pair(s, q, off, edge, ew_pat, ewv)
    for r in range(1, n + 1):
        rows[r] = row_sum(ew, 0, r, w, n)
        rows[MAXW + r] = row_sum(ew, 1, r, w, n)


@njit(cache=True, inline="always")
def _mark(dm: np.ndarray, dl: np.ndarray, stamp: int, q: int) -> None:
    """Add q to the dirty list dl (dl[0] = length) unless already there."""
    if dm[q] != stamp:
        dm[q] = stamp
        k = dl[0] + 1
        dl[k] = q
        dl[0] = k


@njit(cache=True)
def _mark_liberties(s: np.ndarray, dm: np.ndarray, dl: np.ndarray, stamp: int, p: int) -> None:
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
def _mark_around(s: np.ndarray, dm: np.ndarray, dl: np.ndarray, stamp: int, p: int) -> None:
    """Mark p and its 8 neighbours (their 3x3 patterns contain p)."""
    w = s[H_W]
    for r in (p - w - 1, p - w, p - w + 1, p - 1, p, p + 1, p + w - 1, p + w, p + w + 1):
        if s[COLOR + r] != WALL:
            _mark(dm, dl, stamp, r)


@njit(cache=True)
def play_tracked(s: np.ndarray, p: int, c: int, off: np.ndarray, edge: np.ndarray,
                 ew_pat: np.ndarray, ewv: np.ndarray, ew: np.ndarray, rows: np.ndarray,
                 dm: np.ndarray, dl: np.ndarray, stamp: int, buf: np.ndarray) -> None:
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
        ew[q], ew[MAXM + q] = static_pair(s, q, off, edge, ew_pat, ewv)
    for k in range(1, dl[0] + 1):
        r = dl[k] // w
        if dm[MAXM + r] != stamp:
            dm[MAXM + r] = stamp
            rows[r] = row_sum(ew, 0, r, w, n)
            rows[MAXW + r] = row_sum(ew, 1, r, w, n)


@njit(cache=True)
def check_weights(s: np.ndarray, off: np.ndarray, edge: np.ndarray, ew_pat: np.ndarray,
                  ewv: np.ndarray, ew: np.ndarray, rows: np.ndarray) -> int:
    """Entries of ``ew``/``rows`` that differ from a fresh computation with
    the single-colour reference ``static_features``: the tests' check that
    the incremental update and ``static_pair`` are both exact."""
    n = s[H_N]
    w = s[H_W]
    ew2 = np.zeros_like(ew)
    for y in range(n):
        for x in range(n):
            q = (y + 1) * w + x + 1
            ew2[q] = static_weight(s, q, BLACK, off, edge, ew_pat, ewv)
            ew2[MAXM + q] = static_weight(s, q, WHITE, off, edge, ew_pat, ewv)
    bad = 0
    for i in range(ew.shape[0]):
        if ew2[i] != ew[i]:
            bad += 1
    for r in range(1, n + 1):
        if rows[r] != row_sum(ew2, 0, r, w, n) or rows[MAXW + r] != row_sum(ew2, 1, r, w, n):
            bad += 1
    return bad
