"""One game as read from SGF (``GameRecord``) and its replay through the
rules; the reading conventions are in the package docstring."""

import itertools
from dataclasses import dataclass

import numpy as np

from ..board import BLACK, PASS
from ..colors import COLOR_LETTERS
from ..coords import format_gtp, format_sgf
from ..game import Game, IllegalMove
from ..replay import KO_CODES, REASONS, replay_moves
from ..rules import RULE_SETS, Rules, rules_named

# root properties interpreted into GameRecord fields (or format details)
INTERPRETED = frozenset(("FF", "GM", "CA", "SZ", "KM", "HA", "RE", "AB", "AW",
                         "AE", "PL", "C", "B", "W"))


class SGFError(ValueError):
    """An SGF record that cannot be read or replayed; the message names the
    source and the problem."""


# --------------------------------------------------------------------------
# the record
# --------------------------------------------------------------------------

@dataclass
class GameRecord:
    """One game as read from SGF (see the module docstring for defaults)."""
    size: int
    komi: float
    handicap: int
    result: str | None
    winner: int | None
    setup: dict[int, int]
    first_to_move: int
    moves: list[tuple[int, int]]
    comments: list[str | None]
    root_comment: str | None
    properties: dict[str, list[str]]
    source: str

    @property
    def margin(self) -> float | None:
        """Black's winning margin when the result is a count (``B+3.5`` is
        3.5, ``W+0.5`` is -0.5); None for a resignation, a time loss, a
        draw or no result."""
        if self.winner is None or self.result is None:
            return None
        try:
            points = float(self.result[2:])
        except ValueError:
            return None
        return points if self.winner == BLACK else -points

    def _describe(self, i: int) -> str:
        """``move 57 (W at dd = D16)`` for move index ``i`` (0-based)."""
        c, p = self.moves[i]
        if p == PASS:
            return f"move {i + 1} ({COLOR_LETTERS[c]} pass)"
        return (f"move {i + 1} ({COLOR_LETTERS[c]} at {format_sgf(p, self.size)}"
                f" = {format_gtp(p, self.size)})")

    def _count(self, upto: int | None) -> int:
        if upto is None:
            return len(self.moves)
        if upto < 0:
            raise ValueError(f"upto must be >= 0, not {upto}")
        return min(upto, len(self.moves))

    def _start(self, rules: Rules | str | None) -> Game:
        """A Game holding the setup, nothing played."""
        game = Game(self.size, self.komi, rules_of(rules))
        if self.setup or self.first_to_move != BLACK:
            try:
                game.set_setup(self.setup, self.first_to_move)
            except IllegalMove:
                raise SGFError(f"{self.source}: setup stones without liberties") from None
        game.handicap = self.handicap
        return game

    def to_game(self, rules: Rules | str | None = None, upto: int | None = None) -> Game:
        """Replay through ``engine.game.Game`` (``rules``: a Rules or a rule
        set name, default Chinese), the first ``upto`` moves (default all;
        more than the game has means all).  An illegal move raises
        SGFError naming its number, colour, point and reason."""
        game = self._start(rules)
        for i in range(self._count(upto)):
            c, p = self.moves[i]
            try:
                game.play(p, c)
            except IllegalMove as e:
                raise SGFError(f"{self.source}: {self._describe(i)} is illegal: {e.reason}") from None
        return game

    def move_arrays(self, upto: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(colours, points) of the first ``upto`` moves as int64 arrays."""
        k = self._count(upto)
        flat = itertools.chain.from_iterable(itertools.islice(self.moves, k))
        a = np.fromiter(flat, dtype=np.int64, count=2 * k).reshape(k, 2)
        return a[:, 0].copy(), a[:, 1].copy()

    def replay(self, rules: Rules | str | None = None, upto: int | None = None) -> np.ndarray:
        """The fast path of ``to_game``: the same checks, the moves played by
        the compiled ``replay_moves``; returns the final ``engine.board``
        state array.  Raises SGFError as ``to_game`` does."""
        rules = rules_of(rules)
        s = self._start(rules).state
        colours, points = self.move_arrays(upto)
        played, code = replay_moves(s, colours, points, KO_CODES[rules.ko])
        if code:
            raise SGFError(f"{self.source}: {self._describe(played)} is illegal: {REASONS[code]}")
        return s


def rules_of(rules: Rules | str | None) -> Rules:
    """A Rules from a Rules, a rule set name, or None (Chinese)."""
    if rules is None:
        return RULE_SETS["chinese"]
    if isinstance(rules, Rules):
        return rules
    return rules_named(rules)
