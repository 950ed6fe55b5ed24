"""Golden transcripts: whole GTP sessions (``tests/golden/NAME.gtp``) whose
exact output is stored next to them (``NAME.out``).  Each session runs
in-process and, for the byte-level framing, through ``python gtp_server.py``.

The stored outputs were produced by the server and read line by line
before they were committed; a difference means the protocol's behaviour
changed.  The sessions avoid the Monte Carlo dead-stone estimate, so only
the engine's rules and the seeded random player decide the answers.
"""

import pathlib
import subprocess
import sys

import pytest
from gtp_helpers import Session

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
ROOT = GOLDEN.parent.parent
SESSIONS = sorted(p.stem for p in GOLDEN.glob("*.gtp"))
# the engine's starting settings for every session
ARGS = {"size": 19, "komi": 7.5, "seed": 1}


def test_sessions_exist():
    assert {"basics", "game9", "sabaki"} <= set(SESSIONS)


@pytest.mark.parametrize("name", SESSIONS)
def test_golden_in_process(name):
    session = Session(**ARGS)
    lines = (GOLDEN / f"{name}.gtp").read_text().split("\n")
    out = "".join(session.raw(line) for line in lines)
    assert out == (GOLDEN / f"{name}.out").read_text()


@pytest.mark.parametrize("name", SESSIONS)
def test_golden_through_a_subprocess(name):
    argv = [sys.executable, str(ROOT / "gtp_server.py"), "--player", "random", "--size", str(ARGS["size"]),
            "--komi", str(ARGS["komi"]), "--seed", str(ARGS["seed"])]
    data = (GOLDEN / f"{name}.gtp").read_bytes().replace(b"\n", b"\r\n")   # as a Windows GUI sends
    proc = subprocess.run(argv, input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == (GOLDEN / f"{name}.out").read_bytes()
