"""The analysis commands GUIs use to show what the engine thinks.

* ``lz-analyze`` / ``kata-analyze [colour] [interval] [key value ...]``:
  search the current position until the GUI sends any line, printing every
  ``interval`` centiseconds one line with every searched move, best first,
  from the side to move's point of view.  Leela Zero's format has integers
  (x 10000): ``info move Q16 visits 80 winrate 4405 prior 1828 lcb 4379
  order 0 pv Q16 D4 info move D4 ...``; KataGo's has floats in [0, 1] and
  its utility (our win rate on [-1, 1]) and, with a value network,
  ``scoreLead`` (and ``scoreMean``, KataGo's older name for it): the side
  to move's lead after the move from the ownership head
  (``nets.score.lead_after``); without one the score fields are left out,
  as KataGo's own docs ask consumers to expect fields to come and go.  Keys: ``interval N``, ``minmoves N`` (moves
  listed even unvisited), ``maxmoves N``; ``avoid``/``allow`` and KataGo's
  ``ownership``-style switches are accepted and ignored.
* ``lz-genmove_analyze`` / ``kata-genmove_analyze``: ``genmove`` (same time
  management) printing the same lines while it thinks, then ``play
  <vertex>``; like KataGo's, it is not cut short by input.
* ``tengen-policy_heatmap`` / ``tengen-value_heatmap [colour]``: GoGui
  ``gfx`` boards: the policy network's probability at every legal point,
  and the value network's win rate after every legal move (AlphaGo's
  Figure 5), as coloured squares with percentage labels.

When the search tree is full the analysis keeps printing its last result
until it is stopped, so memory stays bounded however long a GUI analyses.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engine import board as B
from engine.colors import COLOR_NAMES, is_color_word, parse_color
from engine.coords import format_gtp, point_to_index
from engine.clock import Clock
from engine.game import Game
from engine.player import POLICY_MAP, SEARCH_ANALYSIS, VALUE_MAP, Player, with_mover
from mcts.search import Search, lcb
from nets.features import VALUE_PLANES, encode_batch, encode_state

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch at GTP start-up
    from nets.inference import Networks


@dataclass(frozen=True)
class PlayerCommand:
    """An extra GTP command a player provides (analysis and the like).

    ``run(game, args, stream)`` gets the current game, the command's
    arguments (strings) and, for ``streaming`` commands, an
    ``tengen.gtp.protocol.AnalysisStream`` (``None`` otherwise).  It returns the response text
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


PV_LENGTH = 16
DEFAULT_INTERVAL = 1.0      # seconds between lines when the GUI gives none
MIN_INTERVAL = 0.01
_IGNORED_SWITCHES = {"ownership", "ownershipstdev", "pvvisits", "pvedgevisits", "rootinfo",
                     "movesownership", "movesownershipstdev"}


@dataclass(frozen=True)
class AnalysisRequest:
    color: int
    interval: float       # seconds
    minmoves: int = 0
    maxmoves: int = 0     # 0: no limit


def _count(word, what):
    if not (word.isascii() and word.isdigit()):
        raise ValueError(f"{what} must be a non-negative integer")
    return int(word)


def parse_request(args, game):
    """``[colour] [interval] [key value ...]`` as Leela Zero and KataGo
    take them (interval in centiseconds)."""
    args = list(args)
    color, interval = game.to_move, None
    minmoves = maxmoves = 0
    i = 0
    if i < len(args) and is_color_word(args[i]):
        color = parse_color(args[i])
        i += 1
    if i < len(args) and args[i].isascii() and args[i].isdigit():
        interval = int(args[i])
        i += 1
    while i < len(args):
        key = args[i].lower()
        if key in ("interval", "minmoves", "maxmoves") or key in _IGNORED_SWITCHES:
            if i + 1 >= len(args):
                raise ValueError(f"{key} needs a value")
            if key == "interval":
                interval = _count(args[i + 1], "interval")
            elif key == "minmoves":
                minmoves = _count(args[i + 1], "minmoves")
            elif key == "maxmoves":
                maxmoves = _count(args[i + 1], "maxmoves")
            i += 2
        elif key in ("avoid", "allow"):
            # avoid|allow COLOUR VERTICES UNTIL_DEPTH: accepted, not applied
            if i + 3 >= len(args) or not is_color_word(args[i + 1]):
                raise ValueError(f"{key} needs a colour, vertices and a depth")
            _count(args[i + 3], f"{key} depth")
            i += 4
        else:
            raise ValueError(f"unknown analysis option {args[i]!r}")
    seconds = DEFAULT_INTERVAL if interval is None else max(MIN_INTERVAL, interval / 100)
    return AnalysisRequest(color, seconds, minmoves, maxmoves)


