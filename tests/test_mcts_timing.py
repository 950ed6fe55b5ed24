"""``mcts.timing``: how long a move may think under each time system, the
plan of a usual and a longest time, and the rule that stops the search
(``TimedStop``), driven on virtual time (``tests/virtual_time.py``) with
scripted root visits, so that every stopping point is exact."""

from types import SimpleNamespace

import numpy as np
import pytest
from virtual_time import virtual_time

from engine.board import BLACK, WHITE
from engine.clock import Clock, TimeControl
from engine.game import Game
from mcts import tree as T
from mcts.timing import TimedStop, TimePlan, max_move_time, plan_move, root_counts

BATCH = 2.0 ** -7          # seconds a batch of visits takes: exact in binary


def root_with(visits):
    """A tree whose root has one edge per entry of ``visits``."""
    tree = T.new_tree(4, 64)
    k = len(visits)
    tree.meta[T.META_NODES], tree.meta[T.META_EDGES] = 1, k
    tree.first[0], tree.count[0] = 0, k
    tree.e_N[:k] = visits
    return tree


# ---- the time a move may take -------------------------------------------------------

def test_no_time_limit_means_no_plan():
    assert max_move_time(Clock(), BLACK) is None
    assert plan_move(Clock(), Game(9), BLACK) is None


def test_the_longest_move_keeps_the_clocks_reserve_in_every_system():
    absolute = Clock(TimeControl("absolute", 60), lag=0.5)
    assert max_move_time(absolute, BLACK) == 59.5
    canadian = Clock(TimeControl("canadian", 60, 30, period_stones=10), lag=0.5)
    assert max_move_time(canadian, BLACK) == 60 + 3 - 0.5       # main time and one stone's share
    canadian.time_left(WHITE, 2, 3)                                # in overtime, 3 stones in 2 s
    later_stones = 2 * min(0.5, 0.5 * 2 / 3)                       # each later stone keeps its reserve
    assert max_move_time(canadian, WHITE) == pytest.approx(2 - later_stones - 0.5)
    byoyomi = Clock(TimeControl("byoyomi", 10, 5, periods=2), lag=0.5)
    assert max_move_time(byoyomi, BLACK) == 10 + 5 - 0.5           # main time and one period
    byoyomi.time_left(BLACK, 5, 2)
    assert max_move_time(byoyomi, BLACK) == 5 - 0.5
    absolute.time_left(BLACK, 0.2, 0)                              # less than the lag
    assert max_move_time(absolute, BLACK) == 0.0


def test_an_unclear_move_may_take_the_factor_times_the_usual_budget():
    clock = Clock(TimeControl("absolute", 10), lag=0)
    base = 10 / (0.3 * 81)                                         # ~24 moves left on 9x9
    assert plan_move(clock, Game(9), BLACK, 2.0) == TimePlan(soft=pytest.approx(base),
                                                             hard=pytest.approx(2 * base))
    # a factor below 1 is 1: the usual budget is also the longest
    plan = plan_move(clock, Game(9), BLACK, 0.5)
    assert plan.soft == plan.hard == pytest.approx(base)


def test_where_the_clock_cannot_stretch_the_usual_budget_shrinks_instead():
    """The last stone of a Canadian period: its 0.5 s (the rest is reserve)
    cannot grow, so a clear move takes half of it."""
    last_stone = Clock(TimeControl("canadian", 0, 1, period_stones=1))
    assert plan_move(last_stone, Game(9), BLACK, 2.0) == TimePlan(soft=0.25, hard=0.5)
    byoyomi = Clock(TimeControl("byoyomi", 0, 5, periods=1))
    assert plan_move(byoyomi, Game(9), BLACK, 2.0) == TimePlan(soft=2.25, hard=4.5)


# ---- the root's visits ----------------------------------------------------------------

def test_root_counts_are_the_leader_the_runner_up_the_total_and_the_moves():
    assert root_counts(T.new_tree(4, 64)) == (0, 0, 0, 0)           # no root yet
    assert root_counts(root_with([5, 9, 2, 7])) == (9, 7, 23, 4)
    assert root_counts(root_with([5, 9, 2, 9])) == (9, 9, 25, 4)
    assert root_counts(root_with([6])) == (6, 0, 6, 1)


# ---- when the search stops -----------------------------------------------------------

def stopping_time(monkeypatch, plan, per_batch, started_before=0.0, unclear_ratio=0.6,
                  batch=BATCH):
    """Run batches of ``batch`` virtual seconds, each adding ``per_batch``
    visits to the root's moves, until ``TimedStop`` says stop; returns the
    seconds since the move was asked for when it did, and the root visits."""
    clock = virtual_time(monkeypatch)
    visits = np.zeros(len(per_batch), np.int64)
    search = SimpleNamespace(tree=root_with(visits))
    stop = TimedStop(search, plan, clock() - started_before, unclear_ratio)
    while not stop():
        clock.advance(batch)
        search.tree.e_N[:len(per_batch)] += per_batch
    return clock() - stop.started, search.tree.e_N[:len(per_batch)].tolist()


PLAN = TimePlan(soft=1.0, hard=2.0)


def test_a_clear_choice_stops_once_the_runner_up_cannot_catch_up_in_the_usual_budget(
        monkeypatch):
    """8 visits a batch, all to one move: 1024 visits a second.  After
    0.5 s the leader's lead (512) exceeds the visits the rest of the
    1 s budget could bring (1024 x (0.5 - 1.5 batches))."""
    elapsed, visits = stopping_time(monkeypatch, PLAN, [8, 0, 0])
    assert elapsed == 0.5 and visits == [512, 0, 0]


def test_an_even_choice_thinks_to_the_longest_time_and_never_past_it(monkeypatch):
    elapsed, visits = stopping_time(monkeypatch, PLAN, [4, 4, 0])
    assert PLAN.hard - 1.5 * BATCH <= elapsed < PLAN.hard            # one more batch could pass it
    assert visits[0] == visits[1] > 0


def test_the_unclear_ratio_decides_which_budget_applies(monkeypatch):
    """The runner-up at 3/4 of the leader's visits is unclear at the default
    ratio (0.6): the longest time applies; at 0.8 it is clear."""
    unclear, _ = stopping_time(monkeypatch, PLAN, [4, 3, 1])
    clear, _ = stopping_time(monkeypatch, PLAN, [4, 3, 1], unclear_ratio=0.8)
    assert PLAN.soft < unclear < PLAN.hard and clear < PLAN.soft


def test_a_slow_batch_is_not_started_when_it_could_end_past_the_limit(monkeypatch):
    """Batches of 0.25 s against a 1 s limit: after three of them (0.75 s)
    one more could end past it, counting it half as long again (0.75 + 1.5
    x 0.25 >= 1); after two it could not (0.5 + 0.375 < 1)."""
    elapsed, _ = stopping_time(monkeypatch, TimePlan(soft=1.0, hard=1.0), [4, 4],
                               batch=0.25)
    assert elapsed == 0.75


def test_time_spent_before_the_search_counts_and_a_lone_move_needs_no_search(monkeypatch):
    elapsed, visits = stopping_time(monkeypatch, PLAN, [4, 4], started_before=10.0)
    assert elapsed == 10.0 and visits == [0, 0]                      # not a single batch
    elapsed, visits = stopping_time(monkeypatch, PLAN, [4])
    assert elapsed == 0.0 and visits == [0]
