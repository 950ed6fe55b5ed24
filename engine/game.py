"""A game of Go for Python callers: rules, komi, history, superko, undo.

``engine.board`` holds one position and knows simple ko; a whole game also
needs the positions that came before (positional or situational superko),
the setup stones, komi, and undo.  ``Game`` keeps those and delegates every
board operation to the compiled functions.  Undo replays the game from its
setup: replaying a few hundred moves costs well under a millisecond and
cannot drift out of step the way a hand-written inverse could.
"""

from collections.abc import Iterable

import numpy as np

from . import board as B
from . import lookahead as LA
from .board import BLACK, EMPTY, PASS, WHITE
from .coords import all_points, format_gtp, is_point
from .game_setup import GameSetup
from .handicap import fixed_handicap_points
from .replay import place_setup
from .rules import Rules
from .scoring import area_owner, area_score, dead_mask, territory_score


class IllegalMove(ValueError):
    """A move the rules forbid; ``reason`` is one of occupied, ko, suicide,
    superko, off-board, game-over."""

    def __init__(self, reason: str, color: int | None = None, point: int | None = None,
                 size: int | None = None):
        self.reason = reason
        where = ""
        if point is not None and size is not None:
            where = f" at {format_gtp(point, size)}"
        who = {BLACK: "black", WHITE: "white"}.get(color, "") if color is not None else ""
        super().__init__(f"illegal move ({reason}){' by ' + who if who else ''}{where}")


def opponent(color: int) -> int:
    return 3 - color


DEFAULT_SETUP = GameSetup()