def listed_moves(stats, req):
    """The moves a line shows: every searched one, padded with the most
    probable unsearched ones up to ``minmoves``, cut at ``maxmoves``."""
    shown = [s for s in stats if s.visits > 0]
    if len(shown) < req.minmoves:
        shown = stats[:req.minmoves]
    return shown[:req.maxmoves] if req.maxmoves else shown


def _x10k(p):
    return min(10000, max(0, round(p * 10000)))


def lz_info(stats, n, req):
    """One Leela Zero analysis line (empty when nothing is searched)."""
    parts = []
    for order, s in enumerate(listed_moves(stats, req)):
        pv = " ".join(format_gtp(p, n) for p in s.pv)
        parts.append(f"info move {format_gtp(s.move, n)} visits {s.visits} "
                     f"winrate {_x10k(s.winrate)} prior {_x10k(s.prior)} lcb {_x10k(lcb(s))} "
                     f"order {order} pv {pv}")
    return " ".join(parts)


def kata_info(stats, n, req, leads=None):
    """One KataGo analysis line (empty when nothing is searched).
    ``leads(moves)``: the side to move's score lead after each move, or
    None when there is no score estimate (the score fields are then left
    out, as KataGo's docs let consumers expect)."""
    parts = []
    shown = listed_moves(stats, req)
    scores = leads([s.move for s in shown]) if leads is not None else None
    for order, s in enumerate(shown):
        pv = " ".join(format_gtp(p, n) for p in s.pv)
        low = lcb(s)
        score = ""
        if scores is not None and scores[order] is not None:
            # KataGo: scoreMean is "the same as scoreLead", kept for older tools
            score = f"scoreMean {scores[order]:.3f} scoreLead {scores[order]:.3f} "
        parts.append(f"info move {format_gtp(s.move, n)} visits {s.visits} "
                     f"utility {s.q:.6f} winrate {s.winrate:.6f} {score}prior {s.prior:.6f} "
                     f"lcb {low:.6f} utilityLcb {2 * low - 1:.6f} order {order} pv {pv}")
    return " ".join(parts)


class MoveLeads:
    """The score lead after each root move of one position, from the
    value network's ownership head (``nets.score.lead_after``), computed
    once per move however many lines report it."""

    def __init__(self, nets, game, color):
        self.nets, self.game, self.color = nets, with_mover(game, color), color
        self.known = {}

    def __call__(self, moves):
        from nets.score import lead_after

        todo = [p for p in moves if p not in self.known]
        if todo:
            found = lead_after(self.nets, self.game, self.color, todo)
            if found is None:
                return None
            self.known.update(zip(todo, found))
        return [self.known[p] for p in moves]


def _reporter(fmt, n, req, stream, leads=None):
    def report(search):
        stats = search.root_stats(PV_LENGTH)
        line = fmt(stats, n, req, leads) if leads is not None else fmt(stats, n, req)
        if line:
            stream.write(line)
    return report


def _leads_for(fmt, player, game, color):
    """A MoveLeads for KataGo's format when a value network is loaded."""
    if fmt is not kata_info:
        return None
    nets = player.networks_for(game.size)
    return MoveLeads(nets, game, color) if nets.has_value else None


