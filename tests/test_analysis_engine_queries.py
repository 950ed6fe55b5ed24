"""Query lines of KataGo's analysis protocol parsed and checked: every field
as KataGo's documentation defines it, every bad one a KataGo-shaped error
naming it."""

import json

import pytest

from engine.board import BLACK, WHITE
from tengen.analysis_engine.queries import (
    ActionQuery,
    AnalysisQuery,
    QueryError,
    parse_line,
    parse_vertex,
)

BASE = {"id": "q", "boardXSize": 19, "boardYSize": 19, "rules": "tromp-taylor",
        "moves": [["B", "Q16"], ["W", "D4"]]}


def parsed(**changes) -> AnalysisQuery:
    obj = {**BASE, **changes}
    return parse_line(json.dumps({k: v for k, v in obj.items() if v is not None}))


def error(**changes) -> dict:
    obj = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    with pytest.raises(QueryError) as e:
        parse_line(json.dumps(obj))
    return e.value.response()


def test_the_documentations_example_query_parses_into_its_parts():
    q = parse_line('{"id":"foo","initialStones":[["B","Q4"],["B","C4"]],"moves":[["W","P5"],'
                   '["B","P6"]],"rules":"tromp-taylor","komi":7.5,"boardXSize":19,'
                   '"boardYSize":19,"analyzeTurns":[0,1,2]}')
    assert q.id == "foo" and q.size == 19 and q.komi == 7.5
    assert q.initial_stones == ((BLACK, (15, 3)), (BLACK, (2, 3)))
    assert q.moves == ((WHITE, (14, 4)), (BLACK, (14, 5)))
    assert q.turns == (0, 1, 2) and q.priorities == (0, 0, 0)
    assert q.rules.name == "tromp-taylor" and q.warnings == ()


def test_without_analyze_turns_only_the_last_position_is_analysed():
    assert parsed().turns == (2,)
    assert parsed(moves=[]).turns == (0,)


def test_turns_asked_twice_are_analysed_once_in_order():
    assert parsed(analyzeTurns=[2, 0, 2]).turns == (0, 2)


def test_vertices_are_gtp_coordinates_passes_or_katago_xy_from_the_top():
    assert parse_vertex("A1", 19) == (0, 0)
    assert parse_vertex("t19", 19) == (18, 18)
    assert parse_vertex("J10", 19) == (8, 9)          # no I column
    assert parse_vertex(" pass ", 19) is None and parse_vertex("PSS", 19) is None
    assert parse_vertex("(0,0)", 19) == (0, 18)       # x, y counted from the top-left
    assert parse_vertex("(3,13)", 19) == (3, 5)
    assert parse_vertex("Z25", 25) == (24, 24)
    for bad in ("I5", "A0", "A20", "T1x", "", "A", "(1,2", "(19,0)", "(-1,0)", "1A", "A-1"):
        with pytest.raises(ValueError):
            parse_vertex(bad, 19)


def test_sizes_from_2_to_25_are_accepted_and_others_named_as_the_error():
    assert parsed(boardXSize=2, boardYSize=2, moves=[]).size == 2
    assert parsed(boardXSize=25, boardYSize=25, moves=[]).size == 25
    for bad in (1, 26, 1000, -19, 19.0, "19", True, None, [19]):
        e = error(boardXSize=bad)
        assert e == {"id": "q", "field": "boardXSize",
                     "error": "Must provide an integer from 2 to 25"}
    assert error(boardYSize=None)["field"] == "boardYSize"


def test_a_board_that_is_not_square_is_a_clear_error():
    e = error(boardYSize=13)
    assert e["field"] == "boardYSize" and "square" in e["error"]


def test_moves_must_be_player_and_vertex_pairs():
    for bad in ("Q16", [["B"]], [["B", "Q16", "x"]], [["B", 3]], [[1, "Q16"]], [{"B": "Q16"}]):
        e = error(moves=bad)
        assert e["field"] == "moves" and e["error"].startswith("Must be an array of pairs")
    assert error(moves=[["R", "Q16"]])["error"] == "Could not parse player: R"
    assert error(moves=[["B", "U19"]])["error"] == "Could not parse board location: U19"
    assert error(moves=None) == {"id": "q", "field": "moves",
                                 "error": "Must specify an array of [player,location] pairs"}


