"""Mistake classes, each player's biggest mistakes and per-player summaries.

A move's loss is what it gave away against the search's best move: win-rate
percentage points (``--class-by winrate``) or points of the score estimate
(``--class-by points``).  The classes are decided here, after the search,
so that new thresholds need no new search (a resumed review is classed
again).  Averages use ``max(0, loss)``: a move that turned out better than
the search expected is no mistake, but it should not hide one either.
"""

from collections.abc import Iterable
from typing import Any

from .config import CLASSES, AnalyzeConfig
from .schema import GameReview, MoveReview

PHASES = ("opening", "middle", "endgame")
TOP_K = 5


def loss_of(move: MoveReview, class_by: str) -> float | None:
    """The loss the classes measure: percentage points or points."""
    if class_by == "points":
        return move.score_loss
    return 100.0 * move.winrate_loss


def class_of(loss: float | None, thresholds: tuple[float, float, float]) -> str:
    """``good`` below the first threshold, then inaccuracy, mistake and
    blunder from each threshold on."""
    if loss is None:
        return CLASSES[0]
    k = sum(1 for t in thresholds if loss >= t)
    return CLASSES[k]


def _stats(moves: list[MoveReview]) -> dict[str, Any]:
    count = len(moves)

    def mean(values: Iterable[float | None]) -> float | None:
        kept = [max(0.0, v) for v in values if v is not None]
        return sum(kept) / len(kept) if kept else None
    return {
        "moves": count,
        "best_match": sum(m.is_best for m in moves) / count if count else None,
        "top5_match": sum(m.in_top(TOP_K) for m in moves) / count if count else None,
        "mean_winrate_loss": mean(m.winrate_loss for m in moves),
        "mean_score_loss": mean(m.score_loss for m in moves),
        "classes": {c: sum(m.klass == c for m in moves) for c in CLASSES},
    }


def player_summary(review: GameReview, color: str, class_by: str, top: int) -> dict[str, Any]:
    """``color``'s figures: best-move and top-5 agreement, mean losses
    (win rate as a fraction, score in points), the class histogram, the
    same by phase, and the numbers of the ``top`` biggest mistakes (classed
    moves only, biggest first)."""
    mine = [m for m in review.moves if m.color == color]
    summary = _stats(mine)
    summary["phases"] = {ph: _stats([m for m in mine if m.phase == ph]) for ph in PHASES}
    classed = [m for m in mine if m.klass != CLASSES[0]]
    classed.sort(key=lambda m: (-(loss_of(m, class_by) or 0.0), m.number))
    summary["mistakes"] = [m.number for m in classed[:top]]
    return summary


def classify(review: GameReview, config: AnalyzeConfig) -> GameReview:
    """Class every move of ``review`` and fill in ``review.players`` under
    ``config``'s thresholds (in place; returned for chaining)."""
    class_by = config.class_by
    if class_by == "points" and any(m.score_loss is None for m in review.moves):
        class_by = "winrate"     # no score without a value network
    thresholds = config.class_thresholds if class_by == config.class_by else \
        AnalyzeConfig().class_thresholds
    for m in review.moves:
        m.klass = class_of(loss_of(m, class_by), thresholds)
    review.settings = {**review.settings, "class_by": class_by, "thresholds": list(thresholds)}
    review.players = {c: player_summary(review, c, class_by, config.top_mistakes)
                      for c in ("B", "W")}
    return review


def biggest_mistakes(review: GameReview, color: str) -> list[MoveReview]:
    """The moves ``review.players[color]["mistakes"]`` lists, in its order."""
    by_number = {m.number: m for m in review.moves}
    return [by_number[k] for k in review.players.get(color, {}).get("mistakes", [])]
