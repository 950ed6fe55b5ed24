"""The eight symmetries of the square board, for planes and move indices.

Go is invariant under the dihedral group of the square, so training draws a
random symmetry per position (AlphaGo's augmentation) and search may
average the network over several.  Both need the planes and the policy
indices transformed *consistently*: the move at (x, y) of the original
position is the move at ``transform_index`` of the transformed one.

Symmetry ``k`` (0..7) is: flip left-right first when ``k >= 4``, then turn
``k % 4`` quarter turns.  On a plane ``a[..., y, x]`` one quarter turn is
``np.rot90(a, 1, axes=(-2, -1))``, which moves point (x, y) to
(y, n-1-x).  Works on NumPy arrays and on PyTorch tensors (``rot90`` and
``flip`` methods) without importing torch.
"""

from typing import TYPE_CHECKING, TypeVar, overload

import numpy as np

if TYPE_CHECKING:     # annotations only: the planes may be tensors
    import torch

NUM_SYMMETRIES = 8
_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)   # flips are their own inverses

# planes as NumPy arrays or as PyTorch tensors
Planes = TypeVar("Planes", np.ndarray, "torch.Tensor")


def _check(k: int) -> int:
    if not 0 <= int(k) < NUM_SYMMETRIES or int(k) != k:
        raise ValueError(f"symmetry must be an integer 0..7, got {k!r}")
    return int(k)


def inverse(k: int) -> int:
    """The symmetry that undoes ``k``."""
    return _INVERSE[_check(k)]


def transform_planes(planes: Planes, k: int) -> Planes:
    """Planes ``(..., n, n)`` seen under symmetry ``k`` (a view or copy)."""
    k = _check(k)
    if planes.shape[-1] != planes.shape[-2]:
        raise ValueError(f"planes must be square in the last two dimensions, got {tuple(planes.shape)}")
    if isinstance(planes, np.ndarray):
        a = np.flip(planes, -1) if k >= 4 else planes
        return np.rot90(a, k % 4, axes=(-2, -1))
    a = planes.flip(-1) if k >= 4 else planes      # torch.Tensor
    return a.rot90(k % 4, (-2, -1))


@overload
def transform_index(idx: int, k: int, n: int) -> int: ...


@overload
def transform_index(idx: np.ndarray, k: int, n: int) -> np.ndarray: ...


def transform_index(idx: int | np.ndarray, k: int, n: int) -> int | np.ndarray:
    """Policy index ``y * n + x`` (pass ``n * n`` unchanged) under symmetry
    ``k``; ``idx`` an int or an integer array (elementwise)."""
    k = _check(k)
    a = np.asarray(idx)
    if a.dtype.kind not in "iu":
        raise ValueError("policy indices must be integers")
    if np.any((a < 0) | (a > n * n)):
        raise ValueError(f"policy index out of range 0..{n * n}")
    y, x = np.divmod(a, n)
    if k >= 4:
        x = n - 1 - x
    for _ in range(k % 4):
        x, y = y, n - 1 - x
    out = np.where(a == n * n, n * n, y * n + x)
    return int(out) if out.ndim == 0 else out.astype(a.dtype, copy=False)


def index_permutation(k: int, n: int) -> np.ndarray:
    """``perm`` with ``perm[i] = transform_index(i, k, n)`` for i in 0..n*n."""
    return transform_index(np.arange(n * n + 1), k, n)


def transform_policy(policy: np.ndarray, k: int, n: int) -> np.ndarray:
    """A policy vector ``(..., n*n + 1)`` (pass last) under symmetry ``k``:
    the value at index i moves to ``transform_index(i, k, n)``.  Maps a
    network's output on transformed planes back with ``inverse(k)``."""
    if policy.shape[-1] != n * n + 1:
        raise ValueError(f"policy must end in n*n + 1 = {n * n + 1} entries, got {policy.shape[-1]}")
    # out[..., perm[i]] = policy[..., i], i.e. out = policy[..., perm^-1]
    return policy[..., index_permutation(inverse(k), n)]


def symmetric_batch(planes: np.ndarray, symmetries: int) -> np.ndarray:
    """``planes`` (B, P, n, n) seen under symmetries 0 .. ``symmetries``-1,
    stacked: (symmetries * B, P, n, n), one network call for all of them."""
    if not 1 <= symmetries <= NUM_SYMMETRIES or int(symmetries) != symmetries:
        raise ValueError(f"symmetries must be 1..{NUM_SYMMETRIES}, got {symmetries!r}")
    if symmetries == 1:
        return planes
    return np.concatenate([np.ascontiguousarray(transform_planes(planes, k))
                           for k in range(symmetries)])


def mean_back(maps: np.ndarray) -> np.ndarray:
    """Mean of ``maps[k]`` (K, B, n, n), each seen under symmetry ``k``,
    turned back to the original board."""
    return np.mean([transform_planes(m, inverse(k)) for k, m in enumerate(maps)], axis=0)


def mean_policy_back(policy: np.ndarray, symmetries: int, n: int) -> np.ndarray:
    """Move probabilities (K * B, n*n + 1) of a ``symmetric_batch`` of B
    positions, turned back and averaged: (B, n*n + 1), pass last."""
    if symmetries == 1:
        return policy
    b = len(policy) // symmetries
    board = mean_back(policy[:, :-1].reshape(symmetries, b, n, n))
    passes = policy[:, -1:].reshape(symmetries, b, 1).mean(0)
    return np.concatenate([board.reshape(b, n * n), passes], axis=1)


def mean_values_back(values: np.ndarray, symmetries: int) -> np.ndarray:
    """Values (K * B,) of a ``symmetric_batch`` of B positions, averaged:
    (B,); with one orientation the network's own answer, untouched."""
    if symmetries == 1:
        return values
    return values.reshape(symmetries, -1).mean(0)


def mean_ownership_back(ownership: np.ndarray, symmetries: int) -> np.ndarray:
    """Ownership maps (K * B, n, n) of a ``symmetric_batch`` of B
    positions, turned back and averaged: (B, n, n)."""
    if symmetries == 1:
        return ownership
    return mean_back(ownership.reshape(symmetries, -1, *ownership.shape[1:]))