def test_colours_are_read_in_any_case_and_passes_are_moves():
    q = parsed(moves=[["black", "pass"], ["w", "A1"]])
    assert q.moves == ((BLACK, None), (WHITE, (0, 0)))


def test_setup_stones_cannot_be_passes():
    e = error(initialStones=[["B", "pass"]])
    assert e["field"] == "initialStones" and "pass" in e["error"]


def test_initial_player_is_b_or_w():
    assert parsed(initialPlayer="W").initial_player == WHITE
    assert error(initialPlayer="X") == {"id": "q", "field": "initialPlayer",
                                        "error": 'Must be "b" or "w"'}
    assert error(initialPlayer=1)["field"] == "initialPlayer"


def test_analyze_turns_must_be_integers_within_the_game():
    assert error(analyzeTurns=[3])["error"] == "Invalid turn number: 3"
    assert error(analyzeTurns=[-1])["error"] == "Invalid turn number: -1"
    for bad in ("0", [0.5], [True], 2):
        assert error(analyzeTurns=bad)["field"] == "analyzeTurns"


def test_priorities_go_with_analyze_turns_one_each():
    q = parsed(analyzeTurns=[2, 0], priorities=[5, -3])
    assert q.turns == (0, 2) and q.priorities == (-3, 5)
    assert parsed(priority=7, analyzeTurns=[0, 1]).priorities == (7, 7)
    assert error(priorities=[1])["error"] == "Can only specify when also specifying analyzeTurns"
    assert error(analyzeTurns=[0, 1], priorities=[1])["error"] == \
        "Must be of matching length to analyzeTurns"
    assert error(analyzeTurns=[0], priorities=[2 ** 63])["field"] == "priorities"
    assert error(analyzeTurns=[0], priorities=[1], priority=1)["error"] == \
        "Cannot specify both priority and priorities"
    assert error(priority=1.5)["field"] == "priority"


def test_rules_are_required_and_named_as_katago_names_them():
    assert error(rules=None)["field"] == "rules"
    assert error(rules="backgammon") == {"id": "q", "field": "rules",
                                         "error": "Could not parse rules: backgammon"}
    assert error(rules=7)["field"] == "rules"
    for name in ("japanese", "Chinese", "chinese-ogs", "tromp_taylor", "new zealand", "NZ",
                 "aga", "korean", "stone_scoring"):
        assert parsed(rules=name).rules is not None


def test_komi_defaults_to_katagos_for_the_scoring():
    assert parsed(rules="japanese").komi == 6.5
    assert parsed(rules="chinese").komi == 7.5
    assert parsed(rules="aga-button").komi == 7.0
    assert parsed(rules={"scoring": "TERRITORY"}).komi == 6.5
    assert parsed(rules={"komi": 0.5}).komi == 0.5
    assert parsed(rules="japanese", komi=-3).komi == -3.0


def test_komi_must_be_a_half_integer_within_400():
    for bad in (7.25, 401, -400.5, "7.5", True, 1e300):
        e = error(komi=bad)
        assert e["field"] == "komi" and "half-integer" in e["error"]


def test_override_settings_honour_three_and_name_the_rest_as_ignored():
    q = parsed(overrideSettings={"maxTime": 8.0, "reportAnalysisWinratesAs": "white",
                                 "maxVisits": "40", "wideRootNoise": 0.04,
                                 "humanSLProfile": "rank_5k"})
    assert (q.max_time, q.perspective, q.max_visits) == (8.0, "WHITE", 40)
    assert q.warnings == (("overrideSettings",
                           "Settings ignored by tengen: humanSLProfile, wideRootNoise"),)


def test_the_top_level_max_visits_wins_over_the_override():
    assert parsed(maxVisits=3, overrideSettings={"maxVisits": 50}).max_visits == 3


def test_bad_override_values_are_errors_of_override_settings():
    for bad in ({"maxTime": -1}, {"maxTime": "soon"}, {"reportAnalysisWinratesAs": "RED"},
                {"maxVisits": 0}, {"maxVisits": 1.5}, [1]):
        assert error(overrideSettings=bad)["field"] == "overrideSettings"


def test_switches_must_be_booleans():
    assert parsed(includeOwnership=True, includeMovesOwnership=True, includePolicy=True,
                  includePVVisits=True).include_pv_visits
    for field in ("includeOwnership", "includeMovesOwnership", "includePolicy",
                  "includePVVisits", "includeOwnershipStdev"):
        assert error(**{field: 1}) == {"id": "q", "field": field, "error": "Must be a boolean"}


