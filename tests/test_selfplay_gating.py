"""Gating arithmetic: the one-sided Wilson test and the early decision."""

import math

import pytest

from engine.game_setup import GameSetup
from selfplay.gating import decided, engine_command, one_sided_z, promotion_test, wilson_lower


def test_the_one_sided_95_percent_quantile_is_1_645():
    assert one_sided_z(0.95) == pytest.approx(1.6449, abs=1e-4)
    assert one_sided_z(0.975) == pytest.approx(1.9600, abs=1e-4)


def test_the_wilson_bound_matches_the_formula():
    # 30 of 40 at z = 1.645, by hand: (0.75 + z^2/80 - z sqrt(0.75*0.25/40 + z^2/6400)) / (1 + z^2/40)
    z = 1.6449
    expected = (0.75 + z * z / 80 - z * math.sqrt(0.75 * 0.25 / 40 + z * z / 6400)) / (1 + z * z / 40)
    assert wilson_lower(0.75, 40, z) == pytest.approx(expected, rel=1e-9)


def test_forty_games_promote_at_26_wins_and_not_at_25():
    assert promotion_test(26, 0, 40).promoted
    assert not promotion_test(25, 0, 40).promoted


def test_a_draw_counts_half_a_win():
    assert promotion_test(25, 2, 40).share == pytest.approx(26 / 40)
    assert promotion_test(25, 2, 40).promoted


def test_an_even_score_never_promotes_however_many_games():
    for games in (10, 100, 1000, 10000):
        assert not promotion_test(games // 2, 0, games).promoted


def test_the_decision_reports_the_elo_of_the_share():
    d = promotion_test(30, 0, 40)
    assert d.elo == pytest.approx(-400 * math.log10(1 / 0.75 - 1))
    assert d.elo_low < d.elo < d.elo_high


def test_an_early_decision_is_the_answer_of_every_way_the_match_can_end():
    total = 12
    for played in range(total + 1):
        for wins in range(played + 1):
            if not decided(wins, 0, played, total):
                continue
            left = total - played
            answers = {promotion_test(wins + extra, 0, total).promoted for extra in range(left + 1)}
            assert len(answers) == 1, (wins, played)


def test_a_finished_match_is_always_decided():
    assert decided(3, 0, 10, 10) and decided(10, 0, 10, 10)


def test_the_gate_players_sample_their_moves_without_search(tmp_path):
    policy = tmp_path / "p.safetensors"
    policy.touch()
    cmd = engine_command(policy, GameSetup(size=9, komi=7.0), 1.0, 5)
    assert "--player policy" in cmd and "--policy-temperature 1.0" in cmd and "--seed 5" in cmd
    assert "--size 9" in cmd and "--komi 7.0" in cmd and "--threads 1" in cmd
    assert f"--policy-model {policy}" in cmd


def test_a_real_gate_referees_policy_players_with_alternating_colours(tmp_path):
    from selfplay_helpers import tiny_models

    from engine.sgf.read import load_sgf
    from selfplay.config import GateConfig
    from selfplay.gating import play_match

    d = tiny_models(tmp_path / "nets")
    policy = d / "policy.safetensors"
    cfg = GateConfig(gate_games=4, gate_time=20)
    decision = play_match(policy, policy, 4, GameSetup(size=9, komi=7.0), cfg, seed=3,
                          sgf_dir=tmp_path / "sgf", stop_early=False)
    assert decision.games == 4 and not decision.promoted
    games = sorted((tmp_path / "sgf").glob("*.sgf"))
    assert len(games) == 4
    blacks = [load_sgf(str(g)).properties["PB"][0][:1] for g in games]
    assert blacks == ["A", "B", "A", "B"]
    moves = {tuple(load_sgf(str(g)).moves[:6]) for g in games}
    assert len(moves) > 1                 # the players sample: the games differ


def test_tengen_gate_refuses_a_missing_policy_file_on_its_command_line(tmp_path, capsys):
    from tengen.cli import main

    best = tmp_path / "best.safetensors"
    best.touch()
    with pytest.raises(SystemExit) as stop:
        main(["gate", "--candidate", str(tmp_path / "none.safetensors"), "--best", str(best),
              "--size", "9"])
    assert stop.value.code == 2
    assert "no such policy file" in capsys.readouterr().err
