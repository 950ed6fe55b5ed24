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
  as KataGo's own docs ask consumers to expect fields to come and go.
  Keys: ``interval N``, ``minmoves N`` (moves listed even unvisited),
  ``maxmoves N``; ``avoid``/``allow COLOUR VERTICES DEPTH`` (the moves
  searched at the root); KataGo's switches ``ownership``, ``movesOwnership``,
  ``pvVisits``/``pvEdgeVisits`` and ``rootInfo`` (the maps are the value
  network's ownership head, in the mover's frame, from the top left as
  KataGo prints them); ``ownershipStdev`` and ``movesOwnershipStdev`` are
  accepted and left out (a spread across the search tree, which tengen's
  ownership is not).
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
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engine import board as B
from engine.colors import COLOR_NAMES, is_color_word, parse_color
from engine.coords import CoordinateError, format_gtp, parse_gtp, point_to_index
from engine.clock import Clock
from engine.game import Game
from engine.moves import PASS
from engine.player import POLICY_MAP, SEARCH_ANALYSIS, VALUE_MAP, Player, with_mover
from mcts.analysis import PositionFigures
from mcts.search import MoveStats, Search, lcb
from nets.features import VALUE_PLANES, encode_batch, encode_state

from .protocol import AnalysisStream

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch at GTP start-up
    from nets.inference import Networks

# ``run(game, args, stream)`` of a player's command: the response text; a
# streaming command gets the response's stream, any other None
CommandRun = Callable[[Game, list[str], AnalysisStream | None], "str | None"]
# ``run(game, args, stream, clock)`` of a command that plays: (colour, move)
PlayingRun = Callable[[Game, list[str], AnalysisStream, Clock], tuple[int, int]]


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
    run: CommandRun | PlayingRun
    streaming: bool = False
    gogui: str | None = None
    plays: bool = False


PV_LENGTH = 16
DEFAULT_INTERVAL = 1.0      # seconds between lines when the GUI gives none
MIN_INTERVAL = 0.01
# KataGo's switches (``key true|false``): the ones tengen draws, and the ones
# it accepts and leaves out (a spread of ownership over the search: tengen's
# ownership is the network's map of the position, not a statistic of its tree)
_SWITCHES = {"ownership": "ownership", "movesownership": "moves_ownership",
             "pvvisits": "pv_visits", "pvedgevisits": "pv_visits", "rootinfo": "root_info"}
_IGNORED_SWITCHES = {"ownershipstdev", "movesownershipstdev"}


@dataclass(frozen=True)
class AnalysisRequest:
    color: int
    interval: float       # seconds
    minmoves: int = 0
    maxmoves: int = 0     # 0: no limit
    ownership: bool = False
    moves_ownership: bool = False
    pv_visits: bool = False
    root_info: bool = False
    root_moves: frozenset[int] | None = None    # avoid/allow: the moves searched at the root


def _count(word: str, what: str) -> int:
    if not (word.isascii() and word.isdigit()):
        raise ValueError(f"{what} must be a non-negative integer")
    return int(word)


def _switch(word: str, what: str) -> bool:
    if word.lower() not in ("true", "false"):
        raise ValueError(f"{what} must be true or false")
    return word.lower() == "true"


def _vertices(word: str, n: int) -> set[int]:
    """``D4,Q16,pass``: board points (KataGo and Leela Zero separate them
    with commas)."""
    out: set[int] = set()
    for v in word.split(","):
        if v:
            try:
                out.add(parse_gtp(v, n))
            except CoordinateError as e:
                raise ValueError(f"bad vertex {v!r} in avoid/allow: {e}") from None
    return out


