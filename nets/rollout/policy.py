"""AlphaGo's fast rollout policy: a linear softmax over small local pattern
features (``nets.rollout.features``), played in compiled code to the end of
the game to score a leaf of the search (``load_rollout``).

Why linear and local: a rollout plays a few hundred moves per leaf, so a
move must cost microseconds, not the milliseconds of a network.  AlphaGo
(Silver et al. 2016, Extended Data Table 4) used about 109,000 pattern
weights and reached 24.2% move prediction at 2 us per move; this is the same
design.

How a rollout step stays cheap: the static features depend only on the
position around a point, so a rollout keeps exp(static logit) of every
point for both colours and after a move recomputes only the points whose
features may have changed (``nets.rollout.weights``, which a test checks against
full recomputation at every step).  The response features are recomputed
every step for the at most 92 points they touch.  A move is then sampled by
choosing between those "near" points (their weights multiplied by the
response factors) and the rest, which is drawn from per-row sums of the
static weights, rejecting draws that land on a near point (``_choose``).
Rollouts never pass while a candidate is left; a game ends at two passes or
3 n^2 moves, simple ko only.

The weights come from the model file (``nets.rollout.model``).
"""

import os

import numpy as np
from numba import njit

from engine.board import (
    H_N,
    H_PASSES,
    H_TOMOVE,
    H_W,
    MAXM,
    MAXW,
    PASS,
    STATE_LEN,
)
from engine.coords import point_to_index
from engine.rng import new_rng, uniform
from engine.scoring import area_score
from engine.unowned import raw_view

from .features import (
    RESPONSE_MAX,
    fill_edge,
    response_features,
)
from .model import RolloutModel, load_model
from .weights import check_weights, init_weights, play_tracked


@njit(cache=True)
def _choose(s: np.ndarray, c: int, off: np.ndarray, ewv: np.ndarray, ew: np.ndarray,
            rows: np.ndarray, near_mark: np.ndarray, near: np.ndarray, mult: np.ndarray,
            stamp: int, rq: np.ndarray, rf: np.ndarray, rs: np.ndarray, rng: np.ndarray) -> int:
    """Sample the rollout policy's move for ``c`` (PASS when it has no
    candidate).  ``ew``/``rows`` must be current (``play_tracked``)."""
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
def _new_scratch() -> tuple[np.ndarray, ...]:
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
def _views(scratch: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The scratch arrays as ``raw_view``s: compiled calls then skip the
    atomic reference counting of their array arguments, which cost more
    than the features themselves (measured: 100 ns instead of 40 ns per
    point).  Valid while ``scratch`` is alive."""
    ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge = scratch
    return (raw_view(ew), raw_view(rows), raw_view(dm), raw_view(dl),
            raw_view(near_mark), raw_view(near), raw_view(mult), raw_view(rq),
            raw_view(rf), raw_view(rs), raw_view(buf), raw_view(edge))


@njit(cache=True)
def _rollout(s: np.ndarray, max_moves: int, off: np.ndarray, ew_pat: np.ndarray, ewv: np.ndarray,
             scratch: tuple[np.ndarray, ...], rng: np.ndarray, check: bool) -> tuple[int, int]:
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
    init_weights(s, off, edge, ew_pat, ewv, ew, rows)
    moves = 0
    bad = 0
    stamp = dm.max() + 1
    nstamp = near_mark.max() + 1
    while moves < max_moves and s[H_PASSES] < 2:
        c = s[H_TOMOVE]
        p = _choose(s, c, off, ewv, ew, rows, near_mark, near, mult, nstamp, rq, rf, rs, rng)
        nstamp += 1
        play_tracked(s, p, c, off, edge, ew_pat, ewv, ew, rows, dm, dl, stamp, buf)
        stamp += 1
        moves += 1
        if check:
            bad += check_weights(s, off, edge, ew_pat, ewv, ew, rows)
    return moves, bad


@njit(cache=True, nogil=True)
def rollouts(states: np.ndarray, komi: float, seed: int, off: np.ndarray, ew_pat: np.ndarray,
             ewv: np.ndarray, out: np.ndarray, check: bool = False) -> tuple[int, int]:
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
def sample_counts(state: np.ndarray, count: int, seed: int, off: np.ndarray, ew_pat: np.ndarray,
                  ewv: np.ndarray, out: np.ndarray) -> None:
    """Draw the rollout policy's move ``count`` times from one position
    (without playing it); ``out[policy index]`` counts them, pass last.
    The sampler's distribution is what the tests compare with the softmax
    of ``position_logits``."""
    rng = new_rng(seed)
    ew, rows, dm, dl, near_mark, near, mult, rq, rf, rs, buf, edge = _new_scratch()
    s = state.copy()
    n = s[H_N]
    fill_edge(n, off, edge)
    init_weights(s, off, edge, ew_pat, ewv, ew, rows)
    c = s[H_TOMOVE]
    for t in range(count):
        p = _choose(s, c, off, ewv, ew, rows, near_mark, near, mult, t + 1, rq, rf, rs, rng)
        out[point_to_index(p, n)] += 1


class RolloutPolicy:
    """``policy(states, komi, seed)``: Black's rollout results (+1/-1/0,
    float64) from each row of ``states`` ((B, STATE_LEN) int64, not
    modified).  Runs without the GIL."""

    def __init__(self, model: RolloutModel) -> None:
        self.model = model
        self.off, self.ew_pat, self.ewv = model.exp_tables()
        self.moves = 0        # moves played by all rollouts so far

    def __call__(self, states: np.ndarray, komi: float, seed: int) -> np.ndarray:
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


def load_rollout(path: str | os.PathLike[str] | None = None) -> RolloutPolicy:
    """The rollout function of the model in ``path`` (default
    ``tengen/models/rollout.npz``); raises RolloutFileError when it cannot be used."""
    return RolloutPolicy(load_model(path))
