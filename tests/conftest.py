"""Shared test helpers: locations of optional resources."""

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "tygem-9d"
GNUGO = shutil.which("gnugo") or ("/usr/games/gnugo" if os.path.exists("/usr/games/gnugo") else None)

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/tygem-9d absent")
needs_gnugo = pytest.mark.skipif(GNUGO is None, reason="GNU Go not installed")
