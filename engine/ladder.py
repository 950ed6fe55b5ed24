"""Ladder reading for the "ladder capture" and "ladder escape" features.

A ladder (shicho) is the forcing sequence in which the attacker keeps the
defender's chain in atari: the defender extends, or captures an attacking
chain that is itself in atari, and the attacker ataris again from either
side, until the chain is captured or escapes with three liberties.  The
reader below plays that sequence out on the board itself, taking moves back
with the board's journal (``play``/``undo_to``) instead of copying the
58 KB state at every ply, and searches it as an AND-OR tree: the chain is
*ladder-captured* when every defence fails against some atari.

What the reader considers (and so what the features mean):

* defender moves: extending at the chain's one liberty, and capturing any
  attacking chain in atari that touches the defender's chain (the liberty of
  that chain); counter-ataris elsewhere are not read;
* attacker moves: an atari at either of the defender's two liberties;
* the defender escapes when its chain has three or more liberties after its
  move; it is captured when it is left with one liberty (the attacker takes
  it, unless that capture is illegal because of ko, which counts as an
  escape: a ko fight is not a ladder);
* ladder breakers, captures of attacking stones and the board edge need no
  special case: they are whatever the played-out position says.

Where the outcome of a move is plain from the board it is judged without
playing it (an extension to three liberties, an atari answered by such an
extension); the reference reader in ``tests/test_ladder.py``, which plays
everything, agrees point for point on thousands of positions.  A search
frame holds at most ``_MOVES`` defender moves: the extension and seven
captures, more than any real chain has.

Limits.  A search stops at ``MAX_PLIES`` plies below the position it was
asked about (100: a ladder can make at most n-1 diagonal steps of four plies,
72 plies on 19x19 and 96 on 25x25, so every real ladder fits) and after
``MAX_PLAYS`` moves in all (a budget against positions with many side
branches).  Hitting either limit, or running short of journal room, ends
the search with *not captured*: the reader only reports captures it has
proven, so "ladder capture" is never set on an unfinished reading and
"ladder escape" is.  The play budget is the one limit that depends on move
order (and so, in principle, on the board's orientation); a real ladder
takes well under a quarter of it.

Superko is ignored (simple ko only, like ``engine.board.is_legal``).

Speed: ``ladder_maps`` reads only candidate points and passes unowned views
(``engine.unowned.raw_view``) of the state, journal and stack down the call
tree, so the many small calls skip Numba's atomic reference counting.
"""

import numpy as np
from numba import njit

from .board import (
    COLOR,
    EMPTY,
    H_LAST,
    H_LAST2,
    H_N,
    H_SUICIDE,
    H_W,
    HEAD,
    LIBS,
    MAXM,
    NEXT,
    is_legal,
    journal_room,
    play,
    undo_to,
)
from .lookahead import captures_by, libs_after, size_after
from .unowned import raw_view

MAX_PLIES = 100
MAX_PLAYS = 600
JOURNAL_PAIRS = 8192     # 128 KB; a 100-ply ladder writes about 3000 pairs
_MOVES = 8               # move slots per search frame
_NMOVES = _MOVES         # stack columns after the moves
_NEXT = _MOVES + 1
_MARK = _MOVES + 2
_COLS = _MOVES + 3


@njit(cache=True)
def new_journal() -> np.ndarray:
    """A journal in ``engine.board``'s format, sized for ladder reading.

    ``np.empty`` rather than ``board.new_journal``'s zeros: only the used
    prefix is ever read, and zeroing 128 KB per encoded position would cost
    more than the reading itself."""
    j = np.empty(2 * JOURNAL_PAIRS + 1, dtype=np.int64)
    j[0] = 1
    return j


@njit(cache=True)
def new_stack() -> np.ndarray:
    """Search frames, ``_COLS`` slots per ply: up to ``_MOVES`` moves, their
    count, the next one to try and the journal mark before the move being
    explored (one flat vector, so that it can be passed as a raw view)."""
    return np.empty((MAX_PLIES + 1) * _COLS, dtype=np.int64)


