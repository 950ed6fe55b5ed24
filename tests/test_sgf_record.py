"""``engine.sgf.record``: a record replayed by the ``Game`` path and by the
compiled path (the same boards, the same errors), and its counted margin."""

import numpy as np
import pytest
from sgf_helpers import KO, position, random_game, same_state, sp

from engine.rules import rules_named
from engine.sgf.read import parse_sgf
from engine.sgf.record import SGFError
from engine.sgf.write import game_to_sgf


@pytest.mark.parametrize("root, moves, rules, message", [
    ("", f";B[{sp('E5')}];W[{sp('E5')}]", None,
     "move 2 (W at ee = E5) is illegal: occupied"),
    (KO, f";B[{sp('D4')}];W[{sp('C4')}]", None,
     "move 2 (W at cf = C4) is illegal: ko"),
    (f"AB[{sp('A2')}][{sp('B1')}]", f";W[{sp('A1')}]", None,
     "move 1 (W at ai = A1) is illegal: suicide"),
    # the ko retaken after two passes repeats the first position
    (KO, f";B[{sp('D4')}];W[];B[];W[{sp('C4')}]", "chinese",
     "move 4 (W at cf = C4) is illegal: superko"),
    (KO, f";B[{sp('D4')}];W[];B[];W[{sp('C4')}]", "aga",
     "move 4 (W at cf = C4) is illegal: superko"),
])
def test_illegal_moves_are_named_by_both_paths(root, moves, rules, message):
    r = parse_sgf(f"(;SZ[9]{root}{moves})", source="g.sgf")
    with pytest.raises(SGFError) as slow:
        r.to_game(rules)
    with pytest.raises(SGFError) as fast:
        r.replay(rules)
    assert str(slow.value) == str(fast.value) == f"g.sgf: {message}"


def test_superko_rules_differ_between_paths_consistently():
    """White to move at the start (PL[W]) but Black takes the ko: the retake
    repeats the first position with the other side to move, which only
    positional superko forbids; simple ko allows the repetition."""
    r = parse_sgf(f"(;SZ[9]{KO}PL[W];B[{sp('D4')}];W[];B[];W[{sp('C4')}])")
    for rules in ("aga", "japanese"):
        assert same_state(r.replay(rules), r.to_game(rules).state)
    with pytest.raises(SGFError, match="superko"):
        r.replay("chinese")
    with pytest.raises(SGFError, match="superko"):
        r.to_game("chinese")


def test_setup_without_liberties_is_an_error():
    r = parse_sgf("(;SZ[9]AB[aa]AW[ab][ba])", source="s.sgf")
    with pytest.raises(SGFError, match="s.sgf: setup stones without liberties"):
        r.to_game()
    with pytest.raises(SGFError, match="s.sgf: setup stones without liberties"):
        r.replay()


@pytest.mark.parametrize("n, rules", [(7, "chinese"), (9, "chinese"), (9, "aga"),
                                      (9, "japanese"), (13, "tromp-taylor")])
def test_compiled_replay_matches_game_replay(n, rules):
    for seed in range(4):
        g = random_game(n, 3 * n * n, seed, rules_named(rules))
        r = parse_sgf(game_to_sgf(g))
        played = r.to_game(rules)
        assert played.moves == g.moves
        assert np.array_equal(position(played.state), position(g.state))
        assert same_state(r.replay(rules), played.state)
        half = len(g.moves) // 2
        assert same_state(r.replay(rules, upto=half), r.to_game(rules, upto=half).state)


def test_upto():
    r = parse_sgf("(;SZ[9];B[aa];W[bb];B[cc])")
    assert r.to_game(upto=2).moves == r.moves[:2]
    assert r.to_game(upto=0).moves == []
    assert r.to_game(upto=99).moves == r.moves
    with pytest.raises(ValueError):
        r.to_game(upto=-1)


@pytest.mark.parametrize("re_value, margin", [
    ("B+3.5", 3.5), ("W+0.5", -0.5), ("W+R", None), ("B+T", None), ("Draw", None), ("B+", None)])
def test_a_records_margin_is_blacks_counted_lead(re_value, margin):
    assert parse_sgf(f"(;RE[{re_value}])").margin == margin
