"""``nets.score``: the calibration beside a value network is what every
lead and win rate goes through, a file for another network or of another
format is refused with an error that says why, and without a file the
ownership lead is used as it is."""

import json
import math
import shutil

import numpy as np
import pytest
from gtp_helpers import save_tiny_models
from review_helpers import GAME_9, tiny_config, write_game

from engine.board import BLACK, WHITE
from engine.coords import parse_gtp
from engine.game import Game
from engine.sgf.read import parse_sgf
from nets.inference import Networks
from nets.score import (
    CALIBRATION_FORMAT,
    CALIBRATION_VERSION,
    Calibration,
    CalibrationFileError,
    black_leads,
    both_sides,
    calibration_path,
    evaluations,
    file_sha256,
    lead_after,
    load_calibration,
    winrate,
)
from tengen.base.paths import MODELS_DIR, VALUE_FILE
from tengen.cli import main


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    _, value = save_tiny_models(folder, seed=5)
    return folder, value


def position() -> Game:
    rec = parse_sgf(b"(;GM[1]FF[4]SZ[9]KM[7];B[ee];W[gc];B[cg];W[dc])", "g.sgf")
    return rec.to_game(None)


def write_calibration(value_path, weights, scale=1.0, shift=0.0, sha=None) -> None:
    cal = Calibration(weights, scale, shift, sha or file_sha256(value_path), {"by": "a test"})
    calibration_path(value_path).write_text(json.dumps(cal.to_json()))


def fresh_copy(tmp_path, value) -> str:
    """The tiny value network in a folder of its own (no calibration yet)."""
    path = tmp_path / "value.safetensors"
    shutil.copy(value, path)
    return str(path)


def test_without_a_calibration_file_the_lead_is_the_ownership_summed_less_komi(tiny, tmp_path):
    value = fresh_copy(tmp_path, tiny[1])
    nets = Networks(None, value)
    g = position()
    _, maps = evaluations(nets, both_sides(g), symmetries=2)
    leads = black_leads(nets, both_sides(g), symmetries=2)
    assert leads[0] == pytest.approx(maps[0].sum() - 7.0, abs=1e-4)      # Black to move
    assert leads[1] == pytest.approx(-(maps[1].sum() + 7.0), abs=1e-4)   # White to move
    assert winrate(nets, 0.8) == 0.8


def test_the_calibration_beside_the_network_maps_every_lead_and_win_rate(tiny, tmp_path):
    value = fresh_copy(tmp_path, tiny[1])
    nets = Networks(None, value)
    g = position()
    raw = black_leads(nets, both_sides(g), symmetries=2)
    v, _ = evaluations(nets, both_sides(g), symmetries=2)
    write_calibration(value, {"ownership_lead": 0.5, "value": 10.0, "black": 2.0, "one": -1.0},
                      scale=2.0, shift=0.0)
    leads = black_leads(nets, both_sides(g), symmetries=2)
    # Black to move: the mover is Black; White to move: turned to Black's side
    assert leads[0] == pytest.approx(0.5 * raw[0] + 10 * v[0] + 2.0 - 1.0, abs=1e-4)
    assert leads[1] == pytest.approx(-(0.5 * -raw[1] + 10 * v[1] - 2.0 - 1.0), abs=1e-4)
    # lead_after: the mean of both sides to move, where the mover's constant cancels
    start, move = Game(9, 7.0), parse_gtp("C3", 9)
    after = start.copy()
    after.play(move, BLACK)
    both = black_leads(nets, both_sides(after), symmetries=2)
    first = lead_after(nets, start, BLACK, [move])[0]
    assert first == pytest.approx((both[0] + both[1]) / 2, abs=1e-4)
    write_calibration(value, {"ownership_lead": 0.5, "value": 10.0, "black": 2.0, "one": 5.0},
                      scale=2.0, shift=0.0)
    assert lead_after(nets, start, BLACK, [move])[0] == pytest.approx(first, abs=1e-4)
    assert lead_after(nets, start, WHITE, [move])[0] is not None
    assert winrate(nets, 0.75) == pytest.approx(0.9)          # sigmoid(2 logit 0.75) = 9/10
    assert winrate(nets, 0.5) == pytest.approx(0.5)


