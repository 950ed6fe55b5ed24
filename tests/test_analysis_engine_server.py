"""The engine's line loop: actions answered as KataGo answers them, turns
searched by priority on several threads, terminate, one final response per
turn whatever happens, and a fuzz of ten thousand lines that neither stops
the engine nor loses a query."""

import json
import random

import pytest

from analysis_engine_helpers import (
    CountingNets,
    GatedNets,
    engine,
    finals,
    query,
    stand_in_analyst,
    wait_for,
)


def test_an_analysis_query_gets_one_final_response_per_turn_in_turn_order():
    server, out = engine()
    server.handle_line(query("a", moves=[("B", "C3"), ("W", "D4")], analyzeTurns=[2, 0, 1]))
    server.finish()
    got = finals(out.objects(), "a")
    assert [r["turnNumber"] for r in got] == [0, 1, 2]
    assert all(r["rootInfo"]["visits"] == 16 for r in got)
    assert [r["rootInfo"]["currentPlayer"] for r in got] == ["B", "W", "B"]


def test_warnings_come_before_the_results_and_the_query_still_runs():
    server, out = engine()
    server.handle_line(query("a", overrideSettings={"wideRootNoise": 0.04}, colour="red"))
    server.finish()
    objects = out.objects()
    assert [set(o) for o in objects[:2]] == [{"id", "field", "warning"}] * 2
    assert {o["field"] for o in objects[:2]} == {"overrideSettings", "colour"}
    assert len(finals(objects, "a")) == 1 and len(objects) == 3


def test_win_rates_are_blacks_by_default_and_as_the_query_asks_otherwise():
    server, out = engine()
    moves = [("B", "C3"), ("W", "B2"), ("B", "D2")]          # White to move, Black ahead
    server.handle_line(query("black", moves=moves, komi=-0.5))
    server.handle_line(query("mover", moves=moves, komi=-0.5,
                             overrideSettings={"reportAnalysisWinratesAs": "SIDETOMOVE"}))
    server.finish()
    (black,), (mover,) = finals(out.objects(), "black"), finals(out.objects(), "mover")
    assert black["rootInfo"]["winrate"] == pytest.approx(1 - mover["rootInfo"]["winrate"])
    assert black["rootInfo"]["scoreLead"] == -mover["rootInfo"]["scoreLead"] > 0


def test_query_version_and_query_models_echo_the_query_with_their_answers():
    server, out = engine()
    server.handle_line('{"id":"v","action":"query_version","extra":[1]}')
    server.handle_line('{"id":"m","action":"query_models"}')
    server.handle_line('{"id":"c","action":"clear_cache"}')
    server.finish()
    version, models, cache = out.objects()
    assert version["extra"] == [1] and version["action"] == "query_version"
    assert isinstance(version["version"], str) and isinstance(version["git_hash"], str)
    assert [m["name"] for m in models["models"]] == ["policy.safetensors", "value.safetensors"]
    assert cache == {"id": "c", "action": "clear_cache"}


def test_clear_cache_makes_the_next_search_start_afresh():
    nets = CountingNets()
    server, out = engine(analysts=[stand_in_analyst(nets)])
    server.handle_line(query("a"))
    wait_for(lambda: finals(out.objects(), "a"))
    before = nets.calls
    server.handle_line(query("b"))            # the same position: its tree is kept
    wait_for(lambda: finals(out.objects(), "b"))
    assert nets.calls == before
    server.handle_line('{"id":"c","action":"clear_cache"}')
    server.handle_line(query("d"))
    server.finish()
    assert nets.calls > before and finals(out.objects(), "d")[0]["rootInfo"]["visits"] == 16


def gated_engine(threads=1):
    nets = GatedNets(gated_size=7)
    server, out = engine(threads, analysts=[stand_in_analyst(nets) for _ in range(threads)])
    return server, out, nets