def parse_request(args: Sequence[str], game: Game) -> AnalysisRequest:
    """``[colour] [interval] [key value ...]`` as Leela Zero and KataGo
    take them (interval in centiseconds).  ``avoid`` and ``allow``
    (``COLOUR VERTICES UNTIL_DEPTH``) restrict the moves searched at the
    root when they name the side analysed and a depth of at least 1; the
    search does not restrict deeper moves."""
    args = list(args)
    color, interval = game.to_move, None
    counts = {"minmoves": 0, "maxmoves": 0}
    switches: dict[str, bool] = {}
    avoided: set[int] = set()
    allowed: set[int] | None = None
    i = 0
    if i < len(args) and is_color_word(args[i]):
        color = parse_color(args[i])
        i += 1
    if i < len(args) and args[i].isascii() and args[i].isdigit():
        interval = int(args[i])
        i += 1
    while i < len(args):
        key = args[i].lower()
        if key in ("interval", "minmoves", "maxmoves") or key in _SWITCHES \
                or key in _IGNORED_SWITCHES:
            if i + 1 >= len(args):
                raise ValueError(f"{key} needs a value")
            if key == "interval":
                interval = _count(args[i + 1], "interval")
            elif key in counts:
                counts[key] = _count(args[i + 1], key)
            elif key in _SWITCHES:     # pvVisits and pvEdgeVisits: either asks for both
                switches[_SWITCHES[key]] = _switch(args[i + 1], key) or \
                    switches.get(_SWITCHES[key], False)
            else:
                _switch(args[i + 1], key)
            i += 2
        elif key in ("avoid", "allow"):
            if i + 3 >= len(args) or not is_color_word(args[i + 1]):
                raise ValueError(f"{key} needs a colour, vertices and a depth")
            who = parse_color(args[i + 1])
            points = _vertices(args[i + 2], game.size)
            depth = _count(args[i + 3], f"{key} depth")
            if key == "allow":
                if allowed is not None:
                    raise ValueError("allow may be given once")
                allowed = points if who == color and depth >= 1 else None
            elif who == color and depth >= 1:
                avoided |= points
            i += 4
        else:
            raise ValueError(f"unknown analysis option {args[i]!r}")
    if allowed is not None and avoided:
        raise ValueError("avoid and allow cannot be given together")
    root_moves = None
    if allowed is not None:
        root_moves = frozenset(allowed)
    elif avoided:
        root_moves = frozenset(set(game.points()) | {PASS}) - avoided
    seconds = DEFAULT_INTERVAL if interval is None else max(MIN_INTERVAL, interval / 100)
    return AnalysisRequest(color, seconds, counts["minmoves"], counts["maxmoves"],
                           root_moves=root_moves, **switches)


def listed_moves(stats: list[MoveStats], req: AnalysisRequest) -> list[MoveStats]:
    """The moves a line shows: every searched one, padded with the most
    probable unsearched ones up to ``minmoves``, cut at ``maxmoves``."""
    shown = [s for s in stats if s.visits > 0]
    if len(shown) < req.minmoves:
        shown = stats[:req.minmoves]
    return shown[:req.maxmoves] if req.maxmoves else shown


def _x10k(p: float) -> int:
    return min(10000, max(0, round(p * 10000)))


def lz_info(stats: list[MoveStats], n: int, req: AnalysisRequest,
            figures: PositionFigures | None = None, search: Search | None = None) -> str:
    """One Leela Zero analysis line (empty when nothing is searched)."""
    parts = []
    for order, s in enumerate(listed_moves(stats, req)):
        pv = " ".join(format_gtp(p, n) for p in s.pv)
        parts.append(f"info move {format_gtp(s.move, n)} visits {s.visits} "
                     f"winrate {_x10k(s.winrate)} prior {_x10k(s.prior)} lcb {_x10k(lcb(s))} "
                     f"order {order} pv {pv}")
    return " ".join(parts)


def _map_text(own: np.ndarray) -> str:
    """An ownership map (n, n; row 0 is line 1) as KataGo prints it: row by
    row from the top left (A19 on 19x19) to the bottom right."""
    return " ".join(f"{v:.6f}" for v in np.asarray(own)[::-1].ravel())


def kata_info(stats: list[MoveStats], n: int, req: AnalysisRequest,
              figures: PositionFigures | None = None, search: Search | None = None) -> str:
    """One KataGo analysis line (empty when nothing is searched).
    ``figures``: the position's ``mcts.analysis.PositionFigures`` with a
    value network (the score fields and the maps are left out without one,
    as KataGo's docs let consumers expect fields to come and go);
    ``search``: the search, for ``rootInfo``."""
    parts = []
    shown = listed_moves(stats, req)
    if not shown:
        return ""
    moves = [s.move for s in shown]
    scores = figures.leads(moves) if figures is not None else None
    maps = figures.ownership_after(moves) if figures is not None and req.moves_ownership \
        else None
    for order, s in enumerate(shown):
        pv = " ".join(format_gtp(p, n) for p in s.pv)
        low = lcb(s)
        score = ""
        if scores is not None and scores[order] is not None:
            # KataGo: scoreMean is "the same as scoreLead", kept for older tools
            score = f"scoreMean {scores[order]:.3f} scoreLead {scores[order]:.3f} "
        line = (f"info move {format_gtp(s.move, n)} visits {s.visits} "
                f"utility {s.q:.6f} winrate {s.winrate:.6f} {score}prior {s.prior:.6f} "
                f"lcb {low:.6f} utilityLcb {2 * low - 1:.6f} order {order} pv {pv}")
        if req.pv_visits:
            visits = " ".join(str(v) for v in s.pv_visits)
            line += f" pvVisits {visits} pvEdgeVisits {visits}"
        own = maps[order] if maps is not None else None
        if own is not None:
            line += " movesOwnership " + _map_text(own)
        parts.append(line)
    if req.root_info and search is not None:
        q = search.root_value()
        root = (f"rootInfo visits {search.root_visits()} utility {q:.6f} "
                f"winrate {(q + 1) / 2:.6f}")
        if figures is not None:
            lead = figures.root_lead(stats)
            root += f" scoreMean {lead:.3f} scoreLead {lead:.3f}"
        parts.append(root)
    if req.ownership and figures is not None:
        parts.append("ownership " + _map_text(figures.ownership()))
    return " ".join(parts)


