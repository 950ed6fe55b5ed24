"""The policy and value networks, and the model files that hold them.

Both follow AlphaGo (Silver et al. 2016): a 5x5 convolution then 3x3
convolutions, all with ReLU, over the feature planes.  Two departures, both
so that one network serves every board size:

* the policy head's per-point bias is a table indexed by the point's
  distances to the two nearest edges (symmetric under the 8 symmetries, as
  training with random symmetries makes a per-point bias anyway), and the
  pass logit comes from the globally averaged trunk;
* the value head averages over the board (global average pooling) before
  its 256-unit layer, instead of a fully-connected layer over 19x19 points;
  the first channel of its 1x1 convolution doubles as an ownership map,
  trained on the game's final ownership as an auxiliary target.

A third kind, ``dual``, is AlphaGo Zero's network: one trunk (over the
value network's 49 planes) with the policy head and the value and ownership
head above, so that the search values and expands a leaf in one pass where
the two networks take two (AlphaGo Zero's ablation: cheaper and stronger).

Two trunks (``arch``): AlphaGo's plain stack, and a residual tower (He et
al. 2016: blocks of two 3x3 convolutions around an identity shortcut, the
tower AlphaGo Zero moved to), optionally with KataGo's global-pooling bias
in every third block (the board's channel means and maxima, through a
linear layer, bias the block's second convolution: whole-board facts such
as "the game is over" or "a ko is on" reach every point in one layer).
Without batch norm a block's second convolution starts at zero, so that
each block starts as the identity and a deep unnormalised tower trains.

Batch normalisation is optional for training; ``fold_batchnorm`` turns a
trained network into a plain convolutional one for inference and shipping.

A model file is a safetensors file whose metadata holds the config (JSON):
architecture, width, feature-set version and training provenance.  Loading
never unpickles, and a file that does not match the config is an error.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from tengen.base.config import at_least, option, require
from tengen.base.files import atomic_write_bytes

from .features import FEATURE_SET_VERSION, POLICY_PLANES, VALUE_PLANES, check_feature_set, offset

MAX_EDGE_DISTANCE = 13  # covers 25x25 boards: distances 0..12
ARCHS = ("plain", "residual")
KINDS = ("policy", "value", "dual")


class ModelFileError(ValueError):
    """A model file that cannot be used: unreadable, wrong kind, or its
    weights do not match the architecture it declares."""


@dataclass
class NetConfig:
    """A network's shape.  The fields declared with ``option`` are what
    ``tengen train`` chooses (``TrainConfig`` offers them): their defaults
    are a new network's."""
    kind: str = "policy"              # one of KINDS
    width: int = option(64, help="filters per convolution")
    layers: int = option(13, help="plain trunk: convolution layers in all (AlphaGo: 13)")
    arch: str = option("residual", choices=ARCHS,
                       help="trunk: a residual tower (the pilots' choice, tengen/models/README.md) "
                            "or AlphaGo's plain 13-layer stack")
    blocks: int = option(6, help="residual trunk: blocks of two 3x3 convolutions")
    global_pool: bool = option(False, help="residual trunk: global-pooling bias in every "
                                           "third block (default off)")
    planes: int = POLICY_PLANES       # input planes
    batchnorm: bool = option(False, help="batch normalisation while training, folded into "
                                         "the convolutions for inference (default off)")
    value_hidden: int = 256
    value_channels: int = 32
    feature_set: str = FEATURE_SET_VERSION
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        require(self.kind in KINDS, f"unknown network kind {self.kind!r}")
        require(self.kind != "dual" or self.planes == VALUE_PLANES,
                f"a dual network reads the {VALUE_PLANES} value planes, not {self.planes}")
        at_least(self, 1, "width")
        require(self.layers >= 3, "a network needs at least 3 layers")
        require(self.arch in ARCHS, f"unknown trunk architecture {self.arch!r}")
        require(self.arch != "residual" or self.blocks >= 1,
                "a residual tower needs at least one block")


def policy_config(**kw: Any) -> "NetConfig":
    return NetConfig(kind="policy", planes=POLICY_PLANES, **kw)


def value_config(**kw: Any) -> "NetConfig":
    return NetConfig(kind="value", planes=VALUE_PLANES, **kw)


def dual_config(**kw: Any) -> "NetConfig":
    return NetConfig(kind="dual", planes=VALUE_PLANES, **kw)


def planes_to_tensor(planes: np.ndarray, channels_last: bool = True) -> torch.Tensor:
    """A float32 tensor of 0/1 ``planes`` (B, P, n, n), in the channels-last
    layout the CPU convolutions want, converted in one pass (converting the
    dtype and then the layout costs twice as much)."""
    x = torch.from_numpy(np.ascontiguousarray(planes))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return x.to(dtype=torch.float32, memory_format=fmt)


