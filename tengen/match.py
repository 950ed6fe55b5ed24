"""``tengen match``: referee games between two GTP engines.

Why our own referee: gomill's ringmaster, the usual tool, is Python 2 only.

The referee keeps the authoritative game (``engine.game.Game`` under
``--rules``, Chinese by default: positional superko, no suicide), asks the
side to move for ``genmove``, checks the answer and relays it to the other
engine with ``play``.  A game ends

* on resignation;
* after two passes in a row, scored by tengen's area count with the dead
  stones estimated by playouts (``engine.status``), or with ``--score
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

Each game is written as SGF (``--sgf-dir``); a line per game goes to
stderr while the match runs, and a table of results (wins per engine and
per colour, the Elo difference with a 95 % interval) to stdout at the end.
"""

import datetime
import logging
import math
import os
import queue
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from engine.board import BLACK, WHITE
from engine.coords import CoordinateError, format_gtp, parse_gtp
from engine.game import Game, IllegalMove, result_string, rules_named
from engine.sgf import save_sgf
from engine.status import StatusConfig, final_score

log = logging.getLogger(__name__)

_COLOR_LETTER = {BLACK: "b", WHITE: "w"}
_COLOR_NAME = {BLACK: "black", WHITE: "white"}


@dataclass(frozen=True)
class MatchConfig:
    engine_a: str
    engine_b: str
    alternate: bool = False        # False: A takes Black in every game
    games: int = 2
    size: int = 19
    komi: float = 7.5
    rules: str = "chinese"
    time_per_move: float = 5.0
    grace: float = 5.0
    startup_timeout: float = 120.0
    max_moves: int | None = None   # None: 3 * size * size
    sgf_dir: str | None = None
    score: str = "tengen"          # "tengen" or "engine"
    status_playouts: int = 200

    @property
    def move_cap(self):
        return self.max_moves if self.max_moves is not None else 3 * self.size * self.size


class MatchError(RuntimeError):
    """The match cannot go on (an engine that will not start or refuses
    the board size); not the fault of one game."""


class EngineFailure(Exception):
    """The engine crashed (``kind`` "crash") or did not answer in time
    ("timeout")."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class GtpFailure(Exception):
    """The engine answered ``? message``."""


class GtpClient:
    """One GTP engine in a subprocess.  Its stdout is read on a thread so
    every command can have a deadline; its stderr is passed to the log at
    DEBUG level."""

    def __init__(self, command, label):
        self.command = command
        self.label = label
        self.proc = None
        self.fresh = True   # no genmove answered since the last start

    def start(self):
        try:
            argv = shlex.split(self.command)
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0)
        except (OSError, ValueError) as e:
            raise MatchError(f"cannot start {self.label} ({self.command!r}): {e}") from None
        self.lines = queue.Queue()
        self.fresh = True
        self.pumps = [threading.Thread(target=self._pump_stdout, args=(self.proc, self.lines), daemon=True),
                      threading.Thread(target=self._pump_stderr, args=(self.proc,), daemon=True)]
        for pump in self.pumps:
            pump.start()

    @staticmethod
    def _pump_stdout(proc, lines):
        for raw in iter(proc.stdout.readline, b""):
            lines.put(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        lines.put(None)

    def _pump_stderr(self, proc):
        for raw in iter(proc.stderr.readline, b""):
            log.debug("[%s] %s", self.label, raw.decode("utf-8", errors="replace").rstrip())

    def send(self, command, timeout):
        """The response text of ``command``; raises GtpFailure for a ``?``
        answer and EngineFailure when the engine dies or is too slow."""
        if self.proc is None or self.proc.poll() is not None:
            raise EngineFailure("crash", f"{self.label} is not running")
        try:
            self.proc.stdin.write((command + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except OSError:
            raise EngineFailure("crash", f"{self.label} stopped reading commands") from None
        deadline = time.monotonic() + timeout
        head, body = None, []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise EngineFailure("timeout", f"{self.label}: no answer to {command!r} "
                                               f"within {timeout:g} s") from None
            if line is None:
                raise EngineFailure("crash", f"{self.label} exited during {command!r}")
            if head is None:
                if line[:1] in ("=", "?"):
                    head = line
                elif line.strip():
                    log.debug("[%s] ignored output %r", self.label, line)
                continue
            if not line.strip():
                break
            body.append(line)
        first = head[1:].lstrip("0123456789").strip()
        text = "\n".join([first] + body if first else body)
        if head[0] == "?":
            raise GtpFailure(f"{self.label}: {command!r} failed: {text}")
        return text

    def close(self, kill=False):
        """Ask the engine to quit, and kill it if it does not; ``kill``
        skips the asking (an engine that timed out is still busy)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if kill and proc.poll() is None:
            proc.kill()
            proc.wait()
        elif proc.poll() is None:
            try:
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        # the pumps see end of file once the process is gone; wait for them
        # so no thread is inside a pipe's readline when the interpreter exits
        for pump in self.pumps:
            pump.join(timeout=5)

    def restart(self, kill=False):
        self.close(kill)
        self.start()


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

    @property
    def a_won(self):
        return self.winner is not None and self.winner == self.a_color


