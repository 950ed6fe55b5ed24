"""The rollout policy's model file: one float32 weight per feature index
(``nets.rollout.features.layout``) and a JSON ``meta`` with the format, the
feature set version, the group sizes and the training provenance, in an
``.npz`` read with ``allow_pickle=False``.  A file from another feature set
or with the wrong number of weights is refused with ``RolloutFileError``."""

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.board import H_N, H_TOMOVE
from tengen.base.files import atomic_write_bytes
from tengen.base.paths import MODELS_DIR, ROLLOUT_FILE

from .features import FEATURE_SET_VERSION, edge_table, layout, pattern_classes, position_logits

FILE_FORMAT = "tengen-rollout"


class RolloutFileError(ValueError):
    """A rollout model file that cannot be used: missing, unreadable, from
    another feature set, or with the wrong number of weights."""


@dataclass
class RolloutModel:
    """The weights and what the file says about them."""
    weights: np.ndarray                       # float32, layout().size
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        lay = layout()
        w = np.asarray(self.weights)
        if w.ndim != 1 or w.shape[0] != lay.size:
            raise RolloutFileError(f"{w.shape} rollout weights, expected ({lay.size},)")
        if not np.all(np.isfinite(w)):
            raise RolloutFileError("rollout weights are not all finite")
        self.weights = w.astype(np.float32)

    @classmethod
    def zeros(cls) -> "RolloutModel":
        """A uniform policy (every candidate equally likely)."""
        return cls(np.zeros(layout().size, np.float32))

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(off, pattern ids, weights with a trailing 0 for "none") for the
        full-computation functions."""
        ids, _ = pattern_classes()
        return layout().offsets(), ids, np.append(self.weights.astype(np.float64), 0.0)

    def exp_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(off, exp pattern weight by raw 3x3 code, exp of the weights with
        a trailing 1) for the rollouts: a move's weight is a product."""
        off, ids, w = self.tables()
        w = np.clip(w, -30.0, 30.0)     # products of a few factors stay finite and > 0
        ew = np.exp(w)
        return off, ew[ids], ew

    def logits(self, state: np.ndarray, color: int | None = None) -> np.ndarray:
        """Logits of the moves of ``color`` (default: the player to move)
        by policy index, -inf where the rollout never plays."""
        state = np.ascontiguousarray(state, dtype=np.int64)
        n = int(state[H_N])
        c = int(state[H_TOMOVE]) if color is None else int(color)
        off, ids, w = self.tables()
        out = np.empty(n * n, np.float64)
        position_logits(state.copy(), c, off, edge_table(n, off), ids, w, out)
        return out


def save_rollout(model: RolloutModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` (.npz) atomically."""
    path = Path(path)
    lay = layout()
    meta = {"format": FILE_FORMAT, "feature_set": FEATURE_SET_VERSION,
            "groups": lay.sizes(), "size": lay.size, "provenance": model.provenance}
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(buf, weights=model.weights.astype(np.float32),
                        meta=np.array(json.dumps(meta)))
    atomic_write_bytes(path, buf.getvalue())


def load_model(path: str | os.PathLike[str] | None = None) -> RolloutModel:
    """The RolloutModel in ``path`` (default ``tengen/models/rollout.npz``)."""
    path = Path(path) if path is not None else MODELS_DIR / ROLLOUT_FILE
    if not path.is_file():
        raise RolloutFileError(f"{path}: no such rollout model file "
                               "(train one with 'tengen train rollout')")
    try:
        with np.load(path, allow_pickle=False) as z:
            weights = z["weights"]
            meta = json.loads(str(z["meta"][()]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise RolloutFileError(f"{path}: not a readable rollout model file ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise RolloutFileError(f"{path}: not a {FILE_FORMAT} file")
    if meta.get("feature_set") != FEATURE_SET_VERSION:
        raise RolloutFileError(f"{path}: rollout feature set {meta.get('feature_set')!r} does not "
                               f"match this code's {FEATURE_SET_VERSION!r}; retrain it")
    if meta.get("groups") != layout().sizes():
        raise RolloutFileError(f"{path}: feature groups {meta.get('groups')} do not match "
                               f"{layout().sizes()}")
    try:
        return RolloutModel(weights, meta.get("provenance") or {})
    except RolloutFileError as e:
        raise RolloutFileError(f"{path}: {e}") from None


