"""AlphaGo's fast rollout policy: a linear softmax over small local pattern
features (``rollout.features``), played in compiled code to the end of
the game to score a leaf of the search (``load_rollout``).

Why linear and local: a rollout plays a few hundred moves per leaf, so a
move must cost microseconds, not the milliseconds of a network.  AlphaGo
(Silver et al. 2016, Extended Data Table 4) used about 109,000 pattern
weights and reached 24.2% move prediction at 2 us per move; this is the same
design.

How a rollout step stays cheap: the static features depend only on the
position around a point, so a rollout keeps exp(static logit) of every
point for both colours (``_static_pair`` computes both from one read of the
neighbourhood) and after a move recomputes only the points whose features
may have changed (``_play_tracked`` says which, and why that set is exact; a
test checks it against full recomputation at every step).  The response
features are recomputed every step for the at most 92 points they touch.
A move is then sampled by choosing between those "near" points (their
weights multiplied by the response factors) and the rest, which is drawn
from per-row sums of the static weights, rejecting draws that land on a
near point (``_choose``).  Rollouts never pass while a candidate is left;
a game ends at two passes or 3 n^2 moves, simple ko only.

The weights come from the model file (``rollout.model``).
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
    H_PASSES,
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
    STATE_LEN,
    WALL,
    WHITE,
)
from engine.coords import point_to_index
from engine.rng import new_rng, uniform
from engine.scoring import area_score
from engine.unowned import raw_view

from .features import (
    OFF_CAPSAVE,
    OFF_CAPTURE,
    OFF_NONE,
    OFF_SAVE,
    OFF_SELF,
    RESPONSE_MAX,
    fill_edge,
    response_features,
    size3,
    size5,
    static_features,
)
from .model import load_model


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
    u = uniform(rng) * (near_mass + rest)
    if u < near_mass:
        for i in range(nn):
            q = near[i]
            u -= ew[cb + q] * mult[q]
            if u < 0.0:
                return q
        return near[nn - 1]
    # the others: draw from the static weights, reject the near points
    for _ in range(64):
        v = uniform(rng) * total
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
    v = uniform(rng) * rest
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
    return (raw_view(ew), raw_view(rows), raw_view(dm), raw_view(dl),
            raw_view(near_mark), raw_view(near), raw_view(mult), raw_view(rq),
            raw_view(rf), raw_view(rs), raw_view(buf), raw_view(edge))


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
    s = raw_view(s)
    off = raw_view(off)
    ew_pat = raw_view(ew_pat)
    ewv = raw_view(ewv)
    rng = raw_view(rng)
    fill_edge(s[H_N], off, edge)
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
    rng = new_rng(seed)
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
        score = area_score(s) - komi
        out[i] = 1.0 if score > 0 else (-1.0 if score < 0 else 0.0)
    return total, bad


@njit(cache=True)
def sample_counts(state, count, seed, off, ew_pat, ewv, out):
    """Draw the rollout policy's move ``count`` times from one position
    (without playing it); ``out[policy index]`` counts them, pass last.
    The sampler's distribution is what the tests compare with the softmax
    of ``position_logits``."""
    rng = new_rng(seed)
    ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge = _new_scratch()
    s = state.copy()
    n = s[H_N]
    fill_edge(n, off, edge)
    _init_weights(s, off, edge, ew_pat, ewv, ew, rows)
    c = s[H_TOMOVE]
    for t in range(count):
        p = _choose(s, c, off, ewv, ew, rows, near_mark, near, mult, t + 1, rq, rf, rs, rng)
        out[point_to_index(p, n)] += 1


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