@njit(cache=True)
def new_scratch() -> tuple[np.ndarray, np.ndarray]:
    """(journal, stack) for the functions below; reuse across positions."""
    return new_journal(), new_stack()


# --------------------------------------------------------------------------
# small chain queries
# --------------------------------------------------------------------------

@njit(cache=True, inline='always')
def _libs(s: np.ndarray, q: int) -> int:
    return s[LIBS + s[HEAD + q]]


@njit(cache=True, inline='always')
def _start(s: np.ndarray, q: int, hint: int) -> int:
    """Where to start walking the chain through ``q``: at ``hint`` (the
    latest move) when it belongs to the chain.  A ladder's liberties sit
    next to its newest stone, so the walks below then stop at once instead
    of running along the whole staircase."""
    if hint >= 0 and s[COLOR + hint] == s[COLOR + q] and s[HEAD + hint] == s[HEAD + q]:
        return hint
    return q


@njit(cache=True)
def _first_liberty(s: np.ndarray, q: int, hint: int) -> int:
    """A liberty of the chain through ``q`` (the only one when in atari)."""
    w = s[H_W]
    r0 = _start(s, q, hint)
    r = r0
    while True:
        for t in (r - 1, r + 1, r - w, r + w):
            if s[COLOR + t] == EMPTY:
                return t
        r = s[NEXT + r]
        if r == r0:
            return -1


@njit(cache=True)
def _two_liberties(s: np.ndarray, q: int, hint: int) -> tuple[int, int]:
    """The two liberties of a chain through ``q`` that has exactly two."""
    w = s[H_W]
    a = -1
    r0 = _start(s, q, hint)
    r = r0
    while True:
        for t in (r - 1, r + 1, r - w, r + w):
            if s[COLOR + t] == EMPTY:
                if a < 0:
                    a = t
                elif t != a:
                    return a, t
        r = s[NEXT + r]
        if r == r0:
            return a, -1


@njit(cache=True)
def _extension_libs(s: np.ndarray, q: int, e: int, skip: int) -> int:
    """Liberties, counted up to 3, of the chain the owner of ``q`` forms by
    playing ``e``, leaving out ``skip``, for a chain whose own liberties are
    all among ``e`` and ``skip``: the empty neighbours of ``e`` and the
    liberties of the other chains ``e`` joins.  Captures by ``e`` are not
    counted (a lower bound then).  Walks only those other chains, never the
    ladder's own staircase."""
    w = s[H_W]
    d = s[COLOR + q]
    hq = s[HEAD + q]
    l0 = -1
    l1 = -1
    k = 0
    for t in (e - 1, e + 1, e - w, e + w):
        if s[COLOR + t] == EMPTY and t != skip:
            if k == 0:
                l0 = t
            elif k == 1:
                l1 = t
            k += 1
            if k >= 3:
                return 3
    for t in (e - 1, e + 1, e - w, e + w):
        if s[COLOR + t] != d or s[HEAD + t] == hq:
            continue
        h = s[HEAD + t]
        r = h
        while True:
            for u in (r - 1, r + 1, r - w, r + w):
                if (s[COLOR + u] == EMPTY and u != e and u != skip
                        and u != l0 and u != l1):
                    if k == 0:
                        l0 = u
                    elif k == 1:
                        l1 = u
                    k += 1
                    if k >= 3:
                        return 3
            r = s[NEXT + r]
            if r == h:
                break
    return k


