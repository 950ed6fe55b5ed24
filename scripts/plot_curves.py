"""Learning curves as a PNG: validation top-1 and loss against positions
seen, for one or more training runs (``metrics.csv`` of ``tengen train``).

    python scripts/plot_curves.py OUT.png RUN_DIR [RUN_DIR ...] [--labels A B ...]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--labels", nargs="*")
    ap.add_argument("--title", default="Policy network, validation on tygem-2011-11")
    args = ap.parse_args()
    labels = args.labels or [Path(r).name for r in args.runs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for run, label in zip(args.runs, labels):
        xs, top1, loss = validation_points(run)
        a1.plot(xs, top1, marker=".", label=label)
        a2.plot(xs, loss, marker=".", label=label)
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
