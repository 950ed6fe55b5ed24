"""One position searched and read for a response, with a stand-in evaluator
whose figures are known exactly (``analysis_engine_helpers.CountingNets``:
ownership +1 on the mover's stones, -1 on the opponent's)."""

import math

import pytest
from analysis_engine_helpers import CountingNets, stand_in_analyst

from engine.board import BLACK, PASS, WHITE
from engine.coords import parse_gtp
from engine.game import Game
from tengen.analysis_engine import analyst as A
from tengen.analysis_engine.analyst import TurnSettings, katago_order, position_hashes


def game_with(moves, size=5, komi=0.5):
    g = Game(size, komi)
    for color, vertex in moves:
        g.play(parse_gtp(vertex, size), color)
    return g


def never() -> bool:
    return False


def test_each_searched_move_is_read_for_the_side_to_move():
    result = stand_in_analyst().analyse(Game(5, 0.5), TurnSettings(visits=40), never)
    assert result.current_player == "B"
    assert sum(m.visits for m in result.moves) == result.visits == 40
    assert [m.visits for m in result.moves] == sorted((m.visits for m in result.moves),
                                                      reverse=True)
    for m in result.moves:
        assert m.visits > 0 and m.pv[0] == m.move
        assert 0 <= m.lcb <= m.winrate <= 1 and m.utility == pytest.approx(2 * m.winrate - 1)
        # after one black stone on the empty board: Black leads by 1 - komi; a pass by -komi
        assert m.score_lead == pytest.approx(-0.5 if m.move == "pass" else 0.5)


def test_the_roots_score_is_its_moves_weighted_by_visits():
    result = stand_in_analyst().analyse(game_with([(BLACK, "C3"), (WHITE, "B2")]),
                                        TurnSettings(visits=30), never)
    weighted = sum(m.score_lead * m.visits for m in result.moves) / result.visits
    assert result.score_lead == pytest.approx(weighted)
    assert result.winrate == pytest.approx((result.utility + 1) / 2)


def test_the_score_stdev_is_the_independent_points_spread_of_the_ownership():
    result = stand_in_analyst().analyse(Game(5, 0.5), TurnSettings(visits=20), never)
    # every point is unknown (ownership 0) but the stone just played
    for m in result.moves:
        unknown = 25 if m.move == "pass" else 24
        assert m.score_stdev == pytest.approx(math.sqrt(unknown))
    assert result.score_stdev == pytest.approx(5.0)


def test_ownership_is_blacks_row_by_row_from_the_top_left():
    g = game_with([(BLACK, "A5"), (WHITE, "E1")])
    result = stand_in_analyst().analyse(g, TurnSettings(visits=8, include_ownership=True,
                                                       include_moves_ownership=True), never)
    assert len(result.ownership) == 25
    assert result.ownership[0] == 1.0 and result.ownership[24] == -1.0
    assert sum(abs(v) for v in result.ownership) == 2
    for m in result.moves:
        if m.move != "pass":
            x, y = "ABCDE".index(m.move[0]), int(m.move[1:])
            assert m.ownership[(5 - y) * 5 + x] == 1.0      # the stone Black just played


def test_without_the_switches_no_maps_and_no_policy_are_sent():
    result = stand_in_analyst().analyse(Game(5, 0.5), TurnSettings(visits=8), never)
    assert result.ownership is None and result.policy is None
    assert all(m.ownership is None and m.pv_visits is None for m in result.moves)


def test_katago_order_reads_rows_from_the_top():
    import numpy as np
    grid = np.arange(9).reshape(3, 3)          # [y from the bottom, x]
    assert katago_order(grid) == [6, 7, 8, 3, 4, 5, 0, 1, 2]


