"""The response lines: KataGo's shapes, keys sorted, and every figure for
the side ``reportAnalysisWinratesAs`` names."""

import json

import pytest

from tengen.analysis_engine.analyst import MoveResult, TurnResult
from tengen.analysis_engine.responses import analysis, line, no_results, turn_error, warning


def result(player="W", **changes) -> TurnResult:
    """White to move, winning 0.7, leading by 3 points; one move, D4."""
    move = MoveResult(move="D4", visits=10, winrate=0.75, utility=0.5, lcb=0.6, prior=0.25,
                      pv=["D4", "C3"], pv_visits=None, score_lead=3.0, score_stdev=4.0,
                      ownership=None)
    fields = dict(current_player=player, visits=10, winrate=0.7, utility=0.4, lcb=0.55,
                  score_lead=2.5, score_stdev=4.5, moves=[move], ownership=None, policy=None,
                  this_hash="AB", sym_hash="CD")
    fields.update(changes)
    return TurnResult(**fields)


def test_the_side_to_move_keeps_its_figures():
    out = analysis("q", 3, result(), "SIDETOMOVE", during_search=False)
    info, root = out["moveInfos"][0], out["rootInfo"]
    assert (info["winrate"], info["utility"], info["lcb"], info["scoreLead"]) == (0.75, 0.5, 0.6, 3.0)
    assert (root["winrate"], root["scoreLead"], root["currentPlayer"]) == (0.7, 2.5, "W")
    assert info["utilityLcb"] == pytest.approx(0.2)


def test_black_sees_whites_figures_turned_round():
    out = analysis("q", 3, result(), "BLACK", during_search=False)
    info, root = out["moveInfos"][0], out["rootInfo"]
    assert info["winrate"] == 0.25 and info["lcb"] == 0.4 and info["utility"] == -0.5
    assert info["scoreLead"] == info["scoreMean"] == -3.0
    assert info["utilityLcb"] == pytest.approx(-0.2)
    assert root["winrate"] == pytest.approx(0.3) and root["scoreLead"] == -2.5
    assert info["scoreStdev"] == 4.0 and info["prior"] == 0.25      # no side to them
    white = analysis("q", 3, result(), "WHITE", during_search=False)
    assert white["moveInfos"][0]["winrate"] == 0.75


def test_ownership_is_negated_for_white_whoever_is_to_move():
    grid = [1.0, -1.0, 0.5, 0.0]
    r = result(player="B", ownership=grid)
    r.moves[0].ownership = grid
    assert analysis("q", 0, r, "BLACK", False)["ownership"] == grid
    white = analysis("q", 0, r, "WHITE", False)
    assert white["ownership"] == [-1.0, 1.0, -0.5, 0.0]
    assert white["moveInfos"][0]["ownership"] == [-1.0, 1.0, -0.5, 0.0]
    assert analysis("q", 0, r, "SIDETOMOVE", False)["ownership"] == grid


def test_a_response_has_katagos_fields_and_the_asked_ones_only():
    out = analysis("q", 3, result(), "BLACK", during_search=True)
    assert set(out) == {"id", "turnNumber", "isDuringSearch", "moveInfos", "rootInfo"}
    assert out["isDuringSearch"] is True and out["turnNumber"] == 3
    assert set(out["moveInfos"][0]) == {"move", "visits", "edgeVisits", "winrate", "scoreLead",
                                        "scoreMean", "scoreStdev", "prior", "utility", "lcb",
                                        "utilityLcb", "order", "pv"}
    assert set(out["rootInfo"]) == {"visits", "winrate", "scoreLead", "scoreMean", "scoreStdev",
                                    "utility", "lcb", "currentPlayer", "thisHash", "symHash"}
    r = result(policy=[0.5, -1.0, 0.5])
    r.moves[0].pv_visits = [10, 4]
    out = analysis("q", 3, r, "BLACK", during_search=False)
    assert out["policy"] == [0.5, -1.0, 0.5]
    assert out["moveInfos"][0]["pvVisits"] == [10, 4]


def test_without_a_score_the_score_fields_are_left_out():
    r = result(score_lead=None, score_stdev=None)
    r.moves[0].score_lead = r.moves[0].score_stdev = None
    out = analysis("q", 0, r, "BLACK", False)
    assert "scoreLead" not in out["rootInfo"] and "scoreStdev" not in out["moveInfos"][0]


def test_numbers_have_eight_significant_digits_and_no_negative_zero():
    r = result(winrate=1 / 3, utility=0.0)
    out = analysis("q", 0, r, "BLACK", False)
    assert out["rootInfo"]["winrate"] == 0.66666667
    assert json.dumps(out["rootInfo"]["utility"]) == "0.0"


def test_lines_are_compact_with_sorted_keys():
    assert line({"id": "x", "error": "e", "field": "f"}) == '{"error":"e","field":"f","id":"x"}'


def test_the_short_responses_have_katagos_shapes():
    assert no_results("q", 2) == {"id": "q", "turnNumber": 2, "isDuringSearch": False,
                                  "noResults": True}
    assert warning("q", "rules", "w") == {"id": "q", "field": "rules", "warning": "w"}
    assert set(turn_error("q", 2, "failed")) == {"id", "turnNumber", "field", "error"}
