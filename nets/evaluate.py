"""``tengen eval``: how well the networks predict expert moves and results.

Replays every game and scores every position: policy top-1 and top-5
accuracy against the move played, and value mean squared error against the
final result from the mover's point of view (+1 win, -1 loss; games with no
known winner do not count for the value).  With a rollout policy (given, or
``tengen/models/rollout.npz`` when present) its top-1 accuracy on the same
positions is reported too (``rollout_top1``, ``nets.rollout.train``).

The score estimate (``nets.score``: the ownership summed, komi taken off,
from the mover's side, through the value network's calibration where it
has one, with the side to move of the position alone) is scored against the games whose
result is a count (``B+3.5``; most expert games end by resignation): its
mean absolute error and mean signed error (the bias toward the mover) in
points, over all their positions and after move 100.  Expert games are
counted by territory, the estimate is an area count; the two differ by the
prisoners and dame, usually a point or two.  The estimate's sign also calls
the winner of every game with a known result (``score_winner_accuracy``),
beside the value head's call: two readings of one network.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.corpus import Corpus, load_corpus
from engine.sgf.archive import Paths
from nets.rollout.model import RolloutFileError, RolloutModel
from nets.rollout.model import load_model as load_rollout_model
from nets.rollout.train import rollout_accuracy
from tengen.base.config import (
    add_options,
    at_least,
    from_args,
    option,
    option_of,
    parse_config,
    require,
)
from tengen.base.control import JsonOutput
from tengen.base.paths import MODELS_DIR, ROLLOUT_FILE

from .data import Window, build_window
from .features import VALUE_PLANES
from .config import NetworkConfig, check_runtime
from .device import check_device
from .inference import Networks
from .model import ModelFileError
from .score import calibration_of, movers_lead
from .symmetry import NUM_SYMMETRIES

LATE_MOVE = 100   # "after move 100": positions with more than 100 moves played


def scored_windows(corpus: Corpus, planes: int, chunk_games: int, rng: np.random.Generator
                   ) -> Iterator[Window]:
    """The corpus's positions in the order ``evaluate`` scores them: every
    game in order, ``chunk_games`` at a time, no symmetries (the policy's 48
    planes are the first 48 of the value network's 49)."""
    games = np.arange(corpus.games)
    for a in range(0, corpus.games, chunk_games):
        yield build_window(corpus, games[a:a + chunk_games], planes, rng, symmetries=False)


def evaluate(nets: Networks, paths: Paths, max_positions: int | None = None, batch: int = 256,
             chunk_games: int = 200, progress: bool = False, size: int | None = None,
             symmetries: int = 1) -> dict[str, float | None]:
    """Scores on the games of ``size`` (default: the first game's size),
    each network's output averaged over ``symmetries`` of the board's eight
    (as ``tengen analyze`` averages its score estimates)."""
    corpus = load_corpus(paths, size)
    assert corpus.komi is not None          # read from game records, which carry it
    calibration = calibration_of(nets) if nets.value_net is not None else None
    totals: dict[str, float] = {"positions": 0, "top1": 0.0, "top5": 0.0, "expert_p": 0.0, "entropy": 0.0,
              "value_positions": 0, "value_se": 0.0,
              "winner_hits": 0.0, "late_positions": 0, "late_hits": 0.0,
              "score_positions": 0, "score_ae": 0.0, "score_se": 0.0,
              "late_score_positions": 0, "late_score_ae": 0.0,
              "score_winner_hits": 0.0, "late_score_winner_hits": 0.0}
    rng = np.random.default_rng(0)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=max_positions or corpus.moves, unit="pos", unit_scale=True, desc="eval")
    for w in scored_windows(corpus, VALUE_PLANES, chunk_games, rng):
        for b in range(0, len(w), batch):
            if max_positions and totals["positions"] >= max_positions:
                break
            idx = np.arange(b, min(len(w), b + batch))
            if max_positions:
                idx = idx[:max_positions - totals["positions"]]
            planes = w.planes_of(idx)
            move = w.move[idx]
            if nets.policy_net is not None:
                probs = nets.policy(planes, symmetries)
                top5 = np.argsort(-probs, axis=1)[:, :5]
                totals["top1"] += float((top5[:, 0] == move).sum())
                totals["top5"] += float((top5 == move[:, None]).any(axis=1).sum())
                totals["expert_p"] += float(probs[np.arange(len(idx)), move].sum())
                logs = np.log(probs, where=probs > 0, out=np.zeros_like(probs))
                totals["entropy"] += float(-(probs * logs).sum())
            if calibration is not None:     # a value network is loaded
                z = w.value[idx]
                known = z != 0
                if known.any():
                    v, own = nets.value_and_ownership(planes[known], symmetries)
                    black = planes[known, -1, 0, 0] == 1
                    lead = calibration.lead(movers_lead(own.sum(axis=(1, 2)),
                                                        corpus.komi[w.game[idx[known]]], black),
                                            v, black)
                    _score_errors(totals, corpus, w, idx[known], planes[known], lead)
                    totals["value_se"] += float(((v - z[known]) ** 2).sum())
                    hits = (v > 0) == (z[known] > 0)
                    totals["winner_hits"] += float(hits.sum())
                    late = w.movenum[idx][known] > LATE_MOVE
                    totals["late_hits"] += float(hits[late].sum())
                    score_hits = (lead > 0) == (z[known] > 0)
                    totals["score_winner_hits"] += float(score_hits.sum())
                    totals["late_score_winner_hits"] += float(score_hits[late].sum())
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
    n_policy = n if nets.policy_net is not None else 0
    return {
        "positions": n,
        "games": corpus.games,
        "board_size": corpus.size,
        "top1": _ratio(totals["top1"], n_policy),
        "top5": _ratio(totals["top5"], n_policy),
        # how sharp the prior is, which top-1 alone does not tell (tengen/models/README.md "A fourth cycle")
        "policy_expert_probability": _ratio(totals["expert_p"], n_policy),
        "policy_entropy": _ratio(totals["entropy"], n_policy),
        "value_mse": _ratio(totals["value_se"], nv),
        "value_positions": nv,
        "value_winner_accuracy": _ratio(totals["winner_hits"], nv),
        f"value_winner_accuracy_after_move_{LATE_MOVE}":
            _ratio(totals["late_hits"], totals["late_positions"]),
        "score_winner_accuracy": _ratio(totals["score_winner_hits"], nv),
        f"score_winner_accuracy_after_move_{LATE_MOVE}":
            _ratio(totals["late_score_winner_hits"], totals["late_positions"]),
        "score_positions": totals["score_positions"],
        "score_mae": _ratio(totals["score_ae"], totals["score_positions"]),
        "score_bias": _ratio(totals["score_se"], totals["score_positions"]),
        f"score_mae_after_move_{LATE_MOVE}":
            _ratio(totals["late_score_ae"], totals["late_score_positions"]),
        "symmetries": symmetries,
        "skipped_games": corpus.skipped,
    }