def analyze_command(player, fmt):
    """``lz-analyze``-style: search until the GUI sends a line."""
    def run(game, args, stream):
        req = parse_request(args, game)
        player.prepare(game)          # a missing model is an error, not an empty stream
        stream.begin()
        report = _reporter(fmt, game.size, req, stream, _leads_for(fmt, player, game, req.color))
        search = player.think(game, req.color, stop=stream.interrupted, callback=report,
                              callback_every=req.interval, early_stop=False)
        # the search only ends early when its tree is full: repeat the result
        while not stream.wait(req.interval):
            report(search)
        return None
    return run


def genmove_analyze_command(player, fmt):
    """``lz-genmove_analyze``-style: genmove with analysis lines."""
    def run(game, args, stream, clock):
        started = time.perf_counter()
        req = parse_request(args, game)
        player.prepare(game)
        stream.begin()
        report = _reporter(fmt, game.size, req, stream, _leads_for(fmt, player, game, req.color))
        move = player.genmove(game, req.color, clock, report=report, report_every=req.interval,
                              started=started)
        return req.color, move
    return run


# ---- GoGui heat maps -------------------------------------------------------

# cold (unlikely / losing) to hot (likely / winning)
_RAMP = ["#3050ff", "#3c8cff", "#40c0f0", "#40e0b0", "#80f070",
         "#c8f050", "#ffe040", "#ffb030", "#ff7020", "#ff2010"]


def _heat_lines(points, values, labels, n, text):
    """gfx lines: each point coloured by ``values`` (in [0, 1]) and labelled."""
    lines = []
    buckets = {}
    for p, v in zip(points, values):
        k = min(len(_RAMP) - 1, max(0, int(v * len(_RAMP))))
        buckets.setdefault(k, []).append(format_gtp(p, n))
    for k in sorted(buckets):
        lines.append(f"COLOR {_RAMP[k]} " + " ".join(buckets[k]))
    pairs = [f"{format_gtp(p, n)} {lab}" for p, lab in zip(points, labels) if lab]
    if pairs:
        lines.append("LABEL " + " ".join(pairs))
    lines.append("TEXT " + text)
    return "\n".join(lines)


def _heat_args(args, game):
    if len(args) > 1 or (args and not is_color_word(args[0])):
        raise ValueError("syntax error")
    return parse_color(args[0]) if args else game.to_move


def _candidates(game, color):
    """Legal moves (superko included) that do not fill ``color``'s own eye."""
    s = game.state
    return [p for p in game.points()
            if s[B.COLOR + p] == B.EMPTY and not B.is_eye(s, p, color) and game.legal(p, color)]


def _name(color):
    return COLOR_NAMES[color].capitalize()


def policy_heatmap(get_nets):
    def run(game, args, stream):
        color = _heat_args(args, game)
        nets = get_nets(game.size)
        g = with_mover(game, color)
        n = g.size
        probs = nets.policy(encode_state(g.state)[None])[0]
        points = _candidates(g, color)
        idx = [point_to_index(p, n) for p in points]
        pr = probs[idx] if points else np.zeros(0)
        top = float(pr.max()) if len(pr) else 0.0
        values = pr / top if top > 0 else pr
        labels = [str(round(100 * x)) if x >= 0.005 else "" for x in pr]
        best = format_gtp(points[int(np.argmax(pr))], n) if points else "pass"
        text = (f"{_name(color)} to move: policy best {best} {100 * top:.1f}%, "
                f"pass {100 * float(probs[n * n]):.1f}%")
        return _heat_lines(points, values, labels, n, text)
    return run


