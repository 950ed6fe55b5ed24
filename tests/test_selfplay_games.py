"""Batched self-play games: one network call serves every board, each game
depends on its seed only, resignation and its false-resignation count."""

import numpy as np
import pytest
from selfplay_helpers import quick_game_config, tiny_models

from engine.board import BLACK, WHITE
from nets.inference import Networks
from selfplay.games import GameRunner, GameSpec


class Counting:
    """A Networks stand-in that records the batch of every call."""

    def __init__(self, nets):
        self.nets = nets
        self.batches = []

    def policy_logits(self, planes):
        self.batches.append(len(planes))
        return self.nets.policy_logits(planes)


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    d = tiny_models(tmp_path_factory.mktemp("tiny"))
    return Networks(d / "policy.safetensors", d / "value.safetensors", bf16=False)


def specs(count, **kw):
    return [GameSpec(seed=100 + i, black="a", white="b", learner=BLACK, **kw)
            for i in range(count)]


def test_one_network_call_serves_every_board_whose_turn_it_is(nets):
    a, b = Counting(nets), Counting(nets)
    played = GameRunner(quick_game_config(), {"a": a, "b": b}).play(specs(6))
    assert a.batches[0] == 6 and b.batches[0] == 6
    longest = max(len(pg.game.moves) for pg in played)
    assert len(a.batches) + len(b.batches) <= longest + 1
    assert sum(a.batches) + sum(b.batches) >= sum(len(pg.sampled) for pg in played) - 12


def test_a_game_depends_on_its_seed_not_on_the_rest_of_its_batch(nets):
    cfg = quick_game_config()
    alone = GameRunner(cfg, {"a": nets, "b": nets}).play([specs(3)[2]])[0]
    batched = GameRunner(cfg, {"a": nets, "b": nets}).play(specs(3))[2]
    assert alone.game.moves == batched.game.moves and alone.result == batched.result


def test_every_game_ends_legally_and_is_scored(nets):
    cfg = quick_game_config(resign_threshold=0)
    for pg in GameRunner(cfg, {"a": nets, "b": nets}).play(specs(4)):
        assert pg.end in ("two passes", "move cap") and len(pg.game.moves) <= cfg.move_cap
        assert pg.winner in (0, BLACK, WHITE) and pg.result
        assert len(pg.sampled) == len(pg.game.moves) and pg.ownership.shape == (81,)


class Hopeless:
    """A value network certain that the side to move is lost."""

    def value(self, planes):
        return -np.ones(len(planes), np.float32)


def test_resigning_ends_a_game_and_a_no_resign_game_records_who_would_have(nets):
    cfg = quick_game_config(resign_threshold=0.1, resign_checks=2, resign_check_every=1)
    runner = GameRunner(cfg, {"a": nets, "b": nets}, value=Hopeless())
    resigning, playing_on = runner.play(specs(1) + specs(1, resign=False))
    assert resigning.end == "resignation" and resigning.resigned == WHITE
    assert resigning.winner == BLACK and resigning.result == "B+R"
    assert playing_on.resigned == 0 and playing_on.would_resign == WHITE
    assert playing_on.false_resignation == (playing_on.winner == WHITE)


def test_a_zero_temperature_plays_the_most_probable_sensible_move(nets):
    cfg = quick_game_config(temperature=0)
    one, two = GameRunner(cfg, {"a": nets, "b": nets}).play(
        [GameSpec(1, "a", "b"), GameSpec(2, "a", "b")])
    assert one.game.moves == two.game.moves


def test_search_games_play_with_noise_and_batch_every_tree_per_round(nets):
    cfg = quick_game_config(visits=8, search_batch=4, max_moves=20, temperature_moves=4)
    runner = GameRunner(cfg, {"a": nets}, value=nets)
    played = runner.play([GameSpec(seed=s, black="a", white="a", resign=False)
                          for s in range(3)])
    assert all(len(pg.game.moves) == 20 and not any(pg.sampled) for pg in played)
    assert len({tuple(pg.game.moves[:4]) for pg in played}) > 1


def test_search_games_need_a_value_network(nets):
    with pytest.raises(ValueError, match="value network"):
        GameRunner(quick_game_config(visits=8), {"a": nets}).play([GameSpec(1, "a", "a")])


def test_a_finished_game_hands_its_board_to_the_next_one_waiting(nets):
    a = Counting(nets)
    cfg = quick_game_config()
    queued = GameRunner(cfg, {"a": a, "b": nets}).play(specs(5), in_flight=2)
    assert max(a.batches) == 2 and len(queued) == 5
    alone = GameRunner(cfg, {"a": nets, "b": nets}).play(specs(5)[4:])[0]
    assert queued[4].game.moves == alone.game.moves
