"""Asynchronous policy-and-value Monte Carlo tree search (AlphaGo's APV-MCTS).

One round of the loop (``run_searches``): ``select_leaves`` walks
``batch_size`` paths (``gpu_batch_size`` with the networks on a GPU)
under virtual loss in every tree (compiled), the leaves
of all the trees are encoded and evaluated in one network batch (the only
Python in the loop), fast rollouts run from them if ``leaf_lambda < 1``, and
``expand_and_backup`` attaches the new nodes and backs the values up in
each tree (compiled).  A leaf's value is ``lam * v + (1 - lam) * z``: ``v``
from the value network, ``z`` the rollout's result; ``lam = 1`` is value
network only (the default), ``lam = 0`` rollouts only (AlphaGo: 0.5).

One tree is the case of many: ``Search.run`` is ``run_searches`` over one
search.  Many trees in one loop are how a self-play worker searching with
few visits per move (say 32, in batches of 8) fills its network calls: with
the trees of all its games in flight, every call evaluates every tree's
leaves.  Each tree keeps its own virtual losses, noise and random
generator, so a game's search does not depend on which others share its
calls.

The tree of the move actually played is kept for the next search (the
subtree is copied into a fresh arena, so memory stays bounded by
``max_nodes`` however long the game).
"""

import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from engine import board as B
from engine.coords import index_to_point, point_to_index
from engine.game import Game
from engine.player import with_mover
from nets.features import POLICY_PLANES, VALUE_PLANES, encode_batch
from nets.symmetry import mean_policy_back, mean_values_back, symmetric_batch

from . import tree as T
from .config import SearchConfig

if TYPE_CHECKING:     # annotations only: importing it would load the rollout tables
    from nets.rollout.policy import RolloutPolicy


class Evaluator(Protocol):
    """What the search asks of its networks (``nets.inference.Networks`` is
    one): move probabilities for the positions that become nodes, and values
    for the rest.  ``has_value`` False: no value network, the leaves are
    valued by rollouts."""

    @property
    def has_value(self) -> bool: ...

    def policy(self, planes: np.ndarray) -> np.ndarray:
        """Move probabilities (B, n*n + 1), pass last, from 48-plane input."""
        ...

    def value(self, planes: np.ndarray) -> np.ndarray:
        """Values (B,) in [-1, 1] for the player to move, from 49-plane input."""
        ...


