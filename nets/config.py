"""Which network files a player loads, and how and with how many threads
they run.

Without PyTorch: the GTP front end builds this from its command line before
anything heavy is imported; the networks load on the first move.

A two-headed network (``tengen train dual``) is given as the policy
network, ``--policy-model dual.safetensors``: its value head then values
positions, in place of a separate value network.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from tengen.base.config import at_least, option, require
from tengen.base.paths import MODELS_DIR, POLICY_FILE, VALUE_FILE

from .device import check_device

RUNTIMES = ("auto", "torch", "onnx-int8")    # --runtime: nets.int8.int8_networks has the rules


@dataclass(frozen=True)
class NetworkConfig:
    policy_model: str | None = option(
        None, metavar="PATH", help="policy network weights (default tengen/models/policy.safetensors)"
        ", or a network with a policy and a value head (tengen train dual), which then "
        "values positions too")
    value_model: str | None = option(
        None, metavar="PATH", help="value network weights (default tengen/models/value.safetensors "
        "when it exists; without a value network the search needs rollouts)")
    threads: int | None = option(None, help="threads running the networks (default: all cores)")
    device: str = option(
        "auto", help="where the networks run: auto (a CUDA GPU, else Apple's MPS, else the "
        "CPU), cpu, cuda, cuda:N or mps; a device named but absent is an error")
    runtime: str = option(
        "auto", choices=RUNTIMES, help="what runs the networks: torch (PyTorch); onnx-int8 "
        "(ONNX Runtime int8, on the CPU: pip install 'tengen[int8]', and an int8 file beside "
        "each network, made by tengen quantize); auto: onnx-int8 where it is installed, the "
        "networks would run on a CPU without native bf16 (in fp32 there, which int8 runs about "
        "twice as fast) and every network has an up-to-date int8 file, else torch")

    def __post_init__(self) -> None:
        at_least(self, 1, "threads")
        check_device(self.device)
        check_runtime(self.runtime)
        require(self.runtime != "onnx-int8" or self.device in ("auto", "cpu"),
                f"--runtime onnx-int8 runs on the CPU, not {self.device}: pass --device cpu")
        require(not (self.value_model and self.policy_model and two_headed(self.policy_model)),
                f"{self.policy_model} has a value head of its own: pass no --value-model")

    def policy_path(self, size: int | None = None) -> Path:
        """The policy network to load for an n x n board: the given file,
        else the shipped one for that size (``tengen/models/NxN/``) if there is one,
        else the shipped default."""
        return Path(self.policy_model) if self.policy_model else _shipped(POLICY_FILE, size)

    def value_path(self, size: int | None = None) -> Path | None:
        """The value network to load: the given file, else none when the
        policy network given has a value head of its own, else the shipped
        one for the size or the default if it exists, else None."""
        if self.value_model:
            return Path(self.value_model)
        if self.policy_model and two_headed(self.policy_model):
            return None
        path = _shipped(VALUE_FILE, size)
        return path if path.exists() else None

    def has_policy(self) -> bool:
        return self.policy_path().exists()


def check_runtime(name: str) -> str:
    """``name`` when it is one of ``RUNTIMES``, else ValueError."""
    require(name in RUNTIMES, f"--runtime must be one of {', '.join(RUNTIMES)}, not {name!r}")
    return name


def _shipped(name: str, size: int | None) -> Path:
    """``tengen/models/NxN/name`` when the size has its own network, else
    ``tengen/models/name``: the engine picks the right file for the board by
    itself, so ``boardsize 9`` then ``genmove`` uses the 9x9 network."""
    if size is not None:
        sized = MODELS_DIR / f"{size}x{size}" / name
        if sized.exists():
            return sized
    return MODELS_DIR / name


def two_headed(path: str | Path) -> bool:
    """Whether ``path`` holds a network with a policy and a value head
    (``nets.model.DualNet``), read from the file's metadata without
    PyTorch; False for a file that does not say so or cannot be read
    (loading it then says why)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            config = (f.metadata() or {}).get("config", "{}")
        return json.loads(config).get("kind") == "dual"
    except (SafetensorError, OSError, ValueError, AttributeError):
        return False
