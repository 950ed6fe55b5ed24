"""The tree search's mechanics (one tree, and many sharing network calls), with stand-in networks whose judgement is
known exactly: uniform priors and a material count as the value."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from selfplay_helpers import tiny_models

from engine import board as B
from engine.ascii import from_ascii
from engine.board import BLACK, PASS, WHITE
from engine.coords import format_gtp, index_to_point, parse_gtp
from engine.game import Game
from engine.move_choice import choose_by_weight
from mcts import tree as T
from mcts.config import SearchConfig
from mcts.search import OnePassEvaluator, Search, run_searches
from nets.features import VALUE_PLANES
from nets.inference import Networks
from nets.model import build, dual_config, save_model


class MaterialNets:
    """Uniform policy; value = tanh(stone difference / 3) for the player to
    move (planes 0 and 1 are the mover's and the opponent's stones)."""
    has_value = True

    def policy(self, planes):
        b, _, n, _ = planes.shape
        return np.full((b, n * n + 1), 1.0 / (n * n + 1), np.float32)

    def value(self, planes):
        diff = planes[:, 0].sum(axis=(1, 2)).astype(np.float64) - planes[:, 1].sum(axis=(1, 2))
        return np.tanh(diff / 3.0).astype(np.float32)


def search_for(game, visits=800, **kw):
    cfg = SearchConfig(visits=visits, batch_size=8, max_nodes=20_000, seed=1, **kw)
    s = Search(MaterialNets(), cfg)
    s.set_position(game)
    s.run(visits=visits, early_stop=False)
    return s


CAPTURE = """
. . . . . . .
. . . . . . .
. . X X X . .
. X O O O . .
. . X X X . .
. . . . . . .
. . . . . . .
"""

SAVE = """
. . . . . . .
. . . . . . .
. . O O O . .
. O X X X . .
. . O O O . .
. . . . . . .
. . . . . . .
"""


def test_search_finds_the_capture():
    game = from_ascii(CAPTURE, to_move=BLACK)
    s = search_for(game)
    assert format_gtp(s.root_stats()[0].move, 7) == "F4"
    # the uniform policy alone has no preference at all
    assert s.root_stats()[0].prior == pytest.approx(s.root_stats()[-1].prior)


def test_search_finds_the_saving_move_for_white_too():
    # White's chain C4-E4 has one liberty, F4: only extending there keeps
    # Black from capturing three stones next move (two plies deep), and the
    # value frame has to flip with the player to see it
    game = from_ascii(SAVE.replace("X", "x").replace("O", "X").replace("x", "O"), to_move=WHITE)
    s = search_for(game, visits=4000)
    assert format_gtp(s.root_stats()[0].move, 7) == "F4"


def test_virtual_losses_are_all_removed_after_a_search():
    game = from_ascii(CAPTURE, to_move=BLACK)
    s = search_for(game, visits=300)
    used = s.tree.meta[T.META_EDGES]
    assert used > 0
    assert s.tree.e_VL[:used].sum() == 0
    # every completed visit went through exactly one root edge
    e0, k = s.tree.first[0], s.tree.count[0]
    assert s.tree.e_N[e0:e0 + k].sum() == s.visits_done


@pytest.mark.parametrize("to_move", [BLACK, WHITE])
def test_values_have_the_right_sign_for_both_colours(to_move):
    # Black has four more stones: good for Black whoever is to move
    game = from_ascii("""
        . . . . .
        . X . X .
        . . . . .
        . X . X .
        . . . . .""", to_move=to_move)
    s = search_for(game, visits=200)
    v = s.root_value()  # for the player to move
    assert (v > 0.5) if to_move == BLACK else (v < -0.5)
    # and the stored statistics are in Black's frame for either mover
    e0, k = s.tree.first[0], s.tree.count[0]
    w = s.tree.e_W[e0:e0 + k].sum() / s.tree.e_N[e0:e0 + k].sum()
    assert w > 0.5


def test_terminal_value_is_the_area_count_in_blacks_frame():
    game = from_ascii("""
        . X O .
        . X O .
        . X O .
        . X O .""", to_move=BLACK, komi=0.5)
    assert T.terminal_value(game.state, 0.5) == -1.0   # 8 - 8 - 0.5
    assert T.terminal_value(game.state, -0.5) == 1.0
    assert T.terminal_value(game.state, 0.0) == 0.0


def test_tree_is_reused_after_play():
    game = from_ascii(CAPTURE, to_move=BLACK)
    s = search_for(game, visits=400)
    best = s.root_stats()[0]
    game.play(best.move)
    reply = s._child(0, best.move, 7)
    assert reply > 0
    e0, k = s.tree.first[reply], s.tree.count[reply]
    kept = int(s.tree.e_N[e0:e0 + k].sum())
    assert s.set_position(game) is True
    e0, k = s.tree.first[0], s.tree.count[0]
    assert int(s.tree.e_N[e0:e0 + k].sum()) == kept > 0
    assert s.tree.e_VL[:s.tree.meta[T.META_EDGES]].sum() == 0
    # a position that does not follow from the old root starts afresh
    other = from_ascii(CAPTURE, to_move=WHITE)
    assert s.set_position(other) is False
    assert s.tree.meta[T.META_NODES] == 0


def test_children_are_exactly_the_legal_non_eye_moves_plus_pass():
    game = from_ascii("""
        . X . O .
        X X X O O
        . X O . O
        X X O O .
        . X O . O""", to_move=WHITE)
    s = search_for(game, visits=50)
    moves = {m.move for m in s.root_stats()}
    legal = {p for p in game.legal_moves(WHITE) if not B.is_eye(game.state, p, WHITE)}
    # A5, A3, A1 are suicide for White; D3, E2, D1, E5 are White's own
    # eyes: C5 and pass are all that is left
    assert moves == legal | {PASS} == {parse_gtp("C5", 5), PASS}


def test_expansion_threshold_defers_nodes():
    game = from_ascii(CAPTURE, to_move=BLACK)
    eager = search_for(game, visits=200, expand_threshold=1)
    lazy = search_for(game, visits=200, expand_threshold=4)
    assert lazy.tree.meta[T.META_NODES] < eager.tree.meta[T.META_NODES] / 2
    # an expanded child's edge has been visited at least threshold times
    # (a pass is expanded at once: the next test)
    tr = lazy.tree
    used = tr.meta[T.META_EDGES]
    expanded = (tr.e_child[:used] > 0) & (tr.e_move[:used] != game.size ** 2)
    assert expanded.any()
    assert (tr.e_N[:used][expanded] >= 4).all()


def test_a_pass_becomes_a_node_on_its_first_visit():
    """Below the threshold a leaf is only valued, but the position after a
    pass must be a node: only then does the search see the opponent's
    game-ending pass.  White to move, far behind on the board: passing
    lets Black pass and win, which the search must find out at once."""
    game = from_ascii("""
        X X X X X
        X X X X X
        X X X . X
        . . . . .
        . . O . .""", to_move=WHITE, komi=0.5)
    s = search_for(game, visits=60, expand_threshold=10)
    tr = s.tree
    e0, k = int(tr.first[0]), int(tr.count[0])
    (pass_edge,) = [e for e in range(e0, e0 + k)
                    if index_to_point(tr.e_move[e], game.size) == PASS]
    assert tr.e_N[pass_edge] >= 1 and tr.e_child[pass_edge] > 0
    # the node after White's pass knows Black's pass ends it: a Black win
    node = tr.e_child[pass_edge]
    f, c = int(tr.first[node]), int(tr.count[node])
    (black_pass,) = [e for e in range(f, f + c)
                     if index_to_point(tr.e_move[e], game.size) == PASS]
    if tr.e_N[black_pass]:
        assert tr.e_W[black_pass] / tr.e_N[black_pass] == 1.0
    # other moves stay leaves until their tenth visit
    others = [e for e in range(e0, e0 + k) if e != pass_edge]
    assert all(tr.e_child[e] <= 0 for e in others if tr.e_N[e] < 10)


class CountingNets(MaterialNets):
    """MaterialNets that count the positions each network is shown."""

    def __init__(self):
        self.policy_positions = self.value_positions = 0

    def policy(self, planes):
        self.policy_positions += len(planes)
        return super().policy(planes)

    def value(self, planes):
        self.value_positions += len(planes)
        return super().value(planes)


def test_below_the_threshold_a_leaf_is_valued_once_and_its_value_kept():
    game = from_ascii(CAPTURE, to_move=BLACK)
    nets = CountingNets()
    s = Search(nets, SearchConfig(visits=120, batch_size=8, max_nodes=20_000, seed=1,
                                  expand_threshold=3))
    s.set_position(game)
    s.run(visits=120, early_stop=False)
    tr = s.tree
    used = tr.meta[T.META_EDGES]
    visited = tr.e_N[:used] > 0
    # every visited edge was valued exactly once, its value kept on the edge,
    # and the policy network saw only the positions that became nodes
    assert nets.value_positions == visited.sum() + 1              # + the root
    assert nets.policy_positions == tr.meta[T.META_NODES]
    assert (tr.e_V[:used][visited] > 0).all() and (tr.e_V[:used][~visited] == 0).all()
    # a root move still below the threshold keeps the network's value of
    # the position after it, in Black's frame
    e0, k = int(tr.first[0]), int(tr.count[0])
    leaf = [e for e in range(e0, e0 + k) if tr.e_N[e] > 0 and tr.e_child[e] <= 0]
    assert leaf
    for e in leaf:
        after = game.copy()
        after.play(int(index_to_point(tr.e_move[e], game.size)), BLACK)
        colours = list(after.stones().values())
        black_lead = float(colours.count(BLACK) - colours.count(WHITE))
        assert tr.e_V[e] - T.VALUE_OFFSET == pytest.approx(np.tanh(black_lead / 3.0), abs=1e-6)
    assert tr.e_VL[:used].sum() == 0


class OnePassNets(MaterialNets):
    """MaterialNets that answer both questions in one call
    (``mcts.search.OnePassEvaluator``), and only so."""

    def __init__(self):
        self.calls = []

    def policy(self, planes):
        raise AssertionError("a one-pass network is asked for priors and value together")

    value = policy

    def policy_and_value(self, planes):
        assert planes.shape[1] == VALUE_PLANES
        self.calls.append(len(planes))
        return MaterialNets.policy(self, planes), MaterialNets.value(self, planes)


@pytest.mark.parametrize("threshold", [1, 3])
def test_a_network_with_both_heads_is_asked_once_a_round_for_the_same_search(threshold):
    """The same judgement in one call or in two gives the same tree; the
    one-pass network is asked once a round, for the leaves that need priors
    or a value (below the expansion threshold a leaf keeps its value and
    needs neither)."""
    game = from_ascii(CAPTURE, to_move=BLACK)
    cfg = SearchConfig(visits=120, batch_size=8, max_nodes=20_000, seed=1,
                       expand_threshold=threshold)
    two, one = CountingNets(), OnePassNets()
    trees = []
    for nets in (two, one):
        s = Search(nets, cfg)
        s.set_position(game)
        trees.append((s, run_searches([s], 120, early_stop=False)))
    (a, rounds_a), (b, rounds_b) = trees
    used = a.tree.meta[T.META_EDGES]
    assert rounds_a == rounds_b and b.tree.meta[T.META_EDGES] == used
    for field_ in ("e_N", "e_W", "e_V", "e_prior", "e_move", "e_child"):
        assert np.array_equal(getattr(a.tree, field_)[:used], getattr(b.tree, field_)[:used])
    asked = sum(one.calls)
    if threshold == 1:      # every leaf becomes a node: priors and value for each
        assert len(one.calls) == rounds_b + 1                     # + the root
        assert asked == two.policy_positions == two.value_positions
    else:                   # some leaves need a value, some priors, some both
        assert len(one.calls) <= rounds_b + 1
        assert max(two.policy_positions, two.value_positions) < asked
        assert asked < two.policy_positions + two.value_positions


def test_a_two_headed_network_file_runs_the_search(tmp_path):
    torch.manual_seed(0)
    save_model(build(dual_config(width=8, layers=3, arch="plain")), tmp_path / "d.safetensors")
    nets = Networks(tmp_path / "d.safetensors", bf16=False)
    assert isinstance(nets, OnePassEvaluator)
    s = Search(nets, SearchConfig(batch_size=4, seed=1))
    s.set_position(Game(9))
    assert s.run(visits=32, early_stop=False) == 32
    assert sum(st.visits for st in s.root_stats()) == 32


def test_full_arena_ends_the_search_without_losing_visits():
    game = from_ascii(CAPTURE, to_move=BLACK)
    cfg = SearchConfig(visits=5000, batch_size=8, max_nodes=40, seed=1)
    s = Search(MaterialNets(), cfg)
    s.set_position(game)
    done = s.run(visits=5000, early_stop=False)
    assert 0 < done < 5000
    assert s.tree.meta[T.META_NODES] <= 40
    assert s.tree.e_VL[:s.tree.meta[T.META_EDGES]].sum() == 0


def test_root_noise_and_temperature_are_seeded():
    game = from_ascii(CAPTURE, to_move=BLACK)
    picks = []
    for _ in range(2):
        s = search_for(game, visits=100, dirichlet_alpha=0.3)
        e0, k = s.tree.first[0], s.tree.count[0]
        assert s.tree.e_prior[e0:e0 + k].sum() == pytest.approx(1.0, abs=1e-4)
        stats = s.root_stats()
        pick = choose_by_weight([st.visits for st in stats], 1.0, np.random.default_rng(1))
        picks.append((stats[pick].move, s.tree.e_prior[e0:e0 + k].copy()))
    assert picks[0][0] == picks[1][0]
    assert np.array_equal(picks[0][1], picks[1][1])
    # noise changed the uniform priors
    assert picks[0][1].std() > 0


def test_search_never_walks_past_the_end_of_the_game():
    # after two passes the game is over: the search scores it exactly
    game = from_ascii("""
        . X . . .
        X X . . .
        . . . . .
        . . . . .
        . . . . .""", to_move=WHITE)
    game.play(PASS)
    s = search_for(game, visits=100)
    stats = {m.move: m for m in s.root_stats()}
    # White passed; Black passing now ends the game with all 25 points
    # Black's, far more than komi: the pass edge holds exact +1 results
    assert stats[PASS].visits > 0
    assert stats[PASS].q == pytest.approx(1.0)


# ---- many trees in one loop: run_searches --------------------------------------

class Counting:
    """Networks that count their calls and the positions in them."""

    def __init__(self, nets):
        self.nets = nets
        self.has_value = nets.has_value
        self.calls = []

    def policy(self, planes):
        self.calls.append(("policy", len(planes)))
        return self.nets.policy(planes)

    def value(self, planes):
        self.calls.append(("value", len(planes)))
        return self.nets.value(planes)


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    d = tiny_models(tmp_path_factory.mktemp("tiny"))
    return Networks(d / "policy.safetensors", d / "value.safetensors", bf16=False)


def searches(nets, count, **kw):
    cfg = SearchConfig(batch_size=4, lam=1.0, rollouts=False, expand_threshold=1, **kw)
    out = []
    for i in range(count):
        g = Game(9)
        g.play(g.legal_moves()[i])
        s = Search(nets, replace(cfg, seed=i))
        s.set_position(g)
        out.append(s)
    return out


def test_every_tree_gets_its_visits_and_the_rounds_share_network_calls(nets):
    counting = Counting(nets)
    trees = searches(counting, 5)
    rounds = run_searches(trees, 16, early_stop=False)
    assert [s.visits_done for s in trees] == [16] * 5
    assert all(int(s.tree.e_N[s.tree.first[0]:s.tree.first[0] + s.tree.count[0]].sum()) == 16
               for s in trees)
    assert rounds == 4                           # 16 visits in batches of 4
    policy_calls = [k for kind, k in counting.calls if kind == "policy"]
    assert policy_calls[0] == 5                  # the five roots in one call
    assert max(policy_calls) > 4                 # leaves of several trees together


def test_a_tree_searched_with_others_matches_it_searched_alone(nets):
    alone = searches(nets, 3)[2]
    run_searches([alone], 12, early_stop=False)
    together = searches(nets, 3)
    run_searches(together, 12, early_stop=False)
    a = {st.move: st.visits for st in alone.root_stats()}
    b = {st.move: st.visits for st in together[2].root_stats()}
    assert a == b


def test_root_noise_makes_seeded_searches_differ(nets):
    trees = searches(nets, 2, dirichlet_alpha=0.3)
    for s in trees:
        s.set_position(Game(9))
    run_searches(trees, 8, early_stop=False)
    p0, p1 = (np.sort([st.prior for st in s.root_stats()]) for s in trees)
    assert not np.allclose(p0, p1)


# ---- the search's refinements (off by default) ----------------------------------------

class SharpNets(MaterialNets):
    """Half the prior on one point, the rest spread evenly."""

    def policy(self, planes):
        b, _, n, _ = planes.shape
        p = np.full((b, n * n + 1), 0.5 / (n * n), np.float32)
        p[:, n * n // 2] = 0.5
        p[:, n * n] = 0.0
        return p


def root_priors(s):
    e0, k = s.tree.first[0], s.tree.count[0]
    return s.tree.e_prior[e0:e0 + k].astype(np.float64)


def test_a_root_policy_temperature_flattens_the_root_priors_only():
    game = Game(7)
    warm = Search(SharpNets(), SearchConfig(batch_size=8, seed=1, root_policy_temperature=2.0))
    cold = Search(SharpNets(), SearchConfig(batch_size=8, seed=1))
    for s in (warm, cold):
        s.set_position(game)
        s.run(visits=50, early_stop=False)
    p, q = root_priors(cold), root_priors(warm)
    expected = np.sqrt(p) / np.sqrt(p).sum()
    assert q == pytest.approx(expected, rel=1e-5)
    assert q.max() < p.max()
    # a node below the root keeps the policy's own priors: after a move off
    # the favourite point, the favourite holds 0.5 against 47 others' 0.5 / 49
    e0, k = warm.tree.first[0], warm.tree.count[0]
    centre = 49 // 2
    edge = next(e for e in range(e0, e0 + k)
                if warm.tree.e_move[e] != centre and warm.tree.e_child[e] > 0)
    child = int(warm.tree.e_child[edge])
    f, c = warm.tree.first[child], warm.tree.count[child]
    assert warm.tree.e_prior[f:f + c].max() == pytest.approx(0.5 / (0.5 + 47 * 0.5 / 49),
                                                            rel=1e-5)


def visited_moves(**kw):
    s = Search(MaterialNets(), SearchConfig(batch_size=8, seed=1, **kw))
    s.set_position(Game(7))
    s.run(visits=200, early_stop=False)
    return sum(1 for st in s.root_stats() if st.visits > 0)


def test_exploration_that_grows_with_the_parents_visits_widens_the_root():
    assert visited_moves(c_puct=0.5, c_puct_base=5.0) > visited_moves(c_puct=0.5)


def test_first_play_urgency_by_visited_policy_reduces_less_while_the_search_is_narrow():
    assert visited_moves(fpu_reduction=1.0, fpu_by_policy=True) > \
        visited_moves(fpu_reduction=1.0)


class OrientedNets:
    """A stand-in that sees orientation: all of its policy on the first
    point of the planes it is shown (y 0, x 0), and a value of +1 when the
    mover has a stone on the planes' first row, else -1."""
    has_value = True

    def policy(self, planes):
        b, _, n, _ = planes.shape
        p = np.zeros((b, n * n + 1), np.float32)
        p[:, 0] = 1.0
        return p

    def value(self, planes):
        return np.where(planes[:, 0, 0, :].sum(axis=1) > 0, 1.0, -1.0).astype(np.float32)


