"""What chooses moves: the interface between move generators and their users.

Why it lives in ``engine/`` (the lowest layer): the players that matter -- a
policy network in ``nets/``, tree search in ``mcts/`` -- sit in higher layers
and must implement this interface without importing the GTP front end or the
match referee, which sit above them.  The front end only ever talks to a
``Player``; adding a player is a new class plus one line in the player table
of ``gtp_server.py`` (``PLAYERS``), never a change to the protocol code.

Conventions shared by every method:

* ``game`` is the front end's ``engine.game.Game``: read it, never modify it
  (copy it with ``game.copy()`` to try moves);
* ``color`` is ``engine.board.BLACK`` or ``WHITE``;
* a move is a board point (``engine.coords.to_point``), ``PASS`` or
  ``RESIGN``.
"""

import random
from dataclasses import dataclass
from typing import Callable, Protocol

from . import board as B
from .board import PASS

RESIGN = -3  # distinct from PASS (-1) and board.NO_MOVE (-2)


@dataclass(frozen=True)
class PlayerOptions:
    """What the command line passes to a player factory.  Model paths are
    only paths: a player loads its networks lazily (first genmove) so that
    GTP start-up and ``list_commands`` never wait for PyTorch.

    The search settings are None when not given, so that a player can tell
    "not set" from a value equal to its default (``visits`` given together
    with a time limit caps the search; left out, the clock alone decides)."""
    policy_model: str | None = None
    value_model: str | None = None
    seed: int | None = None
    visits: int | None = None             # search visits per move
    time_per_move: float | None = None    # seconds per move when no time control is set
    batch_size: int | None = None         # positions per network call in the search
    lam: float | None = None              # value network's share of a leaf value (rest: rollouts)
    rollouts: bool | None = None          # fast rollouts at the leaves
    expand_threshold: int | None = None   # visits of an edge before its node is expanded
    threads: int | None = None            # PyTorch threads
    resign_threshold: float | None = None  # resign below this win rate (0: never)


class AnalysisStream(Protocol):
    """The output channel the front end hands to a streaming command.

    GTP analysis commands (``lz-analyze``, ``kata-analyze``) answer ``=`` at
    once, print ``info ...`` lines until the client sends anything, then end
    the response with a blank line.  The front end reads its input on a
    separate thread, so the command can poll for that while it thinks."""

    def begin(self) -> None:
        """Send the ``=`` header now (``write`` does it too if needed)."""

    def write(self, line: str) -> None:
        """Send one line of the response (blank lines are dropped: a blank
        line would end the response)."""

    def interrupted(self) -> bool:
        """True once an input line has arrived (or the input has ended)."""

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early when input arrives; returns
        ``interrupted()``."""


@dataclass(frozen=True)
class PlayerCommand:
    """An extra GTP command a player provides (analysis and the like).

    ``run(game, args, stream)`` gets the current game, the command's
    arguments (strings) and, for ``streaming`` commands, an
    ``AnalysisStream`` (``None`` otherwise).  It returns the response text
    (or, for a streaming command, an optional last line such as
    ``play D4``); raising ``ValueError`` answers ``? <message>``.
    ``gogui`` is the ``type/label`` part of a ``gogui-analyze_commands``
    entry (e.g. ``"gfx/Policy"``), or None to keep the command off GoGui's
    menu.

    ``plays``: the command chooses a move and the front end plays it, as
    for ``genmove`` (``lz-genmove_analyze``).  Its ``run(game, args, stream,
    clock)`` also gets the ``engine.clock.Clock`` and returns ``(color,
    move)``; the front end checks the move, plays it, charges the clock for
    the whole command and ends the response with ``play <vertex>``."""
    name: str
    run: Callable
    streaming: bool = False
    gogui: str | None = None
    plays: bool = False


class Player:
    """A move generator.  Subclasses implement ``genmove``; the hooks let a
    tree search keep its tree between moves.  Construction must be cheap
    (see ``PlayerOptions``)."""

    name = "player"

    def genmove(self, game, color, clock, cleanup=False):
        """The move ``color`` plays in ``game``: a legal point, PASS or
        RESIGN.  ``clock`` is an ``engine.clock.Clock``;
        ``clock.move_budget(game, color)`` is the thinking time for this move
        in seconds, or None when no time limit is set.  ``cleanup`` is True
        for ``kgs-genmove_cleanup``: the opponent disputes the dead stones,
        so do not pass while stones believed dead remain on the board."""
        raise NotImplementedError

    def new_game(self, game):
        """The game was replaced or its settings changed (board size, komi,
        rules, handicap, a loaded SGF): drop anything cached."""

    def played(self, game, color, move):
        """``move`` by ``color`` was just played; ``game`` includes it."""

    def undone(self, game):
        """The last move was taken back; ``game`` no longer includes it."""

    def analysis_commands(self):
        """Extra GTP commands this player offers (``PlayerCommand`` list)."""
        return []

    def prepare(self, game):
        """Load whatever is slow to load (networks, compiled code) now.  The
        front end calls this when a time control is set, before the clock
        runs, so that the first timed move does not pay for it."""


class RandomPlayer(Player):
    """Uniformly random legal moves that never fill the player's own true
    eyes (``board.is_eye``), under the game's full rules including superko;
    passes when no such move is left.  The baseline every other player must
    beat, and the default until the networks are trained."""

    name = "random"

    def __init__(self, options=None):
        seed = (options or PlayerOptions()).seed
        self.rng = random.Random(seed)

    def genmove(self, game, color, clock, cleanup=False):
        s = game.state
        n_empty = int(s[B.H_NEMPTY])
        # sorted, so the choice depends only on the position and the seed
        empties = sorted(int(p) for p in s[B.EMPTY_LIST:B.EMPTY_LIST + n_empty])
        self.rng.shuffle(empties)
        for p in empties:
            if not B.is_eye(s, p, color) and game.legal(p, color):
                return p
        return PASS
