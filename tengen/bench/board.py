"""``tengen bench board``: random playouts per second on one core.

A playout is ``board.random_playout`` from the empty board to two passes
(uniformly random legal moves that never fill an own true eye, simple ko)
followed by an area count, as ``board.playouts`` runs them.  Rates are per
second of this process's CPU time, which the other jobs on a shared machine
disturb much less than the wall clock (also reported).
"""

import time
from dataclasses import dataclass

from engine import board as B
from engine.playouts import playouts
from tengen.base.config import option


@dataclass(frozen=True)
class Config:
    seconds: float = option(3.0, help="measuring time per board size")

def playout_rate(size: int, seconds: float) -> tuple[float, float, float]:
    """(playouts per CPU second, per wall second, moves per playout) from
    the empty board, JIT warm-up excluded."""
    s = B.new_state(size)
    playouts(s, 20, 1)  # compile and warm caches
    count, moves, cpu, wall, seed = 0, 0, 0.0, 0.0, 2
    batch = 200 if size <= 9 else 50
    while cpu < seconds:
        c0, w0 = time.process_time(), time.perf_counter()
        _, m = playouts(s, batch, seed)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        count += batch
        moves += m
        seed += 1
    return count / cpu, count / wall, moves / count


def run(args: Config) -> dict:
    out: dict[str, float] = {}
    for size in (9, 19):
        cpu_rate, wall_rate, mpp = playout_rate(size, args.seconds)
        out[f"playouts_per_s_{size}x{size}"] = round(cpu_rate)
        out[f"playouts_per_s_{size}x{size}_wall"] = round(wall_rate)
        out[f"moves_per_playout_{size}x{size}"] = round(mpp, 1)
        out[f"ns_per_move_{size}x{size}"] = round(1e9 / (cpu_rate * mpp), 1)
    return out
