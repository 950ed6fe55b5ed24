"""Views Numba does not reference-count (``engine.unowned``)."""

import numpy as np
import pytest
from numba import njit

from engine import board as B
from engine.unowned import pointer, raw_view, unowned


@njit
def _set_ko_through_unowned(s, v):
    t = unowned(s)
    t[B.H_KO] = v
    return s[B.H_KO]


def test_raw_view_shares_memory():
    s = B.new_state(5)
    v = raw_view(s)
    v[B.H_KO] = 42
    assert s[B.H_KO] == 42 and v.dtype == np.int64 and v.shape == s.shape
    r = raw_view(np.array([7], dtype=np.uint64))
    assert r.dtype == np.uint64 and r[0] == 7
    with pytest.raises(ValueError):
        raw_view(s[::2])


def test_unowned_views_in_compiled_code_write_through_to_the_array():
    """``unowned`` is the identity in Python and a view in compiled code:
    either way a write lands in the caller's array."""
    s = B.new_state(5)
    assert _set_ko_through_unowned(s, 17) == 17 and s[B.H_KO] == 17
    assert unowned(s) is s


@njit
def _swap_through_pointer(a, i, k):
    p = pointer(a)
    q = pointer(p)          # a pointer stays itself
    p[i], q[k] = q[k], p[i]
    return p[i] + p[k]


def test_pointers_in_compiled_code_read_and_write_the_array():
    """``pointer`` indexes the array's own memory in compiled code (any
    dtype) and is the identity in Python."""
    s = B.new_state(5)
    s[B.H_KO], s[B.H_LAST] = 3, 11
    assert _swap_through_pointer(s, B.H_KO, B.H_LAST) == 14
    assert (s[B.H_KO], s[B.H_LAST]) == (11, 3)
    rng = np.array([5, 9], dtype=np.uint64)
    assert _swap_through_pointer(rng, 0, 1) == 14 and rng.tolist() == [9, 5]
    assert pointer(s) is s
