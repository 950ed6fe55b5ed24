"""The HTML report: one self-contained file (``report.html``, the template,
with the review's data inlined as JSON), so it opens offline and can be
mailed or archived as it is: no script, style or font is fetched.

The boards are computed here, through the rules (captures included), and
shipped as strings, so the page's script only draws: the position after
every move, and for each listed mistake the position before it with the
better line played out and numbered, with what the mistake puts at stake
(``MoveReview.stake``) as squares on the points whose owner changes.
"""

import json
import os
from importlib import resources

from engine.board import BLACK, WHITE
from engine.colors import COLOR_LETTERS
from engine.coords import parse_gtp, to_point
from engine.game import Game, IllegalMove
from engine.rules import Rules
from engine.sgf.record import GameRecord
from tengen.base.files import atomic_write

from .mistakes import biggest_mistakes
from .schema import GameReview, MoveReview, to_dict
from .text import move_comment, stake_sentence, summary_comment

_CHARS = {BLACK: "B", WHITE: "W"}


def board_string(game: Game) -> str:
    """The board as ``n*n`` characters, rows from the top: ``B``, ``W``, ``.``."""
    n = game.size
    return "".join(_CHARS.get(game.color_at(to_point(x, n - 1 - row, n)), ".")
                   for row in range(n) for x in range(n))


def hoshi(n: int) -> list[list[int]]:
    """The star points as [column, row from the top]."""
    if n < 7:
        return []
    d = 3 if n >= 13 else 2
    lines = [d, n - 1 - d] + ([n // 2] if n % 2 and n >= 15 else [])
    points = [[x, y] for x in lines for y in lines]
    if n % 2 and n < 15:
        points.append([n // 2, n // 2])
    return points


def better_line(game: Game, m: MoveReview) -> dict:
    """The position ``game`` (before move ``m``) with ``m``'s better line
    played out: the board and the numbered stones still standing."""
    g = game.copy()
    n = g.size
    color = BLACK if m.color == "B" else WHITE
    placed = []
    for k, vertex in enumerate(m.best_pv, 1):
        p = parse_gtp(vertex, n)
        try:
            g.play(p, color)
        except IllegalMove:
            break
        if vertex != "pass":
            placed.append((vertex, k, COLOR_LETTERS[color], p))
        color = 3 - color
    labels = [[v, k, c] for v, k, c, p in placed if g.color_at(p) != 0]
    return {"board": board_string(g), "labels": labels}


def report_data(review: GameReview, record: GameRecord, rules: Rules) -> dict:
    """What the page's script reads: the review's JSON plus boards and texts."""
    data = to_dict(review)
    listed = {m.number for c in ("B", "W") for m in biggest_mistakes(review, c)}
    game = record.to_game(rules, upto=0)
    boards, lines = [board_string(game)], {}
    for m, (c, p) in zip(review.moves, record.moves):
        if m.number in listed:
            lines[str(m.number)] = better_line(game, m)
        game.play(p, c)
        boards.append(board_string(game))
    for d, m in zip(data["moves"], review.moves):
        d["comment"] = move_comment(m)
        d["stake_text"] = stake_sentence(m.stake) if m.stake is not None else None
    info = review.game
    black, white = info.get("black") or "Black", info.get("white") or "White"
    visits, seconds = review.settings.get("visits"), review.settings.get("seconds")
    budget = f"{visits} visits" if visits else f"{seconds or 0:g} s"
    data.update({
        "size": review.size, "boards": boards, "lines": lines, "hoshi": hoshi(review.size),
        "summary_text": summary_comment(review),
        "title": f"{black} (B) vs {white} (W)" + (f": {info['result']}" if info.get("result")
                                                  else ""),
        "subtitle": f"{review.name}: {review.size}x{review.size}, komi {info['komi']:g}, "
                    f"{info['rules']} rules" + (f", handicap {info['handicap']}"
                                                if info.get("handicap") else "")
                    + f"; {budget} a position, tengen {review.settings.get('tengen', '')}",
    })
    return data


def render(data: dict) -> str:
    template = resources.files(__package__).joinpath("report.html").read_text(encoding="utf-8")
    # inside <script>, "</" would end the element: JSON allows "<\/"
    payload = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    title = data["title"].replace("&", "&amp;").replace("<", "&lt;")
    return template.replace("__TITLE__", title).replace("__DATA__", payload)


def write_report(path: str | os.PathLike[str], review: GameReview, record: GameRecord,
                 rules: Rules) -> None:
    with atomic_write(path, "w") as f:
        f.write(render(report_data(review, record, rules)))