@njit(cache=True)
def _room(s: np.ndarray, q: int, m: int, e: int) -> int:
    """Liberties (up to 3) the chain through ``q``, whose two liberties are
    ``m`` and ``e``, gets when the attacker ataris at ``m`` and it extends
    at ``e``, judged without playing: three and the atari at ``m`` fails.

    Exact when neither move captures, a lower bound otherwise (only the
    empty neighbours of ``e`` when ``m`` captures, since the chains it
    takes off the board must not lend their liberties)."""
    if captures_by(s, m, 3 - s[COLOR + q]) == 0:
        return _extension_libs(s, q, e, m)
    w = s[H_W]
    k = 0
    for t in (e - 1, e + 1, e - w, e + w):
        if t != m and s[COLOR + t] == EMPTY:
            k += 1
    return k


@njit(cache=True, inline='always')
def _write_bound(s: np.ndarray, p: int, c: int) -> int:
    """Journal pairs a ``play`` of ``c`` at ``p`` may write, at most (about
    45 fixed, 15 per captured stone, 5 per stone of a merged chain)."""
    return 64 + 16 * captures_by(s, p, c) + 8 * size_after(s, p, c)


@njit(cache=True, inline='always')
def _playable(s: np.ndarray, p: int, c: int) -> bool:
    """Legal and not a (multi-stone) suicide, which the reader never plays."""
    if not is_legal(s, p, c):
        return False
    if s[H_SUICIDE] == 1 and libs_after(s, p, c, 1) == 0:
        return False
    return True


@njit(cache=True)
def _gen_defence(s: np.ndarray, q: int, stk: np.ndarray, f: int) -> bool:
    """Defender moves for the chain through ``q`` (in atari) into frame f:
    the extension, then captures of touching attacker chains in atari.

    An extension that captures nothing is judged without playing it
    (``_extension_libs``): three liberties escape at once (return True:
    frame decided, nothing generated); one liberty is taken next move (no
    ko can protect it) and is left out."""
    w = s[H_W]
    d = s[COLOR + q]
    a = 3 - d
    k = 0
    ext = _first_liberty(s, q, s[H_LAST2])
    if _playable(s, ext, d):
        if captures_by(s, ext, d) > 0:
            stk[f * _COLS + 0] = ext
            k = 1
        else:
            libs = _extension_libs(s, q, ext, -1)
            if libs >= 3:
                return True
            if libs == 2:
                stk[f * _COLS + 0] = ext
                k = 1
    r = q
    while True:
        for t in (r - 1, r + 1, r - w, r + w):
            if s[COLOR + t] == a and _libs(s, t) == 1 and k < _MOVES:
                m = _first_liberty(s, t, -1)
                dup = False
                for i in range(k):
                    if stk[f * _COLS + i] == m:
                        dup = True
                if not dup:
                    stk[f * _COLS + k] = m
                    k += 1
        r = s[NEXT + r]
        if r == q:
            break
    stk[f * _COLS + _NMOVES] = k
    stk[f * _COLS + _NEXT] = 0
    return False


@njit(cache=True)
def _gen_attack(s: np.ndarray, q: int, stk: np.ndarray, f: int) -> None:
    """Attacker ataris on the chain through ``q`` (two liberties) into frame
    f, dropping an atari the defender escapes by simply extending (``_room``)
    and trying first the one that leaves the extension less room."""
    x, y = _two_liberties(s, q, s[H_LAST])
    k = 0
    ox = _room(s, q, x, y)
    oy = _room(s, q, y, x)
    if ox < 3:
        stk[f * _COLS + k] = x
        k += 1
    if oy < 3:
        if k == 1 and oy < ox:
            stk[f * _COLS + 1] = x
            stk[f * _COLS + 0] = y
        else:
            stk[f * _COLS + k] = y
        k += 1
    stk[f * _COLS + _NMOVES] = k
    stk[f * _COLS + _NEXT] = 0