class OrientedOnePassNets(OrientedNets):
    def policy_and_value(self, planes):
        return self.policy(planes), self.value(planes)


@pytest.mark.parametrize("nets", [OrientedNets(), OrientedOnePassNets()])
def test_symmetries_average_each_leafs_priors_and_value_over_that_many_orientations(nets):
    from mcts.search import evaluate_leaves
    from nets.symmetry import inverse, transform_index
    game = Game(7)
    game.play(parse_gtp("D1", 7), BLACK)     # Black's stone on the first row (y 0)
    game.play(parse_gtp("G7", 7), WHITE)
    found = {}
    for k in (1, 2):
        s = Search(nets, SearchConfig(batch_size=1, symmetries=k))
        s.set_position(game)
        planes = np.zeros((1, VALUE_PLANES, 7, 7), np.uint8)
        priors, values, _ = evaluate_leaves(s, game.state[None].copy(), np.array([True]), None,
                                            planes)
        found[k] = priors[0], values[0]
    assert found[1][1] == 1.0 and found[1][0][0] == 1.0
    # a quarter turn takes D1 off the first row: the mean of +1 and -1
    priors, value = found[2]
    assert value == pytest.approx(0.0)
    corner = int(transform_index(0, inverse(1), 7))      # the turned view's first point
    assert corner != 0
    assert priors[0] == pytest.approx(0.5) and priors[corner] == pytest.approx(0.5)
    assert priors.sum() == pytest.approx(1.0)


def test_symmetries_must_be_one_to_eight():
    for bad in (0, 9):
        with pytest.raises(ValueError, match="symmetries"):
            SearchConfig(symmetries=bad)
