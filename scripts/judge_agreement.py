"""How well ``tengen analyze`` finds the moves a much stronger engine calls
mistakes (BENCHMARKS.md, "Agreement with a strong judge").

The judge is KataGo with the b10 network that KaTrain's wheel ships
(``pip install -e ".[katrain]"``), through its JSON analysis engine: one raw
evaluation per position by default (``--judge-visits 1``).  It is a
yardstick only: nothing it outputs trains or tunes tengen's networks, and
its answers stay in the work folder.

For each held-out game (the first ``--games`` of ``--archive`` with no
handicap and at least ``--min-moves`` moves, 19x19): the judge's loss of
every move, from the mover's side (the position before the move minus the
position after it, in win rate and in points), against the review's
(``winrate_loss``, ``score_loss`` of ``tengen analyze``'s JSON); the
Spearman rank correlation of the two over the game's moves, and how many of
the judge's 10 biggest losses are among the review's 10 (and 20) biggest.
Beside them, the same with the policy: the mean of a loss's rank and the
rank of the move's surprise to the policy network (-log prior).  A Markdown
table on stdout, every figure in ``WORK/agreement-LABEL.json``
(``-judgeV`` added for a judge of V visits).
Reviews and the judge's answers are kept in ``WORK`` and reused: a second
run with other review settings (``--label``, ``--review-args``) searches
only the reviews.

    nice -n 10 python scripts/judge_agreement.py --work /tmp/judge --games 5
    # where KaTrain's OpenCL KataGo cannot run: KataGo built with its Eigen backend
    #   (cmake -DUSE_BACKEND=EIGEN -DNO_GIT_REVISION=1 in KataGo's cpp/)
    nice -n 10 python scripts/judge_agreement.py --work /tmp/judge --games 5 \\
        --katago KataGo/cpp/build/katago --judge-visits 8
    nice -n 10 python scripts/judge_agreement.py --work /tmp/judge --games 5 \\
        --label v400 --review-args "--visits 400"
"""

import argparse
import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "tygem-9d" / "tygem-2011-11.zip"
TOP = 10


# ---- the measures ------------------------------------------------------------------------
def ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank (Spearman's convention)."""
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values), np.float64)
    ranked[order] = np.arange(1, len(values) + 1)
    for v in np.unique(values):
        tied = values == v
        if tied.sum() > 1:
            ranked[tied] = ranked[tied].mean()
    return ranked


def spearman(a, b) -> float:
    """Spearman's rank correlation of two equally long series (NaN when
    either is constant)."""
    ra, rb = ranks(np.asarray(a, np.float64)), ranks(np.asarray(b, np.float64))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def biggest(losses, k: int) -> set[int]:
    """The indices of the ``k`` biggest losses (the earlier move first among equals)."""
    order = sorted(range(len(losses)), key=lambda i: (-losses[i], i))
    return set(order[:k])


def overlap(judge, review, k: int = TOP, within: int = TOP) -> int:
    """How many of the judge's ``k`` biggest losses are among the review's ``within`` biggest."""
    return len(biggest(judge, k) & biggest(review, within))


def mover_losses(black_series, colors) -> list[float]:
    """Each move's loss from its mover's side, from a series of Black's
    figures by position (position ``i`` before move ``i + 1``)."""
    return [(1 if c == "B" else -1) * (black_series[i] - black_series[i + 1])
            for i, c in enumerate(colors)]


