"""``tengen train rollout``: fit the rollout policy's weights to expert games,
and its move-prediction accuracy for ``tengen eval``.

The games are replayed in compiled code (``_replay``); at every position
the features of all candidates are computed from scratch
(``nets.rollout.features.position_features``), the softmax over the candidates is
scored against the move played, and, when training, the weights take one
AdaGrad step on the cross-entropy.  AdaGrad because the features are
sparse: a pattern seen a handful of times keeps a large step, the common
ones settle.  One position per step (no batches) keeps it to a few
microseconds of arithmetic on top of the feature extraction, so an epoch
over the ten training archives (about 22 million positions) is minutes.

Positions where the expert passed or filled an own true eye, or had no
candidate, cannot be predicted: they count as misses in the accuracy and
give no update.  The games are taken in a random order per epoch (seeded);
the moves of one game stay in order, which a linear model trained with a
small step tolerates.
"""

import argparse
import csv
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numba import njit

from engine import board as B
from engine.board import MAXM
from engine.corpus import Corpus, load_corpus
from engine.replay import recorded_move, recorded_move_ok, start_position
from engine.sgf.archive import Paths
from engine.sizes import check_size
from tengen.base.config import add_options, from_args, option, parse_config
from tengen.base.control import Progress
from tengen.base.paths import resolve_games, training_games_option, validation_games_option
from tengen.base.provenance import git_commit, machine_description

from .features import OFF_NONE, SLOTS, edge_table, position_features
from .model import RolloutModel, save_rollout

# stats slots of _replay
_POSITIONS, _HITS, _LOSS, _SCORED, _CANDIDATES = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True)
def _replay(n: int, pts: np.ndarray, cols: np.ndarray, offs: np.ndarray, spts: np.ndarray,
            scols: np.ndarray, soffs: np.ndarray, first: np.ndarray, games: np.ndarray,
            off: np.ndarray, pat_id: np.ndarray, weights: np.ndarray, accum: np.ndarray,
            lr: float, train: bool, max_positions: int, stats: np.ndarray) -> None:
    """Replay ``games``, scoring (and if ``train``, fitting) every position
    until ``stats[_POSITIONS]`` reaches ``max_positions`` (0: no limit).

    ``weights`` has a trailing entry for "no feature" that stays 0;
    ``accum`` holds AdaGrad's sums of squared gradients.  Adds to ``stats``:
    positions, top-1 hits, cross-entropy summed over the positions that
    could be scored, that count, and candidates summed."""
    edge = edge_table(n, off)
    none = off[OFF_NONE]
    cand = np.empty(MAXM, dtype=np.int64)
    feats = np.empty((MAXM, SLOTS), dtype=np.int64)
    index = np.full(MAXM, -1, dtype=np.int64)
    z = np.empty(MAXM, dtype=np.float64)
    grad = np.zeros(weights.shape[0], dtype=np.float64)
    touched = np.empty(MAXM * SLOTS, dtype=np.int64)
    nj = np.zeros(0, dtype=np.int64)
    for gi in range(games.shape[0]):
        g = games[gi]
        s, ok = start_position(n, spts, scols, soffs[g], soffs[g + 1], first[g])
        if not ok:
            continue
        for k in range(offs[g], offs[g + 1]):
            if max_positions > 0 and stats[_POSITIONS] >= max_positions:
                return
            p, c = recorded_move(pts, cols, k)
            if not recorded_move_ok(s, p, c):
                break
            m = position_features(s, c, off, edge, pat_id, cand, feats, index)
            label = index[p] if p != B.PASS else -1
            stats[_POSITIONS] += 1
            stats[_CANDIDATES] += m
            if m > 0:
                best = 0
                for j in range(m):
                    t = 0.0
                    for i in range(SLOTS):
                        t += weights[feats[j, i]]
                    z[j] = t
                    if t > z[best]:
                        best = j
                if label >= 0:
                    if best == label:
                        stats[_HITS] += 1
                    zmax = z[best]
                    total = 0.0
                    for j in range(m):
                        z[j] = np.exp(z[j] - zmax)
                        total += z[j]
                    stats[_LOSS] += -np.log(z[label] / total)
                    stats[_SCORED] += 1
                    if train:
                        nt = 0
                        for j in range(m):
                            gj = z[j] / total - (1.0 if j == label else 0.0)
                            for i in range(SLOTS):
                                f = feats[j, i]
                                if f != none:
                                    if grad[f] == 0.0:
                                        touched[nt] = f
                                        nt += 1
                                    grad[f] += gj
                        for t in range(nt):
                            f = touched[t]
                            gf = grad[f]
                            grad[f] = 0.0
                            accum[f] += gf * gf
                            if accum[f] > 0.0:
                                weights[f] -= lr * gf / np.sqrt(accum[f])
            for j in range(m):
                index[cand[j]] = -1
            B.play(s, nj, p, c)


