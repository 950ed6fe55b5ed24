"""engine.move_choice: temperature draws, choosing among searched moves, the
pass rule and the resign rule, each against a direct computation."""

import math

import numpy as np
import pytest

from engine.ascii import from_ascii
from engine.board import BLACK, WHITE
from engine.dead_stones import final_score
from engine.move_choice import (
    ResignCounter,
    ResignRule,
    TemperatureSchedule,
    choose_by_lcb,
    choose_by_weight,
    close_to_best,
    draw,
    opponent_passed,
    pass_margin,
    passing_loses,
    passing_wins,
    softmax_weights,
    tempered,
)
from engine.moves import PASS


def test_a_draw_maps_the_unit_interval_onto_the_cumulative_weights():
    w = np.array([1.0, 0.0, 3.0])
    assert draw(w, 0.0) == 0
    assert draw(w, 0.2499) == 0
    assert draw(w, 0.25) == 2          # the zero weight is never drawn
    assert draw(w, 0.9999) == 2
    assert draw(np.zeros(3), 0.5) == -1


def test_draws_follow_the_tempered_weights():
    rng = np.random.default_rng(0)
    visits = [60, 30, 10]
    for t, expected in ((1.0, [0.6, 0.3, 0.1]), (0.5, [36 / 46, 9 / 46, 1 / 46])):
        w = tempered(visits, t)
        counts = np.bincount([draw(w, rng.random()) for _ in range(20000)], minlength=3)
        assert counts / counts.sum() == pytest.approx(expected, abs=0.015)


def test_softmax_weights_are_policy_to_the_one_over_t_over_the_allowed_moves():
    logits = np.array([[0.0, 1.0, 2.0, 5.0]], np.float32)
    allowed = np.array([[True, True, True, False]])
    w = softmax_weights(logits, allowed, 0.5)[0]
    p = np.exp(np.array([0.0, 1.0, 2.0]) / 0.5)
    assert w[3] == 0.0
    assert w[:3] / w[:3].sum() == pytest.approx(p / p.sum(), rel=1e-5)


def test_choosing_by_weight_takes_the_first_at_zero_temperature_or_without_visits():
    rng = np.random.default_rng(1)
    assert choose_by_weight([5, 9, 1], 0.0, rng) == 0
    assert choose_by_weight([0, 0], 1.0, rng) == 0
    picks = {choose_by_weight([5, 5, 5], 1.0, rng) for _ in range(100)}
    assert picks == {0, 1, 2}


def test_the_schedule_samples_the_opening_only():
    s = TemperatureSchedule(1.0, 30)
    assert s.at(0) == 1.0 and s.at(29) == 1.0 and s.at(30) == 0.0
    assert TemperatureSchedule(0.7).at(500) == 0.7
    for bad in (dict(temperature=-1), dict(temperature=math.nan), dict(moves=-1)):
        with pytest.raises(ValueError):
            TemperatureSchedule(**bad)


def test_close_to_best_keeps_the_moves_within_one_standard_deviation():
    # sqrt(100) = 10: 90 is within noise of 100, 89 is not
    assert close_to_best([100, 95, 90, 89, 0]) == [0, 1, 2]
    assert close_to_best([100, 95], z=0.4) == [0]
    assert close_to_best([0, 0]) == [0]
    assert close_to_best([]) == []


def test_lcb_choice_ignores_moves_with_too_few_visits():
    # the second move's bound is higher, the third's too but it has < 10 % of the visits
    assert choose_by_lcb([100, 80, 5], [0.50, 0.55, 0.90]) == 1
    assert choose_by_lcb([100, 80, 5], [0.50, 0.45, 0.90]) == 0
    assert choose_by_lcb([0, 0], [0.0, 0.0]) == 0


WON_AFTER_PASS = """
    . X . O .
    X X X O O
    . X . X O
    X X X O O
    . X O O .
"""


def test_after_the_opponents_pass_a_won_count_passes_and_a_lost_one_plays_on():
    game = from_ascii(WON_AFTER_PASS, to_move=WHITE, komi=0.5)
    game.play(PASS, WHITE)                      # Black to move after White's pass
    assert opponent_passed(game)
    margin = pass_margin(game, BLACK)
    # the smaller of the bare count and the count with dead stones removed
    assert margin == min(game.area_score(), final_score(game)) > 0
    assert passing_wins(game, BLACK) and not passing_loses(game, BLACK)
    assert pass_margin(game, WHITE) == -game.area_score() < 0      # a loss: the bare count
    fresh = from_ascii(WON_AFTER_PASS, to_move=BLACK, komi=0.5)
    assert not opponent_passed(fresh) and not passing_wins(fresh, BLACK)


def test_a_bare_count_that_loses_is_the_margin_even_if_dead_stones_would_help():
    game = from_ascii(WON_AFTER_PASS, to_move=WHITE, komi=30.5)
    game.play(PASS, WHITE)
    assert game.area_score() < 0
    assert pass_margin(game, BLACK) == game.area_score()
    assert passing_loses(game, BLACK)


def test_resigning_takes_consecutive_low_judgements_and_never_with_threshold_zero():
    counter = ResignCounter(ResignRule(0.1, 3))
    assert [counter.judge(w) for w in (0.05, 0.05, 0.5, 0.05, 0.05, 0.05)] == \
        [False, False, False, False, False, True]
    never = ResignCounter(ResignRule(0.0, 1))
    assert not any(never.judge(0.0) for _ in range(5))
    counter.reset()
    assert not counter.judge(0.05)


def test_a_resign_threshold_must_leave_won_games_alone():
    for bad in (dict(threshold=0.5), dict(threshold=-0.1), dict(threshold=math.nan),
                dict(consecutive=0)):
        with pytest.raises(ValueError):
            ResignRule(**bad)
