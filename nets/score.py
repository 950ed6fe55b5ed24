"""Score estimates from the value network's ownership head.

Black's lead in a position is the ownership map summed (``+1`` a point of
the side to move; averaged over ``symmetries`` of the board's eight, which
costs as many network evaluations) minus komi, turned to Black's side; a
finished game (two passes) is counted instead (area count, estimated dead
stones removed).  The shipped network gives the side to move about five
points more than the same board with the other side to move, so
``lead_after`` compares moves like with like: the position after each
move, the mean of both sides to move.  ``tengen analyze`` and GTP's
``kata-analyze`` (``scoreLead``) both read their scores here.
"""

import numpy as np

from engine import board as B
from engine.board import BLACK, WHITE
from engine.dead_stones import final_score
from engine.game import Game, IllegalMove
from engine.player import with_mover

from .features import VALUE_PLANES, encode_batch
from .inference import Networks
from .symmetry import NUM_SYMMETRIES

BATCH = 64


def black_leads(nets: Networks, positions: list[tuple[Game, int]],
                symmetries: int = NUM_SYMMETRIES) -> list[float] | None:
    """Black's lead in each ``(game, side to move)``; None without a value
    network."""
    if not nets.has_value:
        return None
    out = [0.0] * len(positions)
    todo = []
    for k, (g, mover) in enumerate(positions):
        if g.is_over:
            out[k] = float(final_score(g))
        else:
            todo.append(k)
    if not todo:
        return out
    asked = [positions[k] for k in todo]
    sums = movers_ownership(nets, asked, symmetries).sum(axis=(1, 2))
    black = np.array([mover == BLACK for _, mover in asked])
    leads = movers_lead(sums, np.array([g.komi for g, _ in asked]), black)
    for j, lead in enumerate(np.where(black, leads, -leads)):
        out[todo[j]] = float(lead)
    return out


def movers_ownership(nets: Networks, positions: list[tuple[Game, int]],
                     symmetries: int = 1) -> np.ndarray:
    """The ownership head's map (K, n, n) of each ``(game, side to move)``
    in the mover's frame (+1: the point ends up the mover's), averaged
    over ``symmetries`` of the board's eight; rows are the board's y
    (row 0 is line 1).  The networks must have a value network."""
    states = np.stack([with_mover(g, mover).state for g, mover in positions])
    size = int(states[0][B.H_N])
    planes = np.zeros((len(states), VALUE_PLANES, size, size), np.uint8)
    encode_batch(states, planes)
    step = max(1, BATCH // symmetries)
    maps = [nets.value_and_ownership(planes[i:i + step], symmetries)[1]
            for i in range(0, len(states), step)]
    return np.concatenate(maps)


def movers_lead(ownership_sums: np.ndarray, komi: np.ndarray,
                black_to_move: np.ndarray) -> np.ndarray:
    """The mover's lead from the ownership maps' sums (mover's frame):
    komi counts against Black and for White."""
    return ownership_sums + np.where(black_to_move, -komi, komi)


def both_sides(game: Game) -> list[tuple[Game, int]]:
    """``game`` with Black to move and with White to move, for ``black_leads``;
    the mean of the two is the lead without the side to move's bias."""
    return [(game, BLACK), (game, WHITE)]


def lead_after(nets: Networks, game: Game, color: int, moves: list[int],
               symmetries: int = 2) -> list[float | None] | None:
    """``color``'s lead after each of ``moves`` (None for an illegal one),
    the mean of both sides to move; None without a value network."""
    if not nets.has_value:
        return None
    asks, where = [], []
    for p in moves:
        g = game.copy()
        try:
            g.play(p, color)
        except IllegalMove:
            where.append(None)
            continue
        where.append(len(asks))
        asks += both_sides(g)
    leads = black_leads(nets, asks, symmetries) if asks else []
    sign = 1.0 if color == BLACK else -1.0
    return [None if k is None else sign * (leads[k] + leads[k + 1]) / 2 for k in where]
