"""What chooses moves: the interface between move generators and their users.

Why it lives in ``engine/`` (the lowest layer): the players that matter -- a
policy network in ``nets/``, tree search in ``mcts/`` -- sit in higher layers
and must implement this interface without importing the GTP front end or the
match referee, which sit above them.  The front end only ever talks to a
``Player``; adding a player is a new class plus its entry in
``tengen.gtp.server.make_player``, never a change to the protocol code.  The
helpers below (``with_mover``, ``pass_margin``) are the rules every player
shares.

Conventions shared by every method:

* ``game`` is the front end's ``engine.game.Game``: read it, never modify it
  (copy it with ``game.copy()`` to try moves);
* ``color`` is ``engine.board.BLACK`` or ``WHITE``;
* a move is a board point (``engine.coords.to_point``), ``PASS`` or
  ``RESIGN``.
"""

import random

from . import board as B
from .board import BLACK, PASS
from .clock import Clock
from .dead_stones import StatusConfig, dead_stones, final_score
from .game import Game

RESIGN = -3  # distinct from PASS (-1) and board.NO_MOVE (-2)


class Player:
    """A move generator.  Subclasses implement ``genmove``; the hooks let a
    tree search keep its tree between moves.  Construction must be cheap:
    a player loads its networks on the first move (or ``prepare``), so that
    a GUI gets its first GTP answers at once."""

    name = "player"

    def genmove(self, game: Game, color: int, clock: Clock, cleanup: bool = False) -> int:
        """The move ``color`` plays in ``game``: a legal point, PASS or
        RESIGN.  ``clock`` is an ``engine.clock.Clock``;
        ``clock.move_budget(game, color)`` is the thinking time for this move
        in seconds, or None when no time limit is set.  ``cleanup`` is True
        for ``kgs-genmove_cleanup``: the opponent disputes the dead stones,
        so do not pass while stones believed dead remain on the board."""
        raise NotImplementedError

    def new_game(self, game: Game) -> None:
        """The game was replaced or its settings changed (board size, komi,
        rules, handicap, a loaded SGF): drop anything cached."""

    def played(self, game: Game, color: int, move: int) -> None:
        """``move`` by ``color`` was just played; ``game`` includes it."""

    def undone(self, game: Game) -> None:
        """The last move was taken back; ``game`` no longer includes it."""

    def prepare(self, game: Game) -> None:
        """Load whatever is slow to load (networks, compiled code) now.  The
        front end calls this when a time control is set, before the clock
        runs, so that the first timed move does not pay for it."""


class RandomPlayer(Player):
    """Uniformly random legal moves that never fill the player's own true
    eyes (``board.is_eye``), under the game's full rules including superko;
    passes when no such move is left.  The baseline every other player must
    beat, and the default until the networks are trained."""

    name = "random"

    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)

    def genmove(self, game: Game, color: int, clock: Clock, cleanup: bool = False) -> int:
        s = game.state
        n_empty = int(s[B.H_NEMPTY])
        # sorted, so the choice depends only on the position and the seed
        empties = sorted(int(p) for p in s[B.EMPTY_LIST:B.EMPTY_LIST + n_empty])
        self.rng.shuffle(empties)
        for p in empties:
            if not B.is_eye(s, p, color) and game.legal(p, color):
                return p
        return PASS


def with_mover(game: Game, color: int) -> Game:
    """``game`` itself, or a copy where ``color`` is to move (GTP allows
    several moves of one colour in a row)."""
    if game.to_move == color:
        return game
    g = game.copy()
    g.state[B.H_TOMOVE] = color
    g.state[B.H_KO] = -1
    return g


def pass_margin(game: Game, color: int, status: StatusConfig = StatusConfig()) -> float:
    """The margin a pass would end the game with, from ``color``'s point of
    view (komi included): the smaller of the bare area count (what the
    search's finished games are scored by) and the count with the
    Monte Carlo dead-stone estimate removed (what a referee or a GUI's
    scoring will say).  Passing only when both agree keeps a player from
    ending a game that its own dead stones make look won.  ``status``: the
    estimate's playouts (self-play spends fewer than a referee)."""
    sign = 1 if color == BLACK else -1
    bare = sign * game.area_score()
    if bare <= 0:
        return bare
    return min(bare, sign * final_score(game, status))


def opponent_dead_stones(game: Game, color: int) -> list[int]:
    """The stones of ``color``'s opponent that the estimate calls dead."""
    return [p for p in dead_stones(game) if game.color_at(p) != color]