@dataclass
class MatchResult:
    config: MatchConfig
    labels: dict
    outcomes: list = field(default_factory=list)


class Referee:
    """Plays the match: ``run()`` returns a MatchResult."""

    def __init__(self, config):
        self.config = config
        self.rules = rules_named(config.rules)
        self.a = GtpClient(config.engine_a, "A")
        self.b = GtpClient(config.engine_b, "B")

    def run(self, progress=None):
        cfg = self.config
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
                outcome = self.play_game(i + 1, black, white, BLACK if a_black else WHITE)
                result.outcomes.append(outcome)
                if progress:
                    progress(outcome, black.label, white.label)
            return result
        finally:
            self.a.close()
            self.b.close()

    def _identify(self, client):
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

    def _setup(self, client):
        cfg = self.config
        if client.proc is None or client.proc.poll() is not None:
            client.restart()
        t = cfg.startup_timeout
        try:
            client.send(f"boardsize {cfg.size}", t)
            client.send("clear_board", t)
            client.send(f"komi {cfg.komi:g}", t)
        except GtpFailure as e:
            raise MatchError(f"{client.label} refuses the game settings: {e}") from None
        try:
            client.send(f"time_settings 0 {cfg.time_per_move:g} 1", t)
        except GtpFailure:
            log.info("%s does not take time_settings", client.label)

    def play_game(self, number, black, white, a_color):
        cfg = self.config
        start = time.monotonic()
        game = Game(cfg.size, cfg.komi, self.rules)
        engines = {BLACK: black, WHITE: white}
        comments = []

        def outcome(winner, result, reason, forfeit=None):
            if forfeit in ("timeout", "crash"):
                engines[3 - winner].restart(kill=True)
            oc = GameOutcome(number, a_color, winner, result, reason, len(game.moves),
                             time.monotonic() - start, forfeit)
            self._save(oc, game, comments, black.label, white.label)
            return oc

        def forfeit(color, kind, reason):
            winner = 3 - color
            letter = "BW"[winner - 1]
            return outcome(winner, f"{letter}+{'T' if kind == 'timeout' else 'F'}", reason, kind)

        for color, client in engines.items():
            try:
                self._setup(client)
            except EngineFailure as e:
                return forfeit(color, e.kind, str(e))
        while True:
            if len(game.moves) >= cfg.move_cap:
                return self._scored(game, black, white, outcome, f"move cap ({cfg.move_cap}) reached")
            color = game.to_move
            mover, other = engines[color], engines[3 - color]
            limit = cfg.time_per_move + cfg.grace
            if mover.fresh:
                limit = max(limit, cfg.startup_timeout)
            try:
                reply = mover.send(f"genmove {_COLOR_LETTER[color]}", limit)
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
                p = parse_gtp(word, cfg.size)
                game.play(p, color)
            except (CoordinateError, IllegalMove) as e:
                return forfeit(color, "illegal", f"{mover.label} played {reply!r}: {e}")
            comments.append(None)
            try:
                other.send(f"play {_COLOR_LETTER[color]} {format_gtp(p, cfg.size)}",
                           cfg.time_per_move + cfg.grace)
            except EngineFailure as e:
                return forfeit(3 - color, e.kind, str(e))
            except GtpFailure as e:
                return forfeit(3 - color, "failure", f"rejected a legal move: {e}")
            if game.is_over:
                return self._scored(game, black, white, outcome, "two passes")

    def _scored(self, game, black, white, outcome, why):
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

    def _save(self, oc, game, comments, black_label, white_label):
        cfg = self.config
        if not cfg.sgf_dir:
            return
        if comments:
            comments[-1] = oc.reason
        props = {"PB": black_label, "PW": white_label, "EV": "tengen match",
                 "GN": f"game {oc.number}", "DT": datetime.date.today().isoformat()}
        root = (f"{black_label} (black) vs {white_label} (white), {cfg.time_per_move:g} s per move"
                + ("" if comments else f"; {oc.reason}"))
        path = os.path.join(cfg.sgf_dir, f"game-{oc.number:03d}.sgf")
        save_sgf(game, path, comments=comments, properties=props, result=oc.result,
                 root_comment=root)