def agreement(review: dict, judge: dict) -> dict:
    """The figures of one game: the review's JSON against the judge's series."""
    moves = review["moves"]
    colors = [m["color"] for m in moves]
    judge_win = mover_losses(judge["winrate_black"], colors)
    judge_points = mover_losses(judge["score_black"], colors)
    review_win = [m["winrate_loss"] for m in moves]
    review_points = [m["score_loss"] if m["score_loss"] is not None else 0.0 for m in moves]
    # policy and value together: the mean of a loss's rank and the rank of
    # the move's surprise to the policy network (-log prior)
    surprise = [-np.log(max(m["policy_prior"] or 0.0, 1e-6)) for m in moves]
    mixed = list((ranks(np.asarray(review_win, np.float64))
                  + ranks(np.asarray(surprise, np.float64))) / 2)
    return {
        "moves": len(moves),
        "rho_winrate": spearman(review_win, judge_win),
        "rho_points": spearman(review_points, judge_points),
        "top10_winrate": overlap(judge_win, review_win),
        "top10_in_20_winrate": overlap(judge_win, review_win, within=2 * TOP),
        "top10_points": overlap(judge_points, review_points),
        "rho_with_policy": spearman(mixed, judge_win),
        "top10_with_policy": overlap(judge_win, mixed),
        "top10_in_20_with_policy": overlap(judge_win, mixed, within=2 * TOP),
        "judge_top10_winrate": sorted(i + 1 for i in biggest(judge_win, TOP)),
        "review_top10_winrate": sorted(i + 1 for i in biggest(review_win, TOP)),
        "review_seconds": review.get("elapsed_s"),
    }


# ---- the games ---------------------------------------------------------------------------
def pick_games(archive: Path, count: int, min_moves: int, folder: Path) -> list[Path]:
    """The first ``count`` even 19x19 games of ``archive`` with at least
    ``min_moves`` moves, written to ``folder`` (their own bytes)."""
    from engine.sgf.archive import ReadStats, iter_records

    folder.mkdir(parents=True, exist_ok=True)
    picked = []
    for record, data, _ in iter_records([str(archive)], ReadStats(), with_data=True):
        if record.size != 19 or record.handicap or record.setup or len(record.moves) < min_moves:
            continue
        name = record.source.rpartition(":")[2].rpartition("/")[2]
        path = folder / name
        path.write_bytes(data)
        picked.append(path)
        if len(picked) == count:
            break
    return picked


def review_games(games: list[Path], out: Path, review_args: str) -> None:
    """``tengen analyze`` the games into ``out`` (a finished review is reused)."""
    command = [sys.executable, "-m", "tengen.cli", "analyze", *map(str, games), "--out", str(out),
               "--no-sgf", "--no-html", "--no-plot", "--no-csv", "--seed", "1",
               *shlex.split(review_args)]
    print("+", shlex.join(command), file=sys.stderr)
    subprocess.run(command, check=True)


# ---- the judge ---------------------------------------------------------------------------
def katago_files(binary_override: Path | None = None) -> tuple[Path, Path]:
    """KataGo's binary (``--katago``, else the one in KaTrain's wheel) and
    the network in KaTrain's wheel."""
    spec = importlib.util.find_spec("katrain")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("KaTrain is not installed: pip install -e \".[katrain]\"")
    root = Path(spec.submodule_search_locations[0])
    models = sorted((root / "models").glob("*.bin.gz"))
    binary = binary_override or root / "KataGo" / ("katago.exe" if os.name == "nt" else "katago")
    if not binary.exists() or not models:
        sys.exit(f"no KataGo binary or network in {root}")
    return binary, models[0]


def judge_query(review: dict, visits: int) -> dict:
    """One query for every position of the reviewed game, under its rules and komi."""
    game = review["game"]
    setup = [[c, v] for c in ("B", "W") for v in game["setup"][c]]
    return {"id": review["name"], "moves": [[m["color"], m["move"]] for m in review["moves"]],
            "initialStones": setup, "initialPlayer": game["first_to_move"],
            "rules": game["rules"], "komi": game["komi"],
            "boardXSize": game["size"], "boardYSize": game["size"],
            "analyzeTurns": list(range(len(review["moves"]) + 1)), "maxVisits": visits,
            "includePolicy": False, "includeOwnership": False}


