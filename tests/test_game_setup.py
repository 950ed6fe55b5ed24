"""``engine.game_setup``: the board size, komi and rules every playing
command shares, checked in one place."""

import pytest

from engine.game import Game
from engine.game_setup import GameSetup
from engine.rules import RULE_SETS
from tengen.gtp.config import InitialGame


def test_the_defaults_are_a_19x19_chinese_game_with_komi_7_5():
    setup = GameSetup()
    assert (setup.size, setup.komi, setup.rule_set) == (19, 7.5, RULE_SETS["chinese"])


def test_a_game_built_without_arguments_takes_the_setups_defaults():
    game, setup = Game(), GameSetup()
    assert (game.size, game.komi, game.rules) == (setup.size, setup.komi, setup.rule_set)


@pytest.mark.parametrize("bad, message", [
    ({"size": 1}, "board size must be 2..25"),
    ({"size": 26}, "board size must be 2..25"),
    ({"komi": float("nan")}, "komi must be a finite number"),
    ({"komi": float("inf")}, "komi must be a finite number"),
    ({"rules": "klingon"}, "unknown rule set 'klingon'; known: chinese"),
])
def test_a_bad_setup_is_refused_with_a_clear_message(bad, message):
    with pytest.raises(ValueError, match=message):
        GameSetup(**bad)


def test_rule_names_are_read_as_the_rules_module_reads_them():
    assert GameSetup(rules="New_Zealand").rule_set is RULE_SETS["new-zealand"]
    assert GameSetup(rules="tt").rule_set is RULE_SETS["tromp-taylor"]


def test_the_gtp_engines_initial_game_leaves_unknown_rules_to_its_go_commands():
    setup = InitialGame(rules="klingon")           # the engine starts; every Go command refuses
    with pytest.raises(ValueError, match="unknown rule set"):
        GameSetup.check_rules(setup)              # the check it leaves to the Go commands
    with pytest.raises(ValueError, match="board size"):
        InitialGame(size=30)                        # the size is still checked at start-up