def replay(corpus: Corpus, games: np.ndarray, model_tables: tuple[np.ndarray, np.ndarray, np.ndarray],
           accum: np.ndarray | None = None, lr: float = 0.0, max_positions: int = 0) -> np.ndarray:
    """Score (and with ``accum``, train on) ``games`` of ``corpus``; returns
    the stats vector (see ``_replay``)."""
    off, ids, weights = model_tables
    stats = np.zeros(5, np.float64)
    train = accum is not None
    _replay(corpus.size, corpus.points, corpus.colors, corpus.offsets, corpus.setup_points,
            corpus.setup_colors, corpus.setup_offsets, corpus.first,
            np.asarray(games, np.int64), off, ids, weights,
            np.zeros(1) if accum is None else accum, lr, train, max_positions, stats)
    return stats


def summarise(stats: np.ndarray) -> dict[str, float | None]:
    pos = stats[_POSITIONS]
    return {"positions": int(pos),
            "top1": stats[_HITS] / pos if pos else None,
            "loss": stats[_LOSS] / stats[_SCORED] if stats[_SCORED] else None,
            "candidates": stats[_CANDIDATES] / pos if pos else None}


def rollout_accuracy(model: RolloutModel, paths: Paths, max_positions: int | None = None,
                     size: int | None = None) -> dict[str, float | None]:
    """Top-1 move prediction of the rollout policy on the games in
    ``paths``: every position of the games in order (as ``tengen eval``
    scores the networks), up to ``max_positions``."""
    games = max_positions // 100 + 10 if max_positions else None
    while True:
        # read only as many games as the positions asked for need
        corpus = load_corpus(paths, size, max_games=games)
        stats = replay(corpus, np.arange(corpus.games), model.tables(),
                       max_positions=max_positions or 0)
        if games is None or stats[_POSITIONS] >= max_positions or corpus.games < games:
            break
        games *= 4
    r = summarise(stats)
    return {"rollout_top1": r["top1"], "rollout_positions": r["positions"],
            "rollout_loss": r["loss"]}


@dataclass
class RolloutTrainConfig:
    """One run of ``tengen train rollout``: AdaGrad over every position of
    the training games, from zero weights."""
    size: int = option(19, help="board size of the games to train on")
    data: list[str] | None = training_games_option()
    val: list[str] | None = validation_games_option()
    out: str = option("runs/rollout", metavar="DIR", help="run directory")
    lr: float = option(0.2, help="AdaGrad step")
    epochs: float = option(1.0, help="passes over the training games")
    max_positions: int = option(0, help="stop after this many positions (0: no limit)")
    max_minutes: float = option(0.0, help="stop after this much wall time (0: no limit)")
    max_cpu_minutes: float = option(0.0, help="stop after this much CPU time (0: no limit)")
    max_games: int = option(0, help="read at most this many training games (0: all)")
    val_positions: int = option(20_000, help="validation positions (every position of the "
                                             "first validation games, in order)")
    val_every: int = option(2_000_000, help="positions between validations")
    chunk_games: int = 200
    seed: int = option(0, help="seed of the game order")

    def __post_init__(self) -> None:
        check_size(self.size)
        self.data, self.val = resolve_games(self.data, self.val)


