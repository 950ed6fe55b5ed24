"""The search tree in preallocated arrays, and its compiled operations.

Why arrays: selection and backup touch a few hundred numbers per visit and
run hundreds of thousands of times per move; as ``@njit`` loops over numpy
arrays they cost microseconds, and the network evaluation is the only
Python left in the search loop.

Storage: a node owns a contiguous block of edges, one per child move, and
the edges carry the statistics the search reads (AlphaGo's N, W, P):

* nodes: ``first`` / ``count`` (its edge block), ``tomove`` (colour to play
  there), ``value`` (its own network evaluation, Black's frame);
* edges: ``move`` (policy index, pass = n*n), ``prior``, ``N`` (visits),
  ``W`` (summed values), ``VL`` (virtual losses pending), ``child`` (node
  index; ``UNEXPANDED`` or ``PENDING`` while a leaf waits for the network),
  ``V`` (the value network's evaluation of the position the edge leads to,
  kept while the edge is a leaf below the expansion threshold so that the
  network sees each position once; stored plus ``VALUE_OFFSET``, so that
  the arena's zero fill means "not evaluated").

Values are kept in one fixed frame, Black's: +1 is a Black win.  A node
where ``c`` moves reads ``Q = sign(c) * W / N``.  A pending visit counts as
a loss for the player choosing the edge (virtual loss), steering the other
selections of a batch elsewhere.

Superko: the search never proposes a move that repeats a position of the
game or of the path from the root (positional superko; situational rules
are checked as positional, which forbids a little more and so is safe).
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from engine import board as B
from engine import lookahead as LA
from engine.coords import index_to_point
from engine.scoring import area_score

UNEXPANDED = 0   # node 0 is always the root, never a child
PENDING = -1

# leaf kinds returned by select_leaves
NEEDS_EVAL = 0    # becomes a node: policy and value
TERMINAL = 1
COLLISION = 2
NEEDS_VALUE = 3   # stays a leaf (below the expansion threshold): value only



class Tree(NamedTuple):
    """The arena's arrays (the module's docstring says what each holds):
    a named tuple, so that compiled code takes the whole tree as one
    argument."""
    first: np.ndarray       # int32 per node
    # the field shadows tuple.count, a method no caller of the tree uses
    count: np.ndarray       # type: ignore[assignment]  # int32 per node
    tomove: np.ndarray      # int8 per node
    value: np.ndarray       # float64 per node
    e_move: np.ndarray      # int32 per edge
    e_prior: np.ndarray     # float32 per edge
    e_N: np.ndarray         # int32 per edge
    e_W: np.ndarray         # float64 per edge
    e_VL: np.ndarray        # int32 per edge
    e_child: np.ndarray     # int32 per edge
    e_V: np.ndarray         # float64 per edge
    meta: np.ndarray        # int64 [nodes used, edges used]


META_NODES, META_EDGES = 0, 1

MAX_DEPTH = 1024
VALUE_OFFSET = 2.0   # e_V holds value + VALUE_OFFSET; 0 means none


def new_tree(max_nodes: int, max_edges: int) -> Tree:
    """An empty tree.  All arrays start as zeros (UNEXPANDED is 0), which
    the operating system hands out lazily: only the part a search touches
    costs memory, so the arena can be sized generously."""
    return Tree(np.zeros(max_nodes, np.int32), np.zeros(max_nodes, np.int32),
                np.zeros(max_nodes, np.int8), np.zeros(max_nodes, np.float64),
                np.zeros(max_edges, np.int32), np.zeros(max_edges, np.float32),
                np.zeros(max_edges, np.int32), np.zeros(max_edges, np.float64),
                np.zeros(max_edges, np.int32), np.zeros(max_edges, np.int32),
                np.zeros(max_edges, np.float64), np.zeros(2, np.int64))


@njit(cache=True, nogil=True)
def clear(tree: Tree) -> None:
    tree.meta[META_NODES] = 0
    tree.meta[META_EDGES] = 0


@njit(cache=True, nogil=True)
def _contains(sorted_hashes: np.ndarray, h: int) -> bool:
    i = np.searchsorted(sorted_hashes, h)
    return i < sorted_hashes.shape[0] and sorted_hashes[i] == h


@njit(cache=True, nogil=True)
def candidate_moves(s: np.ndarray, history: np.ndarray, path_hashes: np.ndarray, depth: int,
                    superko: bool, out: np.ndarray) -> int:
    """Moves the search considers at ``s``: legal (superko included when
    asked), not filling the mover's own true eye; pass always last.
    Returns how many were written to ``out`` (policy indices)."""
    n = s[B.H_N]
    w = n + 2
    c = s[B.H_TOMOVE]
    k = 0
    for y in range(n):
        for x in range(n):
            p = (y + 1) * w + x + 1
            if s[B.COLOR + p] != B.EMPTY:
                continue
            if not B.is_legal(s, p, c) or B.is_eye(s, p, c):
                continue
            if superko:
                h = LA.hash_after(s, p, c)
                if _contains(history, h):
                    continue
                seen = False
                for d in range(depth):
                    if path_hashes[d] == h:
                        seen = True
                        break
                if seen:
                    continue
            out[k] = y * n + x
            k += 1
    out[k] = n * n
    return k + 1


@njit(cache=True, nogil=True)
def add_node(tree: Tree, s: np.ndarray, priors: np.ndarray, history: np.ndarray,
             path_hashes: np.ndarray, depth: int, superko: bool, value_black: float) -> int:
    """Create a node for position ``s`` with one edge per candidate move,
    priors taken from ``priors`` (over n*n+1) and renormalised.  Returns
    the node index, or -1 when the tree is full."""
    n = s[B.H_N]
    moves = np.empty(n * n + 1, np.int64)
    k = candidate_moves(s, history, path_hashes, depth, superko, moves)
    node = tree.meta[META_NODES]
    e0 = tree.meta[META_EDGES]
    if node >= tree.first.shape[0] or e0 + k > tree.e_move.shape[0]:
        return -1
    tree.meta[META_NODES] = node + 1
    tree.meta[META_EDGES] = e0 + k
    tree.first[node] = e0
    tree.count[node] = k
    tree.tomove[node] = s[B.H_TOMOVE]
    tree.value[node] = value_black
    total = 0.0
    for i in range(k):
        total += priors[moves[i]]
    for i in range(k):
        e = e0 + i
        tree.e_move[e] = moves[i]
        tree.e_prior[e] = priors[moves[i]] / total if total > 0 else 1.0 / k
        tree.e_N[e] = 0
        tree.e_W[e] = 0.0
        tree.e_VL[e] = 0
        tree.e_child[e] = UNEXPANDED
        tree.e_V[e] = 0.0
    return node


@njit(cache=True, inline="always")
def _select_edge(tree: Tree, node: int, c_puct: float, fpu_reduction: float,
                 c_puct_base: float, fpu_by_policy: bool) -> int:
    """PUCT: the edge maximising Q + c * P * sqrt(N_parent) / (1 + N).
    Unvisited edges start at the parent's Q less ``fpu_reduction`` (first-play
    urgency), times the square root of the prior mass already visited when
    ``fpu_by_policy`` (Leela Zero's form: little reduction while the search
    is still narrow).  ``c`` is ``c_puct``, plus AlphaZero's
    log((1 + N_parent + base) / base) when ``c_puct_base`` > 0, so that
    exploration grows with the parent's visits."""
    e0 = tree.first[node]
    k = tree.count[node]
    sign = 1.0 if tree.tomove[node] == B.BLACK else -1.0
    visits = 0.0
    wsum = 0.0
    visited_prior = 0.0
    for e in range(e0, e0 + k):
        visits += tree.e_N[e] + tree.e_VL[e]
        wsum += tree.e_W[e]
        if tree.e_N[e] + tree.e_VL[e] > 0:
            visited_prior += tree.e_prior[e]
    nsum = 0.0
    for e in range(e0, e0 + k):
        nsum += tree.e_N[e]
    q_parent = sign * (wsum / nsum if nsum > 0 else tree.value[node])
    if fpu_by_policy:
        fpu = q_parent - fpu_reduction * math.sqrt(visited_prior)
    else:
        fpu = q_parent - fpu_reduction
    c = c_puct
    if c_puct_base > 0:
        c += math.log((1.0 + visits + c_puct_base) / c_puct_base)
    sq = math.sqrt(max(visits, 1.0))
    best = -1
    best_score = -1e30
    for e in range(e0, e0 + k):
        nv = tree.e_N[e] + tree.e_VL[e]
        if nv > 0:
            q = (sign * tree.e_W[e] - tree.e_VL[e]) / nv
        else:
            q = fpu
        score = q + c * tree.e_prior[e] * sq / (1.0 + nv)
        if score > best_score:
            best_score = score
            best = e
    return best


