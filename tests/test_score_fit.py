"""``tengen calibrate-value`` (``nets.score_fit``): the fits recover what
made the data (least absolute deviations past outliers, Platt scaling,
the score weights from both sides' readings), the figures are the errors
and jitter they say, and the command writes a calibration beside the
network that the leads then go through."""

import json

import numpy as np
import pytest
from gtp_helpers import save_tiny_models

from engine.game import Game
from engine.sgf.write import game_to_sgf
from engine.playouts import random_move
from nets.score import Calibration, calibration_path, file_sha256, load_calibration
from nets.score_fit import Readings, fit, lad, platt, score_figures, winrate_figures
from tengen.cli import main


def test_least_absolute_deviations_ignore_a_few_wild_points():
    rng = np.random.default_rng(1)
    x = np.stack([rng.normal(size=400), np.ones(400)], 1)
    y = x @ np.array([3.0, -2.0]) + rng.laplace(scale=0.1, size=400)
    y[:20] += 500.0                                        # outliers least squares would chase
    assert lad(x, y) == pytest.approx([3.0, -2.0], abs=0.05)


def test_platt_scaling_recovers_the_scale_and_shift_that_drew_the_outcomes():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.02, 0.98, 20000)
    z = 1.5 * np.log(p / (1 - p)) + 0.2
    y = (rng.uniform(size=p.size) < 1 / (1 + np.exp(-z))).astype(float)
    scale, shift = platt(p, y)
    assert scale == pytest.approx(1.5, abs=0.08) and shift == pytest.approx(0.2, abs=0.06)


def readings(n: int = 4000, seed: int = 3) -> Readings:
    """Readings where Black's margin is 0.5 x the mean ownership lead plus
    8 x the mean value plus 2, each side to move reading itself 3 points high."""
    rng = np.random.default_rng(seed)
    black = rng.uniform(size=n) < 0.5
    sign = np.where(black, 1.0, -1.0)
    lead_b, value_b = rng.normal(0, 10, n), rng.uniform(-0.9, 0.9, n)
    margin = 0.5 * lead_b + 8 * value_b + 2 + rng.laplace(scale=0.05, size=n)
    # mover's frames: each side to move reads itself 3 points high (their mean is lead_b)
    lead_real, lead_other = sign * lead_b + 3, -sign * lead_b + 3
    value_real, value_other = sign * value_b, -sign * value_b
    won = (margin > 0).astype(float)
    game = np.repeat(np.arange(n // 40), 40)
    move = np.tile(np.arange(40), n // 40) + 90
    return Readings(lead_real, lead_other, value_real, value_other, black, margin, won, game,
                    move)


def test_the_score_weights_come_back_from_both_sides_readings():
    weights, scale, shift = fit(readings())
    assert weights["ownership_lead"] == pytest.approx(0.5, abs=0.01)
    assert weights["value"] == pytest.approx(8.0, abs=0.1)
    assert weights["black"] == pytest.approx(2.0, abs=0.1)
    # the real side alone reads 3 high in the mover's frame: its constant takes 0.5 x 3 off
    assert weights["one"] == pytest.approx(-1.5, abs=0.1)
    assert scale > 0


def test_the_figures_are_the_error_and_the_jitter_of_blacks_lead():
    r = readings(400)
    cal = Calibration({"ownership_lead": 0.5, "value": 8.0, "black": 2.0})
    raw, fitted = score_figures(r, None), score_figures(r, cal)
    assert fitted["mae"] < 0.1 < raw["mae"]
    lead = r.black_lead(cal)
    steps = [abs(lead[k + 1] - lead[k]) for k in range(len(lead) - 1) if r.game[k + 1] == r.game[k]]
    assert fitted["jitter"] == pytest.approx(np.mean(steps))
    assert winrate_figures(r, Calibration.identity())["brier_raw"] == \
        winrate_figures(r, Calibration.identity())["brier_calibrated"]


def counted_games(folder, count: int, seed: int) -> None:
    """Random 19x19 games of 60 moves with counted results."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for g in range(count):
        game = Game(19, komi=6.5)
        r = np.array([rng.integers(1, 2 ** 62)], dtype=np.uint64)
        for _ in range(60):
            game.play(random_move(game.state.copy(), game.to_move, r))
        result = f"B+{g + 0.5}" if g % 2 else f"W+{g + 1.5}"
        (folder / f"g{g}.sgf").write_text(game_to_sgf(game, result=result))


def test_the_command_writes_a_calibration_the_leads_then_go_through(tmp_path, capsys):
    counted_games(tmp_path / "train", 8, seed=1)
    counted_games(tmp_path / "held", 4, seed=2)
    _, value = save_tiny_models(tmp_path, seed=4)
    args = ["calibrate-value", "--model", value, "--data", str(tmp_path / "train"),
            "--held-out", str(tmp_path / "held"), "--games-per-archive", "8",
            "--held-out-positions", "200", "--winrate-games", "4", "--symmetries", "1"]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    cal = load_calibration(value)
    assert cal.network_sha256 == file_sha256(value)
    assert set(cal.weights) == {"ownership_lead", "value", "black", "one"}
    assert cal.produced_by["command"].startswith("tengen calibrate-value")
    assert cal.produced_by["held_out_figures"]["score"] == printed["score"]
    assert printed["score"]["positions"] == printed["score_raw"]["positions"] > 0
    # --no-fit measures the file as it stands: the same figures
    assert main([*args, "--no-fit"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["score"] == printed["score"] and again["weights"] == cal.weights
    assert calibration_path(value).name == "value.calibration.json"
