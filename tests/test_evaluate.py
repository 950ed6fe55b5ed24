"""``nets.evaluate``: what ``tengen eval`` reports, checked position by position."""

import numpy as np
import pytest
import torch

from engine import board as B
from engine.board import BLACK
from engine.game import Game
from engine.playouts import random_move
from engine.sgf.write import game_to_sgf
from nets.evaluate import evaluate
from nets.inference import Networks
from nets.model import (
    build,
    save_model,
    value_config,
)
from nets.score import black_leads


def test_score_error_is_scored_against_counted_results_only(tmp_path, monkeypatch):
    """The ownership head's score estimate is compared with the counted
    margin (B+3.5) of each position's game, from the mover's side; games
    that ended by resignation do not count, except for the winner its sign
    calls.  Reference: nets.score's estimate, position by position, through
    Game and its own encoding."""
    rng = np.random.default_rng(5)
    folder = tmp_path / "games"
    folder.mkdir()
    games = []
    for g, result in enumerate(["B+3.5", "W+R", "W+12.5"]):
        game = Game(9, komi=6.5)
        r = np.array([rng.integers(1, 2 ** 62)], dtype=np.uint64)
        positions = []
        for _ in range(12):
            p = random_move(game.state.copy(), game.to_move, r)
            if p == B.PASS:
                break
            positions.append((game.copy(), game.to_move))
            game.play(p)
        (folder / f"g{g}.sgf").write_text(game_to_sgf(game, result=result))
        games.append((result, positions))
    torch.manual_seed(0)
    value = build(value_config(width=8, layers=3, arch="plain"))
    save_model(value, tmp_path / "v.safetensors")
    nets = Networks(value_path=tmp_path / "v.safetensors", bf16=False)

    for symmetries in (1, 8):
        r = evaluate(nets, [str(folder)], batch=5, symmetries=symmetries)
        errors, winner_calls = [], []
        for result, positions in games:
            leads = black_leads(nets, positions, symmetries=symmetries)
            winner_calls += [(lead > 0) == (result[0] == "B") for lead in leads]
            if result.endswith("R"):
                continue
            margin = float(result[2:]) * (1 if result[0] == "B" else -1)
            for (_, mover), lead in zip(positions, leads):
                sign = 1 if mover == BLACK else -1
                errors.append(sign * (lead - margin))
        assert r["score_winner_accuracy"] == pytest.approx(np.mean(winner_calls))
        assert r["symmetries"] == symmetries
        assert r["score_positions"] == len(errors) > 0
        assert r["score_mae"] == pytest.approx(np.mean(np.abs(errors)), abs=1e-3)
        assert r["score_bias"] == pytest.approx(np.mean(errors), abs=1e-3)
        assert r["score_mae_after_move_100"] is None     # no game is that long
