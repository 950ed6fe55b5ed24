"""AlphaGo's RL policy: REINFORCE with a baseline on self-play game results.

The gradient (Williams 1992; Silver et al. 2016, Methods) is

    Δθ ∝ mean over the learner's sampled moves of ∇ log π(a_t | s_t) (z_t − b(s_t))

with z_t = +1 if the mover went on to win, −1 if it lost (0 for a jigo),
and b a baseline that leaves the expectation alone and cuts the variance:
``zero``, ``mean`` (the iteration's mean z: the learner's recent score) or
``value`` (the value network's judgement of s_t, AlphaGo's second pass).
One optimiser step per iteration: the iteration's games are one minibatch,
replayed and encoded from their shard (the positions are not kept in
memory while the games are played, and records reach the learner as files
whichever machine played them), in chunks whose gradients add up.

Only the moves the learner *sampled* count: rule passes, forced passes and
the opponent's moves carry no gradient of its policy.  The log-probability
is the network's full softmax, as AlphaGo's; the sampling's mask of
insensible points removes a share of the probability that is small for a
trained policy.
"""


from collections.abc import Iterator

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from nets.data import encode_games
from nets.device import Device, resolve_device
from nets.features import POLICY_PLANES, VALUE_PLANES
from nets.inference import Networks
from nets.shards import Shard, to_corpus

from .config import RLConfig


def make_rl_optimizer(cfg: RLConfig, net: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in net.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr)
    return torch.optim.Adam(params, lr=cfg.lr)


def learner_moves(shard: Shard) -> np.ndarray:
    """Per move of ``shard``: the network being trained sampled it."""
    learner = np.repeat(shard.learner, np.diff(shard.offsets))
    return (shard.sampled != 0) & (shard.colors == learner) & (learner != 0)


class Reinforce:
    """Owns the optimiser of ``net`` (a ``PolicyNet``, on ``device``: the
    CPU unless given, in ``cfg.bf16``'s precision); ``value`` (a
    ``nets.inference.Networks`` with a value network, or None) is the
    baseline.  On a GPU in fp16 the loss is scaled (``Device.grad_scaler``)."""

    def __init__(self, net: nn.Module, cfg: RLConfig, value: Networks | None = None,
                 device: Device | None = None):
        self.device = device or resolve_device("cpu", cfg.bf16)
        self.net = net.to(self.device.torch)
        self.cfg = cfg
        self.value = value if cfg.baseline == "value" else None
        self.opt = make_rl_optimizer(cfg, self.net)
        self.scaler = self.device.grad_scaler()

    def _chunks(self, shards: list[Shard]) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(planes (P, 49, n, n), move index, z) chunks of the learner's
        sampled positions, replayed from the shards."""
        for shard in shards:
            if not len(shard):
                continue
            corpus = to_corpus([shard])
            pick = learner_moves(shard)
            c = np.concatenate([[0], np.cumsum(pick)])
            per_game = c[shard.offsets[1:]] - c[shard.offsets[:-1]]
            n = corpus.size
            start = 0
            while start < len(shard):
                stop, count = start, 0
                while stop < len(shard) and (count == 0 or count + per_game[stop]
                                             <= self.cfg.chunk_positions):
                    count += int(per_game[stop])
                    stop += 1
                games = np.arange(start, stop, dtype=np.int64)
                start = stop
                if count == 0:
                    continue
                out = np.zeros((count, VALUE_PLANES, n, n), np.uint8)
                move = np.zeros(count, np.int64)
                z = np.zeros(count, np.int8)
                m = encode_games(n, corpus.points, corpus.colors, corpus.offsets,
                                 corpus.setup_points, corpus.setup_colors, corpus.setup_offsets,
                                 corpus.winner, corpus.first, games, pick, out, move, z,
                                 np.zeros(count, np.int32), np.zeros(count, np.int64))
                yield out[:m], move[:m], z[:m].astype(np.float32)

    def step(self, shards: list[Shard]) -> dict[str, float]:
        """One REINFORCE step on the learner's moves in ``shards``; returns
        metrics (loss, mean result, mean baseline, entropy, positions)."""
        cfg = self.cfg
        total = sum(int(learner_moves(s).sum()) for s in shards)
        if total == 0:
            return {"positions": 0}
        mean_z = None
        if cfg.baseline == "mean" or (cfg.baseline == "value" and self.value is None):
            zs = [z for _, _, z in self._chunks(shards)]
            mean_z = float(np.concatenate(zs).mean())
        self.net.train()
        self.opt.zero_grad(set_to_none=True)
        sums = {"loss": 0.0, "z": 0.0, "baseline": 0.0, "entropy": 0.0, "logp": 0.0}
        dev = self.device
        for planes, move, z in self._chunks(shards):
            if self.value is not None:
                b = self.value.value(planes)
            else:
                b = np.full(len(z), mean_z if mean_z is not None else 0.0, np.float32)
            adv = dev.to_device(torch.from_numpy(z - b.astype(np.float32)))
            x = dev.planes(planes[:, :POLICY_PLANES])
            with dev.autocast():
                logits = self.net(x)
            logp_all = F.log_softmax(logits.float(), dim=1)
            logp = logp_all.gather(1, dev.to_device(torch.from_numpy(move)).unsqueeze(1)).squeeze(1)
            loss = -(adv * logp).sum() / total
            self.scaler.scale(loss).backward()
            with torch.no_grad():
                ent = -(logp_all.exp() * logp_all).sum(dim=1)
            sums["loss"] += loss.item()
            sums["z"] += float(z.sum()) / total
            sums["baseline"] += float(b.sum()) / total
            sums["entropy"] += float(ent.sum()) / total
            sums["logp"] += float(logp.detach().sum()) / total
        self.scaler.step(self.opt)
        self.scaler.update()
        self.net.eval()
        return dict(sums, positions=total)
