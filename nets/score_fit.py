"""``tengen calibrate-value``: fit the value network's calibration
(``nets.score.Calibration``) on training games and measure it on held-out
ones.

Fitting: a few positions of every game with a known winner from the first
``--games-per-archive`` games of each training archive (by default every
archive of ``../shared/data/tygem-9d`` but ``tygem-2011-11.zip``), more of
the games whose result is a count; each position is evaluated with both
sides to move (``--symmetries`` of the board's eight, as the analysis
front ends' leads).  The score weights are a least-absolute-deviations fit
of Black's counted margin on the mean of the two evaluations (ownership
lead, value head, a constant in Black's favour), the mover's own constant
the median residual of the real side to move alone, and the win rate a
logistic fit (Platt scaling) of the mover's raw win rate on whether the
mover won, over every drawn position.  Thousands of positions: seconds of
fitting after a few minutes of network evaluations.

Measuring, on games no network trained on (``tygem-2011-11.zip``): the
positions of its counted games among its first ``--held-out-positions``
positions (``tengen eval``'s set): the mean absolute error of Black's lead
(mean of both sides to move) against the counted margin, raw and
calibrated, all positions and after move 100, and the jitter, the mean
absolute change of the lead from one position to the next along a game;
and on a draw of positions of its games with a winner, the Brier score of
the raw and the calibrated win rate of the value network.

The file goes beside the network (``nets.score.calibration_path``) with the
network's SHA-256, the command, the data and the figures measured.
"""

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine import board as B
from engine.corpus import Corpus, load_corpus
from tengen.base.config import add_options, at_least, option, parse_config, require
from tengen.base.files import atomic_write
from tengen.base.paths import DATA_DIR, VALIDATION_ARCHIVE, default_archives

from .features import VALUE_PLANES, encode_batch
from .inference import Networks
from .score import Calibration, calibration_path, file_sha256, load_calibration
from .symmetry import NUM_SYMMETRIES

LATE_MOVE = 100


@dataclass(frozen=True)
class CalibrateValueConfig:
    model: str = option("default", help="the value network: a file, a directory holding "
                                        "value.safetensors, or 'default' (tengen/models/)")
    data: list[str] | None = option(None, metavar="PATH",
                                    help="games to fit on (default: the training archives, "
                                         "../shared/data/tygem-9d but the validation archive)")
    held_out: list[str] = option(default_factory=lambda: [str(DATA_DIR / VALIDATION_ARCHIVE)],
                                 metavar="PATH", help="games to measure on (default: "
                                                      f"{VALIDATION_ARCHIVE})")
    games_per_archive: int = option(800, help="games read from each archive to fit on")
    per_game: int = option(2, help="positions drawn from each game with a winner")
    counted_extra: int = option(2, help="more positions from each game whose result is a count")
    held_out_positions: int = option(50000, help="measure on the counted games among the "
                                                 "first this many held-out positions")
    winrate_games: int = option(1000, help="held-out games drawn from for the win rates")
    symmetries: int = option(2, help="average each evaluation over this many of the board's "
                                     "eight symmetries")
    seed: int = option(7, help="seed of the draw of positions")
    fit: bool = option(True, help="fit and write the calibration (--no-fit: measure the one "
                                  "beside the network as it is)")

    def __post_init__(self) -> None:
        at_least(self, 1, "games_per_archive", "per_game", "held_out_positions", "winrate_games")
        at_least(self, 0, "counted_extra")
        require(1 <= self.symmetries <= NUM_SYMMETRIES,
                f"--symmetries must be 1..{NUM_SYMMETRIES}")


