"""The Go board as one flat int64 array and the @njit functions that act on it.

Why one flat array: search and the feature encoder run in compiled code and
need to copy, pass and undo positions without Python objects.  A board is a
single ``np.int64`` vector (``new_state``); copying it is one memcpy, and any
compiled function can take it as an argument.

Layout (Leela Zero's FastBoard, KataGo's board.h):

* points live in a padded 1-D grid of stride ``W = N + 2`` with a wall
  border, so the four neighbours of ``p`` are ``p-1, p+1, p-W, p+W``;
  point ``(x, y)`` (x = column from the left, y = row from the bottom,
  both from 0) is ``(y + 1) * W + x + 1``;
* every section (colour, chain links, ...) has the fixed length ``MAXM``
  (the padded 25x25 grid) so section offsets are compile-time constants;
* chains are circular linked lists (``NEXT``) with a head (``HEAD``); the
  head carries the liberty count (``LIBS``) and stone count (``SIZE``), all
  kept incrementally; ``HEAD`` is 0 at every empty point and on the wall
  (no head is 0, a wall point), so one load tells "a stone of chain h";
* ``NBR`` packs, for every point, how many neighbours are empty, black and
  white (4 bits each), which makes eye and legality tests a few loads;
* the empty points are kept as a list with positions (``EMPTY_LIST`` /
  ``EMPTY_IDX``) so a random playout draws moves in O(1);
* ``MOVED`` remembers the move number at which each stone was played (for
  the "turns since" feature).

Every write that changes the position goes through ``_w`` which, given a
journal, records the old value: ``undo_to`` rolls a position back to a mark.
Ladder reading plays and takes back moves this way instead of copying
boards.  ``play`` with an empty journal runs a separately compiled variant
in which the journalling is gone (``_play`` with ``j`` None), which is what
playouts use.

Speed: hot entry points (``play``, ``is_legal``) pass the functions below a
raw pointer to the state (``engine.unowned.pointer``): no reference
counting, and a bare load or store per access.  What a move would do
without playing it (captures, liberties, size, hash after it) is
``engine.lookahead``.

Rules handled here: occupied points, simple ko, suicide (illegal, or
multi-stone suicide allowed when ``H_SUICIDE`` is set), captures, passes.
Positional superko needs the game history, so it lives one level up
(``engine.game``) using ``engine.lookahead.hash_after``.  Counting a finished board is
``engine.scoring``; random playouts are ``engine.playouts``.
"""

import numpy as np
from numba import njit

from .moves import NO_MOVE, PASS
from .sizes import MAX_SIZE, MIN_SIZE
from .unowned import pointer

EMPTY, BLACK, WHITE, WALL = 0, 1, 2, 3
MAXW = MAX_SIZE + 2
MAXM = MAXW * MAXW

# header slots
H_N = 0          # board size
H_W = 1          # stride = N + 2
H_TOMOVE = 2     # colour to move
H_KO = 3         # point the side to move may not play (simple ko), or -1
H_HASH = 4       # Zobrist hash of the stones (positional: no side to move)
H_PASSES = 5     # consecutive passes so far
H_MOVENUM = 6    # moves played (passes included)
H_CAP = 7        # H_CAP + c - 1: stones captured BY colour c (prisoners)
H_LAST = 9       # last move (point, PASS, or -2 for none)
H_LAST2 = 10     # the move before it
H_NEMPTY = 11    # number of empty points (length of the empty list)
H_SUICIDE = 12   # 1: multi-stone suicide is legal
H_STAMP = 13     # marker stamp for scratch sets (not part of the position)
HDR = 16

COLOR = HDR
NEXT = COLOR + MAXM
HEAD = NEXT + MAXM
LIBS = HEAD + MAXM
SIZE = LIBS + MAXM
NBR = SIZE + MAXM
EMPTY_LIST = NBR + MAXM
EMPTY_IDX = EMPTY_LIST + MAXM
MOVED = EMPTY_IDX + MAXM
MARK = MOVED + MAXM
STATE_LEN = MARK + MAXM


# Zobrist keys: one per (colour, point); fixed seed so hashes are stable
# across processes (datasets and tests may store them).
ZOBRIST = np.random.default_rng(0x7E46E4).integers(
    -(2 ** 63), 2 ** 63 - 1, size=(3, MAXM), dtype=np.int64)
