"""Where tengen finds its shipped networks and the expert games.

Pure Python, without Numba or PyTorch: the GTP front end asks whether the
default policy network exists before it loads anything.

``MODELS_DIR`` is the ``tengen.models`` package: the repository's
``tengen/models/`` in a checkout or an editable install,
``site-packages/tengen/models`` in a regular install (the wheel ships the
networks as package data).
"""

import os
from pathlib import Path
from typing import Any

from .config import option

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
POLICY_FILE = "policy.safetensors"
VALUE_FILE = "value.safetensors"
ROLLOUT_FILE = "rollout.npz"
CALIBRATION_SUFFIX = ".calibration.json"    # beside a value network: nets.score.Calibration

# the expert games: ../shared/data/tygem-9d beside the checkout
DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "tygem-9d"
VALIDATION_ARCHIVE = "tygem-2011-11.zip"


def calibration_path(value_path: str | os.PathLike[str]) -> Path:
    """Where the calibration of the value network in ``value_path`` lives
    (``NAME.calibration.json`` beside ``NAME.safetensors``)."""
    p = Path(value_path)
    return p.with_name(p.name.removesuffix(".safetensors") + CALIBRATION_SUFFIX)


def default_archives(data_dir: Path = DATA_DIR) -> tuple[list[str], list[str]]:
    """(training archives, validation archives) in ``data_dir``: every
    archive but ``tygem-2011-11.zip`` trains, that one validates; both
    empty when the data is absent."""
    files = sorted(Path(data_dir).glob("*.zip"))
    train = [str(f) for f in files if f.name != VALIDATION_ARCHIVE]
    val = [str(f) for f in files if f.name == VALIDATION_ARCHIVE]
    return train, val


def training_games_option() -> Any:
    """The ``data`` field of a training config: None means the training
    archives (``resolve_games``)."""
    return option(None, metavar="PATH", help="training SGF files, directories or archives "
                  "(default: ../shared/data/tygem-9d except the validation archive)")


def validation_games_option() -> Any:
    """The ``val`` field of a training config: None means the validation
    archive; an empty list, no validation."""
    return option(None, metavar="PATH", help=f"validation games (default: {VALIDATION_ARCHIVE};"
                  " none given: no validation)")


def resolve_games(data: list[str] | None, val: list[str] | None) -> tuple[list[str], list[str]]:
    """(training, validation) game files, the archives standing in for None."""
    train, validation = default_archives()
    return (train if data is None else data), (validation if val is None else val)