def _ratio(a: float, n: float) -> float | None:
    return a / n if n else None


def _score_errors(totals: dict[str, float], corpus: Corpus, w: Window, idx: np.ndarray,
                  planes: np.ndarray,
                  lead: np.ndarray) -> None:
    """Add the score estimate's errors on the positions ``idx`` of window
    ``w`` whose game was counted; ``lead`` is the mover's estimated lead in
    each and the last plane of ``planes`` says whether Black moves."""
    if corpus.margin is None:
        return
    game = w.game[idx]
    margin = corpus.margin[game]
    counted = ~np.isnan(margin)
    if not counted.any():
        return
    black = planes[counted, -1, 0, 0] == 1
    err = lead[counted] - np.where(black, margin[counted], -margin[counted])
    late = w.movenum[idx][counted] > LATE_MOVE
    totals["score_positions"] += int(counted.sum())
    totals["score_ae"] += float(np.abs(err).sum())
    totals["score_se"] += float(err.sum())
    totals["late_score_positions"] += int(late.sum())
    totals["late_score_ae"] += float(np.abs(err[late]).sum())


@dataclass(frozen=True)
class EvalConfig:
    games: list[str] = option(metavar="PATH", help="SGF files, directories or archives to "
                                                   "score, or packed corpora (tengen pack)")
    model: str = option("default", help="model file, directory with policy/value files, "
                                        "or 'default' (tengen/models/)")
    rollout: str = option("default", help="rollout policy file to score too ('default': "
                                          "tengen/models/rollout.npz if present, 'none': skip)")
    max_positions: int = option(0, help="score at most this many positions (0: all)")
    batch: int = option(256, help="positions per network call")
    size: int | None = option(None, help="board size of the games to score "
                                         "(default: the first game's)")
    symmetries: int = option(1, help="average each network over this many of the board's "
                                     "eight symmetries (1..8; as many evaluations)")
    device: str = option_of(NetworkConfig, "device")
    runtime: str = option_of(NetworkConfig, "runtime", help="what runs the networks: torch, "
                             "onnx-int8 (the int8 files of tengen quantize) or auto "
                             "(NetworkConfig's rules)")

    def __post_init__(self) -> None:
        require(bool(self.games), "--games needs at least one path")
        at_least(self, 1, "batch")
        require(1 <= self.symmetries <= NUM_SYMMETRIES, f"--symmetries must be 1..{NUM_SYMMETRIES}")
        check_device(self.device)
        check_runtime(self.runtime)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, EvalConfig)
    add_options(parser, JsonOutput)


def _rollout_model(spec: str) -> RolloutModel | None:
    """The rollout model named by ``--rollout``, or None."""
    if spec == "none":
        return None
    if spec == "default":
        path = MODELS_DIR / ROLLOUT_FILE
        return load_rollout_model(path) if path.exists() else None
    return load_rollout_model(spec)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cfg = parse_config(parser, EvalConfig, args)
    as_json = from_args(JsonOutput, args).json
    try:
        rollout = _rollout_model(cfg.rollout)
    except RolloutFileError as e:
        parser.error(str(e))
    try:
        nets = Networks.from_spec(cfg.model, device=cfg.device, runtime=cfg.runtime)
    except ModelFileError:
        if rollout is None or cfg.model != "default":
            raise
        nets = None     # no networks yet: score the rollout policy alone
    r: dict[str, float | None] = {}
    if nets is not None:
        r = evaluate(nets, cfg.games, cfg.max_positions or None, cfg.batch,
                     progress=not as_json and sys.stderr.isatty(), size=cfg.size,
                     symmetries=cfg.symmetries)
    if rollout is not None:
        r.update(rollout_accuracy(rollout, cfg.games, cfg.max_positions or None, cfg.size))
    if as_json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            print(f"{k:<22} {v if v is None or isinstance(v, int) else round(v, 4)}")
    return 0