class Game:
    """A game in progress: position, rules, komi, setup and move history;
    by default ``GameSetup``'s board, komi and rules."""

    def __init__(self, size: int = DEFAULT_SETUP.size, komi: float = DEFAULT_SETUP.komi,
                 rules: Rules | None = None):
        if not B.MIN_SIZE <= size <= B.MAX_SIZE:
            raise ValueError(f"board size {size} outside {B.MIN_SIZE}..{B.MAX_SIZE}")
        self.size = size
        self.komi = float(komi)
        self.rules = rules or DEFAULT_SETUP.rule_set
        self.setup: dict[int, int] = {}      # point -> colour, placed before move 1
        self.first_to_move = BLACK
        self.handicap = 0
        self.moves: list[tuple[int, int]] = []   # (colour, point) in order, passes included
        self._rebuild()

    # ---- state --------------------------------------------------------
    def _rebuild(self) -> None:
        """Set up the position from ``setup`` and replay ``moves``."""
        s = B.new_state(self.size, self.rules.suicide)
        points = np.fromiter(self.setup.keys(), dtype=np.int64, count=len(self.setup))
        colours = np.fromiter(self.setup.values(), dtype=np.int64, count=len(self.setup))
        # a setup stone may neither capture nor vanish (multi-stone suicide
        # where the rules allow it)
        if place_setup(s, points, colours, self.first_to_move) >= 0:
            raise IllegalMove("setup stones without liberties")
        self.state = s
        self._initial_key = self._key(self.first_to_move)
        self._seen = {self._initial_key}
        self._keys: list[int | tuple[int, int]] = []
        moves, self.moves = self.moves, []
        for c, p in moves:
            self.play(p, c)

    def _key(self, to_move: int) -> int | tuple[int, int]:
        h = int(self.state[B.H_HASH])
        return (h, to_move) if self.rules.ko == "situational" else h

    @property
    def to_move(self) -> int:
        return int(self.state[B.H_TOMOVE])

    @property
    def is_over(self) -> bool:
        """Two passes in a row end the game."""
        return int(self.state[B.H_PASSES]) >= 2

    @property
    def move_number(self) -> int:
        return len(self.moves)

    def captures(self, color: int) -> int:
        """Stones captured so far by ``color``."""
        return int(self.state[B.H_CAP + color - 1])

    def position_hashes(self) -> list[int]:
        """Zobrist hashes of every position of the game so far (setup and
        current position included), for superko checks in search."""
        keys = [self._initial_key] + self._keys
        return [k[0] if isinstance(k, tuple) else k for k in keys]

    def color_at(self, p: int) -> int:
        return int(self.state[B.COLOR + p])

    def stones(self) -> dict[int, int]:
        """{point: colour} of every stone on the board."""
        col = self.state[B.COLOR:B.COLOR + B.MAXM]
        return {p: int(col[p]) for p in self.points() if col[p] != EMPTY}

    def points(self) -> list[int]:
        return all_points(self.size)

    def copy(self) -> "Game":
        g = Game.__new__(Game)
        g.__dict__.update(self.__dict__)
        g.setup = dict(self.setup)
        g.moves = list(self.moves)
        g.state = self.state.copy()
        g._seen = set(self._seen)
        g._keys = list(self._keys)
        return g

    # ---- moves --------------------------------------------------------
    def why_illegal(self, p: int, color: int | None = None) -> str | None:
        """None if ``color`` may play at ``p`` now, else the reason."""
        c = self.to_move if color is None else color
        if c not in (BLACK, WHITE):
            raise ValueError(f"invalid colour {color!r}")
        if p == PASS:
            return None
        if not is_point(p, self.size):
            return "off-board"
        s = self.state
        if s[B.COLOR + p] != EMPTY:
            return "occupied"
        if not B.is_legal(s, p, c):
            if p == s[B.H_KO] and c == s[B.H_TOMOVE]:
                return "ko"
            return "suicide"
        if self.rules.ko != "simple":
            h = int(LA.hash_after(s, p, c))
            key = (h, opponent(c)) if self.rules.ko == "situational" else h
            if key in self._seen:
                return "superko"
        return None

    def legal(self, p: int, color: int | None = None) -> bool:
        return self.why_illegal(p, color) is None

    def legal_moves(self, color: int | None = None) -> list[int]:
        """Legal board points for ``color`` (pass not included)."""
        return [p for p in self.points() if self.why_illegal(p, color) is None]

    def play(self, p: int, color: int | None = None) -> int:
        """Play ``p`` (a board point or PASS) for ``color`` (default: the side
        to move); raises IllegalMove.  Returns the stones captured."""
        c = self.to_move if color is None else color
        if c not in (BLACK, WHITE):
            raise ValueError(f"invalid colour {color!r}")
        reason = self.why_illegal(p, c)
        if reason:
            raise IllegalMove(reason, c, p, self.size)
        captured = B.play(self.state, np.zeros(0, dtype=np.int64), p, c)
        key = self._key(opponent(c))
        self._keys.append(key)
        self._seen.add(key)
        self.moves.append((c, p))
        return captured

    def undo(self) -> bool:
        """Take back the last move; False when there is none."""
        if not self.moves:
            return False
        self.moves.pop()
        self._rebuild()
        return True

    # ---- setup --------------------------------------------------------
    def set_setup(self, stones: dict[int, int], to_move: int | None = None) -> None:
        """Replace the setup (``{point: colour}``, EMPTY entries remove) before
        any move is played; raises IllegalMove if a chain has no liberty."""
        if self.moves:
            raise ValueError("setup stones can only be placed before the first move")
        setup = dict(self.setup)
        n = self.size
        for p, c in stones.items():
            if not is_point(p, n):
                raise ValueError(f"setup point {p!r} is not on the {n}x{n} board")
            if c not in (EMPTY, BLACK, WHITE):
                raise ValueError(f"invalid setup colour {c!r}")
            if c == EMPTY:
                setup.pop(p, None)
            else:
                setup[p] = c
        old = (self.setup, self.first_to_move)
        self.setup = setup
        if to_move is not None:
            self.first_to_move = to_move
        try:
            self._rebuild()
        except IllegalMove:
            self.setup, self.first_to_move = old
            self._rebuild()
            raise

    def place_handicap(self, points: list[int]) -> None:
        """Black handicap stones on an empty board; White moves next."""
        if self.moves or self.setup:
            raise ValueError("board not empty")
        if len(points) < 2 or len(set(points)) != len(points):
            raise ValueError("invalid handicap")
        self.set_setup({p: BLACK for p in points}, to_move=WHITE)
        self.handicap = len(points)

    def fixed_handicap(self, n: int) -> list[int]:
        pts = fixed_handicap_points(n, self.size)
        self.place_handicap(pts)
        return pts

    # ---- scoring ------------------------------------------------------
    def area_score(self) -> float:
        """Black minus White by area (Tromp-Taylor), komi included."""
        return area_score(self.state) - self.komi

    def territory_score(self, dead: Iterable[int] = ()) -> float:
        """Black minus White by territory and prisoners, ``dead`` stones
        removed as prisoners, komi included."""
        return territory_score(self.state, dead_mask(dead)) - self.komi

    def score(self, dead: Iterable[int] = ()) -> float:
        """Black minus White under this game's rules (area scoring counts
        ``dead`` stones for the other side too)."""
        if self.rules.scoring == "territory":
            return self.territory_score(dead)
        if dead:
            owners = self.ownership(dead).values()
            return sum(o == BLACK for o in owners) - sum(o == WHITE for o in owners) - self.komi
        return self.area_score()

    def ownership(self, dead: Iterable[int] = ()) -> dict[int, int]:
        """{point: BLACK/WHITE/EMPTY} area ownership of every point."""
        own = np.zeros(B.MAXM, dtype=np.int64)
        area_owner(self.state, dead_mask(dead), own)
        return {p: int(own[p]) for p in self.points()}
