"""AlphaGo's input planes (Silver et al. 2016, Extended Data Table 2).

The networks see a position as 48 binary planes of n x n (49 for the value
network), all from the point of view of the player to move, so one network
plays both colours.  ``FEATURES`` lists them in plane order; a stored
dataset or checkpoint records ``FEATURE_SET_VERSION`` and is refused
(``check_feature_set``) when the encoder has changed since.

=====================  ======  ==============================================
feature                planes  set where
=====================  ======  ==============================================
stone_colour           3       player's stone / opponent's stone / empty
ones                   1       everywhere (shows the network the board edge)
turns_since            8       a stone played 1, 2, ... 7, 8+ moves ago
                               (passes count as moves; setup stones are 8+)
liberties              8       a stone whose chain has 1, ... 7, 8+ liberties
capture_size           8       a legal move capturing 0, 1, ... 6, 7+ stones
self_atari_size        8       a legal move leaving its own chain of 1, ...
                               7, 8+ stones with exactly one liberty
liberties_after_move   8       a legal move whose chain has 1, ... 7, 8+
                               liberties afterwards (captures applied)
ladder_capture         1       a legal atari that wins a ladder
ladder_escape          1       a legal move that saves a chain in atari from
                               a ladder (``engine.ladder`` says exactly what
                               is read and where the reading stops)
sensibleness           1       a legal move not filling one's own true eye
zeros                  1       nowhere
player_colour          1       (value net only) everywhere if Black moves
=====================  ======  ==============================================

Move planes (capture size to sensibleness) are set only at legal points;
"legal" is ``engine.board.is_legal``: occupied points, simple ko and the
board's suicide rule.  Superko is ignored: it depends on the game history,
which the flat board does not keep, so a move that would repeat an earlier
position still shows as legal here; rejecting it is the job of the game's
own legality check (``engine.game.Game.legal``).
A multi-stone suicide (legal only where the rules allow it) leaves no chain,
so it has no liberties-after or self-atari plane.  The bucketed features are
one-hot: plane k holds exactly bucket k, the last one "that many or more".

Layout: ``out[k, y, x]``, y = row from the bottom, so plane point (x, y) is
policy index ``y * n + x`` (``engine.coords``).
"""

import numpy as np
from numba import njit

from engine import board as B
from engine import lookahead as LA
from engine.board import (
    BLACK,
    COLOR,
    EMPTY,
    H_MOVENUM,
    H_N,
    H_TOMOVE,
    H_W,
    HEAD,
    LIBS,
    MOVED,
    STATE_LEN,
)
from engine.game import Game
from engine.ladder import ladder_maps, new_scratch
from engine.unowned import raw_view

FEATURES = (
    ("stone_colour", 3),
    ("ones", 1),
    ("turns_since", 8),
    ("liberties", 8),
    ("capture_size", 8),
    ("self_atari_size", 8),
    ("liberties_after_move", 8),
    ("ladder_capture", 1),
    ("ladder_escape", 1),
    ("sensibleness", 1),
    ("zeros", 1),
    ("player_colour", 1),
)
FEATURE_SET_VERSION = "alphago48-v1"
POLICY_PLANES = 48
VALUE_PLANES = 49


def _offsets() -> dict[str, int]:
    table: dict[str, int] = {}
    k = 0
    for name, planes in FEATURES:
        table[name] = k
        k += planes
    if k != VALUE_PLANES:
        raise AssertionError(f"FEATURES adds up to {k} planes, not {VALUE_PLANES}")
    return table


_OFFSET = _offsets()


def offset(name: str) -> int:
    """First plane of feature ``name``."""
    try:
        return _OFFSET[name]
    except KeyError:
        raise ValueError(f"unknown feature {name!r}; known: {', '.join(_OFFSET)}") from None


def check_feature_set(version: str) -> None:
    """Refuse data or a model made with another encoder."""
    if version != FEATURE_SET_VERSION:
        raise ValueError(
            f"feature set {version!r} does not match this encoder's "
            f"{FEATURE_SET_VERSION!r}: re-encode the data / retrain the model "
            f"with the current nets.features")


# plane offsets as plain ints: compile-time constants inside @njit code
_PLAYER = _OFFSET["stone_colour"]
_OPPONENT = _PLAYER + 1
_EMPTY = _PLAYER + 2
_ONES = _OFFSET["ones"]
_TURNS = _OFFSET["turns_since"]
_LIBS = _OFFSET["liberties"]
_CAPTURE = _OFFSET["capture_size"]
_ATARI = _OFFSET["self_atari_size"]
_LIBS_AFTER = _OFFSET["liberties_after_move"]
_LADDER_CAPTURE = _OFFSET["ladder_capture"]
_LADDER_ESCAPE = _OFFSET["ladder_escape"]
_SENSIBLE = _OFFSET["sensibleness"]
_COLOUR = _OFFSET["player_colour"]


@njit(cache=True)
def _check(s: np.ndarray, out: np.ndarray) -> None:
    n = s[H_N]
    if out.shape[0] != POLICY_PLANES and out.shape[0] != VALUE_PLANES:
        raise ValueError("out must have 48 (policy) or 49 (value) planes")
    if out.shape[1] != n or out.shape[2] != n:
        raise ValueError("out's last two dimensions must be the board size")
    if s[H_TOMOVE] != BLACK and s[H_TOMOVE] != 3 - BLACK:
        raise ValueError("the state's side to move is not black or white")