def test_queued_turns_are_searched_by_priority_then_in_arrival_order():
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7))
    nets.entered.wait(timeout=60)
    server.handle_line(query("low", priority=-5))
    server.handle_line(query("first", priority=3))
    server.handle_line(query("second", priority=3))
    server.handle_line(query("turns", moves=[("B", "C3")], analyzeTurns=[0, 1],
                             priorities=[1, 9]))
    nets.release()
    server.finish()
    order = [(o["id"], o["turnNumber"]) for o in out.objects() if "rootInfo" in o]
    assert order == [("block", 0), ("turns", 1), ("first", 0), ("second", 0), ("turns", 0),
                     ("low", 0)]


def test_terminate_answers_queued_turns_with_no_results_at_once():
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7))
    nets.entered.wait(timeout=60)
    server.handle_line(query("a", moves=[("B", "C3")], analyzeTurns=[0, 1]))
    server.handle_line(query("b"))
    server.handle_line('{"id":"t","action":"terminate","terminateId":"a"}')
    objects = out.objects()
    assert objects == [
        {"id": "a", "turnNumber": 0, "isDuringSearch": False, "noResults": True},
        {"id": "a", "turnNumber": 1, "isDuringSearch": False, "noResults": True},
        {"id": "t", "action": "terminate", "terminateId": "a"}]
    nets.release()
    server.finish()
    objects = out.objects()
    assert len(finals(objects, "a")) == 2 and len(finals(objects, "b")) == 1
    assert len(finals(objects, "block")) == 1


def test_terminate_can_name_turns():
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7))
    nets.entered.wait(timeout=60)
    server.handle_line(query("a", moves=[("B", "C3"), ("W", "D4")], analyzeTurns=[0, 1, 2]))
    server.handle_line('{"id":"t","action":"terminate","terminateId":"a","turnNumbers":[1]}')
    nets.release()
    server.finish()
    got = {r["turnNumber"]: r for r in finals(out.objects(), "a")}
    assert sorted(got) == [0, 1, 2]
    assert got[1].get("noResults") is True and "rootInfo" in got[0] and "rootInfo" in got[2]


def test_a_running_search_stops_and_answers_with_what_it_found():
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7, maxVisits=10 ** 9))
    nets.entered.wait(timeout=60)
    server.handle_line('{"id":"t","action":"terminate_all"}')
    nets.release()
    server.finish()
    (final,) = finals(out.objects(), "block")
    assert "noResults" not in final and final["rootInfo"]["visits"] < 10 ** 9


def test_terminate_all_reaches_every_query_and_only_the_named_turns():
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7))
    nets.entered.wait(timeout=60)
    server.handle_line(query("a"))
    server.handle_line(query("b", moves=[("B", "C3")], analyzeTurns=[0, 1]))
    server.handle_line('{"id":"t","action":"terminate_all","turnNumbers":[1]}')
    nets.release()
    server.finish()
    objects = out.objects()
    by_turn = {r["turnNumber"]: r for r in finals(objects, "b")}
    assert by_turn[1].get("noResults") and "rootInfo" in by_turn[0]
    assert "rootInfo" in finals(objects, "a")[0]


def test_an_id_in_flight_cannot_be_used_again_until_it_is_answered():
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7))
    nets.entered.wait(timeout=60)
    server.handle_line(query("block"))
    assert out.objects()[-1] == {
        "id": "block", "field": "id",
        "error": "A query with this id is still being analysed; ids must be unique among the "
                 "queries in flight"}
    nets.release()
    wait_for(lambda: finals(out.objects(), "block"))
    server.handle_line(query("block"))
    server.finish()
    assert len(finals(out.objects(), "block")) == 2


def test_several_queries_are_in_flight_and_answered_as_each_finishes():
    server, out, nets = gated_engine(threads=2)
    server.handle_line(query("slow", size=7))
    nets.entered.wait(timeout=60)
    server.handle_line(query("quick"))
    wait_for(lambda: finals(out.objects(), "quick"))
    assert not finals(out.objects(), "slow")
    nets.release()
    server.finish()
    assert len(finals(out.objects(), "slow")) == 1


def test_reports_during_the_search_end_with_exactly_one_final_response():
    server, out = engine()
    server.handle_line(query("a", size=9, maxVisits=3000, reportDuringSearchEvery=0.001))
    server.finish()
    responses = [o for o in out.objects() if o.get("id") == "a"]
    assert responses[-1]["isDuringSearch"] is False
    assert all(r["isDuringSearch"] for r in responses[:-1]) and len(responses) >= 2
    visits = [r["rootInfo"]["visits"] for r in responses]
    assert visits == sorted(visits) and visits[-1] == 3000


