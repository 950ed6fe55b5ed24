"""Helpers shared by the network tests: tiny random game collections and a
training configuration that learns them in seconds."""

import numpy as np

from engine import board as B
from engine.game import Game
from engine.playouts import random_move
from engine.sgf.write import game_to_sgf
from nets.train_config import TrainConfig


def random_games_dir(tmp_path, count, moves, size=9, seed=0):
    """Write ``count`` random (legal, eye-respecting) games as SGF files;
    each starts from a different random first move, alternating results."""
    rng = np.random.default_rng(seed)
    folder = tmp_path / "games"
    folder.mkdir()
    for g in range(count):
        game = Game(size, komi=7.5)
        r = np.array([rng.integers(1, 2 ** 62)], dtype=np.uint64)
        for _ in range(moves):
            p = random_move(game.state.copy(), game.to_move, r)
            if p == B.PASS or not game.legal(p):
                break
            game.play(p)
        result = "B+R" if g % 2 == 0 else "W+R"
        (folder / f"g{g}.sgf").write_text(game_to_sgf(game, result=result))
    return folder


def small_config(tmp_path, games, **kw):
    base = dict(kind="policy", size=9, data=[str(games)], val=[], out=str(tmp_path / "run"),
                arch="plain", width=32, layers=4, optimizer="adam", lr=3e-3, batch_size=32, bf16=False,
                warmup_positions=0, schedule_positions=10 ** 9, window_games=100,
                checkpoint_minutes=1000, val_every=10 ** 9, val_positions=0, seed=3,
                symmetries=False)
    base.update(kw)
    return TrainConfig(**base)