ZOBRIST[0, :] = 0

# neighbour-count packing in NBR: 4 bits per colour (EMPTY, BLACK, WHITE)
_NB_SHIFT_EMPTY = 0
_NB_ONE = np.int64(1)


# --------------------------------------------------------------------------
# construction and small accessors
# --------------------------------------------------------------------------

@njit(cache=True)
def new_state(n: int, allow_suicide: bool = False) -> np.ndarray:
    """An empty ``n`` x ``n`` board, black to move."""
    if n < MIN_SIZE or n > MAX_SIZE:
        raise ValueError("board size out of range")
    s = np.zeros(STATE_LEN, dtype=np.int64)
    w = n + 2
    s[H_N] = n
    s[H_W] = w
    s[H_TOMOVE] = BLACK
    s[H_KO] = -1
    s[H_LAST] = NO_MOVE
    s[H_LAST2] = NO_MOVE
    s[H_SUICIDE] = 1 if allow_suicide else 0
    for p in range(MAXM):
        s[COLOR + p] = WALL
        s[EMPTY_IDX + p] = -1
        s[MOVED + p] = -1
    k = 0
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            s[COLOR + p] = EMPTY
            s[EMPTY_LIST + k] = p
            s[EMPTY_IDX + p] = k
            k += 1
    s[H_NEMPTY] = k
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            e = 0
            for q in (p - 1, p + 1, p - w, p + w):
                if s[COLOR + q] == EMPTY:
                    e += 1
            s[NBR + p] = e
    return s


@njit(cache=True)
def _w(s: np.ndarray, j: np.ndarray | None, i: int, v: int) -> None:
    """Write ``s[i] = v``, journalling the old value unless ``j`` is None.

    ``j`` is None in the specialisation of ``_play`` compiled for moves
    without a journal (``play`` with an empty one, playouts): Numba prunes
    the branch at compile time, so the write is a bare store there."""
    if j is not None:
        t = j[0]
        j[t] = i
        j[t + 1] = s[i]
        j[0] = t + 2
    s[i] = v


@njit(cache=True)
def _w_add(s: np.ndarray, j: np.ndarray | None, i: int, k: int) -> None:
    """``s[i] += k`` (``k`` >= 0) written as ``k`` unit increments when
    journalled: the journal then grows by what ``k`` separate writes added
    before it was counted in one, and ladder reading, which stops when its
    journal runs short, stops exactly where it did.  Without a journal,
    one store."""
    if j is None:
        s[i] += k
    else:
        for _ in range(k):
            _w(s, j, i, s[i] + 1)


@njit(cache=True)
def new_journal(capacity: int = 1 << 16) -> np.ndarray:
    """A journal for ``_w``/``undo_to``: slot 0 is the top, then pairs."""
    j = np.zeros(2 * capacity + 1, dtype=np.int64)
    j[0] = 1
    return j


@njit(cache=True)
def journal_mark(j: np.ndarray) -> int:
    return j[0]


@njit(cache=True)
def journal_room(j: np.ndarray) -> int:
    """Free pairs left in the journal."""
    return (j.shape[0] - j[0]) // 2


@njit(cache=True)
def undo_to(s: np.ndarray, j: np.ndarray, mark: int) -> None:
    """Restore every value written since ``mark`` (latest first)."""
    t = j[0]
    while t > mark:
        t -= 2
        s[j[t]] = j[t + 1]
    j[0] = mark


@njit(cache=True, inline='always')
def point(s: np.ndarray, x: int, y: int) -> int:
    return (y + 1) * s[H_W] + x + 1


@njit(cache=True, inline='always')
def nb_count(s: np.ndarray, p: int, c: int) -> int:
    """How many neighbours of ``p`` have colour ``c`` (EMPTY/BLACK/WHITE)."""
    return (s[NBR + p] >> (4 * c)) & 15


@njit(cache=True, inline='always')
def chain_libs(s: np.ndarray, p: int) -> int:
    """Liberty count of the chain through stone ``p``."""
    return s[LIBS + s[HEAD + p]]


@njit(cache=True, inline='always')
def chain_size(s: np.ndarray, p: int) -> int:
    return s[SIZE + s[HEAD + p]]


