"""The positions a query asks about: its game replayed under its rules,
who moves first, White's handicap bonus, illegal moves, and the root moves
avoid and allow leave."""

import json

import pytest

from engine.board import BLACK, PASS, WHITE
from engine.coords import parse_gtp
from tengen.analysis_engine.positions import (
    first_player,
    handicap_stones,
    query_turns,
    root_moves,
)
from tengen.analysis_engine.queries import QueryError, parse_line


def q(**fields):
    obj = {"id": "q", "boardXSize": 5, "boardYSize": 5, "rules": "tromp-taylor", "moves": [],
           **fields}
    return parse_line(json.dumps(obj))


def test_each_analysed_turn_is_the_game_before_that_move():
    turns, warnings = query_turns(q(moves=[["B", "C3"], ["W", "D4"], ["B", "pass"]],
                                    analyzeTurns=[0, 2, 3]))
    assert warnings == []
    assert [t.number for t in turns] == [0, 2, 3]
    assert [len(t.game.moves) for t in turns] == [0, 2, 3]
    assert [t.game.to_move for t in turns] == [BLACK, BLACK, WHITE]
    assert turns[1].game.stones() == {parse_gtp("C3", 5): BLACK, parse_gtp("D4", 5): WHITE}


def test_setup_stones_stand_before_the_first_move():
    (turn,), _ = query_turns(q(initialStones=[["B", "C3"], ["W", "A1"]], initialPlayer="W"))
    assert turn.game.to_move == WHITE and turn.game.moves == []
    assert turn.game.stones() == {parse_gtp("C3", 5): BLACK, parse_gtp("A1", 5): WHITE}


def test_the_first_player_is_the_first_movers_else_white_after_handicap_stones():
    assert first_player(q()) == BLACK
    assert first_player(q(moves=[["W", "C3"]])) == WHITE
    assert first_player(q(initialStones=[["B", "B2"], ["B", "D4"]])) == WHITE
    assert first_player(q(initialStones=[["B", "B2"]])) == BLACK
    assert first_player(q(initialStones=[["B", "B2"], ["B", "D4"], ["W", "C3"]])) == BLACK
    assert first_player(q(initialStones=[["B", "B2"], ["B", "D4"]], initialPlayer="B")) == BLACK


def test_a_colour_may_move_twice_in_a_row():
    (turn,), _ = query_turns(q(moves=[["B", "C3"], ["B", "D4"]]))
    assert turn.game.to_move == WHITE and len(turn.game.stones()) == 2


def test_handicap_stones_are_counted_as_katago_counts_them():
    assert handicap_stones(q(initialStones=[["B", "B2"], ["B", "D4"]])) == 2
    assert handicap_stones(q(initialStones=[["B", "B2"]])) == 0
    # Black's opening run of moves counts, an isolated White pass inside it too
    assert handicap_stones(q(moves=[["B", "B2"], ["W", "pass"], ["B", "D4"], ["W", "C3"]])) == 2
    assert handicap_stones(q(moves=[["B", "B2"], ["W", "C3"]])) == 0
    assert handicap_stones(q(initialStones=[["B", "B2"], ["W", "D4"]],
                             moves=[["B", "C3"], ["B", "A1"]])) == 0


def test_whites_handicap_bonus_is_added_to_komi():
    stones = [["B", "B2"], ["B", "D4"], ["B", "B4"]]
    (turn,), _ = query_turns(q(initialStones=stones, rules="chinese", komi=0.5))
    assert turn.game.komi == 3.5                       # chinese: N points
    (turn,), _ = query_turns(q(initialStones=stones, rules="aga", komi=0.5))
    assert turn.game.komi == 2.5                       # aga: N - 1
    (turn,), _ = query_turns(q(initialStones=stones, rules="chinese", komi=0.5,
                               whiteHandicapBonus="0"))
    assert turn.game.komi == 0.5


def test_the_rules_are_the_queries():
    (turn,), warnings = query_turns(q(rules="japanese"))
    assert (turn.game.rules.ko, turn.game.rules.scoring) == ("simple", "territory")
    (turn,), warnings = query_turns(q(rules="stone-scoring"))
    assert turn.game.rules.scoring == "area" and len(warnings) == 1


@pytest.mark.parametrize("moves, message", [
    ([["B", "C3"], ["W", "C3"]], "Illegal move 1: C3 (occupied)"),
    ([["B", "B1"], ["W", "C1"], ["B", "A2"], ["W", "A1"]], "Illegal move 3: A1 (suicide)"),
])
def test_an_illegal_move_is_katagos_error_naming_its_turn(moves, message):
    with pytest.raises(QueryError) as e:
        query_turns(q(moves=moves, rules="japanese"))
    assert e.value.response() == {"id": "q", "field": "moves", "error": message}


def test_a_ko_recapture_is_illegal():
    # Black's C2 takes White's B2; White may not take back at once
    ko = [["B", "B3"], ["W", "C3"], ["B", "A2"], ["W", "B2"], ["B", "B1"], ["W", "D2"],
          ["B", "pass"], ["W", "C1"], ["B", "C2"]]
    (turn,), _ = query_turns(q(moves=ko, rules="japanese"))
    assert parse_gtp("B2", 5) not in turn.game.stones()
    with pytest.raises(QueryError, match="Illegal move 9: B2 \\(ko\\)"):
        query_turns(q(moves=ko + [["W", "B2"]], rules="japanese"))


def test_setup_stones_without_liberties_are_an_error():
    with pytest.raises(QueryError) as e:
        query_turns(q(initialStones=[["B", "A1"], ["W", "A2"], ["W", "B1"]]))
    assert e.value.response()["field"] == "initialStones"


def test_allow_moves_leave_the_root_only_those_for_the_side_to_move():
    (turn,), _ = query_turns(q(allowMoves=[{"player": "B", "moves": ["C3", "pass"],
                                            "untilDepth": 1}]))
    assert root_moves(q(allowMoves=[{"player": "B", "moves": ["C3", "pass"], "untilDepth": 1}]),
                      turn.game) == frozenset({parse_gtp("C3", 5), PASS})
    assert root_moves(q(allowMoves=[{"player": "W", "moves": ["C3"], "untilDepth": 1}]),
                      turn.game) is None


def test_avoid_moves_take_theirs_away_from_every_move():
    query = q(avoidMoves=[{"player": "B", "moves": ["C3"], "untilDepth": 1},
                          {"player": "B", "moves": ["pass", "A1"], "untilDepth": 2}])
    (turn,), _ = query_turns(query)
    allowed = root_moves(query, turn.game)
    assert len(allowed) == 25 + 1 - 3
    assert {parse_gtp("C3", 5), PASS, parse_gtp("A1", 5)}.isdisjoint(allowed)
    assert root_moves(q(), turn.game) is None
