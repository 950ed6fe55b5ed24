"""A self-play run's records of itself: ``metrics.csv`` (a row per
iteration), TensorBoard curves (``tb/``), and the disk it uses.

Why the CSV is rewritten whole (atomically) rather than appended to: an
append cut by ``kill -9`` leaves half a row; and a resumed run redoes the
iterations after its checkpoint, whose rows are dropped first
(``truncate_rows``), so every iteration appears once.

Disk: SGF files and RL shards are kept up to a size each (the oldest
batches go first, ``enforce_limit``); value shards, the value network's
data (a few hundred bytes a game), are kept whole; ``disk_usage`` states
what each part takes.
"""

import csv
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from tengen.base.files import atomic_write

if TYPE_CHECKING:     # annotations only: importing it loads TensorBoard
    from torch.utils.tensorboard import SummaryWriter


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _write_rows(path: Path, rows: list[dict]) -> None:
    fields: list[str] = []
    for r in rows:
        fields += [k for k in r if k not in fields]
    with atomic_write(path, "w") as f:
        w = csv.DictWriter(f, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(rows)


def append_row(path: str | Path, row: dict) -> None:
    """Add ``row`` to the CSV file ``path`` (new columns allowed)."""
    path = Path(path)
    _write_rows(path, _rows(path) + [{k: str(v) for k, v in row.items()}])


def truncate_rows(path: str | Path, iteration: int) -> None:
    """Drop the rows of iterations after ``iteration`` (redone on resume)."""
    path = Path(path)
    rows = _rows(path)
    keep = [r for r in rows if int(r.get("iteration") or 0) <= iteration]
    if len(keep) != len(rows):
        _write_rows(path, keep)


def log_iteration(out: str | Path, curves: "Curves", m: dict, stats: dict,
                  iteration: int) -> None:
    """An iteration's row in ``metrics.csv`` and its TensorBoard points:
    win rates (against the pool; against the start when the opponent was
    the start), the learner's loss, entropy and baseline, positions per
    second, false resignations so far, and the gate's figures."""
    row = {k: (round(v, 5) if isinstance(v, float) else v) for k, v in m.items()}
    row["hours"] = round(stats["seconds"] / 3600, 4)
    row["disk_mb"] = disk_usage(out)["total"]
    append_row(Path(out) / "metrics.csv", row)
    points = {"rl/win_rate": m["win_rate"], "rl/loss": m.get("rl_loss"),
              "rl/entropy": m.get("rl_entropy"), "rl/baseline": m.get("rl_baseline"),
              "selfplay/positions_per_s": m["positions_per_s"],
              "selfplay/value_positions": stats["value_positions"], "disk/mb": row["disk_mb"]}
    if m["opponent"] == 0:
        points["rl/win_rate_vs_start"] = m["win_rate"]
    if stats["would_resign"]:
        points["resign/false_rate"] = stats["false_resignations"] / stats["would_resign"]
    for k in ("gate_share", "gate_elo_vs_start", "gate_share_vs_start"):
        if k in m:
            points[f"gate/{k[5:]}"] = m[k]
    curves.add(points, iteration)


def tree_bytes(path: str | Path) -> int:
    path = Path(path)
    if not path.exists():
        return 0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def enforce_limit(directory: str | Path, limit_bytes: int) -> int:
    """Delete the oldest entries (by name: batches are named in the order
    they were played) of ``directory`` until it takes at most
    ``limit_bytes``; returns the bytes freed.  0: no limit."""
    directory = Path(directory)
    if limit_bytes <= 0 or not directory.exists():
        return 0
    entries = sorted(directory.iterdir(), key=lambda p: p.name)
    sizes = [tree_bytes(e) if e.is_dir() else e.stat().st_size for e in entries]
    total, freed = sum(sizes), 0
    for e, size in zip(entries, sizes):
        if total - freed <= limit_bytes:
            break
        if e.is_dir():
            shutil.rmtree(e, ignore_errors=True)
        else:
            e.unlink(missing_ok=True)
        freed += size
    return freed


def disk_usage(out: str | Path) -> dict[str, float]:
    """Megabytes taken by each part of the run directory ``out``."""
    out = Path(out)
    parts = {"sgf": out / "sgf", "rl_shards": out / "shards" / "rl",
             "value_shards": out / "shards" / "value", "pool": out / "pool"}
    mb = {k: tree_bytes(p) / 1e6 for k, p in parts.items()}
    mb["total"] = tree_bytes(out) / 1e6
    return {k: round(v, 2) for k, v in mb.items()}


class Curves:
    """TensorBoard scalars under ``out/tb``, opened on first use."""

    def __init__(self, out: str | Path):
        self.dir = Path(out) / "tb"
        self.writer: "SummaryWriter | None" = None

    def add(self, values: dict[str, float], step: int) -> None:
        if self.writer is None:
            from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(str(self.dir))
        for k, v in values.items():
            if v is not None and v == v:     # skip None and NaN
                self.writer.add_scalar(k, float(v), step)
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
