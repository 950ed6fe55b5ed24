"""Helpers for the ``tengen analysis`` tests: a stand-in evaluator whose
figures are exact (so that transcripts are the same on every machine), an
in-process engine, and its output read back."""

import json
import threading

import numpy as np

from mcts.analysis import PositionSearch
from mcts.config import SearchConfig
from mcts.search import Search
from tengen.analysis_engine.analyst import Analyst
from tengen.analysis_engine.config import AnalysisConfig
from tengen.analysis_engine.server import AnalysisServer


class CountingNets:
    """Networks for the search and the figures read from it, computed
    exactly (sums, and divisions by powers of two): the policy prefers the
    centre (weight n - distance from the centre, in eighths), a position's
    value for the mover is (own stones - opponent's) / 64, and ownership
    is +1 on the mover's stones, -1 on the opponent's, 0 elsewhere.
    Planes 0 and 1 are the mover's and the opponent's stones."""

    has_value = True
    policy_net = value_net = True

    def __init__(self):
        self.calls = 0

    def policy(self, planes: np.ndarray, symmetries: int = 1) -> np.ndarray:
        b, _, n, _ = planes.shape
        c = (n - 1) / 2
        yy, xx = np.mgrid[0:n, 0:n]
        weight = (2 * n - np.abs(xx - c) - np.abs(yy - c)).reshape(-1) / 8
        p = np.concatenate([weight, [1 / 8]]).astype(np.float64)
        return np.tile(p / p.sum(), (b, 1)).astype(np.float32)

    def _diff(self, planes: np.ndarray) -> np.ndarray:
        return planes[:, 0].sum(axis=(1, 2)).astype(np.float64) - planes[:, 1].sum(axis=(1, 2))

    def value(self, planes: np.ndarray) -> np.ndarray:
        """The search's evaluations (``calls`` counts them)."""
        self.calls += len(planes)
        return self._value(planes)

    def _value(self, planes: np.ndarray) -> np.ndarray:
        return np.clip(self._diff(planes) / 64, -1, 1).astype(np.float32)

    def value_and_ownership(self, planes: np.ndarray, symmetries: int = 1):
        own = planes[:, 0].astype(np.float32) - planes[:, 1].astype(np.float32)
        return self._value(planes), own


class Output:
    """The engine's stdout: thread-safe, read back as JSON objects."""

    def __init__(self):
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        with self.lock:
            self.lines.append(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        with self.lock:
            return "".join(self.lines)

    def objects(self) -> list[dict]:
        """Every response so far (each line exactly one JSON object)."""
        return [json.loads(row) for row in self.text.splitlines()]


def stand_in_analyst(nets=None, max_nodes: int = 20_000, batch_size: int = 4) -> Analyst:
    """An Analyst whose search runs ``nets`` (default CountingNets)."""
    positions = PositionSearch(config=SearchConfig(batch_size=batch_size, seed=1))
    positions.use(Search(nets or CountingNets(), SearchConfig(batch_size=batch_size, seed=1,
                                                              max_nodes=max_nodes)))
    return Analyst(positions)


def engine(threads: int = 1, analysts=None, **config) -> tuple[AnalysisServer, Output]:
    """A started in-process engine on stand-in networks, and its output."""
    config.setdefault("max_visits", 16)
    cfg = AnalysisConfig(analysis_threads=threads, warm_up=False, **config)
    out = Output()
    server = AnalysisServer(cfg, analysts or [stand_in_analyst() for _ in range(threads)], out,
                            log=_Quiet())
    server.start(warm_up=False)
    return server, out


class _Quiet:
    """stderr for the in-process engines: kept, not printed."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def query(qid: str = "q", size: int = 5, moves=(), rules: str = "tromp-taylor", **fields) -> str:
    """One query line."""
    obj = {"id": qid, "boardXSize": size, "boardYSize": size, "rules": rules,
           "moves": [list(m) for m in moves], **fields}
    return json.dumps(obj)


def finals(objects: list[dict], qid: str) -> list[dict]:
    """The final responses of query ``qid`` (one per analysed turn)."""
    return [o for o in objects if o.get("id") == qid and o.get("isDuringSearch") is False]


class GatedNets(CountingNets):
    """CountingNets whose evaluations on ``gated_size`` boards wait until
    ``release()``: the search of such a position stays in flight while a
    test sends more lines.  ``entered`` is set once one is waiting."""

    def __init__(self, gated_size: int = 7):
        super().__init__()
        self.gated_size = gated_size
        self.entered = threading.Event()
        self.opened = threading.Event()

    def value(self, planes: np.ndarray) -> np.ndarray:
        if planes.shape[-1] == self.gated_size and not self.opened.is_set():
            self.entered.set()
            self.opened.wait(timeout=120)
        return super().value(planes)

    def release(self) -> None:
        self.opened.set()


def wait_for(condition, timeout: float = 120.0) -> None:
    """Wait until ``condition()`` holds (the engine answers on its threads);
    the timeout only keeps a broken engine from hanging the test run."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the engine never answered"
        time.sleep(0.01)