def train(cfg: RolloutTrainConfig, command: str = "", progress: bool = True) -> dict[str, float | None]:
    """Train from zero; writes ``rollout.npz`` and ``metrics.csv`` under
    ``cfg.out`` and returns the final validation metrics.  ``progress``:
    a progress bar while reading the games."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    assert cfg.data is not None and cfg.val is not None     # resolved by __post_init__

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    start, cpu0 = time.time(), time.process_time()
    corpus = load_corpus(cfg.data, cfg.size, max_games=cfg.max_games or None, progress=progress)
    val = (load_corpus(cfg.val, cfg.size, max_games=max(50, cfg.val_positions // 100))
           if cfg.val else None)
    log(f"{corpus.games} games, {corpus.moves} moves to train on "
        f"({time.time() - start:.0f} s to read)")
    model = RolloutModel.zeros()
    off, ids, weights = model.tables()
    accum = np.zeros_like(weights)
    rng = np.random.default_rng(cfg.seed)
    limit = cfg.max_positions or int(cfg.epochs * corpus.moves)
    seen, last_val, metrics = 0, 0, {}
    train_stats = np.zeros(5)
    metrics_path = out / "metrics.csv"

    def validate() -> dict[str, float | None]:
        if val is None:
            return {}
        r = summarise(replay(val, np.arange(val.games), (off, ids, weights),
                             max_positions=cfg.val_positions))
        with open(metrics_path, "a", newline="") as f:
            csv.writer(f).writerow([seen, round(time.time() - start, 1),
                                    round(time.process_time() - cpu0, 1), "val",
                                    json.dumps({k: v for k, v in r.items()})])
        log(f"[val] positions {seen:,}  top1 {r['top1']:.4f}  loss {r['loss']:.4f}")
        return r

    def out_of_time() -> bool:
        return bool((cfg.max_minutes and time.time() - start >= 60 * cfg.max_minutes) or
                    (cfg.max_cpu_minutes and time.process_time() - cpu0 >= 60 * cfg.max_cpu_minutes))

    with open(metrics_path, "w", newline="") as f:
        csv.writer(f).writerow(["positions", "seconds", "cpu_seconds", "split", "metrics"])
    epoch = 0
    while seen < limit and not out_of_time():
        order = rng.permutation(corpus.games)
        for a in range(0, len(order), cfg.chunk_games):
            st = replay(corpus, order[a:a + cfg.chunk_games], (off, ids, weights), accum, cfg.lr,
                        max_positions=limit - seen)
            seen += int(st[_POSITIONS])
            train_stats = 0.9 * train_stats + st
            if seen - last_val >= cfg.val_every:
                last_val = seen
                t = summarise(train_stats)
                log(f"[train] epoch {epoch} positions {seen:,}  top1 {t['top1']:.4f}  "
                    f"loss {t['loss']:.4f}  {time.time() - start:.0f} s")
                metrics = validate()
            if seen >= limit or out_of_time():
                break
        epoch += 1
    metrics = validate()
    model = RolloutModel(weights[:-1].astype(np.float32), {
        "command": command, "git_commit": git_commit(), "train_config": asdict(cfg),
        "positions_seen": seen, "wall_minutes": round((time.time() - start) / 60, 2),
        "cpu_minutes": round((time.process_time() - cpu0) / 60, 2),
        "machine": machine_description(), "validation": metrics,
        "data": [Path(p).name for p in cfg.data], "val_data": [Path(p).name for p in cfg.val]})
    save_rollout(model, out / "rollout.npz")
    log(f"wrote {out / 'rollout.npz'}")
    return metrics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, RolloutTrainConfig)
    add_options(parser, Progress)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``tengen train rollout``."""
    cfg = parse_config(parser, RolloutTrainConfig, args)
    if not cfg.data:
        parser.error("no training data: pass --data")
    metrics = train(cfg, command=" ".join(sys.argv), progress=from_args(Progress, args).progress)
    print(json.dumps({"validation": metrics, "model": str(Path(cfg.out) / "rollout.npz")}))
    return 0
