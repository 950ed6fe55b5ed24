"""Net2WiderNet (Chen, Goodfellow and Shlens 2016): the same network with
more filters per convolution, computing the same function.

Why: a wider network learns more from each position, but trained from
scratch it needs many CPU-hours to catch up with the shipped one.  Widened,
it starts where the narrow network stands and trains on from there.  Each
new filter copies a randomly chosen old one (its incoming weights and bias);
every weight that reads a copied filter is divided by the number of copies,
so the next layer sees the same sum.  ReLU commutes with copying, and so do
a residual tower's identity shortcuts and global pooling, as long as one
mapping serves every layer (the tower adds layers' outputs channel by
channel).  Copies with identical weights would also get identical
gradients and never part, so a little noise is added to the copies'
incoming weights (Net2Net's advice).  No maintained library does this for
a PyTorch network of our own layout, so it is written here.
"""

from dataclasses import asdict

import numpy as np
import torch

from .model import Net, NetConfig, build, fold_batchnorm

# parameters whose input dimension (dim 1) reads the trunk's filters: the
# heads of both networks
_HEAD_INPUTS = ("head.weight", "pass_logit.weight")


def widen(src: Net, width: int, noise: float = 0.01, seed: int = 0) -> Net:
    """A copy of ``src`` with ``width`` filters per trunk convolution.

    ``noise``: standard deviation of the noise added to the copied filters'
    incoming weights, as a share of that layer's weight standard deviation
    (0: an exact copy of the function).  ``seed`` picks which filters are
    copied and draws the noise."""
    src = fold_batchnorm(src)
    cfg = src.cfg
    old = cfg.width
    if width < old:
        raise ValueError(f"cannot widen a network of width {old} to {width}")
    rng = np.random.default_rng(seed)
    g = np.concatenate([np.arange(old), rng.integers(0, old, width - old)])
    counts = torch.from_numpy(np.bincount(g, minlength=old)[g].astype(np.float32))
    gi = torch.from_numpy(g)

    def noisy(w: torch.Tensor) -> torch.Tensor:
        if noise > 0 and width > old:
            gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
            w[old:] += noise * w[:old].std() * torch.randn(w[old:].shape, generator=gen)
        return w

    def reads_trunk(w: torch.Tensor, offset: int = 0, blocks: int = 1) -> torch.Tensor:
        """``w`` with its input dimension widened: ``blocks`` consecutive
        groups of ``old`` trunk channels, starting at ``offset``."""
        parts = [w[:, :offset]]
        for b in range(blocks):
            part = w[:, offset + b * old + gi] / counts.view(1, -1, *([1] * (w.ndim - 2)))
            parts.append(part)
        return torch.cat(parts, dim=1)

    wide_cfg = NetConfig(**{**asdict(cfg), "width": width})
    net = build(wide_cfg)
    state: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, w in src.state_dict().items():
            w = w.detach().float().clone()
            if name.startswith("trunk.convs."):
                i = int(name.split(".")[2])
                if i > 0 and name.endswith(".weight"):
                    w = reads_trunk(w)
                w = w[gi].clone()
                if name.endswith(".weight"):
                    w = noisy(w)
            elif name.startswith("trunk.pools."):
                # Linear(2k, k) over [channel means, channel maxima]
                w = noisy(reads_trunk(w, blocks=2)[gi].clone())
            elif name in _HEAD_INPUTS:
                w = reads_trunk(w)
            state[name] = w
        net.load_state_dict(state)
    net.eval()
    return net
