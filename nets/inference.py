"""Running the networks for play and evaluation: batched, under
``torch.inference_mode()``, on the device ``--device`` names
(``nets.device``: a CUDA GPU or Apple's MPS where there is one), in its
mixed precision: on the CPU bf16 autocast where the CPU has native bf16
(AVX-512 BF16 / AMX roughly doubles throughput; elsewhere fp32 is
faster), on a GPU bf16 or fp16.  On a GPU each batch crosses once, as
uint8 planes from pinned memory, and the results come back as numpy
arrays; on the CPU the path is the one it always was.  Or, on the CPU,
in int8 by ONNX Runtime (``runtime``: ``nets.int8``), through the same
methods.

A two-headed network's file (``tengen train dual``) in the policy
network's place loads as ``DualNetworks``: the same questions answered by
its two heads, and both at once (``policy_and_value``), which the search
asks instead of two passes.
"""

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from tengen.base.paths import MODELS_DIR, POLICY_FILE, VALUE_FILE

from .config import two_headed
from .device import announce, resolve_device
from .int8 import PRECISION, Int8Network, int8_networks
from .model import DualNet, ModelFileError, Net, PolicyNet, ValueNet, load_model
from .symmetry import mean_ownership_back, mean_policy_back, mean_values_back, symmetric_batch

N = TypeVar("N", bound=Net)      # a network, its own class kept through _prepare


def resolve_models(spec: str | Path | None) -> tuple[Path | None, Path | None]:
    """(policy path or None, value path or None) for ``--model``: a model
    file, a directory holding policy/value files, or ``default``."""
    if spec in (None, "default"):
        spec = MODELS_DIR
    path = Path(spec)
    if path.is_dir():
        pol, val = path / POLICY_FILE, path / VALUE_FILE
        found = (pol if pol.exists() else None, val if val.exists() else None)
        if found == (None, None):
            raise ModelFileError(f"{path}: no {POLICY_FILE} or {VALUE_FILE} in this directory")
        return found
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file or directory")
    net = load_model(path)
    return (None, path) if net.cfg.kind == "value" else (path, None)


