"""``mcts.tree``: the compiled tree operations against hand-built ASCII
positions and against a plain-Python reference of the same search: which
moves a node gets, its priors, the walks under virtual loss and their
backup, the subtree kept after a move, the principal variation."""

import math

import numpy as np
import pytest
from conftest import random_position

from engine import board as B
from engine.ascii import from_ascii
from engine.board import BLACK, WHITE
from engine.coords import index_to_point, parse_gtp, point_to_index, to_point
from engine.game import Game
from engine.playouts import random_move
from engine.rules import Rules
from engine.scoring import area_score
from mcts import tree as T

NO_HISTORY = np.zeros(0, np.int64)
NO_PATH = np.zeros(1, np.int64)
SIMPLE_KO = Rules("simple", "simple", False, "area")


def candidates(s, history=NO_HISTORY, path=NO_PATH, depth=0, superko=False):
    """``candidate_moves`` as a list of policy indices."""
    out = np.empty(int(s[B.H_N]) ** 2 + 1, np.int64)
    k = T.candidate_moves(s, history, path, depth, superko, out)
    return out[:k].tolist()


def indices(vertices, n):
    return [point_to_index(parse_gtp(v, n), n) for v in vertices]


def hash_after(s, p, c):
    """The position's hash once ``c`` has played ``p``, by playing it."""
    t = s.copy()
    B.play(t, np.zeros(0, np.int64), p, c)
    return int(t[B.H_HASH])


# ---- candidate moves --------------------------------------------------------

def test_candidates_are_the_empty_points_but_own_eyes_and_suicides_with_pass_last():
    g = from_ascii("""
        . X . . .
        X X . . .
        . . . O O
        . . O . O
        . . . O .
    """, to_move=BLACK)
    n = 5
    empty = [to_point(x, y, n) for y in range(n) for x in range(n)
             if g.state[B.COLOR + to_point(x, y, n)] == B.EMPTY]
    # A5 is Black's own eye; D2 and E1 would be suicide
    kept = sorted(point_to_index(p, n) for p in empty)
    for gone in indices(["A5", "D2", "E1"], n):
        kept.remove(gone)
    assert candidates(g.state) == kept + [n * n]
    # the same points for White: A5 would be suicide, D2 and E1 are its own eyes
    assert candidates(with_mover(g, WHITE)) == kept + [n * n]


def with_mover(game, color):
    s = game.state.copy()
    s[B.H_TOMOVE] = color
    return s


def test_the_ko_point_is_not_a_candidate_for_the_player_who_may_not_retake():
    ko = from_ascii("""
        . X O .
        X O . O
        . X O .
        . . . .
    """, to_move=BLACK)
    ko.play(to_point(2, 2, 4), BLACK)            # captures the white stone on (1, 2)
    k = int(ko.state[B.H_KO])
    assert k == to_point(1, 2, 4)
    assert point_to_index(k, 4) not in candidates(ko.state)
    ko.play(B.PASS, WHITE)
    ko.play(B.PASS, BLACK)                       # the ko is over: White may take back
    assert point_to_index(k, 4) in candidates(ko.state)


def random_game(n, moves, seed):
    """A game of random legal moves under simple ko (no eye filled)."""
    g = Game(n, rules=SIMPLE_KO)
    rng = np.array([seed * 7919 + 1], np.uint64)
    for _ in range(moves):
        p = random_move(g.state.copy(), g.to_move, rng)
        if p == B.PASS or not g.legal(p):
            break
        g.play(p)
    return g


@pytest.mark.parametrize("seed", range(6))
def test_candidates_match_the_games_legal_moves_that_fill_no_own_eye(seed):
    n = 7
    g = random_game(n, 20 + 5 * seed, seed)
    expected = sorted(point_to_index(p, n) for p in g.legal_moves()
                      if not B.is_eye(g.state, p, g.to_move))
    assert candidates(g.state) == expected + [n * n]