def value_heatmap(get_nets):
    def run(game, args, stream):
        color = _heat_args(args, game)
        nets = get_nets(game.size)
        if nets.value_net is None:
            raise ValueError("no value network loaded")
        g = with_mover(game, color)
        n = g.size
        points = _candidates(g, color)
        if not points:
            return f"TEXT {_name(color)} to move: no move but pass"
        states = np.repeat(g.state[None, :], len(points), axis=0)
        nj = np.zeros(0, np.int64)
        for row, p in zip(states, points):
            B.play(row, nj, p, color)
        wins = np.empty(len(points))
        for i in range(0, len(points), 64):
            chunk = states[i:i + 64]
            planes = np.zeros((len(chunk), VALUE_PLANES, n, n), np.uint8)
            encode_batch(chunk, planes)
            # the value is the opponent's (to move after the move)
            wins[i:i + len(chunk)] = (1.0 - nets.value(planes).astype(np.float64)) / 2
        lo, hi = float(wins.min()), float(wins.max())
        values = (wins - lo) / (hi - lo) if hi > lo else np.full(len(wins), 0.5)
        labels = [str(round(100 * w)) for w in wins]
        best = format_gtp(points[int(np.argmax(wins))], n)
        text = (f"{_name(color)} to move: value network best {best} {100 * hi:.1f}%, "
                f"worst {100 * lo:.1f}% (win rate after each move)")
        return _heat_lines(points, values, labels, n, text)
    return run


def player_commands(player: Player) -> list[PlayerCommand]:
    """The GTP commands ``player`` offers beyond the standard ones: those of
    each analysis it declares (``Player.analyses``), in a fixed order, and
    any its class declares itself (a ``gtp_commands()`` method returning
    ``PlayerCommand``s)."""
    commands = []
    for analysis, build in ANALYSIS_COMMANDS.items():
        if analysis in player.analyses:
            commands += build(player)
    own = getattr(player, "gtp_commands", None)
    return commands + (own() if own is not None else [])


class SearchingPlayer(Protocol):
    """What the live-analysis commands ask of a player that declares
    ``SEARCH_ANALYSIS`` (``mcts.player.SearchPlayer`` is one)."""

    def prepare(self, game: Game) -> Search: ...

    def networks_for(self, size: int) -> "Networks": ...

    def think(self, game: Game, color: int, visits: int | None = None,
              stop: Callable[[], bool] | None = None,
              callback: Callable[[Search], None] | None = None, callback_every: float = 1.0,
              early_stop: bool = True) -> Search: ...

    def genmove(self, game: Game, color: int, clock: Clock | None, cleanup: bool = False,
                report: Callable[[Search], None] | None = None, report_every: float = 1.0,
                started: float | None = None) -> int: ...


class NetworkPlayer(Protocol):
    """What the heat maps ask of a player that declares ``POLICY_MAP`` or
    ``VALUE_MAP``."""

    def networks_for(self, size: int) -> "Networks": ...


def search_commands(player: SearchingPlayer) -> list[PlayerCommand]:
    """The live-analysis commands of a searching player."""
    return [
        PlayerCommand("lz-analyze", analyze_command(player, lz_info), streaming=True),
        PlayerCommand("kata-analyze", analyze_command(player, kata_info), streaming=True),
        PlayerCommand("lz-genmove_analyze", genmove_analyze_command(player, lz_info),
                      streaming=True, plays=True),
        PlayerCommand("kata-genmove_analyze", genmove_analyze_command(player, kata_info),
                      streaming=True, plays=True),
    ]


def policy_map_commands(player: NetworkPlayer) -> list[PlayerCommand]:
    return [PlayerCommand("tengen-policy_heatmap", policy_heatmap(player.networks_for),
                          gogui="gfx/Policy heat map")]


def value_map_commands(player: NetworkPlayer) -> list[PlayerCommand]:
    return [PlayerCommand("tengen-value_heatmap", value_heatmap(player.networks_for),
                          gogui="gfx/Value heat map")]


# every analysis a player may declare, and the commands that show it
ANALYSIS_COMMANDS: dict[str, Callable[[Any], list[PlayerCommand]]] = {
    SEARCH_ANALYSIS: search_commands,
    POLICY_MAP: policy_map_commands,
    VALUE_MAP: value_map_commands,
}