class BrokenNets(CountingNets):
    """Fails on 6x6 boards: a search that raises."""

    def value(self, planes):
        if planes.shape[-1] == 6:
            raise RuntimeError("the network is broken")
        return super().value(planes)


def test_a_failing_search_closes_its_turn_with_an_error_and_the_engine_goes_on():
    server, out = engine(analysts=[stand_in_analyst(BrokenNets())])
    server.handle_line(query("bad", size=6))
    server.handle_line(query("good"))
    server.finish()
    bad = [o for o in out.objects() if o.get("id") == "bad"]
    assert bad == [{"id": "bad", "turnNumber": 0, "field": "id",
                    "error": "analysis failed: the network is broken"}]
    assert len(finals(out.objects(), "good")) == 1


def test_at_the_end_of_input_queued_queries_are_finished_or_dropped_when_asked():
    server, out = engine()
    for k in range(3):
        server.handle_line(query(f"q{k}"))
    server.finish()
    assert all(len(finals(out.objects(), f"q{k}")) == 1 for k in range(3))
    server, out, nets = gated_engine()
    server.handle_line(query("block", size=7, maxVisits=10 ** 9))
    nets.entered.wait(timeout=60)
    server.handle_line(query("queued"))
    nets.release()
    server.finish(wait=False)
    assert not finals(out.objects(), "queued")


# ---- the fuzz ---------------------------------------------------------------------

TEMPLATES = [
    {"boardXSize": 5, "boardYSize": 5, "rules": "tromp-taylor", "komi": 0.5,
     "moves": [["B", "C3"], ["W", "D4"], ["B", "pass"]], "analyzeTurns": [0, 2, 3]},
    {"boardXSize": 4, "boardYSize": 4, "rules": "japanese", "initialStones": [["B", "B2"]],
     "moves": [["W", "C3"]], "includeOwnership": True, "includeMovesOwnership": True,
     "includePolicy": True, "includePVVisits": True, "maxVisits": 6},
    {"boardXSize": 3, "boardYSize": 3, "rules": {"ko": "SIMPLE", "scoring": "AREA"},
     "moves": [], "initialPlayer": "W", "overrideSettings": {"maxTime": 5, "wideRootNoise": 0},
     "avoidMoves": [{"player": "W", "moves": ["B2"], "untilDepth": 1}],
     "reportDuringSearchEvery": 0.001},
    {"boardXSize": 2, "boardYSize": 2, "rules": "chinese", "moves": [["B", "A1"]],
     "priority": 4, "allowMoves": [{"player": "W", "moves": ["B2", "pass"], "untilDepth": 1}]},
]
FIELDS = sorted({k for t in TEMPLATES for k in t} | {"analysisPVLen", "priorities",
                                                     "whiteHandicapBonus", "terminateId"})


