"""``tengen match``: referee games between two GTP engines.

Why our own referee: gomill's ringmaster, the usual tool, is Python 2 only.

The referee keeps the authoritative game (``engine.game.Game`` under
``--rules``, Chinese by default: positional superko, no suicide), asks the
side to move for ``genmove``, checks the answer and relays it to the other
engine with ``play``.  A game ends

* on resignation;
* after two passes in a row, scored by tengen's area count with the dead
  stones estimated by playouts (``engine.dead_stones``), or with ``--score
  engine`` by the engines' own ``final_score`` (when both answer and
  disagree, tengen's count decides);
* at the move cap (``--max-moves``, default 3 x size x size moves, passes
  included), scored the same way as it stands;
* by forfeit: an illegal or unreadable move, a crash, a failed command, or
  a genmove that takes longer than ``--time-per-move`` plus ``--grace``
  seconds (the engine is told the limit with ``time_settings 0 T 1``).  An
  engine's first genmove after it starts may take ``--startup-timeout``
  instead (JIT compilation, loading networks).  A crashed or timed-out
  engine is restarted for the next game.

With ``--openings`` (an SGF file, folder or archive, such as an archive of
expert games) every game starts after the first ``--opening-moves`` moves of
a recorded game, played by the referee and sent to both engines with
``play`` (``tengen.referee.openings``); with alternating colours each opening is
played twice, colours swapped.

Each game is written as SGF (``--sgf-dir``); a line per game goes to
stderr while the match runs, and a table of results (wins per engine and
per colour, the Elo difference with a 95 % interval) to stdout at the end
(``tengen.referee.command``).
"""

import datetime
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.board import BLACK, WHITE
from engine.colors import COLOR_LETTERS
from engine.coords import CoordinateError, format_gtp, parse_gtp
from engine.dead_stones import StatusConfig, final_score
from engine.game import Game, IllegalMove
from engine.game_setup import GameSetup
from engine.handicap import fixed_handicap_points
from engine.scoring import result_string
from engine.sgf.write import save_sgf
from tengen.base.config import at_least, option, require, section
from tengen.gtp.client import EngineFailure, EngineStartError, GtpClient, GtpFailure

from .openings import Opening, load_openings

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class MatchConfig:
    """A match between engines A and B (``--engine-a/--engine-b``, colours
    alternating, or ``--black/--white``, fixed)."""
    engine_a: str
    engine_b: str
    alternate: bool = False        # False: A takes Black in every game
    games: int = option(2, help="games to play")
    setup: GameSetup = section(GameSetup, "board, komi and the referee's rules")
    time_per_move: float = option(5.0, metavar="S",
                                  help="seconds per move, sent as time_settings 0 S 1")
    grace: float = option(5.0, metavar="S",
                          help="extra seconds before a genmove counts as timed out")
    startup_timeout: float = option(
        120.0, metavar="S", help="seconds allowed for an engine's first answers and first genmove")
    max_moves: int | None = option(None, metavar="N",
                                   help="move cap, passes included (default 3 x size x size)")
    sgf_dir: str | None = option(None, metavar="DIR", help="write every game as DIR/game-NNN.sgf")
    score: str = option("tengen", choices=("tengen", "engine"),
                        help="count finished games with tengen's area count and dead-stone "
                             "estimate, or ask the engines' final_score")
    status_playouts: int = option(200, help="playouts for tengen's dead-stone estimate")
    handicap: int = option(0, metavar="N",
                           help="fixed handicap stones for Black in every game (GTP's points; "
                                "White moves first; usually with --komi 0.5); 0: even games")
    openings: str | None = option(
        None, metavar="PATH",
        help="start every game from the first --opening-moves moves of a game in PATH (SGF file, "
             "folder or archive; each opening played twice, colours swapped, when colours "
             "alternate); default: every game from the empty board")
    opening_moves: int = option(8, metavar="N",
                                help="moves of each recorded game played as the opening")
    opening_skip: int = option(0, metavar="K",
                               help="skip the first K usable openings of --openings (give each "
                                    "process of a match split across cores its own openings)")

    def __post_init__(self) -> None:
        require(bool(self.engine_a) and bool(self.engine_b),
                "give either --black and --white, or --engine-a and --engine-b")
        at_least(self, 1, "games", "max_moves", "status_playouts", "opening_moves")
        at_least(self, 0, "opening_skip")
        require(self.time_per_move > 0 and self.grace >= 0 and self.startup_timeout > 0,
                "--time-per-move and --startup-timeout must be positive, --grace non-negative")
        require(not (self.openings and self.handicap),
                "--openings and --handicap cannot be combined (openings come from even games)")
        if self.handicap:
            try:
                fixed_handicap_points(self.handicap, self.setup.size)
            except ValueError:
                n = self.setup.size
                raise ValueError(f"--handicap {self.handicap}: GTP defines no fixed handicap of "
                                 f"that many stones on {n}x{n}") from None

    @property
    def move_cap(self) -> int:
        return self.max_moves if self.max_moves is not None else 3 * self.setup.size ** 2


class MatchError(RuntimeError):
    """The match cannot go on (an engine that will not start or refuses
    the board size); not the fault of one game."""