def test_superko_drops_moves_that_repeat_a_game_position_or_one_on_the_path():
    s = random_position(7, 30, 4)
    c = int(s[B.H_TOMOVE])
    moves = candidates(s)
    a, b = index_to_point(moves[0], 7), index_to_point(moves[1], 7)
    history = np.sort(np.array([hash_after(s, a, c), 12345], np.int64))
    assert candidates(s, history, superko=True) == moves[1:]
    assert candidates(s, history, superko=False) == moves          # off: nothing dropped
    path = np.array([int(s[B.H_HASH]), hash_after(s, b, c), 0], np.int64)
    assert candidates(s, NO_HISTORY, path, depth=2, superko=True) == [moves[0]] + moves[2:]
    assert candidates(s, NO_HISTORY, path, depth=1, superko=True) == moves   # b's beyond depth


# ---- nodes ------------------------------------------------------------------

def test_a_node_renormalises_its_priors_over_its_candidates():
    g = from_ascii("""
        . X . . .
        X X . . .
        . . . O O
        . . O . O
        . . . O .
    """, to_move=BLACK)
    n = 5
    priors = np.full(n * n + 1, 0.01, np.float32)
    priors[indices(["A5"], n)[0]] = 0.5              # Black's own eye: not a candidate
    priors[indices(["C3"], n)[0]] = 0.2
    tree = T.new_tree(4, 100)
    node = T.add_node(tree, g.state, priors, NO_HISTORY, NO_PATH, 0, False, 0.25)
    assert node == 0 and tree.meta[T.META_NODES] == 1
    k = int(tree.count[0])
    moves = tree.e_move[:k].tolist()
    assert moves == candidates(g.state) and tree.meta[T.META_EDGES] == k
    total = sum(float(priors[m]) for m in moves)
    assert np.allclose(tree.e_prior[:k], priors[moves] / total)
    assert tree.e_prior[moves.index(indices(["C3"], n)[0])] == pytest.approx(0.2 / total)
    assert (tree.e_N[:k] == 0).all() and (tree.e_child[:k] == T.UNEXPANDED).all()
    assert tree.tomove[0] == BLACK and tree.value[0] == 0.25
    # no prior mass on any candidate: uniform
    second = T.add_node(tree, g.state, np.zeros(n * n + 1, np.float32), NO_HISTORY, NO_PATH,
                        0, False, 0.0)
    assert second == 1 and np.allclose(tree.e_prior[k:2 * k], 1.0 / k)


def test_a_full_tree_refuses_a_node_and_stays_as_it_was():
    s = B.new_state(5)
    priors = np.full(26, 1 / 26, np.float32)
    few_edges = T.new_tree(4, 20)                   # 26 candidates do not fit
    assert T.add_node(few_edges, s, priors, NO_HISTORY, NO_PATH, 0, False, 0.0) == -1
    assert few_edges.meta.tolist() == [0, 0]
    one_node = T.new_tree(1, 100)
    assert T.add_node(one_node, s, priors, NO_HISTORY, NO_PATH, 0, False, 0.0) == 0
    assert T.add_node(one_node, s, priors, NO_HISTORY, NO_PATH, 0, False, 0.0) == -1
    assert one_node.meta.tolist() == [1, 26]


def test_a_finished_games_value_is_blacks_area_result():
    g = from_ascii("""
        . X O .
        X X O O
        X X O .
        . X O O
    """)
    assert area_score(g.state) == 8 - 8              # six stones and two eyes each
    assert T.terminal_value(g.state, 0.0) == 0.0
    assert T.terminal_value(g.state, -0.5) == 1.0
    assert T.terminal_value(g.state, 0.5) == -1.0


# ---- walks under virtual loss: the compiled search against a plain one ------

def evaluation(s):
    """A stand-in network, a function of the position alone: peaked priors
    (so that walks of one batch collide) and a value in Black's frame."""
    rng = np.random.default_rng(int(s[B.H_HASH]) % (1 << 32))
    n = int(s[B.H_N])
    return rng.dirichlet(np.full(n * n + 1, 0.3)).astype(np.float32), float(rng.uniform(-1, 1))


