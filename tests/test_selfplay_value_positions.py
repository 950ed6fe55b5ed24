"""AlphaGo's value-position sampler: SL policy to move U, one uniformly
random legal move, the RL policy to the end, one position per game."""

import numpy as np
import pytest
from selfplay_helpers import quick_game_config, tiny_models

from engine.game import Game
from nets.inference import Networks
from nets.shards import load_value_positions
from selfplay.games import GameRunner
from selfplay.records import write_batch
from selfplay.value_positions import max_random_move, value_specs


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    d = tiny_models(tmp_path_factory.mktemp("tiny"))
    nets = Networks(d / "policy.safetensors", bf16=False)
    specs = value_specs(8, np.random.default_rng(5), 9, "sl", "rl", 1000)
    cfg = quick_game_config(max_moves=120)
    return specs, GameRunner(cfg, {"sl": nets, "rl": nets}).play(specs)


def test_u_is_drawn_within_the_range_and_the_games_never_resign(played):
    specs, _ = played
    assert all(0 <= s.random_move_at < max_random_move(9) for s in specs)
    assert len({s.random_move_at for s in specs}) > 1 and not any(s.resign for s in specs)


def test_the_random_move_is_legal_and_the_position_follows_it(played):
    specs, games = played
    for spec, pg in zip(specs, games):
        if pg.sample < 0:
            continue
        u = spec.random_move_at
        assert pg.sample == u + 1 and not pg.sampled[u]
        before = Game(9, pg.game.komi)
        for c, p in pg.game.moves[:u]:
            before.play(p, c)
        color, point = pg.game.moves[u]
        assert color == before.to_move and point in before.legal_moves()


def test_the_players_change_at_the_random_move(played):
    specs, _ = played
    s = specs[0]
    u = s.random_move_at
    assert s.player(max(0, u - 1), 1) == ("sl" if u > 0 else "random")
    assert s.player(u, 1) == "random" and s.player(u + 1, 2) == "rl"


def test_each_game_gives_exactly_one_training_position(played, tmp_path):
    _, games = played
    rec = write_batch(games, tmp_path, "value", 0, "val000", {"sl": "sl-v0", "rl": "rl-v0"})
    found = load_value_positions(tmp_path / "shards" / "value", 9)
    good = [pg for pg in games if 0 <= pg.sample < len(pg.game.moves) and pg.winner]
    assert rec.value_positions == found.corpus.games == len(good) > 0
    assert found.moves.tolist() == [pg.sample for pg in good]
    assert all(found.corpus.offsets[1:] - found.corpus.offsets[:-1] > found.moves)
