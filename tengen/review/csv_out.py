"""``summary.csv``: one row per player per game, for people who review many
games (a spreadsheet, or pandas)."""

import csv
import io
import os

from tengen.base.files import atomic_write

from .config import CLASSES
from .mistakes import PHASES
from .schema import GameReview

PLURALS = {c: c[:-1] + "ies" if c.endswith("y") else c + "s" for c in CLASSES[1:]}
COLUMNS = (["game", "source", "color", "player", "opponent", "result", "size", "komi",
            "moves", "best_match", "top5_match", "mean_winrate_loss", "mean_score_loss"]
           + list(PLURALS.values())
           + [f"{ph}_{k}" for ph in PHASES for k in ("moves", "best_match", "mean_winrate_loss")])


def _num(x: float | None, digits: int = 4) -> float | str:
    return "" if x is None else round(x, digits)


def rows(review: GameReview) -> list[dict[str, object]]:
    out = []
    info = review.game
    for color, me, other in (("B", "black", "white"), ("W", "white", "black")):
        p = review.players[color]
        row = {"game": review.name, "source": review.source, "color": color,
               "player": info.get(me) or "", "opponent": info.get(other) or "",
               "result": info.get("result") or "", "size": info["size"], "komi": info["komi"],
               "moves": p["moves"], "best_match": _num(p["best_match"]),
               "top5_match": _num(p["top5_match"]),
               "mean_winrate_loss": _num(p["mean_winrate_loss"]),
               "mean_score_loss": _num(p["mean_score_loss"], 2)}
        for c, column in PLURALS.items():
            row[column] = p["classes"][c]
        for ph in PHASES:
            q = p["phases"][ph]
            row[f"{ph}_moves"] = q["moves"]
            row[f"{ph}_best_match"] = _num(q["best_match"])
            row[f"{ph}_mean_winrate_loss"] = _num(q["mean_winrate_loss"])
        out.append(row)
    return out


def summary_csv(reviews: list[GameReview]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in reviews:
        w.writerows(rows(r))
    return buf.getvalue()


def write_csv(path: str | os.PathLike[str], reviews: list[GameReview]) -> None:
    with atomic_write(path, "w") as f:
        f.write(summary_csv(reviews))
