"""``engine.sgf.write``: writing games and reading them back, atomically."""

import os

import numpy as np
import pytest
from sgf_helpers import position, pt, random_game

from engine.board import BLACK, PASS, WHITE
from engine.game import Game
from engine.rules import rules_named
from engine.sgf.read import load_sgf, parse_sgf
from engine.sgf.write import game_to_sgf, save_sgf


@pytest.mark.parametrize("n, handicap, moves", [(9, 0, 120), (9, 3, 90), (19, 0, 250), (19, 4, 200)])
def test_round_trip(n, handicap, moves):
    g = random_game(n, moves, seed=n + handicap, komi=0.5 if handicap else 7.5, handicap=handicap)
    g.play(PASS)
    g.play(PASS)
    comments = [None if i % 3 else f"move {i}: a]b \\c\nline \u00e9\u56f2" for i in range(len(g.moves))]
    props = {"PB": ["Black [9d]"], "PW": ["\uc774\ucc3d\ud638"], "DT": ["2024-05-01"],
             "RU": ["Chinese"], "GN": ["round trip"], "XX": ["one", "two"]}
    text = game_to_sgf(g, comments=comments, properties=props, result="B+1.5", root_comment="root")
    r = parse_sgf(text)
    assert (r.size, r.komi, r.handicap, r.result, r.winner) == (n, g.komi, handicap, "B+1.5", BLACK)
    assert r.setup == g.setup and r.first_to_move == g.first_to_move
    assert r.moves == g.moves and [p for _, p in r.moves[-2:]] == [PASS, PASS]
    assert r.comments == comments and r.root_comment == "root"
    assert r.properties == props
    back = r.to_game()
    assert back.moves == g.moves and back.setup == g.setup and back.handicap == g.handicap
    assert back.komi == g.komi and back.size == n and back.to_move == g.to_move
    assert np.array_equal(position(back.state), position(g.state))


def test_writer_adds_rules_and_refuses_reserved_properties():
    g = Game(9, 6.5, rules_named("japanese"))
    g.play(pt("E5"))
    assert parse_sgf(game_to_sgf(g)).properties == {"RU": ["Japanese"]}
    assert parse_sgf(game_to_sgf(g, properties={"RU": "AGA"})).properties == {"RU": ["AGA"]}
    with pytest.raises(ValueError, match="KM"):
        game_to_sgf(g, properties={"KM": ["7"]})
    with pytest.raises(ValueError):
        game_to_sgf(g, properties={"bad id": ["x"]})
    with pytest.raises(ValueError, match="2 comments for 1 moves"):
        game_to_sgf(g, comments=["a", "b"])


def test_white_first_without_setup_round_trips():
    g = Game(9, 7.5)
    g.set_setup({}, to_move=WHITE)
    g.play(pt("C3"))
    r = parse_sgf(game_to_sgf(g))
    assert r.first_to_move == WHITE and r.to_game().moves == [(WHITE, pt("C3"))]


def test_save_sgf_is_atomic(tmp_path):
    g = random_game(9, 40, seed=1)
    path = tmp_path / "game.sgf"
    save_sgf(g, path, result="W+R")
    assert load_sgf(path).moves == g.moves
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_sgf(g, path, properties={"SZ": ["9"]})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["game.sgf"]
