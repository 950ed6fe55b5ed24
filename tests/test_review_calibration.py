"""tengen calibrate: positions drawn from games with a winner, searched as
tengen analyze searches, bucketed, and scored (Brier)."""

import json
from pathlib import Path

import pytest
from review_helpers import tiny_config

from nets.score import Calibration, calibration_path, file_sha256
from tengen.cli import main
from tengen.review.calibration import brier, draw_positions, table


def games(folder, count):
    """Games of 45 moves on 9x9 with a result, alternating winners: Black
    fills the left four columns, White the right four (nothing captured)."""
    cols = "abcdefghi"
    black = [f"{cols[x]}{cols[y]}" for y in range(9) for x in range(4)]
    white = [f"{cols[x]}{cols[y]}" for y in range(9) for x in range(5, 9)]
    body = "".join(f";B[{b}];W[{w}]" for b, w in zip(black[:23], white[:22])) + f";B[{black[23]}]"
    for g in range(count):
        winner = "BW"[g % 2]
        (folder / f"g{g}.sgf").write_text(f"(;GM[1]FF[4]SZ[9]KM[7]RE[{winner}+R]{body})")
    (folder / "noresult.sgf").write_text("(;GM[1]FF[4]SZ[9]KM[7];B[ee];W[cc])")


def test_positions_come_from_games_with_a_winner_away_from_both_ends(tmp_path):
    games(tmp_path, 3)
    drawn = draw_positions([str(tmp_path)], 100, 4, seed=1)
    assert len(drawn) == 12
    assert all(rec.winner is not None and 10 <= k < len(rec.moves) - 10 for rec, k in drawn)
    assert drawn == draw_positions([str(tmp_path)], 100, 4, seed=1)     # repeatable


def test_the_table_and_the_brier_score():
    pairs = [(0.05, 0), (0.15, 0), (0.95, 1), (1.0, 1), (0.55, 0)]
    rows = table(pairs)
    assert [r["positions"] for r in rows] == [1, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert rows[9]["mean_predicted"] == pytest.approx(0.975) and rows[9]["black_won"] == 1.0
    assert brier(pairs) == pytest.approx((0.05**2 + 0.15**2 + 0.05**2 + 0 + 0.55**2) / 5)


def test_tengen_calibrate_writes_its_predictions(tmp_path, capsys):
    games(tmp_path, 4)
    net = tiny_config(tmp_path).networks
    out = tmp_path / "cal.json"
    assert main(["calibrate", str(tmp_path), "--positions", "6", "--per-game", "2",
                 "--visits", "8", "--policy-model", net.policy_model, "--value-model",
                 net.value_model, "--threads", "1", "--predictions", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["positions"] == 6 and data["games"] == 3
    for r in data["predictions"]:
        assert 0 <= r["black_winrate"] <= 1 and r["black_won"] == (r["source"][-5] in "02")
        # no calibration beside these networks: the review's win rates are the search's
        assert r["black_winrate"] == r["black_winrate_raw"]
        assert r["black_value"] == r["black_value_raw"]
    assert data["brier_search"] == pytest.approx(
        brier([(r["black_winrate"], r["black_won"]) for r in data["predictions"]]))
    assert data["brier_search_raw"] == data["brier_search"]
    printed = capsys.readouterr().out
    assert "| Black's win rate: the review's (calibrated) | positions |" in printed
    assert "| Black's win rate: the search's, raw | positions |" in printed
    assert "Brier score on 6 positions" in printed


def test_the_review_and_tengen_calibrate_report_win_rates_through_the_calibration(
        tmp_path, capsys):
    games(tmp_path, 4)
    net = tiny_config(tmp_path).networks
    value = Path(net.value_model)
    cal = Calibration({"ownership_lead": 1.0}, 2.0, 0.5, file_sha256(value), {"by": "a test"})
    calibration_path(value).write_text(json.dumps(cal.to_json()))
    out = tmp_path / "cal.json"
    assert main(["calibrate", str(tmp_path), "--positions", "4", "--per-game", "2",
                 "--visits", "8", "--policy-model", net.policy_model, "--value-model",
                 net.value_model, "--threads", "1", "--predictions", str(out)]) == 0
    for r in json.loads(out.read_text())["predictions"]:
        mover = r["black_winrate_raw"] if r["to_move"] == "B" else 1 - r["black_winrate_raw"]
        shown = cal.winrate(mover)
        assert r["black_winrate"] == pytest.approx(shown if r["to_move"] == "B" else 1 - shown)