@njit(cache=True, inline='always')
def new_stamp(s: np.ndarray) -> int:
    s[H_STAMP] += 1
    return s[H_STAMP]


@njit(cache=True, inline='always')
def _head_of(s: np.ndarray, q: int, c: int) -> int:
    """The head of the chain at ``q`` if it has colour ``c`` (``c`` = 0:
    either colour), else -1."""
    if c == 0:
        h = s[HEAD + q]   # 0 for an empty point or the wall
        return h if h != 0 else -1
    if s[COLOR + q] == c:
        return s[HEAD + q]
    return -1


@njit(cache=True, inline='always')
def neighbour_heads(s: np.ndarray, p: int, c: int) -> tuple[int, int, int, int]:
    """The heads of the distinct chains of colour ``c`` (0: either colour)
    next to ``p``, as a 4-tuple with -1 for a neighbour that is not such a
    chain or whose chain an earlier entry already names.

    Why: a chain touching ``p`` on two sides must count once when summing
    sizes or adjusting liberties.  Inlined, this costs no more than a
    hand-written "seen heads" loop (``play``, ``lookahead.size_after``).  The
    loops in ``lookahead``'s ``captures_by``, ``libs_after`` and ``hash_after`` stay by hand: they
    test liberties first and de-duplicate only the few chains that pass,
    which measured about 0.4 ns (5-10%) a call cheaper."""
    w = s[H_W]
    h0 = _head_of(s, p - 1, c)
    h1 = _head_of(s, p + 1, c)
    h2 = _head_of(s, p - w, c)
    h3 = _head_of(s, p + w, c)
    if h1 == h0:
        h1 = -1
    if h2 == h0 or h2 == h1:
        h2 = -1
    if h3 == h0 or h3 == h1 or h3 == h2:
        h3 = -1
    return h0, h1, h2, h3


# --------------------------------------------------------------------------
# legality and chain walks
# --------------------------------------------------------------------------

@njit(cache=True)
def is_legal(s: np.ndarray, p: int, c: int) -> bool:
    """Legal under simple ko and the board's suicide rule (not superko)."""
    return _legal(pointer(s), p, c)


@njit(cache=True, inline='always')
def _legal(s: np.ndarray, p: int, c: int) -> bool:
    """``is_legal``, inlined where it is asked once per candidate point."""
    if p == PASS:
        return True
    if p < 0 or p >= MAXM or s[COLOR + p] != EMPTY:
        return False
    if p == s[H_KO] and c == s[H_TOMOVE]:
        return False
    if nb_count(s, p, EMPTY) > 0:
        return True
    w = s[H_W]
    o = 3 - c
    own_neighbour = False
    for q in (p - 1, p + 1, p - w, p + w):
        cq = s[COLOR + q]
        if cq == c:
            own_neighbour = True
            if s[LIBS + s[HEAD + q]] > 1:
                return True
        elif cq == o:
            if s[LIBS + s[HEAD + q]] == 1:
                return True
    # suicide: only multi-stone suicide may be allowed (a lone stone
    # removing itself would recreate the position: a disguised pass)
    return s[H_SUICIDE] == 1 and own_neighbour


@njit(cache=True)
def is_eye(s: np.ndarray, p: int, c: int) -> bool:
    """``p`` is an empty point that is a true eye of colour ``c``.

    All four neighbours are ``c`` or wall, and the diagonals hold at most
    one opponent stone in the middle of the board and none on the edge or
    in the corner (the usual playout definition)."""
    if s[COLOR + p] != EMPTY:
        return False
    if nb_count(s, p, EMPTY) != 0 or nb_count(s, p, 3 - c) != 0:
        return False
    return _eye_diagonals(s, p, c)


@njit(cache=True, inline='always')
def _eye_diagonals(s: np.ndarray, p: int, c: int) -> bool:
    """The diagonal test of ``is_eye`` for a point whose neighbours are all
    ``c`` or wall."""
    w = s[H_W]
    o = 3 - c
    bad = 0
    edge = 0
    for q in (p - w - 1, p - w + 1, p + w - 1, p + w + 1):
        cq = s[COLOR + q]
        if cq == o:
            bad += 1
        elif cq == WALL:
            edge = 1
    if edge:
        return bad == 0
    return bad < 2


