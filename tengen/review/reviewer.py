"""Searching every position of a game's main line (``Reviewer``).

For move ``i`` by colour ``c`` the position before it is searched with
``c`` to move; the position after it is the next move's position, searched
anyway, so each position is searched once and the tree of the move played
is reused for the next (``Search.set_position``): with a visit budget only
the missing visits are searched.  The win rate of a position is the
search's best move's (the most visited), from the side to move.  The loss
of a move is what it gave away against the best move the search found,
read within that one search wherever it read the move played (at least
``SAME_SEARCH_VISITS`` visits): the best move's win rate less the played
move's, two children of one root searched side by side, from the same
side; nothing for the best move itself, and never below nothing (the
search preferred its best).  Only a move the search barely looked at is
measured against the next position's own search (from the other side, to
a different depth): against a much stronger engine's judgement that
ranked the moves' losses better (BENCHMARKS.md, "Agreement with a strong
judge").
The last position is searched too (the win rate after the last move); a
game that ended with two passes is scored instead (area count with the
estimated dead stones).

The score lead is read from the value network through its calibration
(``nets.score``: the ownership head summed and the value head, averaged
over the board's eight symmetries), and so are the win rates (the search's,
mapped by the calibration; the search itself runs on the raw values).
Every move that is not the search's best gets a stake: what it gives up
against the better move after each side's line (``stakes``).  The shipped network is biased
by who is to move (about five points to the side to move) and by who moved
last (a few points to the player who just moved): a sawtooth along the
game.  So like is compared with like: a move's points lost are the
positions after the best move and after the move played, the same player
having just moved and the opponent to move in both (the move played being
the best loses exactly nothing).  A position's score (the graph's) is the
mean of its two sides to move, less the last mover's bias measured on the
game itself (``last_mover_bias``).  A move's score after is the next
position's, its score before that plus the points lost.  Without a value network there is no score
(``None``); a finished game's score is its count.
"""

import time
from collections.abc import Callable

from engine.board import BLACK, PASS, WHITE
from engine.colors import COLOR_LETTERS
from engine.coords import format_gtp, parse_gtp
from engine.dead_stones import final_score
from engine.game import Game, IllegalMove
from engine.rules import Rules
from engine.sgf.record import GameRecord, SGFError
from mcts.analysis import PositionSearch, networks_of
from mcts.search import MoveStats, Search
from nets.score import black_leads, both_sides, winrate

from .config import AnalyzeConfig
from .schema import Candidate, GameReview, MoveReview, Position
from .stakes import StakeQuery, stakes

PV_LENGTH = 12
SAME_SEARCH_VISITS = 10     # visits of the move played from which its loss is read in one search
OPENING_MOVES_19 = 50       # 19x19: moves 1-50 the opening, 51-150 the middle game
ENDGAME_FROM_19 = 151


def phase_of(number: int, size: int) -> str:
    """``opening``, ``middle`` or ``endgame`` for move ``number`` (1-based),
    the 19x19 limits scaled by the board's area."""
    area = size * size / 361
    if number <= round(OPENING_MOVES_19 * area):
        return "opening"
    if number >= round(ENDGAME_FROM_19 * area):
        return "endgame"
    return "middle"


def last_mover_bias(series: list[float], signs: list[int]) -> float:
    """The points a score series gives the side that just moved, on top of
    the game's course: ``signs[k]`` is +1 when Black made the last move
    before position ``k``, -1 for White, 0 for none (the start, a counted
    end).  Where the movers alternate, a constant bias ``b`` makes every
    position stand ``2b`` (signed) off its neighbours' mean, and a smooth
    course does not: ``b`` is half the mean of those signed deviations."""
    found = [signs[k] * (series[k] - (series[k - 1] + series[k + 1]) / 2)
             for k in range(1, len(series) - 1)
             if signs[k] and signs[k - 1] == signs[k + 1] == -signs[k]]
    return sum(found) / len(found) / 2 if found else 0.0


class _Seen:
    """What the search said about one position (``game``, with ``mover``
    to move); the score estimates are filled in later, in Black's frame."""

    def __init__(self, game: Game, mover: int, winrate: float, visits: int,
                 stats: list[MoveStats]):
        self.game = game.copy()
        self.mover = mover
        self.winrate = winrate
        self.visits = visits
        self.stats = stats
        self.score_black: float | None = None       # mean of both sides to move
        self.after_best: float | None = None        # Black's lead after the best move
        self.after_played: float | None = None      # ... after the move played (set by caller)


def _frame(value: float, seen_by: int, wanted: int, flip: Callable[[float], float]) -> float:
    return value if seen_by == wanted else flip(value)


