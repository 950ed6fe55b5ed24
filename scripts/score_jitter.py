"""The review graph's score line on held-out games, raw against calibrated.

For the first ``--games`` counted games of the held-out archive, every
position's score as ``tengen analyze`` draws it (Black's lead, the mean of
both sides to move over the board's eight symmetries, less the last
mover's bias measured on the game: ``tengen.review.reviewer``), once with
the value network's calibration and once without (the ownership head
summed): how far it is from the counted result, and how much it moves from
one move to the next (the zigzag of the graph's dashed line).  No search:
the graph's line is the network's reading of the positions.

    python scripts/score_jitter.py --games 20
"""

import argparse
import sys

import numpy as np

from engine.board import BLACK
from engine.dead_stones import final_score
from engine.sgf.archive import ReadStats, iter_records
from nets.inference import Networks
from nets.score import Calibration, both_sides, calibration_of, evaluations, movers_lead
from tengen.base.paths import DATA_DIR, VALIDATION_ARCHIVE
from tengen.review.games import rules_for
from tengen.review.reviewer import last_mover_bias


def lines(nets: Networks, games: list, colors: list[int]) -> dict[bool, np.ndarray]:
    """The graph's score line of one game, calibrated (True) and raw."""
    asks = [side for g in games for side in both_sides(g)]
    value, maps = evaluations(nets, asks, symmetries=8)
    black = np.array([mover == BLACK for _, mover in asks])
    raw = movers_lead(maps.sum(axis=(1, 2)), np.array([g.komi for g, _ in asks]), black)
    signs = [0] + [1 if c == BLACK else -1 for c in colors]
    signs = [0 if g.is_over else s for g, s in zip(games, signs)]
    out = {}
    for calibrated, cal in ((True, calibration_of(nets)), (False, Calibration.identity())):
        mover = cal.lead(raw, value, black)
        lead = [float(final_score(g)) if g.is_over else float(x if b else -x)
                for (g, _), x, b in zip(asks, mover, black)]
        line = [(lead[2 * k] + lead[2 * k + 1]) / 2 for k in range(len(games))]
        bias = last_mover_bias(line, signs)
        out[calibrated] = np.array([x - s * bias for x, s in zip(line, signs)])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=20, help="counted held-out games")
    args = parser.parse_args()
    nets = Networks.from_spec("default", threads=1)
    assert calibration_of(nets) != Calibration.identity(), "no calibration beside the network"
    errors: dict[bool, list] = {True: [], False: []}
    steps: dict[bool, list] = {True: [], False: []}
    done = 0
    for rec in iter_records([str(DATA_DIR / VALIDATION_ARCHIVE)], ReadStats()):
        if rec.margin is None or rec.handicap or rec.size != 19:
            continue
        rules = rules_for(rec, None)
        games = [rec.to_game(rules, upto=k) for k in range(len(rec.moves) + 1)]
        for calibrated, line in lines(nets, games, [c for c, _ in rec.moves]).items():
            errors[calibrated].extend(np.abs(line - rec.margin))
            steps[calibrated].extend(np.abs(np.diff(line)))
        done += 1
        if done == args.games:
            break
    print(f"| Black's lead on the review's graph ({done} counted held-out games, "
          f"{len(errors[True])} positions) | error (points) | jitter (points a move) |")
    print("|---|---|---|")
    for calibrated, name in ((False, "ownership head summed (until now)"), (True, "calibrated")):
        print(f"| {name} | {np.mean(errors[calibrated]):.2f} | {np.mean(steps[calibrated]):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