class Networks:
    """The policy and/or value network, ready for batched inference.  A
    two-headed network's file as ``policy_path`` makes a ``DualNetworks``."""

    def __new__(cls, policy_path: str | Path | None = None, *args: Any, **kw: Any) -> "Networks":
        if cls is Networks and policy_path is not None and two_headed(policy_path):
            cls = DualNetworks
        return super().__new__(cls)

    def __init__(self, policy_path: str | Path | None = None, value_path: str | Path | None = None,
                 bf16: bool | None = None, threads: int | None = None, device: str = "auto",
                 runtime: str = "torch"):
        """``device``: where the networks run (``nets.device.resolve_device``,
        said once on stderr with the precision); ``bf16``: its precision
        where not the device's own (None); ``runtime``: ``torch``,
        ``onnx-int8`` or ``auto`` (``nets.int8.int8_networks``), PyTorch by
        default so that what takes no ``--runtime`` (training, evaluation,
        self-play, benchmarks) computes what it always did.  The PyTorch
        modules load whichever runtime answers."""
        if threads:
            torch.set_num_threads(threads)
        self.device = resolve_device(device, bf16)
        self.bf16 = self.device.bf16
        self.policy_net, self.value_net = self._load(policy_path, value_path)
        self.policy_path, self.value_path = policy_path, value_path
        paths = {role: Path(p) for role, p in (("policy", policy_path), ("value", value_path)) if p}
        int8 = int8_networks(runtime, self.device, paths, threads)
        self.policy_int8: Int8Network | None = int8.get("policy")
        self.value_int8: Int8Network | None = int8.get("value")
        announce(self.device, precision=PRECISION if int8 else None)

    def _load(self, policy_path: str | Path | None, value_path: str | Path | None
              ) -> tuple[PolicyNet | DualNet | None, ValueNet | DualNet | None]:
        return (self._prepare(load_model(policy_path, "policy")) if policy_path else None,
                self._prepare(load_model(value_path, "value")) if value_path else None)

    @classmethod
    def from_spec(cls, spec: str | Path = "default", **kw: Any) -> "Networks":
        return cls(*resolve_models(spec), **kw)

    @property
    def has_value(self) -> bool:
        """A value network is loaded (the search can value leaves without
        rollouts)."""
        return self.value_net is not None

    def with_value_of(self, other: "Networks") -> "Networks":
        """This policy network with ``other``'s value network, sharing the
        loaded modules: self-play searches each pool member's policy with
        the one value network of its worker."""
        paired = copy.copy(self)
        paired.value_net, paired.value_path = other.value_net, other.value_path
        paired.value_int8 = other.value_int8
        return paired

    def _prepare(self, net: N) -> N:
        net.eval()
        # Module.to takes memory_format at run time; torch's annotations leave it out
        return net.to(self.device.torch, memory_format=torch.channels_last)  # type: ignore[call-overload]

    def _policy(self) -> PolicyNet | DualNet:
        if self.policy_net is None:
            raise ValueError("no policy network loaded")
        return self.policy_net

    def _value(self) -> ValueNet | DualNet:
        if self.value_net is None:
            raise ValueError("no value network loaded")
        return self.value_net

    def _run(self, net: Callable[[torch.Tensor], Any], planes: np.ndarray) -> Any:
        """``net`` (a network or one of its methods) on ``planes``: its
        output as a float32 array, or a tuple of them."""
        x = self.device.planes(planes)
        with torch.inference_mode(), self.device.autocast():
            out = net(x)
            if isinstance(out, tuple):
                return tuple(o.float().cpu().numpy() for o in out)
            return out.float().cpu().numpy()

    def policy_logits(self, planes: np.ndarray) -> np.ndarray:
        """Logits (B, n*n + 1) from 48-plane (or 49: the extra is ignored) input."""
        net = self._policy()
        planes = planes[:, :net.cfg.planes]
        if self.policy_int8 is not None:
            return self.policy_int8.run(planes)[0]
        return self._run(net, planes)

    def policy(self, planes: np.ndarray, symmetries: int = 1) -> np.ndarray:
        """Move probabilities (B, n*n + 1), pass last; with ``symmetries``
        > 1 the mean over the first that many of the board's eight."""
        p = _softmax(self.policy_logits(symmetric_batch(planes, symmetries)))
        return mean_policy_back(p, symmetries, planes.shape[-1])

    def value(self, planes: np.ndarray) -> np.ndarray:
        """Values in [-1, 1] for the player to move, from 49-plane input."""
        if self.value_int8 is not None:
            return self.value_int8.run(planes)[0]
        return self._run(self._value(), planes)

    def value_and_ownership(self, planes: np.ndarray,
                            symmetries: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(values (B,), ownership (B, n, n)), both in [-1, 1] for the player
        to move (+1: the point ends up the mover's), from 49-plane input:
        the value network's auxiliary ownership head, which the score
        estimates of ``tengen analyze`` add up.  With ``symmetries`` > 1,
        the mean over the first that many of the board's eight symmetries
        (as many evaluations, in one batch)."""
        v, own = self._value_and_ownership(symmetric_batch(planes, symmetries))
        return mean_values_back(v, symmetries), mean_ownership_back(own, symmetries)

    def _value_and_ownership(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, ownership) of ``planes``, one orientation each."""
        if self.value_int8 is not None:
            v, own = self.value_int8.run(planes)
            return v, own
        return self._run(self._value().forward_with_ownership, planes)


class DualNetworks(Networks):
    """A two-headed network (``nets.model.DualNet``) as the policy and the
    value network both (``policy_net`` and ``value_net`` are the one
    network), and as both at once: ``policy_and_value``, one pass of the
    trunk for a leaf's priors and value (``mcts.search.OnePassEvaluator``).
    It reads the 49 value planes for every answer."""

    def _load(self, policy_path: str | Path | None, value_path: str | Path | None
              ) -> tuple[DualNet, DualNet]:
        assert policy_path is not None          # Networks.__new__ chose this class for it
        if value_path is not None:
            raise ModelFileError(f"{policy_path} holds a network with a policy and a value head: "
                                 f"it takes no separate value network ({value_path})")
        net = self._prepare(load_model(policy_path, "dual"))
        return net, net

    def _outputs(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(logits, values, ownership) of ``planes``, which must hold the
        player-colour plane the policy network's 48 lack; from the int8
        file where it runs (``policy_int8``: the one network's)."""
        net = self._policy()
        if planes.shape[1] != net.cfg.planes:
            raise ValueError(f"a two-headed network reads {net.cfg.planes} planes "
                             f"(nets.features.encode_state(s, value=True)), got {planes.shape[1]}")
        if self.policy_int8 is not None:
            logits, v, own = self.policy_int8.run(planes)
            return logits, v, own
        return self._run(net, planes)

    def policy_logits(self, planes: np.ndarray) -> np.ndarray:
        """Logits (B, n*n + 1) from 49-plane input."""
        return self._outputs(planes)[0]

    def value(self, planes: np.ndarray) -> np.ndarray:
        """Values in [-1, 1] for the player to move, from 49-plane input."""
        return self.value_and_ownership(planes)[0]

    def _value_and_ownership(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """From the one network's pass."""
        _, v, own = self._outputs(planes)
        return v, own

    def policy_and_value(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(move probabilities (B, n*n + 1), values (B,) for the player to
        move), from 49-plane input, in one pass."""
        logits, v, _ = self._outputs(planes)
        return _softmax(logits), v

    def with_value_of(self, other: Networks) -> Networks:
        raise ValueError(f"{self.policy_path} holds its own value head: it pairs with no other "
                         "value network")


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits (B, K), row by row (``logits`` is reused)."""
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return p