class Reviewer:
    """Reviews games with one position search (its networks loaded once per
    board size), the same one ``tengen analysis`` and the GTP player use."""

    def __init__(self, config: AnalyzeConfig, positions: PositionSearch | None = None):
        self.config = config
        self.positions = positions or PositionSearch(config.networks, config.search_config())

    def budget_settings(self) -> dict:
        visits, seconds = self.config.budget
        return {"visits": visits, "seconds": seconds, "rollouts": self.config.rollouts}

    # ---- one position -------------------------------------------------------
    def search(self, game: Game, color: int) -> Search:
        """Search ``game``'s position with ``color`` to move within the budget."""
        visits, seconds = self.config.budget
        return self.positions.analyse(game, color, visits=visits, seconds=seconds)

    def _look(self, game: Game, color: int) -> _Seen:
        if game.is_over:
            margin = final_score(game)
            mine = margin if color == BLACK else -margin
            return _Seen(game, color, 1.0 if mine > 0 else 0.0 if mine < 0 else 0.5, 0, [])
        search = self.search(game, color)
        stats = search.root_stats(PV_LENGTH)
        if stats and stats[0].visits > 0:
            raw = stats[0].winrate
        else:
            raw = (search.root_value() + 1) / 2
        return _Seen(game, color, winrate(search.nets, raw), search.root_visits(), stats)

    # ---- the score estimate -------------------------------------------------
    def _scores(self, seen: list[_Seen], moves: list[tuple[int, int]]) -> None:
        """Fill in the score estimates of ``seen`` (module docstring)."""
        asks = []
        for s in seen:
            asks += both_sides(s.game)
        for s, (c, _) in zip(seen, moves):
            after = s.game.copy()
            best = s.stats[0].move if s.stats else PASS
            try:
                after.play(best, c)
            except IllegalMove:
                after = s.game
            asks.append((after, 3 - c))
        leads = black_leads(networks_of(self.positions.ensure(seen[0].game.size)), asks)
        if leads is None:
            return
        series = [(leads[2 * k] + leads[2 * k + 1]) / 2 for k in range(len(seen))]
        signs = [0] + [1 if c == BLACK else -1 for c, _ in moves]
        signs = [0 if s.game.is_over else sign for s, sign in zip(seen, signs)]  # counted: exact
        bias = last_mover_bias(series, signs)
        for s, value, sign in zip(seen, series, signs):
            s.score_black = value - sign * bias
        for k, (s, (c, _)) in enumerate(zip(seen, moves)):
            s.after_best = leads[2 * len(seen) + k]
            s.after_played = leads[2 * (k + 1) + (1 if c == BLACK else 0)]

    # ---- what a move puts at stake -------------------------------------------
    def _stakes(self, seen: list[_Seen], moves: list[MoveReview]) -> None:
        """Fill in the stake (``tengen.review.stakes``) of every move that is
        not the search's best, from the two lines the search found."""
        queries, which = [], []
        for m, before, after in zip(moves, seen, seen[1:]):
            if not m.is_best and m.best_pv and not before.game.is_over:
                color = BLACK if m.color == "B" else WHITE
                queries.append(StakeQuery(before.game, color, m.best_pv, after.game,
                                          m.refutation))
                which.append(m)
        found = stakes(networks_of(self.positions.ensure(seen[0].game.size)), queries)
        for m, stake in zip(which, found or []):
            m.stake = stake

    # ---- the second pass ------------------------------------------------------
    def _recheck(self, seen: list[_Seen], moves: list[MoveReview]) -> None:
        """Search again the ``config.recheck`` moves that lost most win rate
        in the first pass (the search's best move excepted): from the
        position before each, the better move alone and the move played
        alone, ``config.recheck_visits`` visits each in a fresh tree: in the
        first pass the move played often had a small share of the search,
        here both moves are read as deep as each other.  Off by default: it
        agreed less with a strong judge (BENCHMARKS.md)."""
        picked = sorted((m for m in moves if not m.is_best and not seen[m.number - 1].game.is_over),
                        key=lambda m: (-m.winrate_loss, m.number))[:self.config.recheck]
        for m in picked:
            before = seen[m.number - 1]
            n = before.game.size
            search = self.positions.ensure(n)
            found = []
            for vertex in (m.best_move, m.move):
                search.new_tree()
                point = parse_gtp(vertex, n)
                done = self.positions.analyse(before.game, before.mover,
                                              visits=self.config.recheck_visits,
                                              root_moves=[point])
                mine = [x for x in done.root_stats(1) if x.move == point and x.visits > 0]
                found.append(winrate(done.nets, mine[0].winrate) if mine else None)
            if None not in found:
                m.winrate_before, m.winrate_after = found      # type: ignore[assignment]
                m.recheck_visits = self.config.recheck_visits
        if picked:
            self.positions.ensure(seen[0].game.size).new_tree()

    # ---- one game -----------------------------------------------------------
    def review(self, record: GameRecord, rules: Rules, name: str, fingerprint: str,
               progress: Callable[[int, int], None] | None = None) -> GameReview:
        """Search every position of ``record``'s main line under ``rules``;
        the moves come back unclassed (``mistakes.classify``).  Raises
        SGFError when a move is illegal under ``rules``."""
        started = time.perf_counter()
        record.to_game(rules)                     # an illegal move is reported before searching
        game = record.to_game(rules, upto=0)
        n = game.size
        self.positions.ensure(n).new_tree()
        seen = []
        total = len(record.moves) + 1
        for i, (c, p) in enumerate(record.moves):
            seen.append(self._look(game, c))
            try:
                game.play(p, c)
            except IllegalMove as e:     # not reached after to_game's check
                raise SGFError(f"{record.source}: move {i + 1} is illegal: {e.reason}") from None
            if progress is not None:
                progress(i + 1, total)
        seen.append(self._look(game, game.to_move))
        if progress is not None:
            progress(total, total)
        self._scores(seen, record.moves)
        moves = [self._move(i, c, p, seen[i], seen[i + 1], n)
                 for i, (c, p) in enumerate(record.moves)]
        self._recheck(seen, moves)
        self._stakes(seen, moves)
        positions = [Position(k, COLOR_LETTERS[s.mover],
                              _frame(s.winrate, s.mover, BLACK, lambda w: 1 - w),
                              s.score_black, s.visits)
                     for k, s in enumerate(seen)]
        return GameReview(name=name, source=record.source, fingerprint=fingerprint,
                          game=game_info(record, game), settings=self.budget_settings(),
                          positions=positions, moves=moves,
                          elapsed_s=time.perf_counter() - started)

    def _move(self, i: int, color: int, point: int, before: _Seen, after: _Seen,
              n: int) -> MoveReview:
        stats = before.stats
        played = next((s for s in stats if s.move == point), None)
        rank = prior = None
        if played is not None:
            prior = played.prior
            rank = 1 + sum(1 for s in stats if s.prior > played.prior)
        best = stats[0] if stats else None
        k = self.config.candidates
        nets = self.positions.ensure(n).nets
        candidates = [Candidate(format_gtp(s.move, n), s.visits,
                                round(winrate(nets, s.winrate), 5),
                                round(s.prior, 5), [format_gtp(m, n) for m in s.pv])
                      for s in stats[:k] if s.visits > 0]
        def mine(lead: float | None) -> float | None:
            return None if lead is None else _frame(lead, BLACK, color, lambda x: -x)
        # after: the graph's (both sides to move); before: that plus what the
        # best move would have gained, compared with the same side to move
        score_after = score_before = mine(after.score_black)
        if score_after is not None:
            best_lead, played_lead = mine(before.after_best), mine(before.after_played)
            assert best_lead is not None and played_lead is not None    # set with the scores
            score_before = score_after + best_lead - played_lead
        winrate_after = _frame(after.winrate, after.mover, color, lambda w: 1 - w)
        if played is not None and best is not None and played.visits >= SAME_SEARCH_VISITS:
            # read in the same search (module docstring)
            winrate_after = (before.winrate if played is best
                             else min(before.winrate, winrate(nets, played.winrate)))
        return MoveReview(
            number=i + 1, color=COLOR_LETTERS[color], move=format_gtp(point, n),
            winrate_before=before.winrate,
            winrate_after=winrate_after,
            score_before=score_before, score_after=score_after,
            best_move=format_gtp(best.move, n) if best else format_gtp(PASS, n),
            best_pv=[format_gtp(m, n) for m in best.pv] if best else [],
            played_visits=played.visits if played is not None else 0,
            visits=before.visits, policy_prior=prior, policy_rank=rank,
            phase=phase_of(i + 1, n), candidates=candidates,
            refutation=[format_gtp(m, n) for m in after.stats[0].pv] if after.stats else [])


def game_info(record: GameRecord, game: Game) -> dict:
    """The ``game`` object of the JSON (``schema``)."""
    n = game.size
    prop = record.properties

    def one(key: str) -> str | None:
        values = prop.get(key)
        return values[0] if values else None
    return {
        "size": n, "komi": game.komi, "rules": game.rules.name, "handicap": record.handicap,
        "result": record.result, "black": one("PB"), "white": one("PW"), "date": one("DT"),
        "event": one("EV"), "first_to_move": COLOR_LETTERS[record.first_to_move],
        "setup": {COLOR_LETTERS[c]: sorted(format_gtp(p, n) for p, col in record.setup.items()
                                           if col == c) for c in (BLACK, WHITE)},
    }
