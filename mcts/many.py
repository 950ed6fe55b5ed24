"""Many searches at once, the leaves of all of them in one network call.

Why: a self-play worker searching with few visits per move (say 32, in
batches of 8) would call the networks with 8 positions at a time, a
quarter of what a call costs nearly nothing extra for; with the trees of
all its games in flight, every round walks each tree's batch of paths
(``Search.select``), evaluates all the leaves together
(``evaluate_leaves``), and backs each tree's share up (``Search.backup``).
Each tree keeps its own virtual losses, noise and random generator, so a
game's search does not depend on which others share its calls.
"""

import numpy as np

from nets.features import VALUE_PLANES

from .search import Search, evaluate_leaves


def run_many(searches: list[Search], visits: int) -> int:
    """Give every search ``visits`` new visits (or until its arena is full),
    after expanding the roots that need it and adding root noise where the
    config asks for it; the searches must share networks, settings and
    board size.  Returns the number of network rounds."""
    if not searches:
        return 0
    lead = searches[0]
    n = lead.size
    planes = np.zeros((0, VALUE_PLANES, n, n), np.uint8)

    def evaluate(states, need_policy, stored):
        nonlocal planes
        if len(planes) < len(states):
            planes = np.zeros((len(states), VALUE_PLANES, n, n), np.uint8)
        return evaluate_leaves(lead, states, need_policy, stored, planes[:len(states)])

    roots = [s for s in searches if s.needs_root()]
    if roots:
        states = np.stack([s.root_state for s in roots])
        priors, values, _ = evaluate(states, np.ones(len(roots), bool), None)
        for s, p, v in zip(roots, priors, values):
            s.attach_root(p, v)
    for s in searches:
        if s.cfg.dirichlet_alpha > 0:
            s.add_root_noise()
    done = [0] * len(searches)
    rounds = 0
    while True:
        batch = []
        for i, s in enumerate(searches):
            bs = min(s.cfg.batch_size, visits - done[i])
            if bs > 0 and not s.arena_full(bs):
                batch.append((i, s.select(bs)))
        if not batch:
            break
        sizes = [len(leaves.index) for _, leaves in batch]
        if sum(sizes):
            priors, values, vnet = evaluate(
                np.concatenate([leaves.states for _, leaves in batch]),
                np.concatenate([leaves.need_policy for _, leaves in batch]),
                np.concatenate([leaves.stored for _, leaves in batch]))
            rounds += 1
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        for (i, leaves), a, b in zip(batch, bounds[:-1], bounds[1:]):
            s = searches[i]
            if b > a:
                done[i] += s.backup(leaves, priors[a:b], values[a:b], vnet[a:b])
            else:
                done[i] += s.backup(leaves, None, None, None)
    for s, d in zip(searches, done):
        s.visits_done = d
    return rounds
