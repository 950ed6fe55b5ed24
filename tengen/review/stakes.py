"""What a move puts at stake: where the board changes hands between the
better move's line and the move played followed by its refutation.

Why: a player told that a move lost ten points asks where and why.  The
review's own search already holds both lines (``MoveReview.best_pv``, the
better move first, and ``MoveReview.refutation``, the opponent's best line
after the move played); the value network's ownership head says who owns
each point at the end of each line.  Both lines are cut to the same number
of moves from the position before the move (``STAKE_PLIES``: the better
move and two more of its line, against the move played and the first two
of its refutation), so that the same side has just moved at both ends, and
so that the deep, thinly searched tails of the lines do not drown the move
in noise: on held-out games longer lines agreed less and less with the
review's score loss (BENCHMARKS.md "What a mistake puts at stake").  Their difference, in the mover's
frame, is what the move gave up: a map of the points whose owner changes,
a size in points (the score lead of the first line's end less the
second's, from the same calibrated score as every other lead), the point
around which most changes (the point of the biggest connected area of
changes nearest its centre, weighted by the changes), and a reason read off the stones there: the
mover's group that dies, the opponent's group that lives, or the area that
goes to the opponent.  Each line's end is seen with both sides to move
(the mean of the two), as every score of the review is.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.board import BLACK, WHITE
from engine.coords import format_gtp, parse_gtp, to_point
from engine.game import Game, IllegalMove
from nets.score import both_sides, leads_and_ownership

from .schema import Stake

if TYPE_CHECKING:     # annotations only: importing it loads PyTorch
    from nets.inference import Networks

CHANGED = 0.5        # a point whose ownership moves this much (of 2) is a change
STAKE_PLIES = 3      # moves of each line from the position before the move
STAKE_SYMMETRIES = 2
_NAMES = {BLACK: "Black", WHITE: "White"}


@dataclass
class StakeQuery:
    """One move's two lines: the position before the move, the mover, the
    better line (the better move first) and the position after the move
    played followed by the refutation (the opponent first), each as long
    as the search found it (``stakes`` cuts them)."""
    before: Game
    color: int
    best_line: list[str]
    after: Game
    refutation: list[str]


def line_end(game: Game, color: int, line: list[str]) -> Game:
    """``game`` with ``line`` (GTP vertices, ``color`` first, alternating)
    played out, up to its first illegal move."""
    g = game.copy()
    n = g.size
    for vertex in line:
        try:
            g.play(parse_gtp(vertex, n), color)
        except IllegalMove:
            break
        color = 3 - color
    return g


def stakes(nets: "Networks", queries: list[StakeQuery],
           plies: int = STAKE_PLIES) -> list[Stake] | None:
    """The stake of each query, both lines cut to ``plies`` moves from the
    position before the move (fewer when a line is shorter); None without
    a value network."""
    if not queries:
        return []
    asks: list[tuple[Game, int]] = []
    for q in queries:
        cut = min(plies, len(q.best_line), 1 + len(q.refutation))
        for g in (line_end(q.before, q.color, q.best_line[:cut]),
                  line_end(q.after, 3 - q.color, q.refutation[:cut - 1])):
            asks += both_sides(g)
    found = leads_and_ownership(nets, asks, STAKE_SYMMETRIES)
    if found is None:
        return None
    leads, maps = found
    out = []
    for k, q in enumerate(queries):
        j = 4 * k      # best line's end: (Black, White to move), then the played line's
        frame = 1.0 if q.color == BLACK else -1.0
        movers = [1.0 if mover == q.color else -1.0 for _, mover in asks[j:j + 4]]
        own = [s * m for s, m in zip(movers, maps[j:j + 4])]       # the mover's frame
        best, played = (own[0] + own[1]) / 2, (own[2] + own[3]) / 2
        points = frame * ((leads[j] + leads[j + 1]) - (leads[j + 2] + leads[j + 3])) / 2
        out.append(describe(q.before, q.color, best, played, points))
    return out


def describe(before: Game, color: int, best: np.ndarray, played: np.ndarray,
             points: float) -> Stake:
    """The stake of a move by ``color`` from ``before``, given the ownership
    at the end of each line (the mover's frame, rows the board's y)."""
    n = before.size
    diff = best - played
    changes = {format_gtp(to_point(x, y, n), n): round(float(diff[y, x]), 2)
               for y in range(n) for x in range(n) if abs(diff[y, x]) >= CHANGED}
    sign = 1.0 if points >= 0 else -1.0
    region = _biggest_region(diff * sign, n)
    if not region:
        return Stake(points=round(points, 1), around=None, why=None, changes=changes)
    weight = np.array([abs(diff[y, x]) for x, y in region])
    cx, cy = (np.array(region) * weight[:, None]).sum(0) / weight.sum()
    x, y = min(region, key=lambda xy: ((xy[0] - cx) ** 2 + (xy[1] - cy) ** 2, xy[1], xy[0]))
    around = format_gtp(to_point(x, y, n), n)
    return Stake(points=round(points, 1), around=around,
                 why=_why(before, color, region, best, played, sign, _place(x, y, n)),
                 changes=changes)


def _biggest_region(gain: np.ndarray, n: int) -> list[tuple[int, int]]:
    """The 4-connected set of changed points (``gain`` at least ``CHANGED``)
    with the largest total gain, as (x, y) pairs; empty when none changed."""
    seen = np.zeros((n, n), bool)
    best, best_total = [], 0.0
    for y0 in range(n):
        for x0 in range(n):
            if seen[y0, x0] or gain[y0, x0] < CHANGED:
                continue
            region, todo = [], [(x0, y0)]
            seen[y0, x0] = True
            while todo:
                x, y = todo.pop()
                region.append((x, y))
                for a, b in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if 0 <= a < n and 0 <= b < n and not seen[b, a] and gain[b, a] >= CHANGED:
                        seen[b, a] = True
                        todo.append((a, b))
            total = float(sum(gain[y, x] for x, y in region))
            if total > best_total:
                best, best_total = region, total
    return best


def _place(x: int, y: int, n: int) -> str:
    """``corner``, ``side`` or ``centre`` for a point: within the fourth line
    of two edges, of one, or of none (19x19; scaled by the board's size)."""
    zone = max(2, round(4 * n / 19))
    near = sum(1 for c in (x, y) if c < zone or c >= n - zone)
    return ("centre", "side", "corner")[near]


def _why(before: Game, color: int, region: list[tuple[int, int]], best: np.ndarray,
         played: np.ndarray, sign: float, place: str) -> str:
    """What changes hands in ``region`` for the side that loses by the move
    (the mover when ``sign`` > 0, else the opponent): its stones that are
    its own at the end of the line better for it and the other side's at
    the end of the other (its group dies), the other side's stones the
    other way round (their group lives), else the area itself: the other
    side's at the end of the worse line (it goes to them), or only less
    the loser's (it loses ground)."""
    n = before.size
    loser = color if sign > 0 else 3 - color
    good, bad = sign * best, sign * played          # the loser's frame
    dying, living = 0, 0
    for x, y in region:
        owner = before.color_at(to_point(x, y, n))
        if owner == loser and good[y, x] > 0 > bad[y, x]:
            dying += 1
        elif owner == 3 - loser and good[y, x] > 0 > bad[y, x]:
            living += 1
    group = {"corner": "corner group", "side": "group on the side",
             "centre": "group in the centre"}[place]
    if dying and dying >= living:
        return f"{_NAMES[loser]}'s {group} dies"
    if living:
        return f"{_NAMES[3 - loser]}'s {group} lives"
    if np.mean([bad[y, x] for x, y in region]) < -CHANGED / 2:
        return f"the {place} goes to {_NAMES[3 - loser]}"
    return f"{_NAMES[loser]} loses ground in the {place}"
