"""engine.clock: time controls, bookkeeping and per-move budgets."""

import pytest

from engine.board import BLACK, WHITE
from engine.clock import Clock, TimeControl, moves_left_estimate


def test_gtp_time_settings_mapping():
    assert TimeControl.from_gtp(300, 0, 0) == TimeControl("absolute", 300)
    assert TimeControl.from_gtp(0, 10, 0) == TimeControl("none")
    assert TimeControl.from_gtp(600, 30, 5) == TimeControl("canadian", 600, 30, period_stones=5)


@pytest.mark.parametrize("bad", [
    dict(system="fischer"), dict(system="absolute", main_time=-1),
    dict(system="absolute", main_time=float("inf")), dict(system="canadian", period_time=30),
    dict(system="byoyomi", period_time=30, periods=0), dict(system="canadian", period_stones=5)])
def test_invalid_controls(bad):
    with pytest.raises(ValueError):
        TimeControl(**bad)


def test_no_limit():
    clock = Clock()
    clock.charge(BLACK, 1000)
    assert clock.budget(BLACK, 50) is None


def test_absolute_time_spreads_over_the_moves_left():
    clock = Clock(TimeControl("absolute", 100), lag=0)
    assert clock.budget(BLACK, 50) == pytest.approx(2.0)
    clock.charge(BLACK, 40)
    assert clock.side(BLACK).main_left == 60
    assert clock.budget(BLACK, 30) == pytest.approx(2.0)
    assert clock.side(WHITE).main_left == 100
    clock.charge(BLACK, 100)
    assert clock.side(BLACK).main_left == 0 and clock.budget(BLACK, 10) == 0


def test_canadian_bookkeeping():
    clock = Clock(TimeControl("canadian", 10, 30, period_stones=3), lag=0.5)
    # main time: share of main time plus the overtime allowance per move
    assert clock.budget(BLACK, 10) == pytest.approx(10 / 10 + 30 / 3 - 0.5)
    clock.charge(BLACK, 12)            # 10 s of main time, 2 s of the first period
    side = clock.side(BLACK)
    assert side.in_overtime and side.period_left == 28 and side.stones == 2
    assert clock.budget(BLACK, 10) == pytest.approx(28 / 2 - 0.5)
    clock.charge(BLACK, 5)
    clock.charge(BLACK, 5)             # third stone: a new period starts
    assert (side.period_left, side.stones) == (30, 3)
    clock.time_left(BLACK, 7, 1)       # the GUI's word overrides
    assert clock.budget(BLACK, 10) == pytest.approx(6.5)
    clock.time_left(BLACK, 50, 0)
    assert not side.in_overtime and side.main_left == 50


def test_japanese_byoyomi_bookkeeping():
    clock = Clock(TimeControl("byoyomi", 0, 10, periods=3), lag=1)
    side = clock.side(WHITE)
    assert side.in_overtime and side.stones == 3       # no main time: straight into byo-yomi
    assert clock.budget(WHITE, 40) == 9
    clock.charge(WHITE, 9.5)                           # within the period: kept
    assert side.stones == 3 and side.period_left == 10
    clock.charge(WHITE, 25)                            # 10 + 10 + 5: two periods used
    assert side.stones == 1
    clock.charge(WHITE, 100)
    assert side.stones == 0


def test_set_control_and_reset_refill_both_clocks():
    clock = Clock(TimeControl("absolute", 60))
    clock.charge(BLACK, 30)
    copy = clock.copy()
    clock.reset()
    assert clock.side(BLACK).main_left == 60 and copy.side(BLACK).main_left == 30
    clock.set_control(TimeControl("absolute", 5))
    assert clock.side(WHITE).main_left == 5


def test_time_left_rejects_nonsense_and_moves_left_estimate():
    clock = Clock(TimeControl("absolute", 60))
    with pytest.raises(ValueError):
        clock.time_left(BLACK, -1, 0)
    assert moves_left_estimate(361) == pytest.approx(108.3)
    assert moves_left_estimate(0) == 8


def test_a_short_allowance_keeps_only_half_of_it_back_for_lag():
    # time_settings 0 0.5 1: a fixed 0.5 s lag would leave the search nothing
    clock = Clock(TimeControl.from_gtp(0, 0.5, 1), lag=0.5)
    assert clock.budget(BLACK, 50) == pytest.approx(0.25)
    # from twice the lag on, the whole lag is kept back
    clock = Clock(TimeControl.from_gtp(0, 1, 1), lag=0.5)
    assert clock.budget(BLACK, 50) == pytest.approx(0.5)
    clock = Clock(TimeControl.from_gtp(0, 10, 1), lag=0.5)
    assert clock.budget(BLACK, 50) == pytest.approx(9.5)
    assert clock.copy().budget(BLACK, 50) == pytest.approx(9.5)
    # absolute time keeps the whole lag back from what is left for the game
    clock = Clock(TimeControl("absolute", 0.6), lag=0.5)
    assert clock.budget(BLACK, 10) == pytest.approx(0.01)
