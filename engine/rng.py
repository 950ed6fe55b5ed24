"""The random generator of compiled code: xorshift64* over a one-element
uint64 array, so that compiled loops (playouts, rollouts, dead-stone
estimates) draw numbers without Python and a seed makes them repeatable.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def new_rng(seed: int) -> np.ndarray:
    """The state of a ``xorshift`` generator for ``seed``: a one-element
    uint64 array (compiled code updates it in place).  The odd multiplier
    spreads consecutive seeds over the whole state space."""
    rng = np.empty(1, dtype=np.uint64)
    rng[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    return rng


@njit(cache=True, inline='always')
def xorshift(rng: np.ndarray) -> np.uint64:
    """xorshift64*: a tiny fast generator whose state is ``rng[0]``."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * np.uint64(0x2545F4914F6CDD1D)


@njit(cache=True, inline='always')
def randint(rng: np.ndarray, n: int) -> np.int64:
    """Uniform integer in [0, n) (n small; modulo bias negligible)."""
    return np.int64((xorshift(rng) >> np.uint64(33)) % np.uint64(n))


@njit(cache=True, inline='always')
def rand_below(rng: np.ndarray, n: int) -> np.int64:
    """Uniform integer in [0, n) for 0 < n < 2**32 by multiply-shift
    (Lemire), which avoids the division of ``randint``."""
    return np.int64(((xorshift(rng) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True, inline='always')
def uniform(rng: np.ndarray) -> np.float64:
    """A float in [0, 1)."""
    return np.float64(xorshift(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
