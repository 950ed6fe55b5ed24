"""nets.policy_player: the policy network's most probable move, or a sample
of its moves with a temperature."""

import pytest
from selfplay_helpers import tiny_models

from engine.board import BLACK, WHITE
from engine.clock import Clock
from engine.game import Game
from nets.config import NetworkConfig
from nets.policy_player import PolicyPlayer


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    d = tiny_models(tmp_path_factory.mktemp("tiny"))
    return NetworkConfig(str(d / "policy.safetensors"), None, threads=1)


def opening(player, moves=6):
    game = Game(9)
    for _ in range(moves):
        c = game.to_move
        game.play(player.genmove(game, c, Clock()), c)
    return game.moves


def test_without_temperature_the_player_repeats_its_most_probable_moves(networks):
    assert opening(PolicyPlayer(networks)) == opening(PolicyPlayer(networks, seed=9))


def test_with_a_temperature_seeds_give_different_legal_games(networks):
    games = {tuple(opening(PolicyPlayer(networks, 1.0, seed))) for seed in range(4)}
    assert len(games) > 1
    assert {c for g in games for c, _ in g} == {BLACK, WHITE}


def test_the_same_seed_samples_the_same_game(networks):
    assert opening(PolicyPlayer(networks, 1.0, 3)) == opening(PolicyPlayer(networks, 1.0, 3))