def _edge_index(n: int, device: torch.device | None = None) -> torch.Tensor:
    """For each point of an n x n board, the index of its bias entry:
    (a, b) = sorted distances to the nearest vertical and horizontal edge."""
    d = torch.arange(n, device=device)
    d = torch.minimum(d, n - 1 - d)
    a = d.view(n, 1).expand(n, n)
    b = d.view(1, n).expand(n, n)
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    return (lo * MAX_EDGE_DISTANCE + hi).reshape(-1)


def _conv(cin: int, cout: int, k: int, bias: bool) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)
    # He initialisation keeps a deep ReLU stack without batch norm from
    # shrinking its signal to nothing (PyTorch's default leaves the output
    # uniform and the gradients vanishing)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return conv


class Trunk(nn.Module):
    """AlphaGo's plain stack: a 5x5 convolution, then (layers - 2) 3x3
    convolutions, all with ReLU; the last layer of each network is its
    head."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        k = cfg.width
        convs = [_conv(cfg.planes, k, 5, not cfg.batchnorm)]
        convs += [_conv(k, k, 3, not cfg.batchnorm) for _ in range(cfg.layers - 2)]
        self.convs = nn.ModuleList(convs)
        self.norms = nn.ModuleList(nn.BatchNorm2d(k) for _ in convs) if cfg.batchnorm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if self.norms is not None:
                x = self.norms[i](x)
            x = F.relu(x, inplace=True)   # conv and batch norm keep no output for backward
        return x


class ResidualTrunk(nn.Module):
    """A 5x5 convolution, then ``blocks`` residual blocks: relu(x + c2(relu(c1(x)))).

    The convolutions are kept in one list, in order (stem, then c1, c2 of
    each block), so that batch-norm folding and trunk copying treat both
    trunks alike.  With ``global_pool``, every third block adds to c2's input
    a per-channel bias computed from the board mean and maximum of c1's
    output (KataGo's global pooling)."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        k = cfg.width
        convs = [_conv(cfg.planes, k, 5, not cfg.batchnorm)]
        for _ in range(cfg.blocks):
            convs += [_conv(k, k, 3, not cfg.batchnorm), _conv(k, k, 3, not cfg.batchnorm)]
        if not cfg.batchnorm:
            for c2 in convs[2::2]:
                nn.init.zeros_(c2.weight)    # each block starts as the identity
        self.convs = nn.ModuleList(convs)
        norms = [nn.BatchNorm2d(k) for _ in convs] if cfg.batchnorm else None
        self.norms = nn.ModuleList(norms) if norms is not None else None
        if norms is not None:
            for bn in norms[2::2]:
                nn.init.zeros_(bn.weight)    # the same, for the normalised tower
        self.pool_blocks = ([b for b in range(cfg.blocks) if b % 3 == 2]
                            if cfg.global_pool else [])
        pools = [nn.Linear(2 * k, k, bias=False) for _ in self.pool_blocks]
        self.pools = nn.ModuleList(pools)
        for lin in pools:
            nn.init.zeros_(lin.weight)

    def _layer(self, i: int, x: torch.Tensor) -> torch.Tensor:
        x = self.convs[i](x)
        return self.norms[i](x) if self.norms is not None else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self._layer(0, x), inplace=True)
        pools = dict(zip(self.pool_blocks, self.pools))
        for b in range(len(self.convs) // 2):
            h = F.relu(self._layer(2 * b + 1, x))
            if b in pools:
                g = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
                h = h + pools[b](g).to(h.dtype)[:, :, None, None]
            x = F.relu(x + self._layer(2 * b + 2, h))
        return x


def build_trunk(cfg: NetConfig) -> Trunk | ResidualTrunk:
    return ResidualTrunk(cfg) if cfg.arch == "residual" else Trunk(cfg)


class PolicyHead(nn.Module):
    """The policy head's parameters and computation, shared by the policy
    network and the two-headed one under the same names (so that a
    two-headed network starts from a policy file's head too)."""

    def _init_policy_head(self, cfg: NetConfig) -> None:
        self.head = nn.Conv2d(cfg.width, 1, 1, bias=False)
        self.point_bias = nn.Parameter(torch.zeros(MAX_EDGE_DISTANCE * MAX_EDGE_DISTANCE))
        self.pass_logit = nn.Linear(cfg.width, 1)
        self._bias_index: dict[tuple[int, torch.device], torch.Tensor] = {}

    def policy_from_trunk(self, h: torch.Tensor) -> torch.Tensor:
        """Logits (B, n*n + 1) from the trunk's output ``h`` (B, k, n, n)."""
        n = h.shape[-1]
        # the pass logit is a linear function of the trunk's board average;
        # averaging after the 1x1 projection (w . mean(h) = mean(w . h)) lets
        # one convolution compute both heads and spares the backward pass a
        # dense gradient of the (B, k, n, n) average (about 5% of a step)
        w = torch.cat([self.head.weight, self.pass_logit.weight.view(1, -1, 1, 1)])
        both = F.conv2d(h, w.to(h.dtype))
        idx = self._bias_index.get((n, h.device))
        if idx is None:
            # a normal tensor even when first made under inference mode (a
            # validation before any training step), so training can use it
            with torch.inference_mode(False):
                idx = self._bias_index[(n, h.device)] = _edge_index(n, h.device)
        logits = both[:, 0].flatten(1) + self.point_bias[idx].to(both.dtype)
        p = both[:, 1].mean(dim=(1, 2)).unsqueeze(1) + self.pass_logit.bias.to(both.dtype)
        return torch.cat([logits, p], dim=1)


def value_from_head(h: torch.Tensor, fc: nn.Linear, out: nn.Linear,
                    colour: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(value (B,), ownership (B, n, n)) from the value head's 1x1
    convolution ``h`` (B, value_channels, n, n).  Its first channel,
    squashed by tanh, is trained (as an auxiliary target) to predict who
    owns each point at the end of the game; its board average is a
    territory count the value layers read.  Game results alone are a weak
    signal (a few bits per game); final ownership gives every position n*n
    targets and teaches the trunk to count.  ``colour`` (B, 1): the
    player-colour plane's value, read by the value layers beside the
    pooled head (a two-headed network's)."""
    owner = torch.tanh(h[:, 0])
    parts = [owner.mean(dim=(1, 2)).unsqueeze(1), h[:, 1:].mean(dim=(2, 3))]
    pooled = torch.cat(parts if colour is None else parts + [colour.to(h.dtype)], 1)
    v = torch.tanh(out(F.relu(fc(pooled)))).squeeze(1)
    return v, owner


class PolicyNet(PolicyHead):
    """Logits over the n*n points (row-major, y*n + x) plus pass (last)."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.trunk = build_trunk(cfg)
        self._init_policy_head(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.policy_from_trunk(self.trunk(x))


class ValueNet(nn.Module):
    """tanh value in [-1, 1] for the player to move."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.trunk = build_trunk(cfg)
        self.head = nn.Conv2d(cfg.width, cfg.value_channels, 1)
        self.fc = nn.Linear(cfg.value_channels, cfg.value_hidden)
        self.out = nn.Linear(cfg.value_hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_ownership(x)[0]

    def forward_with_ownership(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(value (B,), ownership (B, n, n)): ``value_from_head``."""
        return value_from_head(self.head(self.trunk(x)), self.fc, self.out)


# the plane a DualNet's value layers read who is to move from
COLOUR_PLANE = offset("player_colour")

# the names a DualNet's value and ownership head, and its policy head, have
# their parameters under
VALUE_HEAD = ("value_head.", "fc.", "out.")
POLICY_HEAD = ("head.", "point_bias", "pass_logit.")


class DualNet(PolicyHead):
    """One trunk, two heads (AlphaGo Zero): the policy head of ``PolicyNet``
    and the value and ownership head of ``ValueNet`` (here ``value_head``),
    over the value network's 49 planes.  The value layers also read the
    player-colour plane directly, so that they know whom komi favours from
    the first step even where the trunk started from the policy network's
    48 planes (its colour weights at zero) or is kept fixed
    (``--freeze-layers``)."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.trunk = build_trunk(cfg)
        self._init_policy_head(cfg)
        self.value_head = nn.Conv2d(cfg.width, cfg.value_channels, 1)
        self.fc = nn.Linear(cfg.value_channels + 1, cfg.value_hidden)
        self.out = nn.Linear(cfg.value_hidden, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(policy logits (B, n*n + 1), value (B,), ownership (B, n, n)),
        from one pass of the trunk."""
        h = self.trunk(x)
        v, owner = self._value(x, h)
        return self.policy_from_trunk(h), v, owner

    def forward_with_ownership(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(value (B,), ownership (B, n, n)), as ``ValueNet``'s."""
        return self._value(x, self.trunk(x))

    def _value(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        colour = x[:, COLOUR_PLANE, 0, 0].unsqueeze(1)
        return value_from_head(self.value_head(h), self.fc, self.out, colour)


# every network ``build`` makes
Net = PolicyNet | ValueNet | DualNet


def build(cfg: NetConfig) -> Net:
    """A new network; every network (training, play, the RL learner, Ray
    workers) is built here, so this also turns on flush-to-zero: on x86
    CPUs without native bf16 a subnormal float costs a microcode assist,
    and fp32 convolutions over them ran 35 times slower (7.2 s against
    0.21 s for 64 positions through the value network)."""
    torch.set_flush_denormal(True)
    kinds: dict[str, type[Net]] = {"policy": PolicyNet, "value": ValueNet, "dual": DualNet}
    return kinds[cfg.kind](cfg)


def flush_subnormals(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``tensors`` with subnormal entries set to zero.  Adam with weight
    decay leaves unused weights at subnormal magnitudes (14% of the value
    network's weights); they change no output a float can tell, but make a
    file slow on any process that has not turned on flush-to-zero."""
    tiny = torch.finfo(torch.float32).tiny
    return {k: v.masked_fill(v.abs() < tiny, 0) if v.is_floating_point() else v
            for k, v in tensors.items()}


@torch.no_grad()
def fold_batchnorm(net: Net) -> Net:
    """A copy of ``net`` without batch normalisation: each BatchNorm (in
    eval mode: running statistics) folded into the convolution before it."""
    cfg = net.cfg
    if not cfg.batchnorm:
        return net
    plain_cfg = NetConfig(**{**asdict(cfg), "batchnorm": False})
    plain = build(plain_cfg)
    state = {k: v for k, v in net.state_dict().items()
             if not k.startswith(("trunk.convs.", "trunk.norms."))}
    assert net.trunk.norms is not None      # built with batch norm
    for i, (conv, bn) in enumerate(zip(net.trunk.convs, net.trunk.norms)):
        assert isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
        assert bn.running_var is not None and bn.running_mean is not None
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        state[f"trunk.convs.{i}.weight"] = conv.weight * scale.view(-1, 1, 1, 1)
        state[f"trunk.convs.{i}.bias"] = bn.bias - bn.running_mean * scale
    plain.load_state_dict(state)
    return plain


def config_to_json(cfg: NetConfig) -> str:
    return json.dumps(asdict(cfg), sort_keys=True)


def config_from_json(text: str) -> NetConfig:
    try:
        data = json.loads(text)
        # files written before the residual tower hold the plain stack
        # (tengen/models/previous/)
        data.setdefault("arch", "plain")
        return NetConfig(**data)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"model config is not valid: {e}") from e


def save_model(net: Net, path: str | Path) -> None:
    """Write ``net`` (batch norm folded) as a safetensors file, atomically."""
    from safetensors.torch import save

    net = fold_batchnorm(net)
    tensors = flush_subnormals({k: v.detach().float().contiguous().cpu()
                                for k, v in net.state_dict().items()})
    meta = {"format": "tengen-net", "config": config_to_json(net.cfg)}
    atomic_write_bytes(path, save(tensors, metadata=meta))


@overload
def load_model(path: str | Path, kind: Literal["policy"]) -> PolicyNet: ...


@overload
def load_model(path: str | Path, kind: Literal["value"]) -> ValueNet: ...


@overload
def load_model(path: str | Path, kind: Literal["dual"]) -> DualNet: ...


@overload
def load_model(path: str | Path, kind: None = None) -> Net: ...


def load_model(path: str | Path, kind: str | None = None) -> Net:
    """Load a network from a safetensors model file, checking that it is a
    tengen network of the expected ``kind`` and feature set and that its
    weights match the declared architecture exactly."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise ModelFileError(f"{path}: not a readable safetensors model file ({e})") from e
    if meta.get("format") != "tengen-net" or "config" not in meta:
        raise ModelFileError(f"{path}: not a tengen network file (no tengen metadata)")
    cfg = config_from_json(meta["config"])
    if kind is not None and cfg.kind != kind:
        raise ModelFileError(f"{path}: holds a {cfg.kind} network, expected a {kind} network")
    try:
        check_feature_set(cfg.feature_set)
    except ValueError as e:
        raise ModelFileError(f"{path}: {e}") from e
    net = build(cfg)
    expected = net.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{path}: weights do not match the declared architecture "
                             f"(missing {missing[:3]}, unexpected {extra[:3]})")
    for k, v in expected.items():
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise ModelFileError(f"{path}: tensor {k} has shape {tuple(tensors[k].shape)}, "
                                 f"expected {tuple(v.shape)}")
    net.load_state_dict(flush_subnormals(tensors))
    net.eval()
    return net