def test_fields_tengen_does_not_use_and_unknown_fields_come_back_as_warnings():
    q = parsed(rootPolicyTemperature=2.0, includeNoResultValue=True, maxVisit=5)
    assert dict(q.warnings) == {
        "rootPolicyTemperature": "Not used by tengen's search: ignored",
        "includeNoResultValue": "Not reported by tengen: ignored",
        "maxVisit": "Unexpected or unused field, do you have a typo?"}
    assert error(rootPolicyTemperature=0)["field"] == "rootPolicyTemperature"


def test_numbers_are_checked_as_katago_checks_them():
    assert error(maxVisits=0)["error"] == "Must be an integer from 1 to 2^50"
    assert error(maxVisits=2 ** 51)["field"] == "maxVisits"
    assert error(analysisPVLen=0)["field"] == "analysisPVLen"
    assert parsed(analysisPVLen=3).pv_length == 3
    assert error(reportDuringSearchEvery=0)["error"] == \
        "Must be number of seconds from 0.001 to 1000000.0"
    q = parsed(reportDuringSearchEvery=0.5, firstReportDuringSearchAfter=0.1)
    assert (q.report_every, q.first_report_after) == (0.5, 0.1)


def test_avoid_and_allow_moves_are_per_player_lists():
    q = parsed(avoidMoves=[{"player": "B", "moves": ["C3", "pass"], "untilDepth": 1}])
    (f,) = q.avoid
    assert f.color == BLACK and f.vertices == frozenset({(2, 2), None}) and f.until_depth == 1
    q = parsed(allowMoves=[{"player": "W", "moves": ["D4"], "untilDepth": 3}])
    assert q.allow[0].color == WHITE
    assert q.warnings == (("allowMoves", "untilDepth above 1 is honoured at the root only"),)


def test_bad_avoid_and_allow_lists_are_errors():
    good = {"player": "B", "moves": ["C3"], "untilDepth": 1}
    assert error(avoidMoves=[good], allowMoves=[good])["error"] == \
        "Cannot specify both allowMoves and avoidMoves"
    assert error(allowMoves=[good, good])["error"] == \
        "Cannot specify allowMoves more than once for the same player"
    assert error(allowMoves=[good, good, good])["field"] == "allowMoves"
    for bad in ({"player": "B", "moves": ["C3"]}, {**good, "player": "G"},
                {**good, "moves": "C3"}, {**good, "moves": ["Z99"]}, {**good, "untilDepth": 0}):
        assert error(avoidMoves=[bad])["field"] == "avoidMoves"
    assert error(avoidMoves={"player": "B"})["field"] == "avoidMoves"


def test_actions_are_recognised_with_their_fields():
    a = parse_line('{"id":"bar","action":"terminate","terminateId":"foo","turnNumbers":[1,2]}')
    assert isinstance(a, ActionQuery)
    assert (a.terminate_id, a.turn_numbers) == ("foo", frozenset({1, 2}))
    assert parse_line('{"id":"x","action":"terminate_all"}').turn_numbers is None
    for name in ("query_version", "query_models", "clear_cache"):
        assert parse_line(json.dumps({"id": "x", "action": name})).action == name


def test_bad_actions_are_errors_naming_the_field():
    with pytest.raises(QueryError) as e:
        parse_line('{"id":"x","action":"terminate"}')
    assert e.value.response()["field"] == "terminateId"
    with pytest.raises(QueryError) as e:
        parse_line('{"id":"x","action":"terminate_all","turnNumbers":"1"}')
    assert e.value.response()["field"] == "turnNumbers"
    with pytest.raises(QueryError) as e:
        parse_line('{"id":"x","action":"dance"}')
    assert e.value.response()["field"] == "action"


@pytest.mark.parametrize("line, start", [
    ("{", "Expecting property name"),
    ('{"id": "x", "komi": NaN}', "NaN is not JSON"),
    ("[" * 100_000, "maximum recursion depth"),
    ("[1, 2]", "Request line was valid json but was not an object"),
    ('{"moves": []}', 'Request must have a string "id" field'),
    ('{"id": 5}', 'Request must have a string "id" field'),
])
def test_lines_without_an_id_to_answer_get_a_general_error(line, start):
    with pytest.raises(QueryError) as e:
        parse_line(line)
    response = e.value.response()
    assert list(response) == ["error"] and start in response["error"]