@njit(cache=True, inline='always')
def _move_libs(s: np.ndarray, p: int, c: int, ne: int, own: int, cap: int) -> int:
    """Liberties (up to 8) of ``c``'s chain after a legal move at ``p`` with
    ``ne`` empty and ``own`` own neighbours, capturing ``cap`` stones.

    The usual cases take a few loads: no own neighbour (the empty ones are
    the liberties), or one own chain and no capture (its liberties less p,
    plus the empty neighbours of p it did not already touch).  Merges of
    several chains and captures go to ``engine.lookahead.libs_after``."""
    if cap == 0:
        if own == 0:
            return ne
        w = s[H_W]
        h = -1
        for q in (p - 1, p + 1, p - w, p + w):
            if s[COLOR + q] == c:
                hq = s[HEAD + q]
                if h < 0:
                    h = hq
                elif hq != h:
                    return LA.libs_after(s, p, c, 8)
        k = s[LIBS + h] - 1
        for t in (p - 1, p + 1, p - w, p + w):
            if s[COLOR + t] == EMPTY:
                new = True
                for u in (t - 1, t + 1, t - w, t + w):
                    if s[COLOR + u] == c and s[HEAD + u] == h:
                        new = False
                if new:
                    k += 1
        return min(k, 8)
    return LA.libs_after(s, p, c, 8)


@njit(cache=True)
def _encode(s: np.ndarray, out: np.ndarray, j: np.ndarray, stk: np.ndarray) -> None:
    # an unowned view: the queries below then skip Numba's atomic
    # reference counting of s at every call (see engine.unowned.raw_view)
    s = raw_view(s)
    n = s[H_N]
    w = s[H_W]
    c = s[H_TOMOVE]
    o = 3 - c
    now = s[H_MOVENUM]
    out[:] = 0
    out[_ONES] = 1
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            col = s[COLOR + p]
            if col != EMPTY:
                out[_PLAYER if col == c else _OPPONENT, y, x] = 1
                t = min(max(now - s[MOVED + p], 1), 8)
                out[_TURNS + t - 1, y, x] = 1
                out[_LIBS + min(s[LIBS + s[HEAD + p]], 8) - 1, y, x] = 1
                continue
            out[_EMPTY, y, x] = 1
            ne = B.nb_count(s, p, EMPTY)
            own = B.nb_count(s, p, c)
            opp = B.nb_count(s, p, o)
            if own == 0 and opp == 0:
                # open point: legal, captures nothing, no eye, its empty
                # neighbours are its liberties (the common case: no queries)
                out[_CAPTURE, y, x] = 1
                out[_LIBS_AFTER + ne - 1, y, x] = 1
                out[_SENSIBLE, y, x] = 1
                continue
            if not B.is_legal(s, p, c):
                continue
            cap = LA.captures_by(s, p, c) if opp > 0 else 0
            out[_CAPTURE + min(cap, 7), y, x] = 1
            libs = _move_libs(s, p, c, ne, own, cap)
            if libs > 0:
                out[_LIBS_AFTER + libs - 1, y, x] = 1
            if libs == 1:
                out[_ATARI + min(LA.size_after(s, p, c), 8) - 1, y, x] = 1
            if ne > 0 or opp > 0 or not B.is_eye(s, p, c):
                out[_SENSIBLE, y, x] = 1
    ladder_maps(s, j, stk, c, out[_LADDER_CAPTURE], out[_LADDER_ESCAPE])
    if out.shape[0] == VALUE_PLANES and c == BLACK:
        out[_COLOUR] = 1


@njit(cache=True)
def encode(s: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (uint8, 48 or 49 x n x n) with the planes of board state
    ``s`` (``engine.board``) for the side to move.

    ``s`` serves as scratch: ladder reading plays and takes back moves on it
    and the queries stamp its MARK section; the position is unchanged."""
    _check(s, out)
    j, stk = new_scratch()
    _encode(s, out, j, stk)


@njit(cache=True)
def encode_batch(states: np.ndarray, out: np.ndarray) -> None:
    """``encode`` for each row of ``states`` (B x STATE_LEN int64, one
    board size) into ``out`` (B x P x n x n), sharing one scratch."""
    if states.shape[1] != STATE_LEN:
        raise ValueError("states must be board state rows (STATE_LEN long)")
    if states.shape[0] != out.shape[0]:
        raise ValueError("states and out hold different numbers of positions")
    j, stk = new_scratch()
    for i in range(states.shape[0]):
        _check(states[i], out[i])
        _encode(states[i], out[i], j, stk)


def _planes(value: bool) -> int:
    return VALUE_PLANES if value else POLICY_PLANES


def _valid_state(s: np.ndarray) -> int:
    if not isinstance(s, np.ndarray) or s.dtype != np.int64 or s.shape != (STATE_LEN,):
        raise ValueError("expected a board state (engine.board.new_state), "
                         f"got {type(s).__name__} {getattr(s, 'shape', '')}")
    n = int(s[H_N])
    if not B.MIN_SIZE <= n <= B.MAX_SIZE or s[H_W] != n + 2:
        raise ValueError("not a valid board state (bad size header)")
    return n


def encode_state(s: np.ndarray, value: bool = False) -> np.ndarray:
    """The planes of one board state as a new uint8 array (P, n, n)."""
    n = _valid_state(s)
    if not s.flags.writeable:
        s = s.copy()      # the ladder reader plays (and takes back) moves on s
    out = np.empty((_planes(value), n, n), dtype=np.uint8)
    encode(s, out)
    return out


def encode_game(game: Game, value: bool = False) -> np.ndarray:
    """The planes of an ``engine.game.Game``'s current position."""
    return encode_state(game.state, value)