@njit(cache=True)
def chain_liberties(s: np.ndarray, p: int, out: np.ndarray) -> int:
    """Write the liberties of the chain through ``p`` into ``out``; return
    how many (``out`` needs room for all, at most the board's empties; 0
    when ``p`` holds no stone)."""
    if s[COLOR + p] != BLACK and s[COLOR + p] != WHITE:
        return 0  # no chain here (following NEXT would never come back)
    stamp = new_stamp(s)
    w = s[H_W]
    n = 0
    q = p
    while True:
        for r in (q - 1, q + 1, q - w, q + w):
            if s[COLOR + r] == EMPTY and s[MARK + r] != stamp:
                s[MARK + r] = stamp
                out[n] = r
                n += 1
        q = s[NEXT + q]
        if q == p:
            break
    return n


@njit(cache=True)
def chain_stones(s: np.ndarray, p: int, out: np.ndarray) -> int:
    """Write the stones of the chain through ``p`` into ``out``; return n
    (0 when ``p`` holds no stone)."""
    if s[COLOR + p] != BLACK and s[COLOR + p] != WHITE:
        return 0
    n = 0
    q = p
    while True:
        out[n] = q
        n += 1
        q = s[NEXT + q]
        if q == p:
            break
    return n


# --------------------------------------------------------------------------
# making moves
# --------------------------------------------------------------------------

@njit(cache=True)
def _nb_add(s: np.ndarray, j: np.ndarray | None, p: int, c: int, sign: int) -> None:
    """A stone of colour c appears (sign=1) or leaves (sign=-1) at p."""
    w = s[H_W]
    delta = sign * ((_NB_ONE << (4 * c)) - _NB_ONE)
    for q in (p - 1, p + 1, p - w, p + w):
        _w(s, j, NBR + q, s[NBR + q] + delta)


@njit(cache=True)
def _empty_remove(s: np.ndarray, j: np.ndarray | None, p: int) -> None:
    k = s[EMPTY_IDX + p]
    last = s[H_NEMPTY] - 1
    lp = s[EMPTY_LIST + last]
    _w(s, j, EMPTY_LIST + k, lp)
    _w(s, j, EMPTY_IDX + lp, k)
    _w(s, j, EMPTY_IDX + p, -1)
    _w(s, j, H_NEMPTY, last)


@njit(cache=True)
def _empty_add(s: np.ndarray, j: np.ndarray | None, p: int) -> None:
    k = s[H_NEMPTY]
    _w(s, j, EMPTY_LIST + k, p)
    _w(s, j, EMPTY_IDX + p, k)
    _w(s, j, H_NEMPTY, k + 1)


@njit(cache=True)
def _remove_chain(s: np.ndarray, j: np.ndarray | None, h: int) -> int:
    """Take the chain with head ``h`` off the board; return its size."""
    c = s[COLOR + h]
    removed = 0
    r = h
    while True:
        nxt = s[NEXT + r]
        _w(s, j, COLOR + r, EMPTY)
        _w(s, j, HEAD + r, 0)
        _w(s, j, H_HASH, s[H_HASH] ^ ZOBRIST[c, r])
        _w(s, j, MOVED + r, -1)
        _nb_add(s, j, r, c, -1)
        _empty_add(s, j, r)
        removed += 1
        r = nxt
        if r == h:
            break
    # every removed stone is one new liberty for each distinct chain next to it
    r = h
    while True:
        for hq in neighbour_heads(s, r, 0):
            if hq >= 0:
                _w(s, j, LIBS + hq, s[LIBS + hq] + 1)
        r = s[NEXT + r]
        if r == h:
            break
    return removed


