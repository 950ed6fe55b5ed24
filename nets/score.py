"""Score estimates and win rates from the value network, calibrated.

Black's lead in a position is read from one evaluation of the value
network with a side to move: its ownership head summed (``+1`` a point of
the side to move; averaged over ``symmetries`` of the board's eight, which
costs as many network evaluations) less komi (the *ownership lead*), and
its value head.  A finished game (two passes) is counted instead (area
count, estimated dead stones removed).  The shipped network gives the side
to move about five points more than the same board with the other side to
move, so ``lead_after`` and every caller that shows a position's lead take
the mean of both sides to move.

The calibration (``Calibration``): the ownership lead alone is no score to
class moves by (far from the counted results, and it swings from one move
to the next: BENCHMARKS.md "Score estimate").  A small file beside the value network
(``NAME.calibration.json`` for ``NAME.safetensors``; ``nets.score_fit``
writes it) maps the readings of one evaluation to the lead in points, a
linear combination fitted on counted games the network did not validate
on, and the value head's win rate to a calibrated one (Platt scaling).
The file names the network it was fitted for by its SHA-256: a file beside
another network is refused with an error that says so, rather than
applied to readings it does not describe.  Without a file (a network of
another board size, stand-in networks in tests) the ownership lead and the
raw win rate are used as they are.  Every lead and win rate of ``tengen
analyze``, ``tengen analysis`` and GTP's ``kata-analyze`` is read here.
"""

import hashlib
import json
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine import board as B
from engine.board import BLACK, WHITE
from engine.dead_stones import final_score
from engine.game import Game, IllegalMove
from engine.player import with_mover
from tengen.base.paths import calibration_path

from .features import VALUE_PLANES, encode_batch
from .inference import Networks
from .symmetry import NUM_SYMMETRIES

BATCH = 64
CALIBRATION_FORMAT = "tengen-value-calibration"
CALIBRATION_VERSION = 1
# what one evaluation with a side to move gives the score calibration, in
# the mover's frame: the ownership lead, the value head, +1 when the mover
# is Black (-1 White: an offset in Black's favour), and a constant (the
# mover's own bias, which the mean of both sides to move cancels)
FEATURES = ("ownership_lead", "value", "black", "one")


class CalibrationFileError(ValueError):
    """A calibration file that cannot be used with this value network."""


