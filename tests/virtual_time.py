"""Time that passes only where a test says work takes time.

Why: a test that measures the wall clock fails when the machine is busy.
Under ``virtual_time`` the clocks every time rule of the engine reads
(``time.perf_counter`` and ``time.monotonic``) stand still except when the
test advances them, typically by a fixed cost per network call
(``networks_take``), so the rules themselves (how long a move may think,
what the clock is charged) are checked exactly, on any machine.
``REAL_MONOTONIC`` stays the real clock, for a test's own guard against
hanging."""

import threading
import time

REAL_MONOTONIC = time.monotonic


class VirtualTime:
    """A clock that reads ``now`` and moves only by ``advance``."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def virtual_time(monkeypatch) -> VirtualTime:
    """Make ``time.perf_counter`` and ``time.monotonic`` one virtual clock
    for the rest of the test."""
    clock = VirtualTime()
    monkeypatch.setattr(time, "perf_counter", clock)
    monkeypatch.setattr(time, "monotonic", clock)
    return clock


def networks_take(monkeypatch, clock: VirtualTime, seconds: float) -> None:
    """Every pass of a loaded network (``Networks``: policy, value, value
    and ownership) advances ``clock`` by ``seconds``."""
    from nets.inference import Networks

    for name in ("policy_logits", "value", "value_and_ownership"):
        original = getattr(Networks, name)

        def timed(self, *args, _original=original, **kw):
            clock.advance(seconds)
            return _original(self, *args, **kw)
        monkeypatch.setattr(Networks, name, timed)
