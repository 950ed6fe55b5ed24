"""Timing helpers shared by the ``tengen bench`` targets and scripts.

Two kinds of figure: the throughput of calls timed against each other on
the wall clock (``interleaved_rates``: the networks, whose threads make CPU
time misleading), and per-round CPU and wall times (``timed_rounds``: compiled
single-core code, where the process's CPU time is the headline because the
machine is shared and time spent descheduled is not the code's cost).
"""

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

R = TypeVar("R")


def interleaved_rates(steps: Sequence[Callable[[], int]], seconds: float,
                      until: Callable[[], bool] | None = None, block: int = 4) -> list[float]:
    """Items per wall-clock second of each of ``steps`` (callables returning
    the number of items they handled), timed in alternating blocks of
    ``block`` calls so that all see the same machine (turbo, other jobs),
    for at least ``seconds`` and until ``until()`` (if given) is true.  Two
    untimed calls of each first."""
    for step in steps:
        step()
        step()
    spent = [0.0] * len(steps)
    items = [0] * len(steps)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or (until is not None and not until()):
        for i, step in enumerate(steps):
            t0 = time.perf_counter()
            items[i] += sum(step() for _ in range(block))
            spent[i] += time.perf_counter() - t0
    return [n / t for n, t in zip(items, spent)]


def timed_rounds(fn: Callable[[], R], seconds: float, rounds_min: int
                 ) -> list[tuple[float, float, R]]:
    """``fn()`` repeated until the rounds add up to ``seconds`` of CPU time
    and number at least ``rounds_min``: (CPU seconds, wall seconds, fn's
    result) per round."""
    rounds: list[tuple[float, float, R]] = []
    cpu = 0.0
    while cpu < seconds or len(rounds) < rounds_min:
        t0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        spent = time.process_time() - t0
        rounds.append((spent, time.perf_counter() - w0, result))
        cpu += spent
    return rounds