@dataclass
class Readings:
    """Two evaluations of each drawn position, in the mover's frames: the
    real side to move (``_real``) and the other (``_other``)."""
    lead_real: np.ndarray       # ownership lead (ownership summed, komi taken off)
    lead_other: np.ndarray
    value_real: np.ndarray
    value_other: np.ndarray
    black_real: np.ndarray      # the real mover is Black
    margin: np.ndarray          # Black's counted margin, NaN when resigned or unknown
    black_won: np.ndarray       # 1, 0, or NaN for no winner
    game: np.ndarray            # game index within its draw
    move: np.ndarray            # moves played before the position

    def features(self, cal: Calibration | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Black's lead with the real and with the other side to move: the
        ownership leads (``cal`` None) or ``cal``'s."""
        sign = np.where(self.black_real, 1.0, -1.0)
        if cal is None:
            real, other = self.lead_real, self.lead_other
        else:
            real = cal.lead(self.lead_real, self.value_real, self.black_real)
            other = cal.lead(self.lead_other, self.value_other, ~self.black_real)
        return sign * real, -sign * other

    def black_lead(self, cal: Calibration | None = None) -> np.ndarray:
        """Black's lead, the mean of both sides to move."""
        real, other = self.features(cal)
        return (real + other) / 2

    @staticmethod
    def join(parts: list["Readings"]) -> "Readings":
        offset, games = 0, []
        for p in parts:
            games.append(p.game + offset)
            offset += p.game.max() + 1 if len(p.game) else 0
        joined = {k: np.concatenate([getattr(p, k) for p in parts])
                  for k in Readings.__dataclass_fields__}
        joined["game"] = np.concatenate(games)
        return Readings(**joined)


def evaluate_states(nets: Networks, corpus: Corpus, pick: np.ndarray,
                    symmetries: int, batch: int = 64) -> Readings:
    """Both sides' evaluations of the positions before the moves ``pick``
    flags (one flag per move of ``corpus``)."""
    states = corpus.states_before(pick)
    where = np.flatnonzero(pick)[:len(states)]
    game = np.searchsorted(corpus.offsets, where, side="right") - 1
    n = corpus.size
    assert corpus.komi is not None and corpus.margin is not None
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("lead_real", "lead_other",
                                                         "value_real", "value_other")}
    for a in range(0, len(states), batch):
        real = states[a:a + batch]
        other = real.copy()
        other[:, B.H_TOMOVE] = 3 - real[:, B.H_TOMOVE]
        other[:, B.H_KO] = -1
        for tag, st in (("real", real), ("other", other)):
            planes = np.zeros((len(st), VALUE_PLANES, n, n), np.uint8)
            encode_batch(st, planes)
            v, own = nets.value_and_ownership(planes, symmetries)
            komi = corpus.komi[game[a:a + batch]]
            black = st[:, B.H_TOMOVE] == B.BLACK
            out[f"lead_{tag}"].append(own.sum(axis=(1, 2)) + np.where(black, -komi, komi))
            out[f"value_{tag}"].append(np.asarray(v, np.float64))
    winner = corpus.winner[game]
    return Readings(**{k: np.concatenate(v) if v else np.zeros(0) for k, v in out.items()},
                    black_real=states[:, B.H_TOMOVE] == B.BLACK,
                    margin=corpus.margin[game].astype(np.float64),
                    black_won=np.where(winner == 0, np.nan, (winner == B.BLACK).astype(float)),
                    game=game, move=where - corpus.offsets[game])


def draw(corpus: Corpus, per_game: int, counted_extra: int, rng: np.random.Generator,
         games: int | None = None) -> np.ndarray:
    """Flags of ``per_game`` random positions (from move 5 on) of each game
    with a winner and no setup stones, ``counted_extra`` more for a
    counted one."""
    assert corpus.margin is not None
    pick = np.zeros(corpus.moves, bool)
    for g in range(min(corpus.games, games or corpus.games)):
        a, b = corpus.offsets[g], corpus.offsets[g + 1]
        setup = corpus.setup_offsets[g + 1] > corpus.setup_offsets[g]
        if corpus.winner[g] == 0 or setup or b - a < 30:
            continue
        k = per_game + (counted_extra if not np.isnan(corpus.margin[g]) else 0)
        pick[rng.choice(np.arange(a + 5, b), size=min(k, b - a - 5), replace=False)] = True
    return pick


def lad(x: np.ndarray, y: np.ndarray, rounds: int = 80) -> np.ndarray:
    """Least absolute deviations: weights ``w`` minimising ``|y - x @ w|``
    summed (iteratively reweighted least squares)."""
    w = np.linalg.lstsq(x, y, rcond=None)[0]
    for _ in range(rounds):
        r = np.maximum(np.abs(y - x @ w), 1e-3)
        s = 1 / np.sqrt(r)
        w = np.linalg.lstsq(x * s[:, None], y * s, rcond=None)[0]
    return w


def platt(p: np.ndarray, y: np.ndarray, rounds: int = 50) -> tuple[float, float]:
    """(scale, shift) of ``sigmoid(scale * logit(p) + shift)`` maximising
    the likelihood of the outcomes ``y`` (Newton's method)."""
    z = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    x = np.stack([z, np.ones_like(z)], 1)
    w = np.array([1.0, 0.0])
    for _ in range(rounds):
        q = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (q - y)
        hess = (x * (q * (1 - q))[:, None]).T @ x + 1e-9 * np.eye(2)
        w = w - np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


def fit(r: Readings) -> tuple[dict[str, float], float, float]:
    """(score weights, win-rate scale, shift) from training readings."""
    counted = ~np.isnan(r.margin)
    sign = np.where(r.black_real, 1.0, -1.0)
    lead_b = (sign * r.lead_real - sign * r.lead_other) / 2
    value_b = (sign * r.value_real - sign * r.value_other) / 2
    x = np.stack([lead_b, value_b, np.ones_like(lead_b)], 1)[counted]
    w_lead, w_value, w_black = lad(x, r.margin[counted])
    weights = {"ownership_lead": float(w_lead), "value": float(w_value), "black": float(w_black)}
    # the mover's own constant: what the real side to move alone is off by
    alone = Calibration(weights).lead(r.lead_real, r.value_real, r.black_real)
    mover_margin = sign * r.margin
    weights["one"] = float(np.median((mover_margin - alone)[counted]))
    won = ~np.isnan(r.black_won)
    mover_won = np.where(r.black_real, r.black_won, 1 - r.black_won)[won]
    scale, shift = platt((r.value_real[won] + 1) / 2, mover_won)
    return weights, scale, shift


