"""What a move would do, computed without playing it: the stones it would
capture, the liberties and size of the chain it would form, and the hash of
the position after it.

Why apart from ``engine.board``: these are the questions the feature planes,
the ladder reader, the rollout policy and superko ask of every candidate move
thousands of times a position; answering them from the chains' incremental
counts is far cheaper than playing and undoing each move.  They read the
board's layout and never write the position (only the scratch ``MARK``
section, through ``new_stamp``).
"""

import numpy as np
from numba import njit

from .board import (
    COLOR,
    EMPTY,
    H_HASH,
    H_W,
    HEAD,
    LIBS,
    MARK,
    NEXT,
    SIZE,
    ZOBRIST,
    nb_count,
    neighbour_heads,
    new_stamp,
)
from .moves import PASS
from .unowned import unowned


@njit(cache=True)
def captures_by(s: np.ndarray, p: int, c: int) -> int:
    """Opponent stones a move by ``c`` at empty ``p`` would capture."""
    w = s[H_W]
    o = 3 - c
    total = 0
    h0 = -1
    h1 = -1
    h2 = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == o:
            h = s[HEAD + q]
            if s[LIBS + h] == 1 and h != h0 and h != h1 and h != h2:
                total += s[SIZE + h]
                if h0 < 0:
                    h0 = h
                elif h1 < 0:
                    h1 = h
                else:
                    h2 = h
    return total


@njit(cache=True)
def libs_after(s: np.ndarray, p: int, c: int, cap: int) -> int:
    """Liberties of the chain a move by ``c`` at empty ``p`` would form,
    after its captures, counted up to ``cap`` (returns ``min(libs, cap)``).

    Counts without playing: the empty neighbours of p, the liberties of the
    own chains it joins, and the captured stones that touch the new chain.
    """
    s = unowned(s)
    w = s[H_W]
    o = 3 - c
    # the own chains p joins, by head (-1: that neighbour is not own)
    h0 = s[HEAD + p - 1] if s[COLOR + p - 1] == c else -1
    h1 = s[HEAD + p + 1] if s[COLOR + p + 1] == c else -1
    h2 = s[HEAD + p - w] if s[COLOR + p - w] == c else -1
    h3 = s[HEAD + p + w] if s[COLOR + p + w] == c else -1
    heads = (h0, h1, h2, h3)
    # fast lower bound: a joined chain keeps all its liberties but p
    for h in heads:
        if h >= 0 and s[LIBS + h] - 1 >= cap:
            return cap
    stamp = new_stamp(s)
    s[MARK + p] = stamp
    n = 0
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == EMPTY:
            s[MARK + q] = stamp
            n += 1
    if n >= cap:
        return cap
    for k in range(4):
        h = heads[k]
        if h < 0:
            continue
        repeated = False
        for m in range(k):
            if heads[m] == h:
                repeated = True
        if repeated:
            continue
        r = h
        while True:
            for t in (r - 1, r + 1, r - w, r + w):
                if s[COLOR + t] == EMPTY and s[MARK + t] != stamp:
                    s[MARK + t] = stamp
                    n += 1
                    if n >= cap:
                        return cap
            r = s[NEXT + r]
            if r == h:
                break
    # captured opponent chains: their stones adjacent to p or a joined chain
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == o and s[LIBS + s[HEAD + q]] == 1:
            h = s[HEAD + q]
            r = h
            while True:
                if s[MARK + r] != stamp:
                    touches = False
                    for t in (r - 1, r + 1, r - w, r + w):
                        if t == p:
                            touches = True
                        elif s[COLOR + t] == c:
                            ht = s[HEAD + t]
                            if ht == h0 or ht == h1 or ht == h2 or ht == h3:
                                touches = True
                    if touches:
                        s[MARK + r] = stamp
                        n += 1
                        if n >= cap:
                            return cap
                r = s[NEXT + r]
                if r == h:
                    break
    return n


@njit(cache=True)
def size_after(s: np.ndarray, p: int, c: int) -> int:
    """Stones in the chain a move by ``c`` at ``p`` would form."""
    total = 1
    for h in neighbour_heads(s, p, c):
        if h >= 0:
            total += s[SIZE + h]
    return total


@njit(cache=True, inline='always')
def _chain_key(s: np.ndarray, h: int) -> int:
    """The XOR of the Zobrist keys of the stones of the chain with head ``h``."""
    c = s[COLOR + h]
    k = 0
    r = h
    while True:
        k ^= ZOBRIST[c, r]
        r = s[NEXT + r]
        if r == h:
            break
    return k


@njit(cache=True)
def hash_after(s: np.ndarray, p: int, c: int) -> int:
    """Zobrist hash of the position after a legal move by ``c`` at ``p``
    (captures and suicide applied), computed without playing it."""
    if p == PASS:
        return s[H_HASH]
    w = s[H_W]
    o = 3 - c
    h = s[H_HASH] ^ ZOBRIST[c, p]
    captures = False
    seen0 = -1
    seen1 = -1
    seen2 = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if s[COLOR + q] == o:
            hd = s[HEAD + q]
            if s[LIBS + hd] == 1 and hd != seen0 and hd != seen1 and hd != seen2:
                if seen0 < 0:
                    seen0 = hd
                elif seen1 < 0:
                    seen1 = hd
                else:
                    seen2 = hd
                h ^= _chain_key(s, hd)
                captures = True
    if not captures and nb_count(s, p, EMPTY) == 0:
        # no capture, no empty neighbour: suicide unless an own chain
        # keeps another liberty; if suicide, the own chains vanish too
        own = neighbour_heads(s, p, c)
        for hd in own:
            if hd >= 0 and s[LIBS + hd] > 1:
                return h
        h ^= ZOBRIST[c, p]
        for hd in own:
            if hd >= 0:
                h ^= _chain_key(s, hd)
    return h
