"""The positions a query asks about: its game replayed, one ``Turn`` per
analysed turn (``query_turns``).

The game starts from ``initialStones`` with ``initialPlayer`` to move
(KataGo's default: the first move's player, else White when the board holds
handicap stones, else Black) and plays ``moves`` under the query's rules;
after each move the other colour is to move, and a colour may move twice
in a row, as in KataGo.  A move the rules forbid is KataGo's ``Illegal move
N: V`` error (N the turn it was played at) where KataGo itself accepts some
(a ko or superko repetition in the record): tengen's games keep their
rules.  White's handicap bonus (``whiteHandicapBonus``: N or N-1 points for
N handicap stones, KataGo's count: Black's setup stones and Black's first
moves before White's, when the setup holds no white stone and there are
two or more) is added to komi.
"""

from dataclasses import dataclass

from engine.board import BLACK, PASS, WHITE
from engine.coords import format_gtp, to_point
from engine.game import Game, IllegalMove

from .katago_rules import handicap_bonus_points, tengen_rules
from .queries import AnalysisQuery, QueryError, Vertex


@dataclass
class Turn:
    """One position to analyse: the game before move ``number``."""
    number: int
    game: Game
    priority: int


def _point(vertex: Vertex, n: int) -> int:
    return PASS if vertex is None else to_point(vertex[0], vertex[1], n)


def handicap_stones(query: AnalysisQuery) -> int:
    """KataGo's number of handicap stones (``computeNumHandicapStones``):
    none once the setup holds a white stone; else Black's setup stones
    and the non-pass moves of Black's opening run (an isolated White pass
    inside it does not end it), when they come to two or more."""
    colors = dict((v, c) for c, v in query.initial_stones).values()
    if WHITE in colors:
        return 0
    run = 0
    moves = query.moves
    for i, (color, vertex) in enumerate(moves):
        if color != BLACK:
            if i + 1 < len(moves) and moves[i + 1][0] != BLACK:
                run = 0
                break
            if vertex is None:
                continue
            break
        if vertex is not None:
            run += 1
    stones = sum(1 for c in colors if c == BLACK) + run
    return stones if stones > 1 else 0


def first_player(query: AnalysisQuery) -> int:
    """Who moves at turn 0: ``initialPlayer``, else the first move's
    player, else White after handicap stones (two or more black setup
    stones, no white one), else Black."""
    if query.initial_player is not None:
        return query.initial_player
    if query.moves:
        return query.moves[0][0]
    return WHITE if handicap_stones(query) else BLACK


def root_moves(query: AnalysisQuery, game: Game) -> frozenset | None:
    """The moves the root of ``game`` may play under the query's
    ``allowMoves`` or ``avoidMoves`` for the side to move (points and
    PASS), or None when they leave it free.  Every entry reaches the root
    (``untilDepth`` is at least 1); deeper plies are not restricted."""
    n, color = game.size, game.to_move
    allowed = [f for f in query.allow if f.color == color]
    if allowed:
        return frozenset(_point(v, n) for v in allowed[0].vertices)
    avoided = {_point(v, n) for f in query.avoid if f.color == color for v in f.vertices}
    if avoided:
        return frozenset(set(game.points()) | {PASS}) - avoided
    return None


def query_turns(query: AnalysisQuery) -> tuple[list[Turn], list[str]]:
    """(the turns ``query`` analyses, warnings about its rules); raises
    QueryError for setup stones without liberties or an illegal move."""
    n = query.size
    rules, warnings = tengen_rules(query.rules)
    komi = query.komi + handicap_bonus_points(query.rules, handicap_stones(query))
    game = Game(n, komi, rules)
    setup = {_point(v, n): c for c, v in query.initial_stones}
    try:
        game.set_setup(setup, to_move=first_player(query))
    except IllegalMove:
        raise QueryError("Setup stones without liberties", "initialStones", query.id) from None
    priority = dict(zip(query.turns, query.priorities))
    turns = []
    for number, (color, vertex) in enumerate(query.moves + ((None, None),)):
        if number in priority:
            turns.append(Turn(number, game.copy(), priority[number]))
        if color is None:
            break
        point = _point(vertex, n)
        try:
            game.play(point, color)
        except IllegalMove as e:
            raise QueryError(f"Illegal move {number}: {format_gtp(point, n)} ({e.reason})",
                             "moves", query.id) from None
    return turns, warnings