def score_figures(r: Readings, cal: Calibration | None) -> dict:
    """Error against the counted margins and move-to-move jitter of
    Black's lead (both sides to move) on the counted games of ``r``."""
    counted = ~np.isnan(r.margin)
    lead = r.black_lead(cal)
    err = (lead - r.margin)[counted]
    late = (r.move > LATE_MOVE)[counted]
    step = (r.game[1:] == r.game[:-1]) & (r.move[1:] == r.move[:-1] + 1) & counted[1:]
    return {"positions": int(counted.sum()), "mae": _mean(np.abs(err)),
            f"mae_after_move_{LATE_MOVE}": _mean(np.abs(err[late])),
            "bias": _mean(err), "jitter": _mean(np.abs(np.diff(lead))[step]),
            "winner_accuracy": _mean(((lead > 0) == (r.black_won == 1))[
                ~np.isnan(r.black_won)])}


def _mean(x: np.ndarray) -> float | None:
    return float(x.mean()) if len(x) else None


def winrate_figures(r: Readings, cal: Calibration) -> dict:
    """Brier scores of the mover's raw and calibrated value-head win rates."""
    won = ~np.isnan(r.black_won)
    y = np.where(r.black_real, r.black_won, 1 - r.black_won)[won]
    raw = (r.value_real[won] + 1) / 2
    calibrated = np.array([cal.winrate(float(p)) for p in raw])
    return {"positions": int(won.sum()), "brier_raw": _mean((raw - y) ** 2),
            "brier_calibrated": _mean((calibrated - y) ** 2)}


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, CalibrateValueConfig)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cfg = parse_config(parser, CalibrateValueConfig, args)
    nets = Networks.from_spec(cfg.model)
    if not nets.has_value:
        parser.error(f"{cfg.model}: no value network")
    assert nets.value_path is not None
    value_path = Path(nets.value_path)
    rng = np.random.default_rng(cfg.seed)
    started = time.perf_counter()
    data = cfg.data if cfg.data is not None else default_archives()[0]
    if cfg.fit:
        if not data:
            parser.error("no training games (../shared/data/tygem-9d is absent; give --data)")
        parts = []
        for path in data:
            corpus = load_corpus([path], 19, max_games=cfg.games_per_archive)
            parts.append(evaluate_states(nets, corpus, draw(corpus, cfg.per_game,
                                                            cfg.counted_extra, rng),
                                         cfg.symmetries))
            print(f"{path}: {len(parts[-1].game)} positions", file=sys.stderr)
        train = Readings.join(parts)
        weights, scale, shift = fit(train)
        cal = Calibration(weights, scale, shift, file_sha256(value_path))
    else:
        cal = load_calibration(value_path)
    held = load_corpus(cfg.held_out, 19)
    assert held.margin is not None
    pick = np.zeros(held.moves, bool)
    pick[:cfg.held_out_positions] = True
    game_of = np.searchsorted(held.offsets, np.arange(held.moves), side="right") - 1
    pick &= ~np.isnan(held.margin[game_of])
    scored = evaluate_states(nets, held, pick, cfg.symmetries)
    drawn = evaluate_states(nets, held, draw(held, cfg.per_game, 0, rng, cfg.winrate_games),
                            cfg.symmetries)
    figures: dict[str, Any] = {"score_raw": score_figures(scored, None), "score": score_figures(scored, cal),
               "winrate": winrate_figures(drawn, cal)}
    if cfg.fit:
        counted = ~np.isnan(train.margin)
        produced = {
            "command": " ".join(["tengen calibrate-value", *sys.argv[2:]]),
            "git_commit": _git_commit(), "value_network": value_path.name,
            "data": [Path(p).name for p in data], "games_per_archive": cfg.games_per_archive,
            "positions": len(train.game), "counted_positions": int(counted.sum()),
            "symmetries": cfg.symmetries, "seed": cfg.seed,
            "held_out": [Path(p).name for p in cfg.held_out], "held_out_figures": figures}
        cal = Calibration(cal.weights, cal.winrate_scale, cal.winrate_shift,
                          cal.network_sha256, produced)
        out = calibration_path(value_path)
        with atomic_write(out, "w") as f:
            f.write(json.dumps(cal.to_json(), indent=1) + "\n")
        print(f"wrote {out}", file=sys.stderr)
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    figures["weights"] = cal.weights
    figures["winrate_scale_shift"] = [cal.winrate_scale, cal.winrate_shift]
    print(json.dumps(figures, indent=1, allow_nan=False))
    return 0
