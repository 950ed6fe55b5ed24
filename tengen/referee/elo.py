"""Elo differences from match results, with a confidence interval, and the
match's results table."""

import math

from engine.board import BLACK, WHITE

from .match import GameOutcome, MatchResult


def elo_from_share(share: float) -> float:
    """Elo difference for an expected score ``share`` in [0, 1]."""
    if share <= 0:
        return -math.inf
    if share >= 1:
        return math.inf
    return -400 * math.log10(1 / share - 1)


def elo_interval(wins: float, draws: float, games: int, z: float = 1.96
                 ) -> tuple[float, float, float]:
    """(Elo, low, high) of A minus B from A's wins and the draws: the point
    estimate from A's score share, the interval from the Wilson score
    interval of that share (finite even at 0 or 100 %)."""
    if games <= 0:
        return math.nan, -math.inf, math.inf
    p = (wins + 0.5 * draws) / games
    denom = 1 + z * z / games
    centre = (p + z * z / (2 * games)) / denom
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / denom
    return elo_from_share(p), elo_from_share(centre - half), elo_from_share(centre + half)


def _fmt_elo(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.0f}"


def results_table(result: MatchResult) -> str:
    """The match summary as text."""
    oc = result.outcomes
    n = len(oc)
    draws = sum(1 for o in oc if o.winner is None)
    rows = []
    for tag, is_a in (("A", True), ("B", False)):
        def won(o: GameOutcome) -> bool:
            return o.winner is not None and (o.a_won if is_a else not o.a_won)

        def color_of(o: GameOutcome) -> int:
            return o.a_color if is_a else 3 - o.a_color
        as_b = [o for o in oc if color_of(o) == BLACK]
        as_w = [o for o in oc if color_of(o) == WHITE]
        rows.append((result.labels[tag], f"{sum(map(won, oc))}/{n}",
                     f"{sum(map(won, as_b))}/{len(as_b)}", f"{sum(map(won, as_w))}/{len(as_w)}"))
    width = max(len("engine"), *(len(r[0]) for r in rows))
    lines = [f"{'engine':<{width}}  {'wins':>7}  {'as black':>8}  {'as white':>8}"]
    lines += [f"{r[0]:<{width}}  {r[1]:>7}  {r[2]:>8}  {r[3]:>8}" for r in rows]
    black_wins = sum(1 for o in oc if o.winner == BLACK)
    white_wins = sum(1 for o in oc if o.winner == WHITE)
    lines.append(f"games {n}: black won {black_wins}, white won {white_wins}, drawn {draws}")
    a_wins = sum(1 for o in oc if o.a_won)
    elo, lo, hi = elo_interval(a_wins, draws, n)
    lines.append(f"Elo difference A - B: {_fmt_elo(elo)} (95% interval {_fmt_elo(lo)} .. {_fmt_elo(hi)})")
    kinds = ("illegal", "timeout", "crash", "failure")
    counts = {k: sum(1 for o in oc if o.forfeit == k) for k in kinds}
    lines.append("forfeits: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines)