def _parse_score(text):
    """``B+3.5`` -> 3.5, ``W+2`` -> -2, ``0`` -> 0; ValueError otherwise."""
    t = text.strip().upper()
    if t in ("0", "DRAW", "JIGO"):
        return 0.0
    if len(t) > 2 and t[0] in "BW" and t[1] == "+":
        value = float(t[2:])
        if math.isfinite(value):
            return value if t[0] == "B" else -value
    raise ValueError(f"not a score: {text!r}")


# ---- statistics ------------------------------------------------------------

def elo_from_share(share):
    """Elo difference for an expected score ``share`` in [0, 1]."""
    if share <= 0:
        return -math.inf
    if share >= 1:
        return math.inf
    return -400 * math.log10(1 / share - 1)


def elo_interval(wins, draws, games, z=1.96):
    """(Elo, low, high) of A minus B from A's wins and the draws: the point
    estimate from A's score share, the interval from the Wilson score
    interval of that share (finite even at 0 or 100 %)."""
    if games <= 0:
        return math.nan, -math.inf, math.inf
    p = (wins + 0.5 * draws) / games
    denom = 1 + z * z / games
    centre = (p + z * z / (2 * games)) / denom
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / denom
    return elo_from_share(p), elo_from_share(centre - half), elo_from_share(centre + half)


def _fmt_elo(x):
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.0f}"


