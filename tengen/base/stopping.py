"""A long run's graceful stop: SIGINT (Ctrl-C) and SIGTERM ask the run to
stop at its next safe point instead of killing it mid-write.

Why: training and self-play write checkpoints atomically, but a signal that
lands between two steps should still end the run with a final checkpoint
and exported weights, not an exception out of whatever was running; the
run's loop polls the flag its callback sets.
"""

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_requests(on_stop: Callable[[], None]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM call ``on_stop()``; the
    previous handlers come back when it ends, however it ends."""
    old = {s: signal.signal(s, lambda *_: on_stop()) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
