"""scripts/judge_agreement.py's measures: Spearman's rank correlation with
ties, the overlap of the biggest losses, each move's loss from its mover's
side, and the query that asks the judge about every position of a game."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "judge_agreement.py"
spec = importlib.util.spec_from_file_location("judge_agreement", SCRIPT)
judge = importlib.util.module_from_spec(spec)
spec.loader.exec_module(judge)


def test_ranks_share_their_mean_among_ties():
    assert judge.ranks(np.array([0.3, 0.1, 0.3, 0.2])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_spearman_is_one_for_the_same_order_and_minus_one_reversed():
    assert judge.spearman([1, 5, 9, 20], [0.1, 0.2, 0.25, 3.0]) == pytest.approx(1.0)
    assert judge.spearman([1, 5, 9, 20], [3.0, 0.25, 0.2, 0.1]) == pytest.approx(-1.0)


def test_spearman_against_the_textbook_formula_without_ties():
    a, b = [10, 20, 30, 40, 50], [1, 3, 2, 5, 4]
    d = np.array([1, 2, 3, 4, 5]) - np.array([1, 3, 2, 5, 4])
    n = 5
    assert judge.spearman(a, b) == pytest.approx(1 - 6 * (d ** 2).sum() / (n * (n * n - 1)))


def test_a_constant_series_has_no_correlation():
    assert np.isnan(judge.spearman([1, 1, 1], [1, 2, 3]))


def test_overlap_counts_the_judges_biggest_among_the_reviews_biggest():
    judged = [9, 8, 7, 0, 0, 0]
    reviewed = [9, 0, 7, 8, 0, 0]
    assert judge.overlap(judged, reviewed, k=3, within=3) == 2        # moves 0 and 2
    assert judge.overlap(judged, reviewed, k=3, within=6) == 3


def test_a_moves_loss_is_seen_from_its_movers_side():
    black = [0.5, 0.6, 0.3, 0.35]              # Black's figure before moves 1, 2, 3 and after
    assert judge.mover_losses(black, ["B", "W", "B"]) == pytest.approx([-0.1, -0.3, -0.05])


def test_the_judge_is_asked_about_every_position_under_the_reviews_rules():
    review = {"name": "g", "moves": [{"color": "B", "move": "Q16"}, {"color": "W", "move": "D4"}],
              "game": {"size": 19, "komi": 6.5, "rules": "japanese", "first_to_move": "B",
                       "setup": {"B": [], "W": []}}}
    q = judge.judge_query(review, 1)
    assert q["moves"] == [["B", "Q16"], ["W", "D4"]] and q["analyzeTurns"] == [0, 1, 2]
    assert (q["rules"], q["komi"], q["maxVisits"], q["boardXSize"]) == ("japanese", 6.5, 1, 19)
