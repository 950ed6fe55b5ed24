"""The Go commands of tengen's GTP engine: game state, rules, clock, player.

Loaded by ``gtp_server`` only when the first Go command arrives, because
importing ``engine`` imports Numba; ``name`` and ``protocol_version`` answer
before that.

Every command runs as a transaction (``_guarded``): the game, komi, rules
and clock are saved before it and put back when it fails, so a failing
command never half-changes the game, and the player is told to start over
(``new_game``) if its view may have moved on.
"""

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Protocol, cast

import numpy as np

from engine.ascii import to_ascii
from engine.board import BLACK, PASS, WHITE
from engine.clock import Clock, TimeControl
from engine.colors import COLOR_NAMES, parse_color
from engine.coords import CoordinateError, format_gtp, parse_gtp
from engine.dead_stones import StatusConfig, chains, final_score, stone_status
from engine.game import Game, IllegalMove
from engine.handicap import fixed_handicap_points, spread_points
from engine.moves import RESIGN
from engine.player import Player
from engine.rules import rules_named
from engine.scoring import result_string
from engine.sgf.read import load_sgf
from engine.sgf.record import SGFError
from engine.sgf.write import game_to_sgf, save_sgf
from engine.sizes import MAX_SIZE, MIN_SIZE

from .analysis_commands import CommandRun, PlayerCommand, PlayingRun, player_commands
from .config import EngineConfig
from .protocol import AnalysisStream, GtpError, GtpServer

log = logging.getLogger(__name__)

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

# GoGui's analyze menu for the built-in commands ("type/label/command")
_GOGUI_BUILTIN = [
    "string/Final Score/final_score",
    "plist/Dead Stones/final_status_list dead",
    "plist/Seki Stones/final_status_list seki",
    "string/Show Board/showboard",
]


def parse_int(word: str) -> int:
    if not _INT.fullmatch(word):
        raise GtpError("syntax error")
    return int(word)


def parse_number(word: str) -> float:
    """A finite decimal number (no ``nan``, ``inf`` or ``1_000``)."""
    if not _FLOAT.fullmatch(word):
        raise GtpError("syntax error")
    value = float(word)
    if not math.isfinite(value):
        raise GtpError("syntax error")
    return value


def parse_gtp_color(word: str) -> int:
    try:
        return parse_color(word)
    except ValueError:
        raise GtpError("invalid color") from None


def _arity(args: list[str], *counts: int) -> None:
    if len(args) not in counts:
        raise GtpError("syntax error")


class _Handler(Protocol):
    """A registered command's handler: the arguments, and the response's
    stream for a streaming command (a ``tengen.gtp.protocol`` plain or
    streaming handler both)."""

    def __call__(self, args: list[str], stream: AnalysisStream | None = None) -> str | None: ...


