"""Does the stake a review states for a mistake agree with its score loss?

For every classed move (inaccuracy, mistake, blunder) of the reviews given
(``tengen analyze``'s JSON files, or folders of them) that has a stake and a
score loss: whether the two agree in sign, how their sizes compare (the
median ratio, the share within a factor of two), and their correlation.
The stake is the score difference of the two lines' ends (the better
line against the move played and its refutation); the score loss is the
difference one move deep, so they measure the same thing at two depths.
The correlation is Spearman's (ranks): a few lines that end in a capture
race would dominate a linear one.

    python scripts/stake_check.py --pick 4 /tmp/held    # the first 4 held-out games, as SGF
    tengen analyze /tmp/held --out /tmp/held-reviews
    python scripts/stake_check.py /tmp/held-reviews
    python scripts/stake_check.py /tmp/held-reviews --plies 1,2,3,4,6,13

``--plies``: the stakes computed again from the reviews' lines (and their
games, read from each review's ``source``) with both lines cut to each
of these lengths, the agreement for each: why the review cuts them at
``tengen.review.stakes.STAKE_PLIES``.
"""

import argparse
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from tengen.base.paths import DATA_DIR, VALIDATION_ARCHIVE


def pick(count: int, out: Path) -> None:
    """Write the first ``count`` games of the held-out archive to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(DATA_DIR / VALIDATION_ARCHIVE) as z:
        for name in z.namelist()[:count]:
            (out / Path(name).name).write_bytes(z.read(name))


def classed(paths: list[str]) -> list[tuple[dict, dict]]:
    """(review, move) of every classed move with a stake and a score loss."""
    found = []
    files = [p for path in paths for p in (sorted(Path(path).glob("*.json"))
                                           if Path(path).is_dir() else [Path(path)])]
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        found += [(data, m) for m in data.get("moves", [])
                  if m["class"] != "good" and m.get("stake") and m["score_loss"] is not None]
    return found


def recomputed(moves: list[tuple[dict, dict]], plies: int) -> list[tuple[float, float]]:
    """(score loss, stake) with the stake computed again, lines cut to ``plies``."""
    from engine.board import BLACK, WHITE
    from engine.sgf.read import parse_sgf
    from mcts.analysis import shared_networks
    from nets.config import NetworkConfig
    from tengen.review.games import rules_for
    from tengen.review.stakes import StakeQuery, stakes

    records: dict[str, object] = {}
    queries = []
    for data, m in moves:
        source = data["source"]
        if source not in records:
            records[source] = parse_sgf(Path(source).read_bytes(), source)
        rec = records[source]
        rules = rules_for(rec, data["game"]["rules"])
        k = m["number"] - 1
        queries.append(StakeQuery(rec.to_game(rules, upto=k), BLACK if m["color"] == "B" else WHITE,
                                  m["best_pv"], rec.to_game(rules, upto=k + 1), m["refutation"]))
    size = moves[0][0]["game"]["size"]
    cfg = NetworkConfig()
    nets = shared_networks(cfg.policy_path(size), cfg.value_path(size), 1)
    return [(m["score_loss"], s.points)
            for (_, m), s in zip(moves, stakes(nets, queries, plies) or [])]


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks, ties sharing their mean rank (for Spearman's correlation)."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    for v in np.unique(x):
        ranks[x == v] = ranks[x == v].mean()
    return ranks


def report(found: list[tuple[float, float]]) -> str:
    loss, stake = np.array(found).T
    nonzero = np.abs(loss) >= 0.5
    ratio = stake[nonzero] / loss[nonzero]
    header = ("| classed moves | same sign | median stake / score loss | within a factor of 2 "
              "| rank correlation |")
    row = (f"| {len(found)} | {np.mean(np.sign(stake) == np.sign(loss)):.0%} | "
           f"{np.median(ratio):.2f} | {np.mean((ratio >= 0.5) & (ratio <= 2)):.0%} | "
           f"{np.corrcoef(_ranks(loss), _ranks(stake))[0, 1]:.2f} |")
    medians = (f"score loss: median {np.median(loss):.1f} points; stake: median "
               f"{np.median(stake):.1f}")
    return f"{header}\n|---|---|---|---|---|\n{row}\n\n{medians}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="review JSON files or folders of them "
                                                 "(with --pick: the folder to write games to)")
    parser.add_argument("--pick", type=int, default=0,
                        help="write the first N held-out games to the folder instead")
    parser.add_argument("--plies", default="",
                        help="compute the stakes again with lines cut to these lengths (1,2,3)")
    args = parser.parse_args()
    if args.pick:
        pick(args.pick, Path(args.paths[0]))
        return 0
    moves = classed(args.paths)
    if not moves:
        print("no classed move with a stake and a score loss", file=sys.stderr)
        return 1
    print("As reviewed:\n")
    print(report([(m["score_loss"], m["stake"]["points"]) for _, m in moves]))
    for plies in [int(p) for p in args.plies.split(",") if p]:
        print(f"\nLines cut to {plies} moves:\n")
        print(report(recomputed(moves, plies)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