def _reporter(fmt: "InfoFormat", n: int, req: AnalysisRequest, stream: AnalysisStream,
              figures: PositionFigures | None = None) -> Callable[[Search], None]:
    def report(search: Search) -> None:
        stats = search.root_stats(PV_LENGTH, pv_visits=req.pv_visits)
        line = fmt(stats, n, req, figures, search)
        if line:
            stream.write(line)
    return report


def _figures_for(fmt: "InfoFormat", player: "NetworkPlayer", game: Game, color: int
                 ) -> PositionFigures | None:
    """The value network's figures for KataGo's format, when one is loaded."""
    if fmt is not kata_info:
        return None
    nets = player.networks_for(game.size)
    return PositionFigures(nets, game, color) if nets.has_value else None


def analyze_command(player: "SearchingPlayer", fmt: "InfoFormat") -> CommandRun:
    """``lz-analyze``-style: search until the GUI sends a line."""
    def run(game: Game, args: list[str], stream: AnalysisStream | None) -> None:
        assert stream is not None       # a streaming command
        req = parse_request(args, game)
        player.prepare(game)          # a missing model is an error, not an empty stream
        stream.begin()
        report = _reporter(fmt, game.size, req, stream,
                           _figures_for(fmt, player, game, req.color))
        search = player.think(game, req.color, stop=stream.interrupted, callback=report,
                              callback_every=req.interval, early_stop=False,
                              root_moves=req.root_moves)
        # the search only ends early when its tree is full: repeat the result
        while not stream.wait(req.interval):
            report(search)
        return None
    return run


def genmove_analyze_command(player: "SearchingPlayer", fmt: "InfoFormat") -> PlayingRun:
    """``lz-genmove_analyze``-style: genmove with analysis lines."""
    def run(game: Game, args: list[str], stream: AnalysisStream, clock: Clock
            ) -> tuple[int, int]:
        started = time.perf_counter()
        req = parse_request(args, game)
        player.prepare(game)
        stream.begin()
        report = _reporter(fmt, game.size, req, stream,
                           _figures_for(fmt, player, game, req.color))
        move = player.genmove(game, req.color, clock, report=report, report_every=req.interval,
                              started=started, root_moves=req.root_moves)
        return req.color, move
    return run


# ---- GoGui heat maps -------------------------------------------------------

# cold (unlikely / losing) to hot (likely / winning)
_RAMP = ["#3050ff", "#3c8cff", "#40c0f0", "#40e0b0", "#80f070",
         "#c8f050", "#ffe040", "#ffb030", "#ff7020", "#ff2010"]


def _heat_lines(points: Sequence[int], values: np.ndarray, labels: Sequence[str], n: int,
                text: str) -> str:
    """gfx lines: each point coloured by ``values`` (in [0, 1]) and labelled."""
    lines = []
    buckets: dict[int, list[str]] = {}
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


def _heat_args(args: list[str], game: Game) -> int:
    if len(args) > 1 or (args and not is_color_word(args[0])):
        raise ValueError("syntax error")
    return parse_color(args[0]) if args else game.to_move


def _candidates(game: Game, color: int) -> list[int]:
    """Legal moves (superko included) that do not fill ``color``'s own eye."""
    s = game.state
    return [p for p in game.points()
            if s[B.COLOR + p] == B.EMPTY and not B.is_eye(s, p, color) and game.legal(p, color)]


def _name(color: int) -> str:
    return COLOR_NAMES[color].capitalize()


def policy_heatmap(get_nets: Callable[[int], "Networks"]) -> CommandRun:
    def run(game: Game, args: list[str], stream: AnalysisStream | None) -> str:
        color = _heat_args(args, game)
        nets = get_nets(game.size)
        g = with_mover(game, color)
        n = g.size
        probs = nets.policy(encode_state(g.state, value=True)[None])[0]
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


def value_heatmap(get_nets: Callable[[int], "Networks"]) -> CommandRun:
    def run(game: Game, args: list[str], stream: AnalysisStream | None) -> str:
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
    commands: list[PlayerCommand] = []
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
              early_stop: bool = True, root_moves: Collection[int] | None = None) -> Search: ...

    def genmove(self, game: Game, color: int, clock: Clock | None, cleanup: bool = False,
                report: Callable[[Search], None] | None = None, report_every: float = 1.0,
                started: float | None = None,
                root_moves: Collection[int] | None = None) -> int: ...


class NetworkPlayer(Protocol):
    """What the heat maps ask of a player that declares ``POLICY_MAP`` or
    ``VALUE_MAP``."""

    def networks_for(self, size: int) -> "Networks": ...


# one analysis line in a GUI's format (``lz_info``, ``kata_info``)
InfoFormat = Callable[[list[MoveStats], int, AnalysisRequest, PositionFigures | None,
                       Search | None], str]


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
