"""``tengen eval``: how well the networks predict expert moves and results.

Replays every game and scores every position: policy top-1 and top-5
accuracy against the move played, and value mean squared error against the
final result from the mover's point of view (+1 win, -1 loss; games with no
known winner do not count for the value).  With a rollout policy (given, or
``models/rollout.npz`` when present) its top-1 accuracy on the same
positions is reported too (``rollout_top1``, ``nets.rollout_train``).
"""

import json
import sys

import numpy as np

from .data import build_window, load_corpus
from .features import VALUE_PLANES
from .inference import Networks

LATE_MOVE = 100   # "after move 100": positions with more than 100 moves played


def evaluate(nets, paths, max_positions=None, batch=256, chunk_games=200, progress=False,
             size=None):
    """Scores on the games of ``size`` (default: the first game's size)."""
    corpus = load_corpus(paths, size)
    totals = {"positions": 0, "top1": 0.0, "top5": 0.0, "value_positions": 0, "value_se": 0.0,
              "winner_hits": 0.0, "late_positions": 0, "late_hits": 0.0}
    rng = np.random.default_rng(0)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=max_positions or corpus.moves, unit="pos", unit_scale=True, desc="eval")
    games = np.arange(corpus.games)
    for a in range(0, corpus.games, chunk_games):
        w = build_window(corpus, games[a:a + chunk_games], VALUE_PLANES, rng, symmetries=False)
        for b in range(0, len(w), batch):
            if max_positions and totals["positions"] >= max_positions:
                break
            idx = np.arange(b, min(len(w), b + batch))
            if max_positions:
                idx = idx[:max_positions - totals["positions"]]
            planes = w.planes_of(idx)
            move = w.move[idx]
            if nets.policy_net is not None:
                logits = nets.policy_logits(planes)
                top5 = np.argsort(-logits, axis=1)[:, :5]
                totals["top1"] += float((top5[:, 0] == move).sum())
                totals["top5"] += float((top5 == move[:, None]).any(axis=1).sum())
            if nets.value_net is not None:
                z = w.value[idx]
                known = z != 0
                if known.any():
                    v = nets.value(planes[known])
                    totals["value_se"] += float(((v - z[known]) ** 2).sum())
                    hits = (v > 0) == (z[known] > 0)
                    totals["winner_hits"] += float(hits.sum())
                    late = w.movenum[idx][known] > LATE_MOVE
                    totals["late_hits"] += float(hits[late].sum())
                    totals["late_positions"] += int(late.sum())
                    totals["value_positions"] += int(known.sum())
            totals["positions"] += len(idx)
            if bar is not None:
                bar.update(len(idx))
        if max_positions and totals["positions"] >= max_positions:
            break
    if bar is not None:
        bar.close()
    n, nv = totals["positions"], totals["value_positions"]
    return {
        "positions": n,
        "games": corpus.games,
        "board_size": corpus.size,
        "top1": totals["top1"] / n if n and nets.policy_net is not None else None,
        "top5": totals["top5"] / n if n and nets.policy_net is not None else None,
        "value_mse": totals["value_se"] / nv if nv else None,
        "value_positions": nv,
        "value_winner_accuracy": totals["winner_hits"] / nv if nv else None,
        f"value_winner_accuracy_after_move_{LATE_MOVE}":
            totals["late_hits"] / totals["late_positions"] if totals["late_positions"] else None,
        "skipped_games": corpus.skipped,
    }


def add_arguments(parser):
    parser.add_argument("--model", default="default",
                        help="model file, directory with policy/value files, or 'default'")
    parser.add_argument("--games", nargs="+", required=True, help="SGF files, dirs or archives")
    parser.add_argument("--max-positions", type=int, default=0)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--size", type=int, default=None,
                        help="board size of the games to score (default: the first game's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rollout", default="default",
                        help="rollout policy file to score too ('default': models/rollout.npz "
                        "if present, 'none': skip)")


def _rollout_model(spec):
    """The rollout model named by ``--rollout``, or None."""
    from .rollout import MODELS_DIR, ROLLOUT_FILE, load_model

    if spec == "none":
        return None
    if spec == "default":
        path = MODELS_DIR / ROLLOUT_FILE
        return load_model(path) if path.exists() else None
    return load_model(spec)


def main(args):
    from .model import ModelFileError
    from .rollout import RolloutFileError

    try:
        rollout = _rollout_model(args.rollout)
    except RolloutFileError as e:
        print(f"tengen eval: {e}", file=sys.stderr)
        return 2
    try:
        nets = Networks.from_spec(args.model)
    except ModelFileError:
        if rollout is None or args.model != "default":
            raise
        nets = None     # no networks yet: score the rollout policy alone
    r = {}
    if nets is not None:
        r = evaluate(nets, args.games, args.max_positions or None, args.batch,
                     progress=not args.json and sys.stderr.isatty(), size=args.size)
    if rollout is not None:
        from .rollout_train import rollout_accuracy
        r.update(rollout_accuracy(rollout, args.games, args.max_positions or None, args.size))
    if args.json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            print(f"{k:<22} {v if v is None or isinstance(v, int) else round(v, 4)}")
    return 0