@njit(cache=True)
def _merge(s: np.ndarray, j: np.ndarray | None, big: int, small: int) -> None:
    """Merge chain ``small`` into chain ``big`` (both heads)."""
    w = s[H_W]
    _w(s, j, SIZE + big, s[SIZE + big] + s[SIZE + small])
    r = small
    while True:
        # each empty neighbour of r is a new liberty unless it touches big
        # (or a stone of small already relabelled); empty points and walls
        # have HEAD 0, so the heads alone tell.  Counted without branches
        # (a product of differences is 0 when one head is big): which
        # neighbours are empty is random, and mispredicted branches cost
        # more than the loads
        new = 0
        for q in (r - 1, r + 1, r - w, r + w):
            apart = ((s[HEAD + q - 1] - big) * (s[HEAD + q + 1] - big)
                     * (s[HEAD + q - w] - big) * (s[HEAD + q + w] - big)) != 0
            new += int(s[COLOR + q] == EMPTY) & int(apart)
        _w_add(s, j, LIBS + big, new)
        _w(s, j, HEAD + r, big)
        r = s[NEXT + r]
        if r == small:
            break
    nb = s[NEXT + big]
    _w(s, j, NEXT + big, s[NEXT + small])
    _w(s, j, NEXT + small, nb)


@njit(cache=True)
def play(s: np.ndarray, j: np.ndarray, p: int, c: int) -> int:
    """Play a move the caller knows is legal (``is_legal``); ``p`` may be
    PASS.  Returns the number of opponent stones captured.  ``j`` is a
    journal (``new_journal``) to record the writes in for ``undo_to``, or an
    empty array for none."""
    if j.shape[0] == 0:
        return _play(pointer(s), None, p, c)
    return _play(pointer(s), pointer(j), p, c)


@njit(cache=True, inline='always')
def _play(s: np.ndarray, j: np.ndarray | None, p: int, c: int) -> int:
    """``play`` with ``j`` a journal, or None (compiled separately).

    Inlined into its callers (``play``, ``engine.playouts.random_playout``):
    a playout's call per move, with its saved registers and error check,
    cost about a tenth of its instructions."""
    _w(s, j, H_LAST2, s[H_LAST])
    _w(s, j, H_LAST, p)
    _w(s, j, H_TOMOVE, 3 - c)
    _w(s, j, H_MOVENUM, s[H_MOVENUM] + 1)
    if p == PASS:
        _w(s, j, H_PASSES, s[H_PASSES] + 1)
        if s[H_KO] != -1:
            _w(s, j, H_KO, -1)
        return 0
    if s[H_PASSES] != 0:
        _w(s, j, H_PASSES, 0)
    w = s[H_W]
    o = 3 - c
    nb = s[NBR + p]
    _w(s, j, COLOR + p, c)
    _w(s, j, HEAD + p, p)
    _w(s, j, NEXT + p, p)
    _w(s, j, SIZE + p, 1)
    _w(s, j, LIBS + p, nb & 15)
    _w(s, j, MOVED + p, s[H_MOVENUM] - 1)
    _w(s, j, H_HASH, s[H_HASH] ^ ZOBRIST[c, p])
    _empty_remove(s, j, p)
    _nb_add(s, j, p, c, 1)
    captured = 0
    cap_point = -1
    if nb >> 4 != 0:
        # stones next to p: p was a liberty of each distinct neighbouring
        # chain, which may now be captured or joined (a move in the open
        # skips all this)
        for hq in neighbour_heads(s, p, 0):
            if hq >= 0:
                _w(s, j, LIBS + hq, s[LIBS + hq] - 1)
        for q in (p - 1, p + 1, p - w, p + w):
            cq = s[COLOR + q]
            if cq == o:
                if s[LIBS + s[HEAD + q]] == 0:
                    captured += _remove_chain(s, j, s[HEAD + q])
                    cap_point = q
            elif cq == c:
                hp = s[HEAD + p]
                hq = s[HEAD + q]
                if hp != hq:
                    if s[SIZE + hp] >= s[SIZE + hq]:
                        _merge(s, j, hp, hq)
                    else:
                        _merge(s, j, hq, hp)
    if captured:
        _w(s, j, H_CAP + c - 1, s[H_CAP + c - 1] + captured)
    hp = s[HEAD + p]
    if s[LIBS + hp] == 0:
        # multi-stone suicide (only reached when the rules allow it)
        lost = _remove_chain(s, j, hp)
        _w(s, j, H_CAP + o - 1, s[H_CAP + o - 1] + lost)
    ko = -1
    if captured == 1 and nb & ((15 << (4 * c)) | 15) == 0:
        # p had neither an empty nor an own neighbour: the capture of one
        # stone leaves a lone stone in atari, i.e. a ko
        ko = cap_point
    if s[H_KO] != ko:
        _w(s, j, H_KO, ko)
    return captured
