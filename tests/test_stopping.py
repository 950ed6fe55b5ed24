"""A long run's graceful stop (``tengen.base.stopping``)."""

import os
import signal

import pytest

from tengen.base.stopping import stop_requests


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_the_block_asks_to_stop_and_the_old_handler_comes_back(sig):
    seen = []
    before = signal.signal(sig, lambda *_: seen.append("old"))
    try:
        with stop_requests(lambda: seen.append("stop")):
            os.kill(os.getpid(), sig)
        assert seen == ["stop"]                # the process lives on
        os.kill(os.getpid(), sig)
        assert seen == ["stop", "old"]         # restored
    finally:
        signal.signal(sig, before)


def test_the_old_handlers_come_back_when_the_block_raises():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RuntimeError):
        with stop_requests(lambda: None):
            raise RuntimeError("a failing step")
    assert signal.getsignal(signal.SIGTERM) is before
