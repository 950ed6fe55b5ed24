"""Every coordinate system tengen meets, converted in one place.

* ``(x, y)``: column from the left and row from the bottom, both from 0.
* board point: the index into the padded array of ``engine.board``,
  ``(y + 1) * (n + 2) + x + 1``; ``PASS`` (-1) for a pass.
* policy index: ``y * n + x`` for the networks, ``n * n`` for a pass.
* GTP vertex: ``A1`` .. ``Z25`` without ``I``, case-insensitive, ``pass``.
* SGF point: two letters, column then row from the top; ``""`` is a pass,
  and so is ``tt`` on boards up to 19x19 (FF[3]).
"""

from numba import njit

from .moves import PASS
from .sizes import MAX_SIZE

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # 25 letters, no I
SGF_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class CoordinateError(ValueError):
    """A vertex or point that does not exist on this board."""


def to_point(x: int, y: int, n: int) -> int:
    return (y + 1) * (n + 2) + x + 1


def to_xy(p: int, n: int) -> tuple[int, int]:
    w = n + 2
    return p % w - 1, p // w - 1


def on_board(x: int, y: int, n: int) -> bool:
    return 0 <= x < n and 0 <= y < n


def is_point(p: int, n: int) -> bool:
    """``p`` is a point of the n x n board (not PASS, not the border)."""
    x, y = to_xy(p, n)
    return on_board(x, y, n) and p == to_point(x, y, n)


@njit(cache=True, inline="always")
def point_to_index(p: int, n: int) -> int:
    """Board point to policy index (pass -> n*n).  Compiled, so that the
    compiled loops (training windows, the search tree) convert with it too."""
    if p == PASS:
        return n * n
    w = n + 2
    return (p // w - 1) * n + p % w - 1


@njit(cache=True, inline="always")
def index_to_point(i: int, n: int) -> int:
    """Policy index to board point (n*n -> pass)."""
    if i == n * n:
        return PASS
    return (i // n + 1) * (n + 2) + i % n + 1


def parse_gtp(vertex: str, n: int) -> int:
    """GTP vertex to board point; raises CoordinateError."""
    v = vertex.strip().upper()
    if v == "PASS":
        return PASS
    if len(v) < 2 or v[0] not in GTP_COLUMNS or not (v[1:].isascii() and v[1:].isdigit()):
        raise CoordinateError(f"invalid coordinate {vertex!r}")
    x = GTP_COLUMNS.index(v[0])
    y = int(v[1:]) - 1
    if not on_board(x, y, n):
        raise CoordinateError(f"coordinate {vertex!r} is off a {n}x{n} board")
    return to_point(x, y, n)


def format_gtp(p: int, n: int) -> str:
    if p == PASS:
        return "pass"
    x, y = to_xy(p, n)
    return f"{GTP_COLUMNS[x]}{y + 1}"


def parse_sgf(text: str, n: int) -> int:
    """SGF point (``"dd"``) to board point; ``""`` and ``tt`` (n<=19) pass."""
    t = text.strip()
    if t == "" or (t == "tt" and n <= 19):
        return PASS
    if len(t) != 2 or t[0] not in SGF_LETTERS or t[1] not in SGF_LETTERS:
        raise CoordinateError(f"invalid SGF point {text!r}")
    x = SGF_LETTERS.index(t[0])
    y = n - 1 - SGF_LETTERS.index(t[1])
    if not on_board(x, y, n):
        raise CoordinateError(f"SGF point {text!r} is off a {n}x{n} board")
    return to_point(x, y, n)


def format_sgf(p: int, n: int) -> str:
    if p == PASS:
        return ""
    x, y = to_xy(p, n)
    return SGF_LETTERS[x] + SGF_LETTERS[n - 1 - y]


def all_points(n: int) -> list[int]:
    """Board points of an n x n board, row by row from the bottom-left."""
    return [to_point(x, y, n) for y in range(n) for x in range(n)]


assert len(GTP_COLUMNS) == MAX_SIZE