@njit(cache=True, nogil=True)
def terminal_value(s: np.ndarray, komi: float) -> float:
    """Black's result (+1, -1, 0 for a draw) of a finished game, by area."""
    d = area_score(s) - komi
    if d > 0:
        return 1.0
    if d < 0:
        return -1.0
    return 0.0


@njit(cache=True, nogil=True)
def select_leaves(tree: Tree, root: int, root_state: np.ndarray, komi: float, max_moves: int,
                  c_puct: float, fpu_reduction: float, threshold: int, states: np.ndarray,
                  paths: np.ndarray, path_len: np.ndarray, path_hashes: np.ndarray,
                  kinds: np.ndarray, term_values: np.ndarray, c_puct_base: float = 0.0,
                  fpu_by_policy: bool = False) -> None:
    """Walk ``states.shape[0]`` paths from ``root``, applying a virtual loss
    on every edge taken; each walk ends at an unexpanded edge (the leaf,
    its position in ``states[b]``), a finished game (TERMINAL, Black's
    result in ``term_values[b]``) or an edge another walk of this batch is
    already evaluating (COLLISION).  A leaf whose edge reaches ``threshold``
    visits with this one becomes a node (NEEDS_EVAL); below it the leaf is
    only valued (NEEDS_VALUE).  A pass always becomes a node at once: the
    position after it is where the opponent can end the game by passing,
    and only a node sees that terminal position.  ``c_puct_base`` and
    ``fpu_by_policy``: ``_select_edge``'s refinements (off by default)."""
    nj = np.zeros(0, np.int64)
    n = root_state[B.H_N]
    for b in range(states.shape[0]):
        s = states[b]
        s[:] = root_state
        node = root
        depth = 0
        path_hashes[b, 0] = s[B.H_HASH]
        while True:
            e = _select_edge(tree, node, c_puct, fpu_reduction, c_puct_base, fpu_by_policy)
            tree.e_VL[e] += 1
            paths[b, depth] = e
            depth += 1
            p = index_to_point(tree.e_move[e], n)
            B.play(s, nj, p, s[B.H_TOMOVE])
            path_hashes[b, depth] = s[B.H_HASH]
            if s[B.H_PASSES] >= 2 or s[B.H_MOVENUM] >= max_moves or depth >= MAX_DEPTH - 1:
                kinds[b] = TERMINAL
                term_values[b] = terminal_value(s, komi)
                break
            child = tree.e_child[e]
            if child == UNEXPANDED:
                tree.e_child[e] = PENDING
                if tree.e_N[e] + 1 >= threshold or p == B.PASS:
                    kinds[b] = NEEDS_EVAL
                else:
                    kinds[b] = NEEDS_VALUE
                break
            if child == PENDING:
                kinds[b] = COLLISION
                break
            node = child
        path_len[b] = depth


