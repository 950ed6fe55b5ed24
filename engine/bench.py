"""``tengen bench board``: random playouts per second on one core."""

import time

from . import board as B


def add_arguments(parser):
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="measuring time per board size (default 3)")


def playout_rate(size, seconds):
    """Playouts per second from the empty board, JIT warm-up excluded."""
    s = B.new_state(size)
    B.playouts(s, 20, 1)  # compile and warm caches
    count, moves, elapsed, seed = 0, 0, 0.0, 2
    batch = 200 if size <= 9 else 50
    while elapsed < seconds:
        t = time.perf_counter()
        _, m = B.playouts(s, batch, seed)
        elapsed += time.perf_counter() - t
        count += batch
        moves += m
        seed += 1
    return count / elapsed, moves / count


def run(args):
    r9, m9 = playout_rate(9, args.seconds)
    r19, m19 = playout_rate(19, args.seconds)
    return {"playouts_per_s_9x9": round(r9), "playouts_per_s_19x19": round(r19),
            "moves_per_playout_9x9": round(m9, 1), "moves_per_playout_19x19": round(m19, 1)}