@dataclass
class GameOutcome:
    number: int
    a_color: int
    winner: int | None       # BLACK, WHITE or None (jigo)
    result: str              # SGF RE value
    reason: str
    moves: int
    seconds: float
    forfeit: str | None = None   # "illegal", "timeout", "crash", "failure"
    opening: str | None = None   # Opening.describe() when the game began from one

    @property
    def a_won(self) -> bool:
        return self.winner is not None and self.winner == self.a_color


@dataclass
class MatchResult:
    config: MatchConfig
    labels: dict[str, str]
    outcomes: list[GameOutcome] = field(default_factory=list)


class Referee:
    """Plays the match: ``run()`` returns a MatchResult."""

    def __init__(self, config: MatchConfig) -> None:
        self.config = config
        self.rules = config.setup.rule_set
        self.a = GtpClient(config.engine_a, "A")
        self.b = GtpClient(config.engine_b, "B")

    def run(self, progress: Callable[[GameOutcome, str, str], object] | None = None,
            stop: Callable[[MatchResult], bool] | None = None) -> MatchResult:
        """Play the match; ``progress(outcome, black label, white label)``
        after each game; ``stop(result so far)`` returning True ends it
        early (a gate whose decision can no longer change).  A source of
        openings that cannot give enough raises ValueError before any
        engine starts."""
        cfg = self.config
        openings = self._openings()
        try:
            for client in (self.a, self.b):
                client.start()
                client.label = self._identify(client)
            result = MatchResult(cfg, {"A": self.a.label, "B": self.b.label})
            if cfg.sgf_dir:
                os.makedirs(cfg.sgf_dir, exist_ok=True)
            for i in range(cfg.games):
                a_black = not (cfg.alternate and i % 2 == 1)
                black, white = (self.a, self.b) if a_black else (self.b, self.a)
                opening = openings[i // 2 if cfg.alternate else i] if openings else None
                outcome = self.play_game(i + 1, black, white, BLACK if a_black else WHITE, opening)
                result.outcomes.append(outcome)
                if progress:
                    progress(outcome, black.label, white.label)
                if stop is not None and stop(result):
                    break
            return result
        except EngineStartError as e:
            raise MatchError(str(e)) from None
        finally:
            self.a.close()
            self.b.close()

    def _openings(self) -> list[Opening]:
        cfg = self.config
        if not cfg.openings:
            return []
        count = (cfg.games + 1) // 2 if cfg.alternate else cfg.games
        return load_openings(cfg.openings, count, cfg.opening_moves, cfg.setup.size, self.rules,
                             cfg.opening_skip)

    def _identify(self, client: GtpClient) -> str:
        """``name version`` as the engine reports them, prefixed A: / B:."""
        tag = client.label
        try:
            name = client.send("name", self.config.startup_timeout)
            try:
                version = client.send("version", self.config.startup_timeout)
            except GtpFailure:
                version = ""
        except (EngineFailure, GtpFailure) as e:
            raise MatchError(f"engine {tag} ({client.command!r}) does not answer GTP: {e}") from None
        return f"{tag}: {' '.join((name + ' ' + version).split())}"

    def _setup(self, client: GtpClient, handicap_points: list[int]) -> None:
        cfg = self.config
        if client.proc is None or client.proc.poll() is not None:
            client.restart()
        t = cfg.startup_timeout
        try:
            client.send(f"boardsize {cfg.setup.size}", t)
            client.send("clear_board", t)
            client.send(f"komi {cfg.setup.komi:g}", t)
        except GtpFailure as e:
            raise MatchError(f"{client.label} refuses the game settings: {e}") from None
        try:
            client.send(f"time_settings 0 {cfg.time_per_move:g} 1", t)
        except GtpFailure:
            log.info("%s does not take time_settings", client.label)
        if handicap_points:
            self._place_handicap(client, handicap_points)

    def _place_handicap(self, client: GtpClient, points: list[int]) -> None:
        """The same fixed handicap stones on ``client``'s board as on the
        referee's: ``fixed_handicap N`` where the engine places them where
        GTP says, else ``set_free_handicap`` with the referee's points."""
        t = self.config.startup_timeout
        n = self.config.setup.size
        wanted = sorted(format_gtp(p, n) for p in points)
        try:
            placed = sorted(v.upper() for v in client.send(f"fixed_handicap {len(points)}", t).split())
            if placed == wanted:
                return
            client.send("clear_board", t)
        except GtpFailure:
            pass
        try:
            client.send("set_free_handicap " + " ".join(wanted), t)
        except GtpFailure as e:
            raise MatchError(f"{client.label} refuses the handicap stones: {e}") from None

    def play_game(self, number: int, black: GtpClient, white: GtpClient, a_color: int,
                  opening: Opening | None = None) -> GameOutcome:
        cfg = self.config
        start = time.monotonic()
        game = Game(cfg.setup.size, cfg.setup.komi, self.rules)
        points = game.fixed_handicap(cfg.handicap) if cfg.handicap else []
        engines = {BLACK: black, WHITE: white}
        comments: list[str | None] = []

        def outcome(winner: int | None, result: str, reason: str,
                    forfeit: str | None = None) -> GameOutcome:
            if forfeit in ("timeout", "crash"):
                assert winner is not None       # a forfeit always has a winner
                engines[3 - winner].restart(kill=True)
            oc = GameOutcome(number, a_color, winner, result, reason, len(game.moves),
                             time.monotonic() - start, forfeit,
                             opening.describe(cfg.setup.size) if opening else None)
            self._save(oc, game, comments, black.label, white.label)
            return oc

        def forfeit(color: int, kind: str, reason: str) -> GameOutcome:
            winner = 3 - color
            letter = "BW"[winner - 1]
            return outcome(winner, f"{letter}+{'T' if kind == 'timeout' else 'F'}", reason, kind)

        for color, client in engines.items():
            try:
                self._setup(client, points)
            except EngineFailure as e:
                return forfeit(color, e.kind, str(e))
        for color, p in opening.moves if opening else ():
            game.play(p, color)
            comments.append(None)
            for side, client in engines.items():
                try:
                    client.send(f"play {COLOR_LETTERS[color]} {format_gtp(p, cfg.setup.size)}",
                                cfg.startup_timeout)
                except EngineFailure as e:
                    return forfeit(side, e.kind, str(e))
                except GtpFailure as e:
                    return forfeit(side, "failure", f"rejected an opening move: {e}")
        while True:
            if len(game.moves) >= cfg.move_cap:
                return self._scored(game, black, white, outcome, f"move cap ({cfg.move_cap}) reached")
            color = game.to_move
            mover, other = engines[color], engines[3 - color]
            limit = cfg.time_per_move + cfg.grace
            if mover.fresh:
                limit = max(limit, cfg.startup_timeout)
            try:
                reply = mover.send(f"genmove {COLOR_LETTERS[color]}", limit)
            except EngineFailure as e:
                return forfeit(color, e.kind, str(e))
            except GtpFailure as e:
                return forfeit(color, "failure", str(e))
            mover.fresh = False
            word = reply.strip().lower()
            if word == "resign":
                winner = 3 - color
                return outcome(winner, f"{'BW'[winner - 1]}+R", f"{mover.label} resigned")
            try:
                p = parse_gtp(word, cfg.setup.size)
                game.play(p, color)
            except (CoordinateError, IllegalMove) as e:
                return forfeit(color, "illegal", f"{mover.label} played {reply!r}: {e}")
            comments.append(None)
            try:
                other.send(f"play {COLOR_LETTERS[color]} {format_gtp(p, cfg.setup.size)}",
                           cfg.time_per_move + cfg.grace)
            except EngineFailure as e:
                return forfeit(3 - color, e.kind, str(e))
            except GtpFailure as e:
                return forfeit(3 - color, "failure", f"rejected a legal move: {e}")
            if game.is_over:
                return self._scored(game, black, white, outcome, "two passes")

    def _scored(self, game: Game, black: GtpClient, white: GtpClient,
                outcome: Callable[[int | None, str, str], GameOutcome], why: str) -> GameOutcome:
        score = None
        if self.config.score == "engine":
            answers = set()
            for client in (black, white):
                try:
                    answers.add(_parse_score(client.send("final_score", self.config.startup_timeout)))
                except (EngineFailure, GtpFailure, ValueError) as e:
                    log.warning("no final_score from %s: %s", client.label, e)
            if len(answers) == 1:
                score = answers.pop()
            elif answers:
                log.warning("the engines disagree on the score (%s); tengen counts",
                            ", ".join(result_string(s) for s in sorted(answers)))
        if score is None:
            score = final_score(game, StatusConfig(playouts=self.config.status_playouts))
        winner = BLACK if score > 0 else WHITE if score < 0 else None
        return outcome(winner, result_string(score), f"{why}, scored {result_string(score)}")

    def _save(self, oc: GameOutcome, game: Game, comments: list[str | None], black_label: str,
              white_label: str) -> None:
        cfg = self.config
        if not cfg.sgf_dir:
            return
        if comments:
            comments[-1] = oc.reason
        props = {"PB": black_label, "PW": white_label, "EV": "tengen match",
                 "GN": f"game {oc.number}", "DT": datetime.date.today().isoformat()}
        root = (f"{black_label} (black) vs {white_label} (white), {cfg.time_per_move:g} s per move"
                + (f"; opening: {oc.opening}" if oc.opening else "")
                + ("" if comments else f"; {oc.reason}"))
        path = os.path.join(cfg.sgf_dir, f"game-{oc.number:03d}.sgf")
        save_sgf(game, path, comments=comments, properties=props, result=oc.result,
                 root_comment=root)


def _parse_score(text: str) -> float:
    """``B+3.5`` -> 3.5, ``W+2`` -> -2, ``0`` -> 0; ValueError otherwise."""
    t = text.strip().upper()
    if t in ("0", "DRAW", "JIGO"):
        return 0.0
    if len(t) > 2 and t[0] in "BW" and t[1] == "+":
        value = float(t[2:])
        if math.isfinite(value):
            return value if t[0] == "B" else -value
    raise ValueError(f"not a score: {text!r}")
