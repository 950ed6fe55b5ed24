"""scripts/plot_curves.py: runs continued from one another and the shipped
lineage's eval figures drawn on one axis."""

import csv
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "plot_curves.py"


def write_run(run: Path, points: list[tuple[int, float, float]]) -> None:
    run.mkdir()
    with open(run / "metrics.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["positions", "hours", "cpu_hours", "split", "metrics"])
        w.writerow([1000, 0.01, 0.01, "train", json.dumps({"loss": 3.0, "top1": 0.1})])
        for positions, top1, loss in points:
            w.writerow([positions, 0.1, 0.1, "val", json.dumps({"loss": loss, "top1": top1})])


def plot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, cwd=tmp_path)


def test_a_continued_run_and_the_lineage_make_one_png(tmp_path):
    write_run(tmp_path / "wide", [(500_000, 0.46, 1.98), (1_000_000, 0.47, 1.95)])
    (tmp_path / "lineage.csv").write_text("name,positions,top1\nc4,11900000,0.4684\n")
    out = tmp_path / "curve.png"
    r = plot(tmp_path, str(out), "wide", "--starts", "15.2", "--milestones", "lineage.csv")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_start_missing_for_a_run_is_refused(tmp_path):
    write_run(tmp_path / "a", [(500_000, 0.46, 1.98)])
    write_run(tmp_path / "b", [(500_000, 0.45, 1.99)])
    r = plot(tmp_path, "x.png", "a", "b", "--starts", "15.2")
    assert r.returncode == 2
    assert "--starts needs one value per run" in r.stderr
    assert not (tmp_path / "x.png").exists()
