"""mcts.many: the trees of many games searched with one network call per round."""

import numpy as np
import pytest
from selfplay_helpers import tiny_models

from engine.game import Game
from mcts.config import SearchConfig
from mcts.many import run_many
from mcts.search import Search
from nets.inference import Networks


class Counting:
    """Networks that count their calls and the positions in them."""

    def __init__(self, nets):
        self.nets = nets
        self.value_net = nets.value_net
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
        s = Search(nets, SearchConfig(**{**cfg.__dict__, "seed": i}))
        s.set_position(g)
        out.append(s)
    return out


def test_every_tree_gets_its_visits_and_the_rounds_share_network_calls(nets):
    counting = Counting(nets)
    trees = searches(counting, 5)
    rounds = run_many(trees, 16)
    assert [s.visits_done for s in trees] == [16] * 5
    assert all(int(s.tree.e_N[s.tree.first[0]:s.tree.first[0] + s.tree.count[0]].sum()) == 16
               for s in trees)
    assert rounds == 4                           # 16 visits in batches of 4
    policy_calls = [k for kind, k in counting.calls if kind == "policy"]
    assert policy_calls[0] == 5                  # the five roots in one call
    assert max(policy_calls) > 4                 # leaves of several trees together


def test_a_tree_searched_with_others_matches_it_searched_alone(nets):
    alone = searches(nets, 3)[2]
    run_many([alone], 12)
    together = searches(nets, 3)
    run_many(together, 12)
    a = {st.move: st.visits for st in alone.root_stats()}
    b = {st.move: st.visits for st in together[2].root_stats()}
    assert a == b


def test_root_noise_makes_seeded_searches_differ(nets):
    trees = searches(nets, 2, dirichlet_alpha=0.3)
    for s in trees:
        s.set_position(Game(9))
    run_many(trees, 8)
    p0, p1 = (np.sort([st.prior for st in s.root_stats()]) for s in trees)
    assert not np.allclose(p0, p1)