@njit(cache=True)
def _read(s: np.ndarray, j: np.ndarray, q: int, attacker_first: int, stk: np.ndarray) -> bool:
    """Whether the chain through ``q`` is captured in a ladder.

    ``attacker_first`` 0: the chain is in atari and its owner moves;
    1: it has two liberties and the attacker moves (an atari first).
    The position is restored on return."""
    d = s[COLOR + q]
    a = 3 - d
    root_mark = j[0]
    plays = 0
    depth = 0
    if attacker_first:
        _gen_attack(s, q, stk, 0)
    elif _gen_defence(s, q, stk, 0):
        return False
    result = -1          # -1 none pending, 0 escaped, 1 captured
    while True:
        att = (depth + attacker_first) & 1
        if result >= 0:
            # the move last tried from this frame has been decided
            undo_to(s, j, stk[depth * _COLS + _MARK])
            if result == att:
                # attacker found a capture / defender found an escape
                if depth == 0:
                    return result == 1
                depth -= 1
                continue
            result = -1
        i = stk[depth * _COLS + _NEXT]
        if i >= stk[depth * _COLS + _NMOVES]:
            # no move left: every defence failed, or no atari worked
            result = 1 - att
            if depth == 0:
                return result == 1
            depth -= 1
            continue
        stk[depth * _COLS + _NEXT] = i + 1
        m = stk[depth * _COLS + i]
        mover = a if att else d
        if not _playable(s, m, mover):
            continue
        if plays >= MAX_PLAYS or journal_room(j) < _write_bound(s, m, mover):
            undo_to(s, j, root_mark)
            return False
        stk[depth * _COLS + _MARK] = j[0]
        play(s, j, m, mover)
        plays += 1
        libs = _libs(s, q)
        if att:
            if libs != 1:
                result = 0          # not an atari after all
            elif depth + 1 >= MAX_PLIES:
                result = 0          # bound: unproven, counted as escaped
            elif _gen_defence(s, q, stk, depth + 1):
                result = 0
            else:
                depth += 1
        else:
            if libs >= 3:
                result = 0
            elif libs == 1:
                result = 1 if is_legal(s, _first_liberty(s, q, m), a) else 0
            elif depth + 1 >= MAX_PLIES:
                result = 0
            else:
                depth += 1
                _gen_attack(s, q, stk, depth)


# --------------------------------------------------------------------------
# public queries
# --------------------------------------------------------------------------

@njit(cache=True)
def ladder_captured(s: np.ndarray, j: np.ndarray, q: int, stk: np.ndarray) -> bool:
    """The chain through stone ``q``, in atari with its owner to move, is
    captured in a ladder whatever it does.  ``j``/``stk`` from
    ``new_scratch``; the position is left unchanged."""
    if s[COLOR + q] == EMPTY or _libs(s, q) != 1:
        return False
    return _read(s, j, q, 0, stk)


@njit(cache=True)
def is_ladder_capture(s: np.ndarray, j: np.ndarray, p: int, c: int, stk: np.ndarray) -> bool:
    """``c`` playing ``p`` ataris an opponent chain that is then captured in
    a ladder.  False where ``p`` is illegal for ``c``."""
    if not _playable(s, p, c):
        return False
    w = s[H_W]
    o = 3 - c
    # cheap first: only two-liberty chains next to p become ataris, and one
    # whose other liberty has room for three escapes by extending there
    hope = False
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == o and _libs(s, q) == 2:
            x, y = _two_liberties(s, q, -1)
            if _room(s, q, p, y if x == p else x) < 3:
                hope = True
    if not hope:
        return False
    if journal_room(j) < _write_bound(s, p, c):
        return False
    mark = j[0]
    play(s, j, p, c)
    found = False
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == o and _libs(s, q) == 1:
            if _read(s, j, q, 0, stk):
                found = True
                break
    undo_to(s, j, mark)
    return found


