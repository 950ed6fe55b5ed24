"""Many self-play games at once, one network call serving every board in flight.

Why across games: a network call on one position costs nearly as much as
on sixteen (``BENCHMARKS.md``, "Net"), and a game is a chain of dependent
moves, so the only way to fill a batch in policy play is with other games.
Every step, each unfinished board is assigned the network whose turn it is
(the learner, its pool opponent, the SL policy of a value game, or the
uniformly random move of a value game); the boards of each network are
encoded in one compiled call and evaluated in one network call, and every
board then moves.

How a move is chosen: the policy's probabilities over the *sensible*
points (the encoder's sensibleness plane: legal under simple ko, not
filling one's own true eye), raised to 1/T, sampled with the game's own
generator (so a game depends on its seed only, not on what else is in the
batch); a move that repeats a whole-board position (superko) is struck and
the choice redrawn.  Passes: the policy may choose to pass from
``min_pass_move`` on; after the opponent's pass, a player passes when the
count (``pass_margin``) says passing wins and never passes into a loss while
it has a sensible move; with no sensible move left it passes.

Resignation: every ``resign_check_every`` moves of a game the value network
judges the mover's position (one batched call); ``resign_checks`` judgements
in a row below ``resign_threshold`` resign the game, except in the
``no_resign_share`` of games, which play on and remember who *would* have
resigned, so that false resignations can be counted.

With ``GameConfig.visits`` > 0 the moves come from the search instead
(``selfplay.search_moves``), the trees of all boards batched the same way.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from engine import board as B
from engine.board import BLACK, WHITE
from engine.coords import index_to_point
from engine.dead_stones import StatusConfig, final_score, ownership_counts
from engine.game import Game, IllegalMove
from engine.move_choice import ResignCounter, draw, opponent_passed, softmax_weights
from engine.moves import PASS
from engine.scoring import result_string
from mcts.search import Search
from nets.data import ownership_percent, percent_from_counts
from nets.features import VALUE_PLANES, encode_batch, offset

from .config import GameConfig
from .search_moves import SearchMoves, pass_rule

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch
    from nets.inference import Networks

RANDOM = "random"           # the uniformly random move of a value game
_SENSIBLE = offset("sensibleness")


@dataclass(frozen=True)
class GameSpec:
    """Who plays one game.  ``black``/``white`` name networks (keys of the
    ``nets`` mapping given to ``GameRunner``).  A value-position game
    (``random_move_at`` >= 0) plays moves before that number with
    ``before`` (the SL policy), that move uniformly at random among the
    legal points, and the rest with ``black``/``white`` (the RL policy)."""
    seed: int
    black: str
    white: str
    resign: bool = True
    learner: int = 0                 # colour of the network being trained (0: none)
    opponent: int = -1               # the opponent's pool version
    random_move_at: int = -1
    before: str | None = None

    def player(self, move_number: int, color: int) -> str:
        if self.random_move_at >= 0:
            if move_number < self.random_move_at:
                return self.before or self.black
            if move_number == self.random_move_at:
                return RANDOM
        return self.black if color == BLACK else self.white


@dataclass
class PlayedGame:
    """A finished game and what training needs from it."""
    spec: GameSpec
    game: Game
    ownership: np.ndarray                         # int8 (n*n,) Black's frame, percent
    sampled: list[bool] = field(default_factory=list)   # per move: chosen by sampling a network
    winner: int = 0                               # BLACK, WHITE or 0 (jigo)
    score: float = float("nan")                   # Black minus White (nan: resigned)
    result: str = ""                              # SGF RE value
    resigned: int = 0                             # the colour that resigned
    would_resign: int = 0                         # no-resign game: who would have resigned
    sample: int = -1                              # value position: moves before it
    end: str = ""                                 # "two passes", "resignation", "move cap"

    @property
    def false_resignation(self) -> bool:
        """A no-resign game whose would-be resigner went on to win."""
        return self.would_resign != 0 and self.winner == self.would_resign


class _Board:
    """One game in flight."""

    def __init__(self, spec: GameSpec, cfg: GameConfig):
        self.spec = spec
        self.game = Game(cfg.setup.size, cfg.setup.komi, cfg.setup.rule_set)
        self.rng = np.random.default_rng(spec.seed)
        self.sampled: list[bool] = []
        self.resign = {c: ResignCounter(cfg.resign_rule) for c in (BLACK, WHITE)}
        self.searches: dict[str, Search] = {}     # each network's tree (search moves)
        self.resigned = 0
        self.would_resign = 0
        self.sample = -1

    @property
    def seed(self) -> int:
        return self.spec.seed

    def who(self) -> str:
        return self.spec.player(len(self.game.moves), self.game.to_move)

    def play(self, p: int, sampled: bool) -> None:
        """Play ``p``; IllegalMove (superko, for a sensible point) leaves
        the board as it was."""
        move_number = len(self.game.moves)
        self.game.play(p)
        if self.spec.random_move_at >= 0 and move_number == self.spec.random_move_at:
            self.sample = move_number + 1   # the position after the random move
        self.sampled.append(sampled)


def choose_and_play(boards: list[_Board], logits: np.ndarray, planes: np.ndarray,
                    cfg: GameConfig) -> None:
    """Play a move on each board from its policy logits (B, n*n+1) and
    planes: drawn over the sensible points (and pass where the policy may
    pass) from policy^(1/T), or the most probable at T = 0; a point that
    superko forbids is struck and the choice drawn again (the game's own
    check, made once, says so).  The draw's number is taken from the
    game's generator before the pass rule is asked, so that a game's random
    sequence does not depend on which rule chose."""
    n = cfg.setup.size
    nn_ = n * n
    sensible = planes[:, _SENSIBLE].reshape(len(boards), nn_).astype(bool)
    allowed = np.zeros((len(boards), nn_ + 1), bool)
    allowed[:, :nn_] = sensible
    for i, b in enumerate(boards):
        allowed[i, nn_] = len(b.game.moves) >= cfg.first_pass_move and not opponent_passed(b.game)
    t = cfg.temperature
    # the weights of every board in one call (row by row the same numbers), not
    # one call a board, whose overhead showed in self-play's rate on 9x9
    weights = softmax_weights(logits, allowed, t) if t > 0 else None
    for i, b in enumerate(boards):
        u = b.rng.random() if t > 0 else 0.0
        forced = pass_rule(b.game, cfg.score_playouts)
        if forced is not None:
            b.play(forced, False)
            continue
        if weights is not None:
            row = weights[i]            # this board's row: a struck point changes only it
            k = draw(row, u) if allowed[i].any() else -1
        else:
            row = np.where(allowed[i], logits[i], -np.inf)
            k = int(np.argmax(row)) if allowed[i].any() else -1
        while k >= 0:
            try:
                b.play(index_to_point(k, n), True)
                break
            except IllegalMove:
                pass
            # superko: strike the point and choose again from the rest
            if weights is not None:
                row[k] = 0.0
                k = draw(row, b.rng.random())
            else:
                row[k] = -np.inf
                k = int(np.argmax(row)) if np.isfinite(row).any() else -1
        else:
            b.play(PASS, False)   # nothing sensible left


def _random_move(board: _Board) -> int:
    """A uniformly random legal point (superko included), PASS if none."""
    legal = board.game.legal_moves()
    return int(legal[board.rng.integers(len(legal))]) if legal else PASS


class GameRunner:
    """Plays batches of games with the networks in ``nets`` (key ->
    ``nets.inference.Networks`` with a policy network); ``value`` (a
    ``Networks`` with a value network, or None) judges resignations."""

    def __init__(self, cfg: GameConfig, nets: Mapping[str, "Networks"],
                 value: "Networks | None" = None):
        self.cfg = cfg
        self.nets = nets
        self.value = value
        self.network_calls = 0
        self.positions = 0          # positions evaluated by a policy network
        n = cfg.setup.size
        self._planes = np.zeros((0, VALUE_PLANES, n, n), np.uint8)
        self._states = np.zeros((0, B.STATE_LEN), np.int64)

    def _buffers(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self._planes) < count:
            n = self.cfg.setup.size
            self._planes = np.zeros((count, VALUE_PLANES, n, n), np.uint8)
            self._states = np.zeros((count, B.STATE_LEN), np.int64)
        return self._states[:count], self._planes[:count]

    def play(self, specs: list[GameSpec], in_flight: int | None = None) -> list[PlayedGame]:
        """Play every game of ``specs`` to its end, at most ``in_flight``
        at a time (default all): a finished game's board is taken at once
        by the next game waiting, so the batches stay full until the queue
        runs out.  Results in spec order."""
        cfg = self.cfg
        boards = [_Board(s, cfg) for s in specs]
        searcher = None
        if cfg.visits > 0:
            searcher = SearchMoves(cfg, self.nets, self.value)
        limit = len(boards) if in_flight is None else max(1, in_flight)
        waiting = boards[limit:][::-1]
        active = boards[:limit]
        while active:
            groups: dict[str, list[_Board]] = {}
            for b in active:
                groups.setdefault(b.who(), []).append(b)
            for key, group in groups.items():
                if key == RANDOM:
                    for b in group:
                        b.play(_random_move(b), False)
                elif searcher is not None:
                    for b, (p, sampled) in zip(group, searcher.moves(key, group)):
                        b.play(p, sampled)
                else:
                    self._policy_step(key, group)
            self._resign_checks(active)
            active = [b for b in active if not self._finished(b)]
            while waiting and len(active) < limit:
                active.append(waiting.pop())
        return [self._result(b) for b in boards]

    def _policy_step(self, key: str, group: list[_Board]) -> None:
        states, planes = self._buffers(len(group))
        for i, b in enumerate(group):
            states[i] = b.game.state
        encode_batch(states, planes)
        logits = self.nets[key].policy_logits(planes)
        self.network_calls += 1
        self.positions += len(group)
        choose_and_play(group, logits, planes, self.cfg)

    def _resign_checks(self, boards: list[_Board]) -> None:
        """Judge the boards due for a check with one value-network call."""
        cfg = self.cfg
        if self.value is None or cfg.resign_threshold <= 0:
            return
        due = [b for b in boards if not b.resigned and not b.game.is_over
               and b.spec.random_move_at < 0 and b.game.moves
               and len(b.game.moves) % cfg.resign_check_every == 0]
        if not due:
            return
        states, planes = self._buffers(len(due))
        for i, b in enumerate(due):
            states[i] = b.game.state
        encode_batch(states, planes)
        winrate = (self.value.value(planes) + 1) / 2
        self.network_calls += 1
        for b, w in zip(due, winrate):
            c = b.game.to_move
            if b.resign[c].judge(w):
                if b.spec.resign:
                    b.resigned = c
                elif not b.would_resign:
                    b.would_resign = c

    def _finished(self, b: _Board) -> bool:
        g = b.game
        return b.resigned != 0 or g.is_over or len(g.moves) >= self.cfg.move_cap

    def _result(self, b: _Board) -> PlayedGame:
        cfg = self.cfg
        g = b.game
        seed = b.spec.seed % (1 << 31) + 1
        # one set of playouts gives both the dead stones and the ownership map
        counts = ownership_counts(g.state, cfg.score_playouts, seed)
        own = np.zeros(cfg.setup.size ** 2, np.int8)
        percent_from_counts(cfg.setup.size, counts[0], counts[1], cfg.score_playouts, own)
        pg = PlayedGame(b.spec, g, own, b.sampled, resigned=b.resigned,
                        would_resign=b.would_resign, sample=b.sample)
        if b.resigned:
            pg.winner = 3 - b.resigned
            pg.result = f"{'BW'[pg.winner - 1]}+R"
            pg.end = "resignation"
            return pg
        score = final_score(g, StatusConfig(playouts=cfg.score_playouts, seed=seed), counts)
        pg.score = float(score)
        pg.winner = BLACK if score > 0 else WHITE if score < 0 else 0
        pg.result = result_string(score)
        pg.end = "two passes" if g.is_over else "move cap"
        return pg


def warm_up(size: int) -> None:
    """Load (from Numba's cache, else compile) and run once the compiled
    code a game uses, so that a worker pays for it when it starts."""
    g = Game(size)
    for p in g.legal_moves()[:2]:
        g.play(p)
    planes = np.zeros((1, VALUE_PLANES, size, size), np.uint8)
    encode_batch(g.state[None].copy(), planes)
    ownership_percent(g.state.copy(), 2, 1, np.zeros(size * size, np.int8))
    final_score(g, StatusConfig(playouts=2))