def random_value(rng: random.Random, depth: int = 0):
    """Any JSON value, often one a query field nearly takes."""
    choices = [
        lambda: None, lambda: True, lambda: rng.randint(-3, 30),
        lambda: rng.choice([0, -1, 2 ** 70, 19, 25, 26]), lambda: rng.uniform(-1e3, 1e3),
        lambda: rng.choice(["", "B", "W", "pass", "Q16", "(1,1)", "A1", "tromp-taylor",
                            "\u00e9\u6e38", "BLACK"]),
        lambda: "x" * rng.randrange(50), lambda: rng.choice([1e300, -0.0, 0.5]),
        lambda: [[rng.choice("BWX"), rng.choice(["A1", "B2", "C3", "pass", "Z9"])]
                 for _ in range(rng.randrange(5))],
        lambda: [rng.randrange(-1, 6) for _ in range(rng.randrange(4))],
        lambda: [random_value(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {rng.choice(FIELDS): random_value(rng, depth + 1) for _ in range(rng.randrange(3))},
    ]
    return choices[rng.randrange(len(choices) if depth < 2 else len(choices) - 2)]()


def mutated(rng: random.Random, qid: str) -> str:
    """A valid query changed in a few random ways, as text."""
    obj = json.loads(json.dumps(rng.choice(TEMPLATES)))
    obj["id"] = qid
    for _ in range(rng.randrange(4)):
        op = rng.randrange(7)
        field = rng.choice(FIELDS)
        if op == 0:
            obj.pop(field, None)
        elif op in (1, 2):
            obj[field] = random_value(rng)
        elif op == 3 and isinstance(obj.get("moves"), list) and obj["moves"]:
            obj["moves"].append(rng.choice(obj["moves"]))          # often an occupied point
        elif op == 4:
            obj["action"] = rng.choice(["query_version", "terminate", "terminate_all",
                                        "clear_cache", "query_models", "nonsense"])
        elif op == 5:
            obj[rng.choice(["moves", "rules"])] = random_value(rng)
        elif rng.random() < 0.3:                # no string id: nothing to answer to
            bad = rng.choice([None, 5, [], True])
            if bad is None:
                obj.pop("id", None)
            else:
                obj["id"] = bad
    text = json.dumps(obj)
    cut = rng.random()
    if cut < 0.08:
        text = text[:rng.randrange(len(text))]                    # truncated
    elif cut < 0.12:
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(["\u0000", "}", "\"", "\\", "NaN", "\ufffd", "]]"]) + text[i:]
    elif cut < 0.13:
        text = "[" * rng.randrange(1, 3000)
    return text


def _no_constants(name: str):
    raise ValueError(name)


def read_back(text: str) -> tuple[str | None, set | None]:
    """(the id a line is answered under, None for a line with no string id;
    the turns it asks for if it is an analysis query), read from the line
    independently of the engine's parser."""
    try:
        obj = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return None, None
    moves = obj.get("moves")
    turns = obj.get("analyzeTurns", [len(moves)] if isinstance(moves, list) else None)
    if "action" in obj or not isinstance(turns, list) or not all(isinstance(t, int)
                                                               for t in turns):
        return obj["id"], None
    return obj["id"], set(turns)


def test_ten_thousand_fuzzed_lines_never_stop_the_engine_nor_lose_a_query():
    rng = random.Random(20260405)
    server, out = engine(threads=2, analysts=[stand_in_analyst(max_nodes=64) for _ in range(2)],
                         max_visits=8)
    lines = [mutated(rng, f"f{i}") for i in range(10_000)]
    for text in lines:
        server.handle_line(text)
    server.handle_line(query("last", moves=[("B", "C3")]))
    server.finish()

    objects = out.objects()                      # each line exactly one JSON object
    by_id: dict = {}
    general = 0
    for o in objects:
        assert isinstance(o, dict)
        if "id" in o:
            by_id.setdefault(o["id"], []).append(o)
        else:
            assert set(o) == {"error"} and isinstance(o["error"], str)
            general += 1
    assert len(finals(objects, "last")) == 1
    nameless = 0
    counts = {"error": 0, "analysed": 0, "other": 0, "silent": 0}
    for text in lines:
        qid, turns = read_back(text)
        if qid is None:
            nameless += bool(text.strip())      # answered by a general error; blank: skipped
            continue
        mine = by_id.get(qid, [])
        errors = [o for o in mine if "error" in o]
        results = [o for o in mine if "turnNumber" in o]
        if errors:
            assert len(mine) == 1 and set(errors[0]) == {"id", "field", "error"}
            counts["error"] += 1
        elif results:
            final_turns = [o["turnNumber"] for o in results if o["isDuringSearch"] is False]
            assert sorted(final_turns) == sorted(turns)            # one final per turn
            for o in results:
                if not o.get("noResults"):
                    assert {"moveInfos", "rootInfo"} <= set(o)
                    assert all({"move", "visits", "winrate", "prior", "order", "pv"} <= set(m)
                               for m in o["moveInfos"])
            counts["analysed"] += 1
        elif mine:
            counts["other"] += 1                # an action's echo, or warnings alone
        else:
            assert turns == set()               # accepted, and no turn to analyse
            counts["silent"] += 1
    assert general == nameless
    assert counts["analysed"] > 500 and counts["error"] > 3000 and general > 500, counts