class RefNode:
    """A node of the reference search: its moves are the legal points that
    fill no own eye, then pass."""

    def __init__(self, s, priors, value):
        n = int(s[B.H_N])
        c = int(s[B.H_TOMOVE])
        points = [index_to_point(i, n) for i in range(n * n)]
        self.moves = [point_to_index(p, n) for p in points
                      if s[B.COLOR + p] == B.EMPTY and B.is_legal(s, p, c) and not B.is_eye(s, p, c)]
        self.moves.append(n * n)
        total = 0.0
        for m in self.moves:
            total += float(priors[m])
        self.prior = [float(np.float32(float(priors[m]) / total)) for m in self.moves]
        self.tomove, self.value = c, value
        k = len(self.moves)
        self.N, self.W, self.VL = [0] * k, [0.0] * k, [0] * k
        self.child = [None] * k          # None: unexpanded, "pending", or a RefNode

    def select(self, c_puct, fpu_reduction, c_puct_base=0.0, fpu_by_policy=False):
        """AlphaGo's PUCT with virtual losses and first-play urgency; with
        ``c_puct_base``, AlphaZero's growing exploration; with
        ``fpu_by_policy``, the reduction scaled by the visited prior mass."""
        sign = 1.0 if self.tomove == BLACK else -1.0
        visits = float(sum(self.N) + sum(self.VL))
        nsum = sum(self.N)
        q_parent = sign * (sum(self.W) / nsum if nsum > 0 else self.value)
        visited = sum(p for p, n, vl in zip(self.prior, self.N, self.VL) if n + vl > 0)
        fpu = q_parent - fpu_reduction * (math.sqrt(visited) if fpu_by_policy else 1.0)
        c = c_puct + (math.log((1.0 + visits + c_puct_base) / c_puct_base)
                      if c_puct_base > 0 else 0.0)
        sq = math.sqrt(max(visits, 1.0))
        best, best_score = -1, -1e30
        for e in range(len(self.moves)):
            nv = self.N[e] + self.VL[e]
            q = (sign * self.W[e] - self.VL[e]) / nv if nv > 0 else fpu
            score = q + c * self.prior[e] * sq / (1.0 + nv)
            if score > best_score:
                best, best_score = e, score
        return best


def reference_batch(root, root_state, batch, komi, max_moves, c_puct, fpu, threshold,
                    refinements=(0.0, False)):
    """One batch of walks and their backup, in plain Python; returns each
    walk's (kind, moves)."""
    n = int(root_state[B.H_N])
    walks = []
    for _ in range(batch):
        s = root_state.copy()
        node, path = root, []
        while True:
            e = node.select(c_puct, fpu, *refinements)
            node.VL[e] += 1
            path.append((node, e))
            p = index_to_point(node.moves[e], n)
            B.play(s, np.zeros(0, np.int64), p, int(s[B.H_TOMOVE]))
            if s[B.H_PASSES] >= 2 or s[B.H_MOVENUM] >= max_moves:
                d = area_score(s) - komi
                kind, value = T.TERMINAL, (d > 0) - (d < 0)
                break
            child = node.child[e]
            if child is None:
                node.child[e] = "pending"
                grow = node.N[e] + 1 >= threshold or p == B.PASS
                kind, value = (T.NEEDS_EVAL if grow else T.NEEDS_VALUE), s.copy()
                break
            if child == "pending":
                kind, value = T.COLLISION, 0.0
                break
            node = child
        walks.append([kind, path, value])
    for walk in walks:
        kind, path, value = walk
        node, e = path[-1]
        if kind in (T.NEEDS_EVAL, T.NEEDS_VALUE):
            priors, value = evaluation(walk[2])
            node.child[e] = RefNode(walk[2], priors, value) if kind == T.NEEDS_EVAL else None
        for node, e in path:
            node.VL[e] -= 1
            if kind != T.COLLISION:
                node.N[e] += 1
                node.W[e] += value
    return [(kind, [node.moves[e] for node, e in path]) for kind, path, _ in walks]


