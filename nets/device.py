"""Where the networks run, and in what precision: the one ``--device``
setting of every command that loads a network, resolved in one place.

``--device auto`` takes a CUDA GPU, else Apple's MPS, else the CPU;
``cpu``, ``cuda``, ``cuda:N`` and ``mps`` name one, and a device that is
named but missing is an error (``DeviceError``), never a silent fallback
to the CPU.  The precision follows the device: on the CPU bf16 autocast
where the processor computes bf16 natively (AVX-512 BF16 or AMX;
elsewhere autocast emulates it, slower than fp32), fp32 otherwise; on a
GPU bf16 where it has bf16 (CUDA from Ampere on), fp16 otherwise.  A
``--bf16``/``--no-bf16`` setting decides instead: bf16 or fp32 on the
CPU, bf16 or fp16 on a GPU.

Without PyTorch at import: the GTP front end checks ``--device`` from its
command line before anything heavy loads; ``resolve_device`` imports it.
"""

import functools
import re
import sys
from dataclasses import dataclass
from typing import Any

DEVICE_NAMES = "auto, cpu, cuda, cuda:N or mps"
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?|mps")


class DeviceError(ValueError):
    """A device that is asked for but absent, or a name that is no device."""


def check_device(name: str) -> str:
    """``name`` when it names a device (``DEVICE_NAMES``), else DeviceError."""
    if not isinstance(name, str) or not _DEVICE.fullmatch(name):
        raise DeviceError(f"--device must be {DEVICE_NAMES}, not {name!r}")
    return name


@functools.cache
def bf16_supported() -> bool:
    """True when this CPU computes bf16 natively (avx512_bf16 or amx_bf16)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def use_bf16(flag: bool | None) -> bool:
    """A ``--bf16/--no-bf16`` setting on the CPU, None meaning: where the
    CPU has native bf16.  Elsewhere autocast emulates it, and a training
    step of the value network at batch 64 took 2.1 s against 0.59 s in fp32
    (Intel Xeon with AVX-512 but no BF16)."""
    return bf16_supported() if flag is None else flag


@dataclass(frozen=True)
class Device:
    """A resolved device: the ``torch.device``, the autocast dtype (None:
    fp32) and, for the start-up line, the hardware's name."""
    torch: Any                  # torch.device
    autocast_dtype: Any         # torch.bfloat16, torch.float16 or None
    hardware: str

    @property
    def type(self) -> str:
        """``cpu``, ``cuda`` or ``mps``."""
        return self.torch.type

    @property
    def accelerated(self) -> bool:
        """A GPU (CUDA or MPS), where the work is sized up (larger batches,
        more games in flight)."""
        return self.type != "cpu"

    @property
    def precision(self) -> str:
        """``bf16``, ``fp16`` or ``fp32``: what the networks compute in."""
        import torch

        return {torch.bfloat16: "bf16", torch.float16: "fp16", None: "fp32"}[self.autocast_dtype]

    @property
    def bf16(self) -> bool:
        import torch

        return self.autocast_dtype == torch.bfloat16

    def autocast(self) -> Any:
        """The autocast context of this device's precision (fp32: an
        autocast that is off, so the CPU path is the one it always was)."""
        import torch

        return torch.autocast(self.type, dtype=self.autocast_dtype or torch.bfloat16,
                              enabled=self.autocast_dtype is not None)

    def grad_scaler(self) -> Any:
        """fp16 training needs its loss scaled (small gradients underflow in
        fp16); bf16 and fp32 do not: a scaler that is on for fp16 only."""
        import torch

        return torch.amp.GradScaler(self.type, enabled=self.precision == "fp16")

    def to_device(self, x: Any) -> Any:
        """A host tensor on this device: unchanged on the CPU; on a CUDA GPU
        one copy from pinned (page-locked) memory, which the copy engine
        reads directly and which lets the copy overlap the work queued
        before it."""
        if not self.accelerated:
            return x
        if self.type == "cuda":
            x = x.pin_memory()
        return x.to(self.torch, non_blocking=True)

    def planes(self, planes: Any, channels_last: bool = True) -> Any:
        """0/1 feature planes (uint8 array (B, P, n, n)) as the float32 input
        of a network on this device.  On the CPU exactly
        ``nets.model.planes_to_tensor``; on a GPU the uint8 planes cross
        (one copy, a quarter of the float32 bytes) and are converted there."""
        from .model import planes_to_tensor

        if not self.accelerated:
            return planes_to_tensor(planes, channels_last)
        import numpy as np
        import torch

        x = self.to_device(torch.from_numpy(np.ascontiguousarray(planes)))
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        return x.to(dtype=torch.float32, memory_format=fmt)

    def synchronize(self) -> None:
        """Wait for the work queued on this device (a GPU runs it
        asynchronously): timings end here.  Nothing to wait for on the CPU."""
        import torch

        if self.type == "cuda":
            torch.cuda.synchronize(self.torch)
        elif self.type == "mps":
            torch.mps.synchronize()

    def describe(self, precision: str | None = None) -> str:
        """The device, its hardware and ``precision`` (default: its own)."""
        return f"{self.torch} ({self.hardware}), {precision or self.precision}"


@functools.cache
def resolve_device(name: str = "auto", bf16: bool | None = None) -> Device:
    """The device ``name`` names (``auto``: CUDA, then MPS, then the CPU)
    with its precision (module docstring); DeviceError when the device is
    missing.  Cached: one resolution per process and setting."""
    import torch

    check_device(name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    if name == "cpu":
        return Device(torch.device("cpu"), torch.bfloat16 if use_bf16(bf16) else None,
                      _cpu_name())
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"--device {name}: no CUDA GPU here (torch {torch.__version__}, "
                              f"CUDA build: {torch.version.cuda or 'no'}); install PyTorch's "
                              "CUDA build (README, \"GPU\"), or pass --device cpu or auto")
        device = torch.device(name)
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"--device {name}: this machine has {torch.cuda.device_count()} "
                              "CUDA GPU(s), numbered from 0")
        device = torch.device("cuda", index)
        native = torch.cuda.is_bf16_supported()
        dtype = torch.bfloat16 if (native if bf16 is None else bf16) else torch.float16
        return Device(device, dtype, torch.cuda.get_device_name(index))
    if not _mps_available():
        raise DeviceError("--device mps: Apple's MPS is not available here (macOS on Apple "
                          "silicon with PyTorch's MPS support); pass --device cpu or auto")
    return Device(torch.device("mps"), torch.bfloat16 if bf16 else torch.float16, "Apple MPS")


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "CPU"


_ANNOUNCED: set[str] = set()


def announce(device: Device, what: str = "tengen", precision: str | None = None) -> Device:
    """Say on stderr, once per process, where ``what`` runs and in what
    precision (``device.describe()``; ``precision``: what runs in place of
    the device's own, as ``nets.int8``'s int8); returns ``device``."""
    line = f"{what}: device {device.describe(precision)}"
    if line not in _ANNOUNCED:
        _ANNOUNCED.add(line)
        print(line, file=sys.stderr, flush=True)
    return device