def run_judge(reviews: list[dict], visits: int, folder: Path,
              binary_override: Path | None = None) -> dict[str, dict]:
    """The judge's series of each game (Black's win rate and score by
    position), from ``folder`` when already there."""
    folder.mkdir(parents=True, exist_ok=True)
    found, todo = {}, []
    for review in reviews:
        path = folder / f"{review['name']}-v{visits}.json"
        if path.exists():
            found[review["name"]] = json.loads(path.read_text())
        else:
            todo.append(review)
    if not todo:
        return found
    binary, model = katago_files(binary_override)
    config = folder / "judge.cfg"
    config.write_text("reportAnalysisWinratesAs = BLACK\nnumAnalysisThreads = 1\n"
                      "numSearchThreads = 1\nnnMaxBatchSize = 1\nnnRandomize = false\n"
                      "numEigenThreadsPerModel = 1\n"
                      f"homeDataDir = {folder / 'katago-home'}\n")
    env = {**os.environ, "APPIMAGE_EXTRACT_AND_RUN": "1"}     # no FUSE needed
    queries = "".join(json.dumps(judge_query(r, visits)) + "\n" for r in todo)
    print(f"judging {len(todo)} games with {model.name}, {visits} visit(s) a position",
          file=sys.stderr)
    done = subprocess.run([str(binary), "analysis", "-model", str(model), "-config", str(config)],
                          input=queries, capture_output=True, text=True, env=env, check=True)
    answers: dict[str, dict[int, dict]] = {}
    for line in done.stdout.splitlines():
        response = json.loads(line)
        if "error" in response:
            sys.exit(f"the judge refused a query: {response}")
        if "rootInfo" in response:
            answers.setdefault(response["id"], {})[response["turnNumber"]] = response["rootInfo"]
    for review in todo:
        turns = answers[review["name"]]
        series = {"model": model.name, "visits": visits,
                  "winrate_black": [turns[k]["winrate"] for k in sorted(turns)],
                  "score_black": [turns[k]["scoreLead"] for k in sorted(turns)]}
        (folder / f"{review['name']}-v{visits}.json").write_text(json.dumps(series))
        found[review["name"]] = series
    return found


# ---- the report --------------------------------------------------------------------------
def table(rows: list[tuple[str, dict]]) -> str:
    lines = ["| game | moves | ρ win rate | ρ points | judge's top 10 in review's top 10 "
             "(win rate) | ... in its top 20 | ... (points) | ρ win rate with policy "
             "| top 10 | top 20 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        lines.append(f"| {name} | {r['moves']} | {r['rho_winrate']:.2f} | {r['rho_points']:.2f} "
                     f"| {r['top10_winrate']:g} | {r['top10_in_20_winrate']:g} "
                     f"| {r['top10_points']:g} | {r['rho_with_policy']:.2f} "
                     f"| {r['top10_with_policy']:g} | {r['top10_in_20_with_policy']:g} |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> dict:
    keys = ("rho_winrate", "rho_points", "top10_winrate", "top10_in_20_winrate", "top10_points",
            "rho_with_policy", "top10_with_policy", "top10_in_20_with_policy")
    return {k: float(np.nanmean([r[k] for r in rows])) for k in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--games", type=int, default=5)
    parser.add_argument("--min-moves", type=int, default=120)
    parser.add_argument("--work", type=Path, required=True, help="folder for games, reviews, "
                        "the judge's answers and the figures")
    parser.add_argument("--label", default="default", help="names this review setting")
    parser.add_argument("--review-args", default="", help="more options for tengen analyze")
    parser.add_argument("--judge-visits", type=int, default=1)
    parser.add_argument("--katago", type=Path, default=None,
                        help="a KataGo binary to judge with instead of KaTrain's (whose OpenCL "
                             "build needs a working OpenCL device; KataGo built with "
                             "-DUSE_BACKEND=EIGEN runs on any CPU)")
    args = parser.parse_args(argv)

    games = pick_games(args.archive, args.games, args.min_moves, args.work / "games")
    out = args.work / f"review-{args.label}"
    review_games(games, out, args.review_args)
    reviews = [json.loads((out / f"{g.stem}.json").read_text()) for g in games]
    judged = run_judge(reviews, args.judge_visits, args.work / "judge", args.katago)
    rows = [(r["name"], agreement(r, judged[r["name"]])) for r in reviews]
    mean = summary([r for _, r in rows])
    print(table(rows + [("mean", {"moves": sum(r["moves"] for _, r in rows), **mean})]))
    result = {"label": args.label, "review_args": args.review_args,
              "judge_visits": args.judge_visits, "games": dict(rows), "mean": mean}
    judge = "" if args.judge_visits == 1 else f"-judge{args.judge_visits}"
    (args.work / f"agreement-{args.label}{judge}.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