@dataclass(frozen=True)
class Calibration:
    """The mover's lead as ``sum(weights[f] * feature f)`` (``FEATURES``)
    and the mover's win rate as ``sigmoid(scale * logit(p) + shift)``;
    ``network_sha256`` names the value network it was fitted for and
    ``produced_by`` how (command, data, figures)."""
    weights: dict[str, float]
    winrate_scale: float = 1.0
    winrate_shift: float = 0.0
    network_sha256: str | None = None
    produced_by: dict = field(default_factory=dict, compare=False)

    @staticmethod
    def identity() -> "Calibration":
        """The ownership lead and the raw win rate, as they are."""
        return Calibration({"ownership_lead": 1.0})

    def lead(self, ownership_lead: np.ndarray, value: np.ndarray,
             black_to_move: np.ndarray) -> np.ndarray:
        """The mover's calibrated lead from one evaluation's readings."""
        features = {"ownership_lead": ownership_lead, "value": value,
                    "black": np.where(black_to_move, 1.0, -1.0),
                    "one": np.ones_like(ownership_lead, dtype=np.float64)}
        return np.asarray(sum(w * features[f] for f, w in self.weights.items()), np.float64)

    def winrate(self, p: float) -> float:
        """The mover's calibrated win rate for a raw one in [0, 1]."""
        if self.winrate_scale == 1.0 and self.winrate_shift == 0.0:
            return p
        q = min(max(p, 1e-6), 1 - 1e-6)
        z = self.winrate_scale * math.log(q / (1 - q)) + self.winrate_shift
        return 1 / (1 + math.exp(-z))

    def to_json(self) -> dict:
        return {"format": CALIBRATION_FORMAT, "version": CALIBRATION_VERSION,
                "value_network_sha256": self.network_sha256,
                "score": {"weights": self.weights},
                "winrate": {"scale": self.winrate_scale, "shift": self.winrate_shift},
                "produced_by": self.produced_by}

    @staticmethod
    def from_json(data: dict, source: str) -> "Calibration":
        """Read a calibration file's object; CalibrationFileError for another
        format or version, unknown features or non-finite numbers."""
        if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
            raise CalibrationFileError(f"{source}: not a {CALIBRATION_FORMAT} file")
        if data.get("version") != CALIBRATION_VERSION:
            raise CalibrationFileError(
                f"{source}: calibration format version {data.get('version')!r}, this tengen "
                f"reads version {CALIBRATION_VERSION}")
        try:
            weights = {str(k): float(v) for k, v in data["score"]["weights"].items()}
            scale, shift = float(data["winrate"]["scale"]), float(data["winrate"]["shift"])
            sha = str(data["value_network_sha256"])
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise CalibrationFileError(f"{source}: malformed calibration ({e})") from None
        unknown = sorted(set(weights) - set(FEATURES))
        if not weights or unknown:
            raise CalibrationFileError(f"{source}: unknown score features {unknown} "
                                       f"(known: {list(FEATURES)})")
        if not all(math.isfinite(x) for x in [*weights.values(), scale, shift]):
            raise CalibrationFileError(f"{source}: non-finite numbers in the calibration")
        return Calibration(weights, scale, shift, sha, data.get("produced_by") or {})


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_CACHE: dict[tuple, Calibration] = {}
_CACHE_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def load_calibration(value_path: str | os.PathLike | None) -> Calibration:
    """The calibration beside the value network in ``value_path`` (read once
    per version of the two files); the identity when there is none.
    CalibrationFileError when the file is unreadable or was fitted for
    another network."""
    if value_path is None:
        return Calibration.identity()
    cal_path = calibration_path(value_path)
    key = (_stamp(Path(value_path)), _stamp(cal_path))
    if key[1] is None:
        return Calibration.identity()
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    try:
        data = json.loads(cal_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CalibrationFileError(f"{cal_path}: cannot be read ({e})") from None
    cal = Calibration.from_json(data, str(cal_path))
    actual = file_sha256(value_path)
    if cal.network_sha256 != actual:
        raise CalibrationFileError(
            f"{cal_path} was fitted for another value network (SHA-256 "
            f"{(cal.network_sha256 or 'none')[:12]}..., {value_path} is {actual[:12]}...): fit it again "
            f"for this network (tengen calibrate-value) or remove it to use the "
            f"uncalibrated ownership lead")
    with _CACHE_LOCK:
        _CACHE[key] = cal
    return cal


def calibration_of(nets: object) -> Calibration:
    """The calibration of ``nets``' value network, found by its
    ``value_path`` (the identity for networks without a file, stand-ins
    included)."""
    return load_calibration(getattr(nets, "value_path", None))


def winrate(nets: object, p: float) -> float:
    """The mover's calibrated win rate for the raw one ``p`` (a search's,
    from ``nets``' value network)."""
    return calibration_of(nets).winrate(p)


def leads_and_ownership(nets: Networks, positions: list[tuple[Game, int]],
                        symmetries: int = NUM_SYMMETRIES
                        ) -> tuple[list[float], np.ndarray] | None:
    """Black's calibrated lead in each ``(game, side to move)`` and the
    ownership map (mover's frame, ``movers_ownership``) behind it; None
    without a value network.  A finished game's lead is its count."""
    if not nets.has_value:
        return None
    value, maps = evaluations(nets, positions, symmetries)
    black = np.array([mover == BLACK for _, mover in positions])
    komi = np.array([g.komi for g, _ in positions])
    leads = calibration_of(nets).lead(movers_lead(maps.sum(axis=(1, 2)), komi, black),
                                      value, black)
    out = []
    for (g, _), lead, is_black in zip(positions, leads, black):
        out.append(float(final_score(g)) if g.is_over else
                   float(lead if is_black else -lead))
    return out, maps


def black_leads(nets: Networks, positions: list[tuple[Game, int]],
                symmetries: int = NUM_SYMMETRIES) -> list[float] | None:
    """Black's calibrated lead in each ``(game, side to move)``; None
    without a value network."""
    found = leads_and_ownership(nets, positions, symmetries) if positions else ([], None)
    return None if found is None else found[0]


def evaluations(nets: Networks, positions: list[tuple[Game, int]],
                symmetries: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The value head (K,) and the ownership head's map (K, n, n) of each
    ``(game, side to move)``, both in the mover's frame (+1: the mover
    wins, the point ends up the mover's), averaged over ``symmetries`` of
    the board's eight; rows are the board's y (row 0 is line 1).  The
    networks must have a value network."""
    states = np.stack([with_mover(g, mover).state for g, mover in positions])
    size = int(states[0][B.H_N])
    planes = np.zeros((len(states), VALUE_PLANES, size, size), np.uint8)
    encode_batch(states, planes)
    step = max(1, BATCH // symmetries)
    found = [nets.value_and_ownership(planes[i:i + step], symmetries)
             for i in range(0, len(states), step)]
    return (np.concatenate([np.asarray(v, np.float64) for v, _ in found]),
            np.concatenate([m for _, m in found]))


def movers_ownership(nets: Networks, positions: list[tuple[Game, int]],
                     symmetries: int = 1) -> np.ndarray:
    """The ownership head's map (K, n, n) of each ``(game, side to move)``
    in the mover's frame (``evaluations``)."""
    return evaluations(nets, positions, symmetries)[1]


def movers_lead(ownership_sums: np.ndarray, komi: np.ndarray,
                black_to_move: np.ndarray) -> np.ndarray:
    """The mover's ownership lead from the ownership maps' sums (mover's
    frame): komi counts against Black and for White."""
    return ownership_sums + np.where(black_to_move, -komi, komi)


def both_sides(game: Game) -> list[tuple[Game, int]]:
    """``game`` with Black to move and with White to move, for ``black_leads``;
    the mean of the two is the lead without the side to move's bias."""
    return [(game, BLACK), (game, WHITE)]


def lead_after(nets: Networks, game: Game, color: int, moves: list[int],
               symmetries: int = 2) -> list[float | None] | None:
    """``color``'s lead after each of ``moves`` (None for an illegal one),
    the mean of both sides to move; None without a value network."""
    if not nets.has_value:
        return None
    asks: list[tuple[Game, int]] = []
    where: list[int | None] = []
    for p in moves:
        g = game.copy()
        try:
            g.play(p, color)
        except IllegalMove:
            where.append(None)
            continue
        where.append(len(asks))
        asks += both_sides(g)
    leads = (black_leads(nets, asks, symmetries) or []) if asks else []
    sign = 1.0 if color == BLACK else -1.0
    return [None if k is None else sign * (leads[k] + leads[k + 1]) / 2 for k in where]