def test_the_policy_covers_legal_moves_and_marks_the_rest_minus_one():
    # White to move after Black took a stone: the stones, the ko point (B2) and a
    # suicide (A1) are illegal
    ko = [(BLACK, "B3"), (WHITE, "C3"), (BLACK, "A2"), (WHITE, "B2"), (BLACK, "B1"),
          (WHITE, "D2"), (BLACK, "pass"), (WHITE, "C1"), (BLACK, "C2")]
    g = game_with(ko)
    result = stand_in_analyst().analyse(g, TurnSettings(visits=4, include_policy=True), never)
    policy = result.policy
    assert len(policy) == 26
    illegal = {i for i, p in enumerate(policy) if p == -1}
    occupied = {(5 - int(v[1:])) * 5 + "ABCDE".index(v[0]) for _, v in ko if v != "pass"} \
        - {(5 - 2) * 5 + 1}                     # B2 was taken off
    assert illegal == occupied | {(5 - 2) * 5 + 1, (5 - 1) * 5 + 0}
    assert sum(p for p in policy if p >= 0) == pytest.approx(1.0)
    assert policy[-1] > 0                       # pass, always legal


def test_pv_visits_follow_the_line_from_the_root():
    result = stand_in_analyst().analyse(Game(5, 0.5), TurnSettings(visits=60,
                                                                  include_pv_visits=True), never)
    for m in result.moves:
        assert m.pv_visits[0] == m.visits
        assert len(m.pv_visits) <= len(m.pv)
        assert all(a >= b for a, b in zip(m.pv_visits, m.pv_visits[1:]))


def test_the_pv_is_cut_to_the_asked_length_after_its_first_move():
    result = stand_in_analyst().analyse(Game(5, 0.5), TurnSettings(visits=200, pv_length=2),
                                        never)
    assert max(len(m.pv) for m in result.moves) == 3


def test_hashes_tell_positions_apart_and_symmetric_ones_alike():
    corner = game_with([(BLACK, "A1")])
    opposite = game_with([(BLACK, "E5")])
    this1, sym1 = position_hashes(corner)
    this2, sym2 = position_hashes(opposite)
    assert this1 != this2 and sym1 == sym2
    assert len(this1) == 32 and this1 == this1.upper()
    other_side = game_with([(BLACK, "A1"), (WHITE, "pass")])
    assert position_hashes(other_side)[0] != this1      # Black to move there


def test_allow_moves_keep_the_search_to_those_at_the_root():
    allowed = frozenset({parse_gtp("A1", 5), PASS})
    result = stand_in_analyst().analyse(Game(5, 0.5), TurnSettings(visits=30, root_moves=allowed),
                                        never)
    assert {m.move for m in result.moves} <= {"A1", "pass"}
    assert result.visits == 30


def test_a_stop_before_the_search_gives_no_results_and_during_it_fewer_visits():
    analyst = stand_in_analyst()
    assert analyst.analyse(Game(5, 0.5), TurnSettings(visits=40), lambda: True) is None
    calls = []

    def after_three() -> bool:
        calls.append(1)
        return len(calls) > 3
    result = analyst.analyse(Game(7, 0.5), TurnSettings(visits=1000), after_three)
    assert 0 < result.visits < 1000


class FakeClock:
    """``time.perf_counter`` for the analyst: each reading one second later."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_max_time_ends_the_search(monkeypatch):
    monkeypatch.setattr(A.time, "perf_counter", FakeClock())
    result = stand_in_analyst().analyse(Game(7, 0.5), TurnSettings(visits=10_000, max_time=5),
                                        never)
    assert 0 < result.visits < 100


def test_reports_come_while_searching_from_the_first_report_on(monkeypatch):
    monkeypatch.setattr(A.time, "perf_counter", FakeClock())
    reports = []
    result = stand_in_analyst().analyse(
        Game(7, 0.5), TurnSettings(visits=10_000, max_time=40, report_every=10,
                                   first_report_after=3), never, reports.append)
    assert 2 <= len(reports) <= 5
    assert all(r.visits <= result.visits for r in reports)
    assert [r.visits for r in reports] == sorted(r.visits for r in reports)


def test_the_warm_up_searches_and_leaves_no_tree_behind():
    nets = CountingNets()
    analyst = stand_in_analyst(nets)
    analyst.warm_up()
    warm = nets.calls
    assert warm > 0
    # the same empty board again: searched afresh, nothing reused from the warm-up
    result = analyst.analyse(Game(19), TurnSettings(visits=8), never)
    assert result.visits == 8 and nets.calls > warm
