"""The review of a move and of a game in words: what the SGF comments, the
HTML report and the plot's labels all say, in one place."""

from .schema import GameReview, MoveReview, Stake


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _signed(x: float, digits: int = 1) -> str:
    return f"{x:+.{digits}f}"


def move_comment(m: MoveReview) -> str:
    """The review of one move as plain text (what every output says of it)."""
    lines = [f"tengen: move {m.number}, {m.color} {m.move}"]
    lines.append(f"Win rate ({m.color}): {pct(m.winrate_before)} -> {pct(m.winrate_after)} "
                 f"({_signed(-100 * m.winrate_loss)})")
    if m.score_before is not None and m.score_after is not None:
        lines.append(f"Score ({m.color}): {_signed(m.score_before)} -> {_signed(m.score_after)} "
                     f"({_signed(-(m.score_before - m.score_after))} points)")   # -score_loss
    label = m.klass.capitalize() if m.klass != "good" else "Good"
    if m.is_best:
        lines.append(f"{label}: the search's first choice.")
    else:
        line = " ".join(m.best_pv)
        lines.append(f"{label}. Better: {m.best_move} ({pct(m.winrate_before)}); line: {line}")
        if m.klass != "good" and m.refutation:
            lines.append(f"Refutation: {' '.join(m.refutation)}")
        if m.klass != "good" and m.stake is not None:
            lines.append(f"At stake: {stake_sentence(m.stake)}")
    rank = (f"rank {m.policy_rank}, prior {pct(m.policy_prior)}"
            if m.policy_rank and m.policy_prior is not None else "not ranked")
    lines.append(f"Policy: {rank}; visits: {m.played_visits} of {m.visits}")
    return "\n".join(lines)


def stake_sentence(stake: Stake) -> str:
    """What a move gives up, in words: "gives up about 9 points around R4:
    Black's corner group dies" (``tengen.review.stakes``)."""
    size = round(abs(stake.points))
    where = f" around {stake.around}: {stake.why}" if stake.around else ""
    if size == 0:
        return f"the two lines end about even{where}."
    if stake.points > 0:
        return f"gives up about {size} point{'s' * (size != 1)}{where}."
    return f"by the search's lines it gains about {size} point{'s' * (size != 1)}{where}."


def summary_comment(review: GameReview) -> str:
    parts = ["tengen review"]
    for color, who in (("B", review.game.get("black")), ("W", review.game.get("white"))):
        p = review.players.get(color)
        if not p or not p["moves"]:
            continue
        c = p["classes"]
        parts.append(f"{color}{' (' + who + ')' if who else ''}: {p['moves']} moves, "
                     f"first choice {pct(p['best_match'])}, top 5 {pct(p['top5_match'])}, "
                     f"mean loss {100 * (p['mean_winrate_loss'] or 0):.1f} points of win rate; "
                     f"{c['inaccuracy']} inaccuracies, {c['mistake']} mistakes, "
                     f"{c['blunder']} blunders")
    return "\n".join(parts)