def same_tree(tree, node, ref):
    """The compiled subtree under ``node`` is the reference's, edge by edge."""
    e0, k = int(tree.first[node]), int(tree.count[node])
    assert tree.e_move[e0:e0 + k].tolist() == ref.moves
    assert tree.e_prior[e0:e0 + k].tolist() == ref.prior
    assert tree.e_N[e0:e0 + k].tolist() == ref.N
    assert np.allclose(tree.e_W[e0:e0 + k], ref.W)
    assert (tree.e_VL[e0:e0 + k] == 0).all()
    for e in range(k):
        child = int(tree.e_child[e0 + e])
        if isinstance(ref.child[e], RefNode):
            assert child > 0
            same_tree(tree, child, ref.child[e])
        else:
            assert child == T.UNEXPANDED


class Walks:
    """The compiled tree driven as ``mcts.search`` drives it, with the
    stand-in network."""

    def __init__(self, root_state, batch, komi, max_moves, c_puct, fpu, threshold,
                 refinements=(0.0, False)):
        self.s, self.batch = root_state, batch
        self.args = (komi, max_moves, c_puct, fpu, threshold)
        self.refinements = refinements
        self.tree = T.new_tree(10_000, 300_000)
        priors, value = evaluation(root_state)
        T.add_node(self.tree, root_state.copy(), priors, NO_HISTORY, NO_PATH, 0, False, value)
        self.states = np.zeros((batch, B.STATE_LEN), np.int64)
        self.paths = np.zeros((batch, T.MAX_DEPTH), np.int64)
        self.plen = np.zeros(batch, np.int64)
        self.phash = np.zeros((batch, T.MAX_DEPTH + 1), np.int64)
        self.kinds = np.zeros(batch, np.int64)
        self.term = np.zeros(batch, np.float64)

    def batch_of_walks(self):
        tr = self.tree
        T.select_leaves(tr, 0, self.s, *self.args, self.states, self.paths, self.plen,
                        self.phash, self.kinds, self.term, *self.refinements)
        walks = [(int(self.kinds[b]), tr.e_move[self.paths[b, :self.plen[b]]].tolist())
                 for b in range(self.batch)]
        pending = sum(k != T.COLLISION and k != T.TERMINAL for k, _ in walks)
        assert (tr.e_child == T.PENDING).sum() == pending
        n = int(self.s[B.H_N])
        priors = np.zeros((self.batch, n * n + 1), np.float32)
        values = np.zeros(self.batch)
        for b, (kind, _) in enumerate(walks):
            if kind in (T.NEEDS_EVAL, T.NEEDS_VALUE):
                priors[b], values[b] = evaluation(self.states[b])
        done = T.expand_and_backup(tr, self.states, self.paths, self.plen, self.phash,
                                   self.kinds, self.term, priors, values, NO_HISTORY, False)
        assert done == sum(k != T.COLLISION for k, _ in walks)
        return walks


@pytest.mark.parametrize("threshold, refinements", [(1, (0.0, False)), (2, (0.0, False)),
                                                    (1, (5.0, True)), (2, (3.0, False))])
def test_walks_and_backups_follow_a_plain_python_search_step_by_step(threshold, refinements):
    """Batches of 12 walks on 5x5 with games cut at move 6: every walk's
    path and kind, then every edge's visits and values, as the reference
    search computes them; all virtual losses are gone after each backup.
    With and without the selection's refinements (growing exploration,
    first-play urgency by visited policy)."""
    root_state = random_position(5, 2, 7)
    komi, max_moves, c_puct, fpu = 2.5, 6, 1.5, 0.2
    compiled = Walks(root_state, 12, komi, max_moves, c_puct, fpu, threshold, refinements)
    priors, value = evaluation(root_state)
    ref = RefNode(root_state, priors, value)
    kinds = set()
    for _ in range(40):
        walks = compiled.batch_of_walks()
        assert walks == reference_batch(ref, root_state, 12, komi, max_moves, c_puct, fpu,
                                        threshold, refinements)
        kinds |= {k for k, _ in walks}
        same_tree(compiled.tree, 0, ref)
    expected = {T.NEEDS_EVAL, T.TERMINAL, T.COLLISION} | ({T.NEEDS_VALUE} if threshold > 1 else set())
    if refinements == (0.0, False):
        assert kinds == expected                   # every kind of walk was exercised
    else:
        assert T.NEEDS_EVAL in kinds and kinds <= expected
    assert int(compiled.tree.e_N[:compiled.tree.count[0]].sum()) > 300