@njit(cache=True, nogil=True)
def expand_and_backup(tree: Tree, states: np.ndarray, paths: np.ndarray, path_len: np.ndarray,
                      path_hashes: np.ndarray, kinds: np.ndarray, term_values: np.ndarray,
                      priors: np.ndarray, values_black: np.ndarray, history: np.ndarray,
                      superko: bool) -> int:
    """Attach a node to every NEEDS_EVAL leaf (a NEEDS_VALUE leaf stays
    one), then back each walk's value up its path (Black's frame: the same
    number is added at every ply), removing the virtual losses.  Returns
    the number of completed visits."""
    done = 0
    for b in range(states.shape[0]):
        d = path_len[b]
        last = paths[b, d - 1]
        kind = kinds[b]
        if kind == NEEDS_EVAL:
            v = values_black[b]
            node = add_node(tree, states[b], priors[b], history, path_hashes[b], d + 1,
                            superko, v)
            tree.e_child[last] = node if node >= 0 else UNEXPANDED
        elif kind == NEEDS_VALUE:
            v = values_black[b]
            tree.e_child[last] = UNEXPANDED
        elif kind == TERMINAL:
            v = term_values[b]
        else:
            v = 0.0
        for i in range(d):
            e = paths[b, i]
            tree.e_VL[e] -= 1
            if kind != COLLISION:
                tree.e_N[e] += 1
                tree.e_W[e] += v
        if kind != COLLISION:
            done += 1
    return done


