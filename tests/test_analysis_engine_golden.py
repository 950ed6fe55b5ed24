"""Golden transcript of ``tengen analysis``: the query lines of
``tests/golden/analysis.jsonl`` and the responses stored next to them
(``analysis.out``), produced by one search thread on the exact stand-in
evaluator (``analysis_engine_helpers.CountingNets``), so that they are the
same on every machine.

Bad lines are answered at once and searches on their thread, so the two
interleave as timing has it; the transcript lists each line's responses in
the order of the lines (a query's own responses in the order written, the
errors of lines without an id in theirs).  The stored responses were
checked by hand against KataGo's documentation before they were
committed; a difference means the protocol's behaviour changed.
``python tests/test_analysis_engine_golden.py`` writes them again.
"""

import json
import pathlib

import pytest
from analysis_engine_helpers import engine

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
QUERIES = GOLDEN / "analysis.jsonl"
EXPECTED = GOLDEN / "analysis.out"


def _no_constants(name: str):
    raise ValueError(name)


def _id_of(line: str) -> str | None:
    """The id a line is answered under (None: a general error's line)."""
    try:
        obj = json.loads(line, parse_constant=_no_constants)
    except ValueError:
        return None
    return obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None


def transcript() -> list[str]:
    """The responses to the golden queries, line by line in the queries' order."""
    server, out = engine(max_visits=16)
    lines = QUERIES.read_text().splitlines()
    for line in lines:
        server.handle_line(line)
    server.finish()
    rows = out.text.splitlines()
    by_id: dict = {}
    general = []
    for row in rows:
        qid = json.loads(row).get("id")
        (general if qid is None else by_id.setdefault(qid, [])).append(row)
    ordered = []
    for line in lines:
        qid = _id_of(line)
        if qid is None:
            ordered.append(general.pop(0))
        else:
            ordered += by_id.pop(qid, [])
    assert not general and not by_id
    return ordered


def _same(a, b) -> bool:
    """Equal JSON, numbers to a relative 1e-6."""
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-6, abs=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_the_golden_transcript_covers_every_kind_of_line():
    expected = [json.loads(row) for row in EXPECTED.read_text().splitlines()]
    kinds = {k for o in expected for k in o}
    assert {"moveInfos", "ownership", "policy", "warning", "error", "models"} <= kinds
    assert any("pvVisits" in m for o in expected for m in o.get("moveInfos", []))
    assert any(o.get("rootInfo", {}).get("currentPlayer") == "W" for o in expected)


def test_the_golden_transcript_is_answered_as_stored():
    expected = EXPECTED.read_text().splitlines()
    got = transcript()
    assert len(got) == len(expected)
    for row, want in zip(got, expected):
        assert _same(json.loads(row), json.loads(want)), f"\n got  {row}\n want {want}"


if __name__ == "__main__":
    EXPECTED.write_text("".join(row + "\n" for row in transcript()))
