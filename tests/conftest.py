"""Shared test helpers: locations of optional resources, random positions."""

import os
import pathlib
import shutil

import pytest

from engine import board as B
from engine.playouts import random_playout
from engine.rng import new_rng

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "tygem-9d"
GNUGO = shutil.which("gnugo") or ("/usr/games/gnugo" if os.path.exists("/usr/games/gnugo") else None)

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/tygem-9d absent")
needs_gnugo = pytest.mark.skipif(GNUGO is None, reason="GNU Go not installed")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` or ``mps`` skip where that device is absent (a
    CPU-only machine runs the same functions with ``device="cpu"``)."""
    marked = [item for item in items if {"cuda", "mps"} & set(item.keywords)]
    if not marked:
        return
    import torch

    mps = getattr(torch.backends, "mps", None)
    present = {"cuda": torch.cuda.is_available(),
               "mps": bool(mps is not None and mps.is_available())}
    for item in marked:
        for name, here in present.items():
            if name in item.keywords and not here:
                item.add_marker(pytest.mark.skip(reason=f"no {name.upper()} device here"))


def random_position(n, moves, seed, suicide=False):
    """The state after up to ``moves`` uniformly random moves (no own eye
    filled) on an empty n x n board, by ``board.random_playout``."""
    s = B.new_state(n, suicide)
    random_playout(s, new_rng(seed), moves)
    return s
