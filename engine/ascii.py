"""ASCII boards: ``X`` black, ``O`` white, ``.`` (or ``+``) empty.

Tests write positions as pictures and GTP's showboard draws them; the top
line of the picture is the top row of the board (row n in GTP terms).
"""

from .board import BLACK, EMPTY, WHITE
from .coords import GTP_COLUMNS, to_point
from .game import Game
from .rules import Rules

_CELL = {"X": BLACK, "x": BLACK, "#": BLACK, "O": WHITE, "o": WHITE,
         ".": EMPTY, "+": EMPTY}
_GLYPH = {BLACK: "X", WHITE: "O", EMPTY: "."}


def parse_rows(text: str) -> list[list[int]]:
    """The rows of an ASCII board, top first, as lists of colours."""
    rows = []
    for line in text.strip("\n").splitlines():
        cells = [ch for ch in line if not ch.isspace()]
        if not cells:
            continue
        bad = [ch for ch in cells if ch not in _CELL]
        if bad:
            raise ValueError(f"unexpected {bad[0]!r} in ASCII board line {line!r}")
        rows.append([_CELL[ch] for ch in cells])
    if not rows or any(len(r) != len(rows) for r in rows):
        raise ValueError("an ASCII board must be square")
    return rows


def from_ascii(text: str, to_move: int = BLACK, komi: float = 7.5, rules: Rules | None = None
               ) -> Game:
    """A Game whose setup is the picture, ``to_move`` to play."""
    rows = parse_rows(text)
    n = len(rows)
    game = Game(n, komi, rules)
    stones: dict[int, int] = {}
    for i, row in enumerate(rows):
        y = n - 1 - i
        for x, c in enumerate(row):
            if c != EMPTY:
                stones[to_point(x, y, n)] = c
    game.set_setup(stones, to_move)
    return game


def to_ascii(game: Game, coordinates: bool = False, marks: dict[int, str] | None = None) -> str:
    """The position as a picture; ``marks`` maps points to glyphs drawn
    instead of the stone (e.g. the last move)."""
    n = game.size
    lines = []
    if coordinates:
        lines.append("   " + " ".join(GTP_COLUMNS[:n]))
    for y in range(n - 1, -1, -1):
        cells = []
        for x in range(n):
            p = to_point(x, y, n)
            g = (marks or {}).get(p) or _GLYPH[game.color_at(p)]
            cells.append(g)
        row = " ".join(cells)
        lines.append(f"{y + 1:2d} {row} {y + 1:d}" if coordinates else row)
    if coordinates:
        lines.append("   " + " ".join(GTP_COLUMNS[:n]))
    return "\n".join(lines)