def test_a_calibration_fitted_for_another_network_is_refused_with_a_clear_error(tiny, tmp_path):
    value = fresh_copy(tmp_path, tiny[1])
    write_calibration(value, {"ownership_lead": 1.0}, sha="0" * 64)
    with pytest.raises(CalibrationFileError, match="fitted for another value network") as e:
        black_leads(Networks(None, value), both_sides(position()))
    assert "tengen calibrate-value" in str(e.value) and str(calibration_path(value)) in str(e.value)


@pytest.mark.parametrize("change, message", [
    ({"format": "something-else"}, "not a tengen-value-calibration file"),
    ({"version": CALIBRATION_VERSION + 1}, "format version"),
    ({"score": {"weights": {"ownership_lead": 1.0, "moon_phase": 2.0}}}, "unknown score features"),
    ({"score": {"weights": {}}}, "unknown score features"),
    ({"winrate": {"scale": "x", "shift": 0}}, "malformed"),
])
def test_a_calibration_file_of_another_format_or_with_unknown_features_is_refused(
        tiny, tmp_path, change, message):
    value = fresh_copy(tmp_path, tiny[1])
    write_calibration(value, {"ownership_lead": 1.0})
    data = json.loads(calibration_path(value).read_text())
    data.update(change)
    calibration_path(value).write_text(json.dumps(data))
    with pytest.raises(CalibrationFileError, match=message):
        load_calibration(value)


def test_non_finite_numbers_and_unreadable_files_are_refused(tiny, tmp_path):
    value = fresh_copy(tmp_path, tiny[1])
    write_calibration(value, {"ownership_lead": 1.0})
    text = calibration_path(value).read_text().replace('"shift": 0.0', '"shift": NaN')
    calibration_path(value).write_text(text)
    with pytest.raises(CalibrationFileError, match="non-finite"):
        load_calibration(value)
    calibration_path(value).write_text("{not json")
    with pytest.raises(CalibrationFileError, match="cannot be read"):
        load_calibration(value)


def test_a_rewritten_calibration_file_is_read_again(tiny, tmp_path):
    value = fresh_copy(tmp_path, tiny[1])
    write_calibration(value, {"black": 1.0})
    assert load_calibration(value).weights == {"black": 1.0}
    write_calibration(value, {"black": 2.5, "one": 0.25})
    assert load_calibration(value).weights == {"black": 2.5, "one": 0.25}


def test_the_calibration_file_round_trips_through_json():
    cal = Calibration({"ownership_lead": 0.1, "value": 11.0, "black": 1.5, "one": -0.4},
                      1.3, -0.02, "ab" * 32, {"command": "tengen calibrate-value"})
    data = json.loads(json.dumps(cal.to_json()))
    assert data["format"] == CALIBRATION_FORMAT
    back = Calibration.from_json(data, "x")
    assert back == cal and back.produced_by == cal.produced_by


def test_the_calibrated_lead_is_linear_in_the_readings():
    cal = Calibration({"ownership_lead": 0.5, "value": 4.0, "black": 1.0, "one": 2.0})
    lead = cal.lead(np.array([10.0, -4.0]), np.array([0.5, -0.25]), np.array([True, False]))
    assert lead.tolist() == [5 + 2 + 1 + 2, -2 - 1 - 1 + 2]
    assert math.isclose(cal.winrate(0.3), 0.3)


def test_the_shipped_calibration_belongs_to_the_shipped_value_network():
    value = MODELS_DIR / VALUE_FILE
    assert calibration_path(value).exists()
    cal = load_calibration(value)                 # raises if fitted for another network
    assert cal.network_sha256 == file_sha256(value)
    assert cal.produced_by["command"].startswith("tengen calibrate-value")
    assert not calibration_path(MODELS_DIR / "9x9" / VALUE_FILE).exists()
    assert load_calibration(MODELS_DIR / "9x9" / VALUE_FILE) == Calibration.identity()


def test_a_review_with_a_mismatched_calibration_skips_the_game_and_says_why(tmp_path, capsys):
    cfg = tiny_config(tmp_path)
    write_calibration(cfg.networks.value_model, {"ownership_lead": 1.0}, sha="1" * 64)
    game = write_game(tmp_path, "g.sgf", GAME_9)
    out = tmp_path / "out"
    assert main(["analyze", str(game), "--out", str(out), "--policy-model",
                 cfg.networks.policy_model, "--value-model", cfg.networks.value_model,
                 "--visits", "8", "--threads", "1", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "fitted for another value network" in err and "0 games reviewed" in err
    assert not (out / "g.json").exists()
