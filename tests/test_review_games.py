"""``tengen.review.games``: the settings and fingerprint that decide whether
a finished review is searched again, with the networks each board size
loads (``tengen/models/NxN/``); games named; rules decided."""

import contextlib
import hashlib
import io
import json
import re
import shutil

from gtp_helpers import save_tiny_models
from review_helpers import GAME_9, PASSES_5, write_game

import nets.config
from engine.sgf.archive import ReadStats
from engine.sgf.read import parse_sgf
from nets.score import Calibration, file_sha256
from tengen.base.paths import calibration_path
from tengen.cli import main
from tengen.review.games import find_games, rules_for


def digest(path):
    """A network file's digest as a review records it: the first 16 hex
    digits of its SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def analyze(out, *games):
    """``tengen analyze`` with the shipped networks (the test's, here) and a
    small budget, the JSON alone; returns (exit status, games searched,
    games resumed)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["analyze", "--out", str(out), "--visits", "8", "--batch-size", "8",
                       "--threads", "1", "--seed", "1", "--no-progress", "--no-sgf", "--no-html",
                       "--no-plot", "--no-csv", *map(str, games)])
    searched, resumed = re.search(r"\((\d+) searched, (\d+) already done\)", err.getvalue()).groups()
    return status, int(searched), int(resumed)


def recorded_models(out, name):
    return json.loads((out / f"{name}.json").read_text())["settings"]["models"]


def test_a_9x9_review_records_the_9x9_networks_and_searches_again_when_they_change(
        tmp_path, monkeypatch):
    models = tmp_path / "models"
    nine = models / "9x9"
    nine.mkdir(parents=True)
    save_tiny_models(models, seed=1)
    save_tiny_models(nine, seed=2)
    monkeypatch.setattr(nets.config, "MODELS_DIR", models)
    game9 = write_game(tmp_path, "game9.sgf", GAME_9)
    game5 = write_game(tmp_path, "game5.sgf", PASSES_5)
    out = tmp_path / "out"

    assert analyze(out, game9, game5) == (0, 2, 0)
    assert recorded_models(out, "game9") == {"policy": digest(nine / "policy.safetensors"),
                                             "value": digest(nine / "value.safetensors"),
                                             "calibration": None}
    # 5x5 has no networks of its own: the default ones, in the same run
    assert recorded_models(out, "game5") == {"policy": digest(models / "policy.safetensors"),
                                             "value": digest(models / "value.safetensors"),
                                             "calibration": None}
    assert analyze(out, game9, game5) == (0, 0, 2)

    # new default networks: the 5x5 game is searched again, the 9x9 one is not
    save_tiny_models(models, seed=3)
    assert analyze(out, game9, game5) == (0, 1, 1)
    assert recorded_models(out, "game5")["value"] == digest(models / "value.safetensors")

    # a new 9x9 value network: the 9x9 game is searched again and records it
    shutil.copy(models / "value.safetensors", nine / "value.safetensors")
    assert analyze(out, game9, game5) == (0, 1, 1)
    assert recorded_models(out, "game9") == {"policy": digest(nine / "policy.safetensors"),
                                             "value": digest(models / "value.safetensors"),
                                             "calibration": None}

    # a calibration for the 9x9 value network: its scores change, the game is searched again
    value9 = nine / "value.safetensors"
    cal = Calibration({"ownership_lead": 1.0, "black": 0.5}, 1.2, 0.0, file_sha256(value9))
    calibration_path(value9).write_text(json.dumps(cal.to_json()))
    assert analyze(out, game9, game5) == (0, 1, 1)
    assert recorded_models(out, "game9")["calibration"] == digest(calibration_path(value9))


def test_games_of_one_name_in_different_places_are_named_apart(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        write_game(tmp_path / folder, "club game.sgf", GAME_9)
    write_game(tmp_path, "two.sgf", GAME_9 + b"(;SZ[9];B[aa])")     # a collection
    names = sorted(g.name for g in find_games([str(tmp_path)], ReadStats()))
    assert len(names) == 4 and len(set(names)) == 4
    assert sum(n.startswith("club_game-") for n in names) == 2
    assert "two-1" in names and "two-2" in names      # its games by their place in it


def test_rules_come_from_the_option_else_the_file_else_chinese():
    japanese = parse_sgf(GAME_9)                          # RU[Japanese]
    assert rules_for(japanese, None).name == "japanese"
    assert rules_for(japanese, "aga").name == "aga"
    assert rules_for(parse_sgf(b"(;SZ[9]RU[Moon rules])"), None).name == "chinese"
    assert rules_for(parse_sgf(b"(;SZ[9])"), None).name == "chinese"
