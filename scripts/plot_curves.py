"""Learning curves as a PNG: validation top-1 and loss against positions
seen, for one or more training runs (``metrics.csv`` of ``tengen train``).

    python scripts/plot_curves.py OUT.png RUN_DIR [RUN_DIR ...] [--labels A B ...]
        [--starts M ...] [--milestones CSV]

``--starts`` shifts each run by the positions its start had already seen
(millions), so runs continued from one another line up on one axis.
``--milestones`` adds the shipped lineage's ``tengen eval`` top-1 (a CSV of
``name,positions,top1``; its 50,000 positions are another sample than the
runs' 8,192, so they are drawn as their own labelled series): the run folders
behind earlier curves do not survive a machine, the model card's figures do.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def validation_points(run):
    xs, top1, loss = [], [], []
    with open(Path(run) / "metrics.csv") as f:
        for r in csv.DictReader(f):
            if r["split"] != "val":
                continue
            m = json.loads(r["metrics"])
            xs.append(int(r["positions"]) / 1e6)
            top1.append(100 * m.get("top1", float("nan")))
            loss.append(m["loss"])
    return xs, top1, loss


def milestone_points(path: Path) -> tuple[list[str], list[float], list[float]]:
    """Names, positions (millions) and top-1 (%) of the lineage CSV's rows."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return ([r["name"] for r in rows], [float(r["positions"]) / 1e6 for r in rows],
            [100 * float(r["top1"]) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--labels", nargs="*")
    ap.add_argument("--starts", nargs="*", type=float,
                    help="positions (millions) each run's start had seen")
    ap.add_argument("--milestones", type=Path,
                    help="CSV of name,positions,top1: tengen eval of shipped networks")
    ap.add_argument("--title", default="Policy network, validation on tygem-2011-11")
    args = ap.parse_args()
    labels = args.labels or [Path(r).name for r in args.runs]
    starts = args.starts or [0.0] * len(args.runs)
    if len(starts) != len(args.runs):
        ap.error("--starts needs one value per run")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for run, label, start in zip(args.runs, labels, starts):
        xs, top1, loss = validation_points(run)
        xs = [x + start for x in xs]
        a1.plot(xs, top1, marker=".", label=label)
        a2.plot(xs, loss, marker=".", label=label)
    if args.milestones:
        names, xs, top1 = milestone_points(args.milestones)
        a1.plot(xs, top1, "k^--", label="tengen eval, 50,000 positions")
        for name, x, y in zip(names, xs, top1):
            a1.annotate(name, (x, y), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=7)
    a1.set_xlabel("training positions (millions)")
    a1.set_ylabel("validation top-1 (%)")
    a1.grid(alpha=0.3)
    a2.set_xlabel("training positions (millions)")
    a2.set_ylabel("validation loss")
    a2.grid(alpha=0.3)
    a1.legend(fontsize=8)
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
