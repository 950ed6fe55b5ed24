"""analysis.mistakes: classes by the loss against the thresholds, the
biggest mistakes, and the per-player summaries by phase."""

import pytest

from tengen.review.config import AnalyzeConfig
from tengen.review.mistakes import biggest_mistakes, class_of, classify, loss_of
from tengen.review.schema import Candidate, GameReview, MoveReview, Position


def move(number, color, before, after, score=(0.0, 0.0), best=None, played="D4", phase="opening",
         candidates=()):
    return MoveReview(number=number, color=color, move=played, winrate_before=before,
                      winrate_after=after, score_before=score[0], score_after=score[1],
                      best_move=best or played, best_pv=[best or played, "Q16"], played_visits=3,
                      visits=100, policy_prior=0.1, policy_rank=2, phase=phase,
                      candidates=[Candidate(c, 10, 0.5, 0.1, [c]) for c in candidates])


def review_of(moves):
    positions = [Position(k, "B", 0.5, 0.0, 100) for k in range(len(moves) + 1)]
    return GameReview("g", "g.sgf", "fp", {"size": 19}, {}, positions, moves)


def test_a_blunder_is_classed_by_its_loss():
    t = (5.0, 10.0, 20.0)
    assert [class_of(x, t) for x in (-3.0, 0.0, 4.99, 5.0, 9.99, 10.0, 19.99, 20.0, 60.0)] == \
        ["good", "good", "good", "inaccuracy", "inaccuracy", "mistake", "mistake", "blunder",
         "blunder"]
    assert class_of(None, t) == "good"


def test_the_loss_is_in_percentage_points_or_in_points():
    m = move(1, "B", 0.62, 0.40, score=(3.5, -1.0))
    assert loss_of(m, "winrate") == pytest.approx(22.0)
    assert loss_of(m, "points") == pytest.approx(4.5)


def test_user_thresholds_and_the_measure_decide_the_classes():
    moves = [move(1, "B", 0.6, 0.51, score=(2.0, -4.0), best="Q4"),   # 9 %, 6 points
             move(2, "W", 0.5, 0.49, score=(0.0, -12.0), best="C3")]  # 1 %, 12 points
    r = classify(review_of(moves), AnalyzeConfig())
    assert [m.klass for m in r.moves] == ["inaccuracy", "good"]
    r = classify(review_of(moves), AnalyzeConfig(thresholds=(1, 2, 8)))
    assert [m.klass for m in r.moves] == ["blunder", "inaccuracy"]
    r = classify(review_of(moves), AnalyzeConfig(class_by="points"))
    assert [m.klass for m in r.moves] == ["mistake", "blunder"]
    assert r.settings["class_by"] == "points" and r.settings["thresholds"] == [2.0, 5.0, 10.0]


def test_without_a_score_the_points_classes_fall_back_to_the_win_rate():
    m = move(1, "B", 0.6, 0.3, best="Q4")
    m.score_before = m.score_after = None
    r = classify(review_of([m]), AnalyzeConfig(class_by="points"))
    assert r.settings["class_by"] == "winrate" and r.moves[0].klass == "blunder"


def test_each_players_biggest_mistakes_are_ranked_by_loss():
    moves = [move(1, "B", 0.5, 0.44, best="Q4"), move(2, "W", 0.5, 0.5),
             move(3, "B", 0.5, 0.2, best="Q4"), move(4, "W", 0.6, 0.45, best="C3"),
             move(5, "B", 0.5, 0.39, best="Q4"), move(6, "W", 0.5, 0.49, best="C3")]
    r = classify(review_of(moves), AnalyzeConfig(top_mistakes=2))
    assert [m.number for m in biggest_mistakes(r, "B")] == [3, 5]     # 30 and 11 points; 6 cut
    assert [m.number for m in biggest_mistakes(r, "W")] == [4]        # 1 point is no mistake


def test_the_summary_counts_matches_losses_and_phases():
    moves = [move(1, "B", 0.5, 0.5, phase="opening", candidates=["D4", "Q16"]),
             move(3, "B", 0.5, 0.38, best="Q4", phase="middle", candidates=["Q4", "D4"]),
             move(5, "B", 0.5, 0.55, best="Q4", phase="endgame", candidates=["Q4", "C3"]),
             move(2, "W", 0.5, 0.5, phase="opening")]
    p = classify(review_of(moves), AnalyzeConfig()).players["B"]
    assert p["moves"] == 3
    assert p["best_match"] == pytest.approx(1 / 3)
    assert p["top5_match"] == pytest.approx(2 / 3)         # D4 was in the middle game's top 5
    # a move better than expected counts as no loss, not as a gain
    assert p["mean_winrate_loss"] == pytest.approx((0 + 0.12 + 0) / 3)
    assert p["classes"] == {"good": 2, "inaccuracy": 0, "mistake": 1, "blunder": 0}
    assert {ph: q["moves"] for ph, q in p["phases"].items()} == \
        {"opening": 1, "middle": 1, "endgame": 1}
    assert p["phases"]["middle"]["classes"]["mistake"] == 1
    assert p["phases"]["opening"]["best_match"] == 1.0
