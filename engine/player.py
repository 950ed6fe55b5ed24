"""What chooses moves: the interface between move generators and their users.

Why it lives in ``engine/`` (the lowest layer): the players that matter -- a
policy network in ``nets/``, tree search in ``mcts/`` -- sit in higher layers
and must implement this interface without importing the GTP front end or the
match referee, which sit above them.  The front end only ever talks to a
``Player``; adding a player is a new class plus its entry in
``tengen.gtp.server.make_player``, never a change to the protocol code.  How
a player turns its preferences into a move (temperature, passing,
resigning) is ``engine.move_choice``.

Conventions shared by every method:

* ``game`` is the front end's ``engine.game.Game``: read it, never modify it
  (copy it with ``game.copy()`` to try moves);
* ``color`` is ``engine.board.BLACK`` or ``WHITE``;
* a move is a board point (``engine.coords.to_point``), ``PASS`` or
  ``RESIGN`` (``engine.moves``).
"""

import random
from typing import ClassVar

from . import board as B
from .clock import Clock
from .game import Game
from .moves import PASS

# What a player can show a front end besides its moves; a player declares
# the ones it offers in ``Player.analyses`` and the front end (GTP's
# ``tengen.gtp.analysis_commands``) builds its commands for each.
SEARCH_ANALYSIS = "search"    # live analysis of a search: think() with progress reports
POLICY_MAP = "policy map"     # the policy network's probability of every move: networks_for()
VALUE_MAP = "value map"       # the value network's win rate after every move: networks_for()


class Player:
    """A move generator.  Subclasses implement ``genmove``; the hooks let a
    tree search keep its tree between moves.  Construction must be cheap:
    a player loads its networks on the first move (or ``prepare``), so that
    a GUI gets its first GTP answers at once."""

    name = "player"
    analyses: ClassVar[frozenset[str]] = frozenset()

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

    def prepare(self, game: Game) -> object:
        """Load whatever is slow to load (networks, compiled code) now.  The
        front end calls this when a time control is set, before the clock
        runs, so that the first timed move does not pay for it.  What it
        returns is the player's own (the search player: its search)."""


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