@njit(cache=True)
def _saves(s: np.ndarray, j: np.ndarray, p: int, q: int, stk: np.ndarray) -> bool:
    """Playing ``p`` for the owner of the chain through ``q`` (in atari)
    leaves that chain safe from a ladder."""
    c = s[COLOR + q]
    w = s[H_W]
    adjacent = False
    for t in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + t] == c and s[HEAD + t] == s[HEAD + q]:
            adjacent = True
    if adjacent and libs_after(s, p, c, 3) >= 3:
        return True   # the chain p joins gets three liberties: no atari
    if journal_room(j) < _write_bound(s, p, c):
        return True   # unreadable: not proven capturable
    mark = j[0]
    play(s, j, p, c)
    libs = _libs(s, q)
    if libs >= 3:
        safe = True
    elif libs <= 1:
        safe = False
    else:
        safe = not _read(s, j, q, 1, stk)
    undo_to(s, j, mark)
    return safe


@njit(cache=True)
def is_ladder_escape(s: np.ndarray, j: np.ndarray, p: int, c: int, stk: np.ndarray) -> bool:
    """``p`` saves one of ``c``'s chains in atari from a ladder: it is that
    chain's liberty or captures an opponent chain in atari touching it, and
    afterwards the chain cannot be captured in a ladder."""
    if not _playable(s, p, c):
        return False
    w = s[H_W]
    o = 3 - c
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == c and _libs(s, q) == 1:
            if _saves(s, j, p, q, stk):
                return True
        elif s[COLOR + q] == o and _libs(s, q) == 1:
            # p captures q's chain: which chains of c in atari does it free?
            r = q
            while True:
                for t in (r - 1, r + 1, r - w, r + w):
                    if s[COLOR + t] == c and _libs(s, t) == 1:
                        if _saves(s, j, p, t, stk):
                            return True
                r = s[NEXT + r]
                if r == q:
                    break
    return False


@njit(cache=True)
def ladder_maps(s: np.ndarray, j: np.ndarray, stk: np.ndarray, c: int, capture: np.ndarray,
                escape: np.ndarray) -> None:
    """Set ``capture[y, x]`` / ``escape[y, x]`` (uint8, n x n, zeroed by the
    caller) where a move by ``c`` is a ladder capture / ladder escape.

    Only candidates are read: the liberties of opponent chains with two
    liberties (captures), and of own chains in atari and of the opponent
    chains in atari next to them (escapes)."""
    s = raw_view(s)
    j = raw_view(j)
    stk = raw_view(stk)
    n = s[H_N]
    w = s[H_W]
    o = 3 - c
    tried = np.zeros(MAXM, dtype=np.uint8)   # bit 1: capture, bit 2: escape
    for y in range(n):
        for x in range(n):
            h = (y + 1) * w + x + 1
            col = s[COLOR + h]
            if col == EMPTY or s[HEAD + h] != h:
                continue
            libs = s[LIBS + h]
            if col == o and libs == 2:
                a, b = _two_liberties(s, h, -1)
                for p, e in ((a, b), (b, a)):
                    # an atari at p that lets this chain extend at e to
                    # three liberties is hopeless: skip it before reading
                    if tried[p] & 1 == 0 and _room(s, h, p, e) < 3:
                        tried[p] |= 1
                        if is_ladder_capture(s, j, p, c, stk):
                            capture[p // w - 1, p % w - 1] = 1
            elif col == c and libs == 1:
                p = _first_liberty(s, h, -1)
                if tried[p] & 2 == 0:
                    tried[p] |= 2
                    if is_ladder_escape(s, j, p, c, stk):
                        escape[p // w - 1, p % w - 1] = 1
                r = h
                while True:
                    for t in (r - 1, r + 1, r - w, r + w):
                        if s[COLOR + t] == o and _libs(s, t) == 1:
                            p = _first_liberty(s, t, -1)
                            if tried[p] & 2 == 0:
                                tried[p] |= 2
                                if is_ladder_escape(s, j, p, c, stk):
                                    escape[p // w - 1, p % w - 1] = 1
                    r = s[NEXT + r]
                    if r == h:
                        break
