"""How long the search thinks on one move, and the rule that ends it.

Why a plan with two limits: a move whose choice is clear after the usual
budget should not take longer, and one where the runner-up is close behind
deserves more (``hard_move_factor`` times the budget) -- but never more
than the clock can give without losing (``max_move_time``).

* ``soft``: the usual budget (``Clock.move_budget``); the search stops here
  unless the choice is unclear;
* ``hard``: it never goes past this.

Both count from the moment the move was asked for, so whatever happened
before the search started (loading the networks, compiling) is already
spent.  ``TimedStop`` is the ``stop`` callable handed to ``Search.run``; on
top of the two limits it stops as soon as the most visited move can no
longer be overtaken in the time left, at the visit rate measured so far.
"""

import time
from dataclasses import dataclass

import numpy as np

from engine.clock import Clock
from engine.game import Game

from . import tree as T
from .search import Search


@dataclass(frozen=True)
class TimePlan:
    soft: float   # seconds after the move was asked for
    hard: float


def max_move_time(clock: Clock, color: int) -> float | None:
    """The longest ``color`` may think on this move without losing on time
    (the clock's reserve kept back), or None without a time limit.  A Canadian
    period keeps each of its later stones their reserve; a byo-yomi move may
    use the rest of the main time and one whole period, which it keeps."""
    c = clock.control
    if c.system == "none":
        return None
    side = clock.side(color)
    if c.system == "absolute":
        return max(0.0, side.main_left - clock.lag)
    if c.system == "canadian":
        if side.in_overtime:
            stones = max(1, side.stones)
            t = side.period_left - clock.reserve(side.period_left / stones) * (stones - 1)
        else:
            t = side.main_left + c.period_time / c.period_stones
    else:
        t = (0.0 if side.in_overtime else side.main_left) + c.period_time
    return max(0.0, t - clock.reserve(t))


def plan_move(clock: Clock, game: Game, color: int, hard_move_factor: float = 2.0
              ) -> TimePlan | None:
    """The TimePlan for ``color``'s next move, or None without a limit.
    Where the clock leaves no room to extend (the last stone of a Canadian
    period, Japanese byo-yomi), the usual budget shrinks instead, so that
    clear moves still save time for unclear ones."""
    base = clock.move_budget(game, color)
    longest = max_move_time(clock, color)
    if base is None or longest is None:     # both None together: no time limit
        return None
    factor = max(1.0, hard_move_factor)
    hard = max(0.0, min(base * factor, longest))
    return TimePlan(soft=min(base, hard / factor), hard=hard)


def root_counts(tree: T.Tree) -> tuple[int, int, int, int]:
    """(visits of the most visited root move, of the runner-up, total
    root visits, number of root moves)."""
    if tree.meta[T.META_NODES] == 0:
        return 0, 0, 0, 0
    e0, k = int(tree.first[0]), int(tree.count[0])
    n = tree.e_N[e0:e0 + k]
    total = int(n.sum())
    if k < 2:
        return total, 0, total, k
    top = np.partition(n, k - 2)[k - 2:]
    return int(top[1]), int(top[0]), total, k


class TimedStop:
    """``stop()`` for ``Search.run`` under a ``TimePlan``.

    The search calls it once per batch; the time between two calls is the
    batch's duration, and the search stops when one more batch could end
    past the limit.  ``unclear_ratio``: the runner-up having more than this
    share of the best move's visits makes the choice unclear."""

    def __init__(self, search: Search, plan: TimePlan, started: float,
                 unclear_ratio: float = 0.6) -> None:
        self.search = search
        self.plan = plan
        self.started = started
        self.unclear_ratio = unclear_ratio
        # (time, total root visits) at the first call
        self._first: tuple[float, int] | None = None
        self._last = 0.0
        self._batch = 0.0

    def __call__(self) -> bool:
        now = time.perf_counter()
        n1, n2, total, k = root_counts(self.search.tree)
        if self._first is None:
            self._first = (now, total)
        else:
            self._batch = now - self._last
        self._last = now
        t = now - self.started + 1.5 * self._batch
        if k < 2 or t >= self.plan.hard:
            return True
        limit = self.plan.hard if n2 > self.unclear_ratio * n1 else self.plan.soft
        if t >= limit:
            return True
        elapsed, done = now - self._first[0], total - self._first[1]
        if done > 0 and elapsed > 0:
            # the visits still to come at the rate so far cannot close the gap
            return n1 - n2 > done / elapsed * (limit - t)
        return False
