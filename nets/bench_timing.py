"""Timing helpers shared by the ``tengen bench`` targets and scripts.

Two kinds of figure: the throughput of a call repeated for a while on the
wall clock (``rate``: the networks, whose threads make CPU time
misleading), and per-round CPU and wall times (``timed_rounds``: compiled
single-core code, where the process's CPU time is the headline because the
machine is shared and time spent descheduled is not the code's cost).
"""

import time


def rate(fn, batch, seconds):
    """Items per wall-clock second of ``fn()``, which handles ``batch``
    items a call, repeated for ``seconds``; two untimed calls first
    (compilation, allocator and cache warm-up)."""
    fn()
    fn()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += batch
    return count / (time.perf_counter() - start)


def timed_rounds(fn, seconds, rounds_min):
    """``fn()`` repeated until the rounds add up to ``seconds`` of CPU time
    and number at least ``rounds_min``: (CPU seconds, wall seconds, fn's
    result) per round."""
    rounds = []
    cpu = 0.0
    while cpu < seconds or len(rounds) < rounds_min:
        t0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        spent = time.process_time() - t0
        rounds.append((spent, time.perf_counter() - w0, result))
        cpu += spent
    return rounds