class GtpEngine:
    """Game state and the handlers of the Go commands.  ``config`` is the
    ``tengen.gtp.config.EngineConfig``; ``player`` an ``engine.player.Player``."""

    def __init__(self, config: EngineConfig, player: Player):
        self.config = config
        self.rules = config.setup.rule_set
        self.komi = float(config.setup.komi)
        self.game = Game(config.setup.size, self.komi, self.rules)
        self.clock = Clock()
        self.player = player
        self.player_commands = player_commands(player)
        self.status_config = StatusConfig(playouts=config.status_playouts,
                                          seed=1 if config.seed is None else config.seed)

    # ---- registration ---------------------------------------------------
    def handlers(self) -> dict[str, Callable[[list[str]], str]]:
        return {
            "boardsize": self.boardsize,
            "clear_board": self.clear_board,
            "komi": self.set_komi,
            "play": self.play,
            "genmove": self.genmove,
            "reg_genmove": self.reg_genmove,
            "kgs-genmove_cleanup": self.genmove_cleanup,
            "undo": self.undo,
            "showboard": self.showboard,
            "fixed_handicap": self.fixed_handicap,
            "place_free_handicap": self.place_free_handicap,
            "set_free_handicap": self.set_free_handicap,
            "final_score": self.final_score,
            "final_status_list": self.final_status_list,
            "time_settings": self.time_settings,
            "time_left": self.time_left,
            "kgs-time_settings": self.kgs_time_settings,
            "kgs-rules": self.kgs_rules,
            "loadsgf": self.loadsgf,
            "printsgf": self.printsgf,
            "gogui-analyze_commands": self.gogui_analyze_commands,
        }

    def register(self, server: GtpServer) -> None:
        for name, func in self.handlers().items():
            server.register(name, self._guarded(func))
        for pc in self.player_commands:
            if pc.name in server.commands:
                raise ValueError(f"player command {pc.name!r} clashes with a GTP command")
            server.register(pc.name, self._guarded(self._player_command(pc)), streaming=pc.streaming)

    def _player_command(self, pc: PlayerCommand) -> _Handler:
        if pc.plays:
            plays = cast(PlayingRun, pc.run)        # PlayerCommand.plays says which run it is

            def run_playing(args: list[str], stream: AnalysisStream | None = None) -> str:
                assert stream is not None           # a command that plays streams its lines
                start = time.monotonic()
                color, move = plays(self.game, args, stream, self.clock)
                return "play " + self._commit(color, move, start)
            return run_playing
        answers = cast(CommandRun, pc.run)

        def run(args: list[str], stream: AnalysisStream | None = None) -> str | None:
            return answers(self.game, args, stream)
        return run

    def _guarded(self, func: Callable[..., str | None]) -> _Handler:
        def run(args: list[str], stream: AnalysisStream | None = None) -> str | None:
            saved = (self.game.copy(), self.komi, self.rules, self.clock.copy())
            try:
                return func(args) if stream is None else func(args, stream)
            except Exception:
                old_game = self.game
                self.game, self.komi, self.rules, self.clock = saved
                if not _same_game(old_game, self.game):
                    try:
                        self.player.new_game(self.game)
                    except Exception:
                        log.exception("player could not reset after a failed command")
                raise
        return run

    # ---- helpers --------------------------------------------------------
    def _vertex(self, word: str) -> int:
        try:
            return parse_gtp(word, self.game.size)
        except CoordinateError:
            raise GtpError("invalid coordinate") from None

    def _fmt(self, p: int) -> str:
        return format_gtp(p, self.game.size)

    def _new_game(self, game: Game) -> None:
        self.game = game
        self.clock.reset()
        self.player.new_game(game)

    def _board_empty(self) -> None:
        if self.game.moves or self.game.setup:
            raise GtpError("board not empty")

    # ---- setting up -----------------------------------------------------
    def boardsize(self, args: list[str]) -> str:
        _arity(args, 1)
        n = parse_int(args[0])
        if not MIN_SIZE <= n <= MAX_SIZE:
            raise GtpError("unacceptable size")
        self._new_game(Game(n, self.komi, self.rules))
        return ""

    def clear_board(self, args: list[str]) -> str:
        _arity(args, 0)
        self._new_game(Game(self.game.size, self.komi, self.rules))
        return ""

    def set_komi(self, args: list[str]) -> str:
        _arity(args, 1)
        self.komi = parse_number(args[0])
        self.game.komi = self.komi
        self.player.new_game(self.game)
        return ""

    def kgs_rules(self, args: list[str]) -> str:
        """``kgs-rules chinese|japanese|aga|new_zealand``: the game so far is
        replayed under the new rules (and refused if it breaks them)."""
        _arity(args, 1)
        try:
            rules = rules_named(args[0])
        except ValueError:
            raise GtpError("unknown rules") from None
        old = self.game
        game = Game(old.size, old.komi, rules)
        try:
            if old.setup or old.first_to_move != BLACK:
                game.set_setup(dict(old.setup), old.first_to_move)
            game.handicap = old.handicap
            for c, p in old.moves:
                game.play(p, c)
        except IllegalMove as e:
            raise GtpError(f"the game so far breaks these rules ({e.reason})") from None
        self.rules = rules
        self.game = game
        self.player.new_game(game)
        return ""

    def fixed_handicap(self, args: list[str]) -> str:
        _arity(args, 1)
        n = parse_int(args[0])
        self._board_empty()
        try:
            points = fixed_handicap_points(n, self.game.size)
        except ValueError:
            raise GtpError("invalid number of stones") from None
        self.game.place_handicap(points)
        self.player.new_game(self.game)
        return " ".join(self._fmt(p) for p in points)

    def place_free_handicap(self, args: list[str]) -> str:
        """The fixed points where GTP defines them; beyond that (or on small
        boards) each next stone goes where it is farthest from the others."""
        _arity(args, 1)
        n = parse_int(args[0])
        self._board_empty()
        size = self.game.size
        if not 2 <= n <= size * size - 1:
            raise GtpError("invalid number of stones")
        points = spread_points(n, size)
        self.game.place_handicap(points)
        self.player.new_game(self.game)
        return " ".join(self._fmt(p) for p in points)

    def set_free_handicap(self, args: list[str]) -> str:
        self._board_empty()
        size = self.game.size
        try:
            points = [parse_gtp(v, size) for v in args]
        except CoordinateError:
            raise GtpError("bad vertex list") from None
        if (PASS in points or len(set(points)) != len(points)
                or not 2 <= len(points) <= size * size - 1):
            raise GtpError("bad vertex list")
        try:
            self.game.place_handicap(points)
        except ValueError:
            raise GtpError("bad vertex list") from None
        self.player.new_game(self.game)
        return ""

    def loadsgf(self, args: list[str]) -> str:
        """``loadsgf FILE [MOVE]``: the position before move number MOVE
        (default: after the last move); size and komi from the file."""
        _arity(args, 1, 2)
        upto = None
        if len(args) == 2:
            number = parse_int(args[1])
            if number < 1:
                raise GtpError("syntax error")
            upto = number - 1
        try:
            game = load_sgf(args[0]).to_game(rules=self.rules, upto=upto)
        except SGFError as e:
            log.warning("loadsgf: %s", e)
            raise GtpError("cannot load file") from None
        self.komi = game.komi
        self._new_game(game)
        return ""

    def printsgf(self, args: list[str]) -> str:
        """``printsgf`` answers the game as SGF; ``printsgf FILE`` writes it."""
        _arity(args, 0, 1)
        if not args:
            return game_to_sgf(self.game)
        try:
            save_sgf(self.game, args[0])
        except OSError as e:
            raise GtpError(f"cannot save file: {e.strerror or e}") from None
        return ""

    # ---- moves ----------------------------------------------------------
    def play(self, args: list[str]) -> str:
        _arity(args, 2)
        color = parse_gtp_color(args[0])
        p = self._vertex(args[1])
        try:
            self.game.play(p, color)
        except IllegalMove:
            raise GtpError("illegal move") from None
        self.player.played(self.game, color, p)
        return ""

    def _generate(self, args: list[str], commit: bool, cleanup: bool = False) -> str:
        _arity(args, 1)
        color = parse_gtp_color(args[0])
        start = time.monotonic()
        move = self.player.genmove(self.game, color, self.clock, cleanup=cleanup)
        return self._commit(color, move, start, commit)

    def _commit(self, color: int, move: int, start: float, commit: bool = True) -> str:
        """Charge the clock for a generated move (asked for at ``start``),
        check it and play it; returns its vertex (or ``resign``)."""
        if commit:
            self.clock.charge(color, time.monotonic() - start)
        if move == RESIGN:
            return "resign"
        if not isinstance(move, (int, np.integer)):
            raise GtpError(f"player returned {move!r}, not a move")
        move = int(move)
        reason = self.game.why_illegal(move, color)
        if reason:
            raise GtpError(f"player chose an illegal move ({reason})")
        if commit:
            self.game.play(move, color)
            self.player.played(self.game, color, move)
        return self._fmt(move)

    def genmove(self, args: list[str]) -> str:
        return self._generate(args, commit=True)

    def reg_genmove(self, args: list[str]) -> str:
        return self._generate(args, commit=False)

    def genmove_cleanup(self, args: list[str]) -> str:
        return self._generate(args, commit=True, cleanup=True)

    def undo(self, args: list[str]) -> str:
        _arity(args, 0)
        if not self.game.undo():
            raise GtpError("cannot undo")
        self.player.undone(self.game)
        return ""

    # ---- looking at the game --------------------------------------------
    def showboard(self, args: list[str]) -> str:
        _arity(args, 0)
        g = self.game
        last = "none" if not g.moves else self._fmt(g.moves[-1][1])
        info = (f"{COLOR_NAMES[g.to_move]} to move, move {g.move_number}, last {last}, "
                f"captures black {g.captures(BLACK)} white {g.captures(WHITE)}, "
                f"komi {g.komi:g}, rules {g.rules.name}")
        return "\n" + to_ascii(g, coordinates=True) + "\n" + info

    def final_score(self, args: list[str]) -> str:
        _arity(args, 0)
        return result_string(final_score(self.game, self.status_config))

    def final_status_list(self, args: list[str]) -> str:
        """One line per chain with the asked status."""
        _arity(args, 1)
        wanted = args[0].lower()
        if wanted not in ("alive", "dead", "seki"):
            raise GtpError("syntax error")
        status = stone_status(self.game, self.status_config)
        return "\n".join(" ".join(self._fmt(p) for p in chain)
                         for chain in chains(self.game) if status[chain[0]] == wanted)

    def gogui_analyze_commands(self, args: list[str]) -> str:
        _arity(args, 0)
        extra = [f"{pc.gogui}/{pc.name}" for pc in self.player_commands if pc.gogui]
        return "\n".join(_GOGUI_BUILTIN + extra)

    # ---- time -----------------------------------------------------------
    def time_settings(self, args: list[str]) -> str:
        _arity(args, 3)
        main, byo = parse_number(args[0]), parse_number(args[1])
        stones = parse_int(args[2])
        try:
            self.clock.set_control(TimeControl.from_gtp(main, byo, stones))
        except ValueError:
            raise GtpError("syntax error") from None
        self._prepare_player()
        return ""

    def _prepare_player(self) -> None:
        """A clock is about to run: let the player load what it needs now.
        A failure here is only logged; the first move reports it."""
        if self.clock.control.system == "none":
            return
        try:
            self.player.prepare(self.game)
        except Exception as e:
            log.warning("the player could not get ready: %s", e)

    def kgs_time_settings(self, args: list[str]) -> str:
        """``kgs-time_settings none | absolute MAIN | byoyomi MAIN PERIOD
        PERIODS | canadian MAIN PERIOD STONES``."""
        if not args:
            raise GtpError("syntax error")
        system = args[0].lower()
        counts = {"none": 1, "absolute": 2, "byoyomi": 4, "canadian": 4}
        if system not in counts or len(args) != counts[system]:
            raise GtpError("syntax error")
        try:
            if system == "none":
                control = TimeControl()
            elif system == "absolute":
                control = TimeControl("absolute", parse_number(args[1]))
            elif system == "byoyomi":
                control = TimeControl("byoyomi", parse_number(args[1]), parse_number(args[2]),
                                      periods=parse_int(args[3]))
            else:
                control = TimeControl("canadian", parse_number(args[1]), parse_number(args[2]),
                                      period_stones=parse_int(args[3]))
        except ValueError:
            raise GtpError("syntax error") from None
        self.clock.set_control(control)
        self._prepare_player()
        return ""

    def time_left(self, args: list[str]) -> str:
        _arity(args, 3)
        color = parse_gtp_color(args[0])
        seconds, stones = parse_number(args[1]), parse_int(args[2])
        try:
            self.clock.time_left(color, seconds, stones)
        except ValueError:
            raise GtpError("syntax error") from None
        return ""


def _same_game(a: Game, b: Game) -> bool:
    return (a.size == b.size and a.komi == b.komi and a.rules == b.rules
            and a.setup == b.setup and a.first_to_move == b.first_to_move and a.moves == b.moves)
