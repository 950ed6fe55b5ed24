"""``tengen.review.schema``: a review as data and as JSON: the round trip,
the fields its docstring documents, the derived losses, and what it refuses
to read or write."""

import json
import math
import re

import pytest

from tengen.review import schema
from tengen.review.schema import (
    SCHEMA,
    SCHEMA_VERSION,
    Candidate,
    GameReview,
    MoveReview,
    Position,
    Stake,
    from_dict,
    to_dict,
    to_json,
)


def move(number, color, played, before, after, score_before=None, score_after=None, **kw):
    """A reviewed move whose candidates are D4 (the best), the move played,
    and K10 (listed, not visited)."""
    candidates = [Candidate("D4", 60, 0.55, 0.3, ["D4", "Q16"]),
                  Candidate(played, 30, 0.5, 0.2, [played]), Candidate("K10", 0, 0.0, 0.1, [])]
    base = {"best_move": "D4", "best_pv": ["D4", "Q16"], "played_visits": 30, "visits": 100,
            "policy_prior": 0.2, "policy_rank": 2, "phase": "opening", "candidates": candidates,
            **kw}
    return MoveReview(number, color, played, before, after, score_before, score_after, **base)


def review():
    return GameReview(
        name="game", source="games/game.sgf", fingerprint="abc123",
        game={"size": 19, "komi": 6.5, "rules": "japanese", "handicap": 0, "result": "B+R",
              "black": "Alice", "white": "Bob", "date": "2026-01-02", "first_to_move": "B",
              "setup": {"B": [], "W": []}},
        settings={"visits": 100, "seconds": None, "rollouts": False, "class_by": "winrate",
                  "thresholds": [5.0, 10.0, 20.0], "tengen": "0.1.0",
                  "models": {"policy": "0123", "value": None}},
        positions=[Position(0, "B", 0.55, 1.5, 100), Position(1, "W", 0.5, None, 100)],
        moves=[move(1, "B", "Q4", 0.55, 0.5, 1.5, 0.5, refutation=["D16", "C3"], klass="mistake",
                    stake=Stake(9.2, "R4", "Black's corner group dies",
                                {"R4": 1.8, "S3": 2.0, "K10": -0.6})),
               move(2, "W", "D4", 0.5, 0.45, phase="middle", policy_rank=None,
                    policy_prior=None)],
        players={"B": {"moves": 1}, "W": {"moves": 1}}, elapsed_s=12.34567)


def test_a_review_reads_back_as_it_was_written():
    r = review()
    back = from_dict(json.loads(to_json(r)))
    r.elapsed_s = 12.346                          # kept to the millisecond
    assert back == r


TOP = {"schema", "version", "name", "source", "fingerprint", "game", "settings", "positions",
       "moves", "players", "elapsed_s"}


def documented(block):
    """The field names the module docstring lists for ``block``'s objects."""
    text = re.search(rf'"{block}": \[\{{(.*?)(\}}|"candidates")', schema.__doc__,
                     re.DOTALL).group(1)
    return set(re.findall(r'"(\w+)"', text)) | ({"candidates"} if block == "moves" else set())


def test_the_json_has_exactly_the_fields_the_docstring_documents():
    data = to_dict(review())
    assert set(data) == TOP and all(f'"{key}":' in schema.__doc__ for key in TOP)
    assert set(data["positions"][0]) == documented("positions")
    assert set(data["moves"][0]) == documented("moves")
    assert set(data["moves"][0]["candidates"][0]) == documented("candidates")
    stake = re.search(r'``"stake": \{(.*?)\}``', schema.__doc__, re.DOTALL).group(1)
    assert set(data["moves"][0]["stake"]) == set(re.findall(r'"(\w+)"', stake))
    assert data["moves"][1]["stake"] is None
    assert set(data["game"]) == {"size", "komi", "rules", "handicap", "result", "black",
                                 "white", "date", "first_to_move", "setup"}
    assert (data["schema"], data["version"]) == (SCHEMA, SCHEMA_VERSION)


def test_losses_are_before_minus_after_and_none_without_a_score():
    first, second = review().moves
    data = to_dict(review())["moves"]
    assert first.winrate_loss == pytest.approx(0.05) == data[0]["winrate_loss"]
    assert first.score_loss == 1.0 == data[0]["score_loss"]
    assert second.score_loss is None and data[1]["score_loss"] is None
    better = move(3, "B", "C3", 0.4, 0.45)
    assert better.winrate_loss == pytest.approx(-0.05)       # better than the search expected
    assert data[0]["class"] == "mistake" and data[1]["class"] == "good"


def test_the_top_k_counts_only_candidates_the_search_visited():
    played = move(1, "B", "Q4", 0.5, 0.5)
    assert played.in_top(2) and not played.in_top(1) and not played.is_best
    unvisited = move(1, "B", "K10", 0.5, 0.5, candidates=review().moves[0].candidates)
    assert not unvisited.in_top(5)                           # listed, never searched
    assert move(1, "B", "D4", 0.5, 0.5).is_best


def test_another_schema_or_version_is_refused_rather_than_misread():
    data = to_dict(review())
    for key, value in (("schema", "something-else"), ("version", SCHEMA_VERSION + 1),
                       ("version", None)):
        with pytest.raises(ValueError, match="not a tengen-analysis version"):
            from_dict({**data, key: value})


def test_a_review_of_this_version_without_the_optional_fields_still_reads():
    data = to_dict(review())
    for m in data["moves"]:
        for key in ("class", "candidates", "refutation", "winrate_loss", "score_loss", "stake"):
            m.pop(key)
    del data["players"], data["elapsed_s"]
    back = from_dict(data)
    assert [m.klass for m in back.moves] == ["good", "good"]
    assert back.moves[0].candidates == [] and back.players == {} and back.elapsed_s == 0.0
    assert back.moves[0].stake is None


def test_a_review_of_version_1_is_searched_again_rather_than_read_without_calibration():
    assert SCHEMA_VERSION == 2
    with pytest.raises(ValueError, match="not a tengen-analysis version 2"):
        from_dict({**to_dict(review()), "version": 1})


def test_a_win_rate_that_is_not_a_number_is_never_written():
    r = review()
    r.positions[0].winrate_black = math.nan
    with pytest.raises(ValueError):
        to_json(r)
