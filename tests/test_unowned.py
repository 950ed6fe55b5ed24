"""Views Numba does not reference-count (``engine.unowned``)."""

import numpy as np
import pytest
from numba import njit

from engine import board as B
from engine.unowned import raw_view, unowned


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