@njit(cache=True, nogil=True)
def copy_subtree(src: Tree, root: int, dst: Tree) -> None:
    """Copy the subtree of ``src`` under node ``root`` into ``dst`` (cleared)
    so that it becomes dst's node 0: how the tree of the move actually
    played is kept while everything else is dropped."""
    dst.meta[META_NODES] = 0
    dst.meta[META_EDGES] = 0
    queue = np.empty(src.meta[META_NODES], np.int64)
    new_id = np.full(src.meta[META_NODES], -1, np.int64)
    head = 0
    tail = 0
    queue[tail] = root
    tail += 1
    new_id[root] = 0
    dst.meta[META_NODES] = 1
    while head < tail:
        old = queue[head]
        head += 1
        nid = new_id[old]
        k = src.count[old]
        e0 = dst.meta[META_EDGES]
        dst.meta[META_EDGES] = e0 + k
        dst.first[nid] = e0
        dst.count[nid] = k
        dst.tomove[nid] = src.tomove[old]
        dst.value[nid] = src.value[old]
        for i in range(k):
            se = src.first[old] + i
            de = e0 + i
            dst.e_move[de] = src.e_move[se]
            dst.e_prior[de] = src.e_prior[se]
            dst.e_N[de] = src.e_N[se]
            dst.e_W[de] = src.e_W[se]
            dst.e_VL[de] = 0
            dst.e_V[de] = src.e_V[se]
            ch = src.e_child[se]
            if ch > 0:
                cid = dst.meta[META_NODES]
                dst.meta[META_NODES] = cid + 1
                new_id[ch] = cid
                queue[tail] = ch
                tail += 1
                dst.e_child[de] = cid
            else:
                dst.e_child[de] = UNEXPANDED


@njit(cache=True, nogil=True)
def principal_variation(tree: Tree, root: int, out: np.ndarray) -> int:
    """Most-visited path from ``root`` (policy indices); returns its length."""
    node = root
    k = 0
    while k < out.shape[0]:
        e0 = tree.first[node]
        best = -1
        best_n = 0
        for e in range(e0, e0 + tree.count[node]):
            if tree.e_N[e] > best_n:
                best_n = tree.e_N[e]
                best = e
        if best < 0:
            break
        out[k] = tree.e_move[best]
        k += 1
        node = tree.e_child[best]
        if node <= 0:
            break
    return k