def results_table(result):
    """The match summary as text."""
    oc = result.outcomes
    n = len(oc)
    draws = sum(1 for o in oc if o.winner is None)
    rows = []
    for tag, is_a in (("A", True), ("B", False)):
        def won(o):
            return o.winner is not None and (o.a_won if is_a else not o.a_won)

        def color_of(o):
            return o.a_color if is_a else 3 - o.a_color
        as_b = [o for o in oc if color_of(o) == BLACK]
        as_w = [o for o in oc if color_of(o) == WHITE]
        rows.append((result.labels[tag], f"{sum(map(won, oc))}/{n}",
                     f"{sum(map(won, as_b))}/{len(as_b)}", f"{sum(map(won, as_w))}/{len(as_w)}"))
    width = max(len("engine"), *(len(r[0]) for r in rows))
    lines = [f"{'engine':<{width}}  {'wins':>7}  {'as black':>8}  {'as white':>8}"]
    lines += [f"{r[0]:<{width}}  {r[1]:>7}  {r[2]:>8}  {r[3]:>8}" for r in rows]
    black_wins = sum(1 for o in oc if o.winner == BLACK)
    white_wins = sum(1 for o in oc if o.winner == WHITE)
    lines.append(f"games {n}: black won {black_wins}, white won {white_wins}, drawn {draws}")
    a_wins = sum(1 for o in oc if o.a_won)
    elo, lo, hi = elo_interval(a_wins, draws, n)
    lines.append(f"Elo difference A - B: {_fmt_elo(elo)} (95% interval {_fmt_elo(lo)} .. {_fmt_elo(hi)})")
    kinds = ("illegal", "timeout", "crash", "failure")
    counts = {k: sum(1 for o in oc if o.forfeit == k) for k in kinds}
    lines.append("forfeits: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines)


# ---- command line ----------------------------------------------------------

def add_arguments(parser):
    d = MatchConfig("", "")
    fixed = parser.add_argument_group("fixed colours")
    fixed.add_argument("--black", metavar="CMD", help="command line of the engine playing Black")
    fixed.add_argument("--white", metavar="CMD", help="command line of the engine playing White")
    alt = parser.add_argument_group("alternating colours (A takes Black in odd games)")
    alt.add_argument("--engine-a", metavar="CMD", help="command line of engine A")
    alt.add_argument("--engine-b", metavar="CMD", help="command line of engine B")
    parser.add_argument("--games", type=int, default=d.games, help=f"games to play (default {d.games})")
    parser.add_argument("--size", type=int, default=d.size, help=f"board size (default {d.size})")
    parser.add_argument("--komi", type=float, default=d.komi, help=f"komi (default {d.komi})")
    parser.add_argument("--rules", default=d.rules, help=f"the referee's rules (default {d.rules})")
    parser.add_argument("--time-per-move", type=float, default=d.time_per_move, metavar="S",
                        help=f"seconds per move, sent as time_settings 0 S 1 (default {d.time_per_move:g})")
    parser.add_argument("--grace", type=float, default=d.grace, metavar="S",
                        help=f"extra seconds before a genmove counts as timed out (default {d.grace:g})")
    parser.add_argument("--startup-timeout", type=float, default=d.startup_timeout, metavar="S",
                        help="seconds allowed for an engine's first answers and first genmove "
                             f"(default {d.startup_timeout:g})")
    parser.add_argument("--max-moves", type=int, metavar="N",
                        help="move cap, passes included (default 3 x size x size)")
    parser.add_argument("--sgf-dir", metavar="DIR", help="write every game as DIR/game-NNN.sgf")
    parser.add_argument("--score", choices=("tengen", "engine"), default=d.score,
                        help="count finished games with tengen's area count and dead-stone estimate, "
                             "or ask the engines' final_score (default tengen)")
    parser.add_argument("--status-playouts", type=int, default=d.status_playouts,
                        help=f"playouts for tengen's dead-stone estimate (default {d.status_playouts})")
    parser.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), default="WARNING")


def config_from_args(args):
    """MatchConfig from parsed arguments; ValueError for a bad combination."""
    fixed = args.black is not None or args.white is not None
    alt = args.engine_a is not None or args.engine_b is not None
    if fixed == alt or (fixed and not (args.black and args.white)) or (alt and not (args.engine_a and args.engine_b)):
        raise ValueError("give either --black and --white, or --engine-a and --engine-b")
    if args.games < 1:
        raise ValueError("--games must be at least 1")
    if not 2 <= args.size <= 25:
        raise ValueError("--size must be 2..25")
    if not math.isfinite(args.komi):
        raise ValueError("--komi must be finite")
    if not args.time_per_move > 0 or not args.grace >= 0 or not args.startup_timeout > 0:
        raise ValueError("--time-per-move and --startup-timeout must be positive, --grace non-negative")
    if args.max_moves is not None and args.max_moves < 1:
        raise ValueError("--max-moves must be at least 1")
    if args.status_playouts < 1:
        raise ValueError("--status-playouts must be at least 1")
    rules_named(args.rules)
    return MatchConfig(
        engine_a=args.black if fixed else args.engine_a,
        engine_b=args.white if fixed else args.engine_b,
        alternate=alt, games=args.games, size=args.size, komi=args.komi, rules=args.rules,
        time_per_move=args.time_per_move, grace=args.grace, startup_timeout=args.startup_timeout,
        max_moves=args.max_moves, sgf_dir=args.sgf_dir, score=args.score,
        status_playouts=args.status_playouts)


def _report(outcome, black_label, white_label):
    print(f"game {outcome.number}: {black_label} (B) vs {white_label} (W): {outcome.result} "
          f"[{outcome.reason}] {outcome.moves} moves, {outcome.seconds:.1f} s",
          file=sys.stderr, flush=True)


def main(args):
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
        result = Referee(config).run(progress=_report)
    except (ValueError, MatchError) as e:
        print(f"tengen match: {e}", file=sys.stderr)
        return 2
    print(results_table(result))
    return 0