@runtime_checkable
class OnePassEvaluator(Evaluator, Protocol):
    """Networks that give a position's move probabilities and its value in
    one pass (a two-headed network, ``nets.inference.DualNetworks``): the
    search asks them once for each new leaf instead of twice."""

    def policy_and_value(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(move probabilities (B, n*n + 1), values (B,) for the player to
        move), from 49-plane input."""
        ...


@dataclass
class MoveStats:
    move: int          # board point or PASS
    visits: int
    q: float           # mean value for the player to move, in [-1, 1]
    prior: float
    pv: list = field(default_factory=list)  # board points
    pv_visits: list = field(default_factory=list)  # visits of each move of ``pv`` (when asked)

    @property
    def winrate(self) -> float:
        return (self.q + 1) / 2


def _accelerated(nets: Evaluator) -> bool:
    """Networks on a GPU (``nets.inference.Networks.device``), where a call
    takes more leaves (``SearchConfig.leaves_per_call``); networks that do
    not say where they run (stand-ins) are on the CPU."""
    return bool(getattr(getattr(nets, "device", None), "accelerated", False))


class Search:
    """A search tree bound to networks: ``set_position`` a game, ``run`` it,
    then read ``root_stats``.  Not thread-safe: one search at a time."""

    def __init__(self, nets: Evaluator, config: SearchConfig | None = None,
                 rollout: "RolloutPolicy | None" = None):
        self.nets = nets
        self.cfg = config or SearchConfig()
        self.rollout = rollout
        cfg = self.cfg
        edges = cfg.max_nodes * cfg.edges_per_node
        self.tree = T.new_tree(cfg.max_nodes, edges)
        self._spare = T.new_tree(cfg.max_nodes, edges)
        self.rng = np.random.default_rng(cfg.seed)
        # (size, komi, rules, setup, first to move), moves: the root position's
        self.root_key: tuple[tuple, list[tuple[int, int]]] | None = None
        self.root_state = np.zeros(0, np.int64)     # its board (empty until set_position)
        self.komi = 0.0
        self.size = 0
        self._history = np.zeros(0, np.int64)
        self._superko = False
        self._off_turn = False     # the root was set with the side not to move in the game
        self._root_moves: frozenset[int] | None = None
        self.visits_done = 0
        self.batch_size = cfg.leaves_per_call(_accelerated(nets))
        self._alloc(self.batch_size, 19)

    # ---- buffers ------------------------------------------------------
    def _alloc(self, batch: int, n: int) -> None:
        self._buf_n = n
        self._states = np.zeros((batch, B.STATE_LEN), np.int64)
        self._paths = np.zeros((batch, T.MAX_DEPTH), np.int64)
        self._plen = np.zeros(batch, np.int64)
        self._phash = np.zeros((batch, T.MAX_DEPTH + 1), np.int64)
        self._kinds = np.zeros(batch, np.int64)
        self._term = np.zeros(batch, np.float64)
        self._planes = np.zeros((batch, VALUE_PLANES, n, n), np.uint8)

    # ---- position -----------------------------------------------------
    @staticmethod
    def _key(game: Game) -> tuple:
        return (game.size, game.komi, game.rules, tuple(sorted(game.setup.items())),
                game.first_to_move)

    def new_tree(self) -> None:
        """The next position starts a fresh tree (a new game, a changed
        setting)."""
        self.root_key = None

    def set_position(self, game: Game, color: int | None = None,
                     root_moves: Collection[int] | None = None) -> bool:
        """Make ``game``'s current position the root, with ``color`` to move
        (default: the game's turn), keeping the subtree of the moves played
        since the last root when possible.  ``root_moves``: the only moves
        searched at the root (points and PASS; None: every candidate), as
        the analysis protocols' avoid and allow lists ask.  Returns whether
        a subtree was kept."""
        g = game if color is None else with_mover(game, color)
        off_turn = g is not game
        if off_turn or self._off_turn or root_moves is not None or self._root_moves is not None:
            # the tree's positions follow the game's turn order: a root with
            # the other side to move shares no subtree with it; a restricted
            # root shares none with an unrestricted one
            self.root_key = None
        self._off_turn = off_turn
        self._root_moves = None if root_moves is None else frozenset(root_moves)
        return self._set_root(g)

    def _set_root(self, game: Game) -> bool:
        key = self._key(game)
        moves = list(game.moves)
        reused = False
        if (self.cfg.reuse_tree and self.root_key is not None and self.root_key[0] == key
                and moves[:len(self.root_key[1])] == self.root_key[1]
                and self.tree.meta[T.META_NODES] > 0):
            node = 0
            for c, p in moves[len(self.root_key[1]):]:
                if self.tree.tomove[node] != c:
                    node = -1
                    break
                node = self._child(node, p, game.size)
                if node < 0:
                    break
            if node >= 0 and self.tree.tomove[node] != game.to_move:
                node = -1  # same moves, another player to move (GTP allows it)
            if node > 0:
                T.copy_subtree(self.tree, node, self._spare)
                self.tree, self._spare = self._spare, self.tree
                self._temper_root()       # a child until now: its priors were the policy's
                reused = True
            elif node == 0:
                reused = True
        if not reused:
            T.clear(self.tree)
        self.root_key = (key, moves)
        self.root_state = game.state.copy()
        self.komi = game.komi
        self.size = game.size
        self._superko = game.rules.ko != "simple"
        self._history = np.sort(np.array(game.position_hashes(), dtype=np.int64))
        if self._buf_n != game.size:
            self._alloc(self.batch_size, game.size)
        return reused

    def _child(self, node: int, point: int, n: int) -> int:
        """The child of ``node`` reached by ``point`` (expanded), else -1."""
        tr = self.tree
        move = point_to_index(point, n)
        for e in range(tr.first[node], tr.first[node] + tr.count[node]):
            if tr.e_move[e] == move:
                return int(tr.e_child[e]) if tr.e_child[e] > 0 else -1
        return -1

    # ---- evaluation ---------------------------------------------------
    def planes_for(self, count: int) -> np.ndarray:
        """An encoding buffer for ``count`` positions of this board size."""
        if len(self._planes) < count:
            n = self._buf_n
            self._planes = np.zeros((count, VALUE_PLANES, n, n), np.uint8)
        return self._planes[:count]

    def needs_root(self) -> bool:
        """The root has no node yet (its evaluation comes first)."""
        return self.tree.meta[T.META_NODES] == 0

    def attach_root(self, priors: np.ndarray, value_black: float) -> None:
        """Make the root a node with its evaluation (``evaluate_leaves``)."""
        phash = np.array([self.root_state[B.H_HASH]], np.int64)
        node = T.add_node(self.tree, self.root_state.copy(), priors, self._history, phash, 1,
                          self._superko, value_black)
        assert node == 0
        self._temper_root()
        if self._root_moves is not None:
            self._restrict_root(self._root_moves)

    def _temper_root(self) -> None:
        """The root's priors raised to 1 / ``root_policy_temperature`` and
        renormalised (nothing at 1)."""
        t = self.cfg.root_policy_temperature
        if t == 1.0 or self.tree.meta[T.META_NODES] == 0:
            return
        tr = self.tree
        e0, k = int(tr.first[0]), int(tr.count[0])
        p = tr.e_prior[e0:e0 + k].astype(np.float64) ** (1.0 / t)
        tr.e_prior[e0:e0 + k] = p / p.sum() if p.sum() > 0 else 1.0 / k

    def _restrict_root(self, allowed: frozenset[int]) -> None:
        """Keep only the root edges of ``allowed`` moves (pass when none
        is), their priors renormalised.  The root is fresh: no visits yet."""
        tr, n = self.tree, self.size
        e0, k = int(tr.first[0]), int(tr.count[0])
        keep = [e for e in range(e0, e0 + k) if index_to_point(int(tr.e_move[e]), n) in allowed]
        keep = keep or [e0 + k - 1]                 # pass is always the last candidate
        moves = tr.e_move[keep].copy()
        priors = tr.e_prior[keep].astype(np.float64)
        total = priors.sum()
        m = len(keep)
        tr.e_move[e0:e0 + m] = moves
        tr.e_prior[e0:e0 + m] = priors / total if total > 0 else 1.0 / m
        tr.count[0] = m

    def add_root_noise(self) -> None:
        """Mix Dirichlet noise into the root priors (self-play exploration)."""
        tr = self.tree
        e0, k = tr.first[0], tr.count[0]
        if k > 1 and self.cfg.dirichlet_alpha > 0:
            noise = self.rng.dirichlet([self.cfg.dirichlet_alpha] * k)
            eps = self.cfg.dirichlet_eps
            tr.e_prior[e0:e0 + k] = (1 - eps) * tr.e_prior[e0:e0 + k] + eps * noise

    def arena_full(self, batch: int) -> bool:
        """No room left for ``batch`` more nodes: memory stays bounded."""
        return self.tree.meta[T.META_NODES] >= len(self.tree.first) - batch

    # ---- one round: walks, then (outside) the networks, then backup -----
    def select(self, batch: int) -> "Leaves":
        """Walk ``batch`` paths under virtual loss; the leaves among them
        that need the networks (``states``), the rest terminal or collided."""
        cfg = self.cfg
        tr = self.tree
        max_moves = cfg.max_game_moves or 3 * self.size * self.size
        T.select_leaves(tr, 0, self.root_state, self.komi, max_moves, cfg.c_puct,
                        cfg.fpu_reduction, cfg.expand_threshold, self._states[:batch],
                        self._paths[:batch], self._plen[:batch], self._phash[:batch],
                        self._kinds[:batch], self._term[:batch], cfg.c_puct_base,
                        cfg.fpu_by_policy)
        kinds = self._kinds[:batch]
        idx = np.nonzero((kinds == T.NEEDS_EVAL) | (kinds == T.NEEDS_VALUE))[0]
        last = self._paths[idx, self._plen[idx] - 1]
        return Leaves(batch, idx, last, kinds[idx] == T.NEEDS_EVAL, tr.e_V[last],
                      self._states[idx])

    def backup(self, leaves: "Leaves", priors: np.ndarray | None, values: np.ndarray | None,
               vnet: np.ndarray | None) -> int:
        """Attach and back up the evaluated ``leaves`` (their evaluations
        None when there are none); the visits completed."""
        bs = leaves.batch
        tr = self.tree
        all_priors = np.zeros((bs, self.size * self.size + 1), np.float32)
        all_values = np.zeros(bs, np.float64)
        if len(leaves.index):
            assert priors is not None and values is not None and vnet is not None
            all_priors[leaves.index] = priors
            all_values[leaves.index] = values
            keep = (leaves.stored == 0.0) & ~np.isnan(vnet)
            tr.e_V[leaves.last[keep]] = vnet[keep] + T.VALUE_OFFSET
        return T.expand_and_backup(tr, self._states[:bs], self._paths[:bs], self._plen[:bs],
                                   self._phash[:bs], self._kinds[:bs], self._term[:bs],
                                   all_priors, all_values, self._history, self._superko)

    # ---- the loop -----------------------------------------------------
    def run(self, visits: int | None = None, seconds: float | None = None,
            stop: Callable[[], bool] | None = None,
            callback: Callable[["Search"], None] | None = None, callback_every: float = 1.0,
            early_stop: bool = True) -> int:
        """``run_searches`` over this search alone; ``callback(self)`` is
        called every ``callback_every`` s.  Returns the visits completed."""
        run_searches([self], visits, seconds, stop,
                     None if callback is None else (lambda: callback(self)), callback_every,
                     early_stop)
        return self.visits_done

    def decided(self, remaining: int) -> bool:
        """True when no other root move can overtake the most visited one
        in the ``remaining`` visits."""
        tr = self.tree
        e0, k = tr.first[0], tr.count[0]
        if k <= 1:
            return True
        n = np.sort(tr.e_N[e0:e0 + k])
        return n[-1] - n[-2] > remaining

    # ---- results ------------------------------------------------------
    def root_stats(self, pv_length: int = 12, pv_visits: bool = False) -> list[MoveStats]:
        """Root moves with visits, best first (then by prior for unvisited);
        ``pv_visits``: with the visits of every move of each line."""
        tr = self.tree
        if tr.meta[T.META_NODES] == 0:
            return []
        e0, k = tr.first[0], tr.count[0]
        sign = 1.0 if tr.tomove[0] == B.BLACK else -1.0
        out = []
        pv = np.zeros(pv_length, np.int64)
        n = self.size
        for e in range(e0, e0 + k):
            nv = int(tr.e_N[e])
            q = sign * tr.e_W[e] / nv if nv else sign * tr.value[0]
            moves = [int(tr.e_move[e])]
            if tr.e_child[e] > 0:
                m = T.principal_variation(tr, tr.e_child[e], pv[:pv_length - 1])
                moves += [int(x) for x in pv[:m]]
            out.append(MoveStats(index_to_point(int(tr.e_move[e]), n), nv, float(q),
                                 float(tr.e_prior[e]), [index_to_point(x, n) for x in moves],
                                 self._line_visits(e, len(moves)) if pv_visits else []))
        out.sort(key=lambda s: (-s.visits, -s.q if s.visits else 0.0, -s.prior))
        return out

    def _line_visits(self, edge: int, length: int) -> list[int]:
        """The visits of the edges of the line from root edge ``edge``, the
        most visited child each time (``tree.principal_variation``'s rule)."""
        tr = self.tree
        out = [int(tr.e_N[edge])]
        node = int(tr.e_child[edge])
        while len(out) < length and node > 0:
            f, c = int(tr.first[node]), int(tr.count[node])
            if c == 0:
                break
            best = f + int(np.argmax(tr.e_N[f:f + c]))
            if tr.e_N[best] <= 0:
                break
            out.append(int(tr.e_N[best]))
            node = int(tr.e_child[best])
        return out

    def root_visits(self) -> int:
        """Visits below the root so far (those a reused subtree brought along
        included)."""
        tr = self.tree
        if tr.meta[T.META_NODES] == 0:
            return 0
        e0, k = tr.first[0], tr.count[0]
        return int(tr.e_N[e0:e0 + k].sum())

    def root_value(self) -> float:
        """Mean value of the root for the player to move, in [-1, 1]."""
        tr = self.tree
        if tr.meta[T.META_NODES] == 0:
            return 0.0
        e0, k = tr.first[0], tr.count[0]
        nsum = tr.e_N[e0:e0 + k].sum()
        sign = 1.0 if tr.tomove[0] == B.BLACK else -1.0
        if nsum == 0:
            return sign * float(tr.value[0])
        return sign * float(tr.e_W[e0:e0 + k].sum() / nsum)


@dataclass
class Leaves:
    """The walks of one round that need the networks (``Search.select``)."""
    batch: int                # walks taken
    index: np.ndarray         # which of them end at a leaf to evaluate
    last: np.ndarray          # their last edges
    need_policy: np.ndarray   # bool: the leaf becomes a node (policy and value)
    stored: np.ndarray        # values kept on the edges (tree.e_V), 0 for none
    states: np.ndarray        # the leaves' positions


def _policy(nets: Evaluator, planes: np.ndarray, symmetries: int) -> np.ndarray:
    """The networks' move probabilities, averaged over ``symmetries`` of the
    board's eight."""
    p = nets.policy(symmetric_batch(planes, symmetries))
    return mean_policy_back(p, symmetries, planes.shape[-1])


def _value(nets: Evaluator, planes: np.ndarray, symmetries: int) -> np.ndarray:
    """The networks' values, averaged over ``symmetries`` of the board's eight
    (one orientation, the default: the network's own answer, untouched)."""
    return mean_values_back(nets.value(symmetric_batch(planes, symmetries)), symmetries)


def _policy_and_value(nets: OnePassEvaluator, planes: np.ndarray, symmetries: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Both from one pass of a two-headed network, averaged over ``symmetries``
    of the board's eight."""
    p, v = nets.policy_and_value(symmetric_batch(planes, symmetries))
    return mean_policy_back(p, symmetries, planes.shape[-1]), mean_values_back(v, symmetries)


def evaluate_leaves(search: Search, states: np.ndarray, need_policy: np.ndarray,
                    stored: np.ndarray | None, planes: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(priors (B, n*n+1), values in Black's frame (B,), the value
    network's part of them (B,), NaN where it was not used) of positions,
    with ``search``'s networks and settings.  ``stored``: values kept on
    the leaves' edges (``tree.e_V``, 0 for none), used instead of
    evaluating again.  A function, not a method: ``run_searches`` evaluates
    the leaves of many searches with the same networks in one call."""
    b = len(states)
    n = search.size
    encode_batch(states, planes)
    priors = np.zeros((b, n * n + 1), np.float32)
    nets = search.nets
    one_pass = nets if isinstance(nets, OnePassEvaluator) else None
    sym = search.cfg.symmetries
    if need_policy.any() and one_pass is None:
        priors[need_policy] = _policy(nets, planes[need_policy, :POLICY_PLANES], sym)
    sign = np.where(states[:, B.H_TOMOVE] == B.BLACK, 1.0, -1.0)
    cfg = search.cfg
    lam = cfg.leaf_lambda if nets.has_value else 0.0
    use_rollouts = search.rollout is not None and (cfg.with_rollouts or lam == 0.0)
    if not use_rollouts:
        lam = 1.0
    values = np.zeros(b, np.float64)
    vnet = np.full(b, np.nan)
    if one_pass is not None:
        # one call for the leaves that need priors, a value, or both
        todo = np.zeros(b, bool) if lam == 0 else (
            np.ones(b, bool) if stored is None else stored == 0.0)
        if not todo.all() and lam > 0:
            assert stored is not None       # else every leaf is to do
            vnet[~todo] = stored[~todo] - T.VALUE_OFFSET
        rows = need_policy | todo
        if rows.any():
            p, v = _policy_and_value(one_pass, planes if rows.all() else planes[rows], sym)
            priors[need_policy] = p[need_policy[rows]]
            vnet[todo] = sign[todo] * v[todo[rows]]
        if lam > 0:
            values += lam * vnet
    elif lam > 0 and nets.has_value:
        todo = np.ones(b, bool) if stored is None else stored == 0.0
        if not todo.all():
            assert stored is not None       # else every leaf is to do
            vnet[~todo] = stored[~todo] - T.VALUE_OFFSET
        if todo.all():
            vnet[:] = sign * _value(nets, planes, sym)
        elif todo.any():
            vnet[todo] = sign[todo] * _value(nets, planes[todo], sym)
        values += lam * vnet
    if lam < 1:
        assert search.rollout is not None   # lam < 1 only with rollouts
        z = search.rollout(states, search.komi, int(search.rng.integers(1 << 62)))
        values += (1 - lam) * z
    return priors, values, vnet


def run_searches(searches: Sequence[Search], visits: int | None = None,
                 seconds: float | None = None, stop: Callable[[], bool] | None = None,
                 callback: Callable[[], None] | None = None, callback_every: float = 1.0,
                 early_stop: bool = True) -> int:
    """Search every tree of ``searches`` (same networks, settings and board
    size) in shared rounds: each until it has ``visits`` new visits, its
    arena is full or (``early_stop``, with a visit budget and no time
    limit) its best move can no longer change; all of them until
    ``seconds`` elapse or ``stop()`` turns true.  With neither ``visits``,
    ``seconds`` nor ``stop`` it would never end.  The roots that need it
    are evaluated first (together), and root noise is added where the
    settings ask for it.  ``callback()`` is called every ``callback_every``
    seconds.  Sets each search's ``visits_done``; returns the number of
    network rounds."""
    if not searches:
        return 0
    lead = searches[0]
    start = time.perf_counter()
    roots = [s for s in searches if s.needs_root()]
    if roots:
        states = np.stack([s.root_state for s in roots])
        priors, values, _ = evaluate_leaves(lead, states, np.ones(len(roots), bool), None,
                                            lead.planes_for(len(roots)))
        for s, p, v in zip(roots, priors, values):
            s.attach_root(p, v)
    for s in searches:
        if s.cfg.dirichlet_alpha > 0:
            s.add_root_noise()
    need = visits or 0
    done = [0] * len(searches)
    live = [True] * len(searches)
    last_cb = start
    rounds = 0
    while True:
        live = [alive and not (need and d >= need) for alive, d in zip(live, done)]
        if not any(live):
            break
        now = time.perf_counter()
        if seconds and now - start >= seconds:
            break
        if stop is not None and stop():
            break
        if callback is not None and now - last_cb >= callback_every:
            callback()
            last_cb = now
        batch = []
        for i, s in enumerate(searches):
            if not live[i]:
                continue
            bs = max(1, min(s.batch_size, need - done[i])) if need else s.batch_size
            if (early_stop and need and not seconds and s.decided(need - done[i])) \
                    or s.arena_full(bs):
                live[i] = False
                continue
            batch.append((i, s.select(bs)))
        if not batch:
            break
        sizes = [len(leaves.index) for _, leaves in batch]
        if sum(sizes):
            count = sum(sizes)
            priors, values, vnet = evaluate_leaves(
                lead, np.concatenate([leaves.states for _, leaves in batch]),
                np.concatenate([leaves.need_policy for _, leaves in batch]),
                np.concatenate([leaves.stored for _, leaves in batch]), lead.planes_for(count))
            rounds += 1
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        for (i, leaves), a, b in zip(batch, bounds[:-1], bounds[1:]):
            if b > a:
                done[i] += searches[i].backup(leaves, priors[a:b], values[a:b], vnet[a:b])
            else:
                done[i] += searches[i].backup(leaves, None, None, None)
    for s, d in zip(searches, done):
        s.visits_done = d
    return rounds


def lcb(stat: MoveStats, z: float = 1.96) -> float:
    """A lower confidence bound on the win rate (normal approximation)."""
    if stat.visits == 0:
        return 0.0
    p = stat.winrate
    return max(0.0, p - z * math.sqrt(max(p * (1 - p), 1e-4) / stat.visits))