def test_a_pending_edge_steers_the_other_walks_of_its_batch_elsewhere():
    """Uniform priors at an empty root: the first walks of a batch take
    different moves, each pending edge scoring a loss until the backup."""
    s = B.new_state(5)
    tree = T.new_tree(100, 10_000)
    T.add_node(tree, s.copy(), np.full(26, 1 / 26, np.float32), NO_HISTORY, NO_PATH, 0, False, 0.0)
    batch = 10
    paths = np.zeros((batch, T.MAX_DEPTH), np.int64)
    kinds = np.zeros(batch, np.int64)
    T.select_leaves(tree, 0, s, 7.5, 75, 1.5, 0.0, 1, np.zeros((batch, B.STATE_LEN), np.int64),
                    paths, np.zeros(batch, np.int64), np.zeros((batch, T.MAX_DEPTH + 1), np.int64),
                    kinds, np.zeros(batch))
    assert (kinds == T.NEEDS_EVAL).all()
    assert len(set(paths[:, 0].tolist())) == batch            # ten different first moves
    assert tree.e_VL[:26].sum() == batch and tree.e_N[:26].sum() == 0


# ---- keeping a subtree, the principal variation ----------------------------

def grown_tree(seed=7, batches=30):
    walks = Walks(random_position(5, 2, seed), 8, 2.5, 8, 1.5, 0.2, 1)
    for _ in range(batches):
        walks.batch_of_walks()
    return walks.tree


def reachable(tree, node):
    e0, k = int(tree.first[node]), int(tree.count[node])
    return 1 + sum(reachable(tree, int(c)) for c in tree.e_child[e0:e0 + k] if c > 0)


def same_subtree(a, node_a, b, node_b):
    ea, k = int(a.first[node_a]), int(a.count[node_a])
    eb = int(b.first[node_b])
    assert int(b.count[node_b]) == k and a.tomove[node_a] == b.tomove[node_b]
    assert a.value[node_a] == b.value[node_b]
    for name in ("e_move", "e_prior", "e_N", "e_W", "e_V"):
        assert np.array_equal(getattr(a, name)[ea:ea + k], getattr(b, name)[eb:eb + k]), name
    for i in range(k):
        ca, cb = int(a.e_child[ea + i]), int(b.e_child[eb + i])
        assert (ca > 0) == (cb > 0)
        if ca > 0:
            same_subtree(a, ca, b, cb)


def test_the_subtree_of_the_move_played_becomes_a_whole_tree():
    src = grown_tree()
    used = int(src.meta[T.META_EDGES])
    src.e_V[:used] = T.VALUE_OFFSET + np.linspace(-0.9, 0.9, used)   # stored leaf values too
    e0, k = int(src.first[0]), int(src.count[0])
    best = e0 + int(np.argmax(src.e_N[e0:e0 + k]))
    child = int(src.e_child[best])
    assert child > 0 and reachable(src, child) > 1
    dst = T.new_tree(10_000, 300_000)
    T.copy_subtree(src, child, dst)
    assert dst.meta[T.META_NODES] == reachable(src, child)
    same_subtree(src, child, dst, 0)
    assert (dst.e_VL[:dst.meta[T.META_EDGES]] == 0).all()
    # its root's visits are the move's, less the one that created it
    assert int(dst.e_N[:dst.count[0]].sum()) == src.e_N[best] - 1


def test_the_principal_variation_follows_the_most_visited_edges():
    tree = grown_tree(seed=3)
    expected, node = [], 0
    while node > 0 or not expected:
        e0, k = int(tree.first[node]), int(tree.count[node])
        n = tree.e_N[e0:e0 + k]
        if n.max() == 0:
            break
        e = e0 + int(np.argmax(n))                      # the first of equals
        expected.append(int(tree.e_move[e]))
        node = int(tree.e_child[e])
    out = np.zeros(20, np.int64)
    length = T.principal_variation(tree, 0, out)
    assert out[:length].tolist() == expected and length >= 2
    short = np.zeros(1, np.int64)
    assert T.principal_variation(tree, 0, short) == 1 and short[0] == expected[0]
