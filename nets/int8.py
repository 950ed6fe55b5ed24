"""The int8 runtime: a network quantised to int8 and run by ONNX Runtime.

On a CPU without native bf16 PyTorch runs the networks in fp32, and there
ONNX Runtime int8 ran the policy network 1.98x as fast at batch 16 with the
same top-1 accuracy (BENCHMARKS.md, "CPU runtimes (issue 39)").  It is
optional: ``pip install 'tengen[int8]'`` brings ONNX Runtime, and without it
everything runs in PyTorch as before.

The file, ``NAME.int8.onnx`` beside ``NAME.safetensors`` (``tengen
quantize`` writes it): the network exported by ``torch.onnx`` with the batch
and the board size left free (one file serves every board, as the network
does), then ONNX Runtime's static quantisation (QDQ: weights int8 per
channel, activations uint8 in MinMax ranges from real positions).  Its
metadata holds the SHA-256 of the safetensors file it was made from, so that
an int8 file left behind by a network trained or copied over since is never
run: ``--runtime onnx-int8`` refuses it, ``auto`` passes it over.

Which runtime runs the networks, from ``--runtime``
(``NetworkConfig.runtime``): ``int8_networks``, the rules in one place.
"""

import importlib.util
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.corpus import file_digest
from tengen.base.files import atomic_write_bytes

from .config import check_runtime
from .device import Device, bf16_supported
from .features import FEATURE_SET_VERSION
from .model import DualNet, ModelFileError, PolicyNet, ValueNet, load_model

INT8_SUFFIX = ".int8.onnx"
INSTALL = "pip install 'tengen[int8]'"
PRECISION = "int8 (onnxruntime)"    # what the start-up line says the networks compute in
INPUT = "planes"
SOURCE_SHA256 = "tengen.source_sha256"      # metadata: the safetensors file quantised
FEATURE_SET = "tengen.feature_set"          # metadata: the input planes' encoding


def int8_path(model_path: str | Path) -> Path:
    """The int8 file of a network: ``NAME.int8.onnx`` beside ``NAME.safetensors``."""
    p = Path(model_path)
    return p.with_name(p.name.removesuffix(".safetensors") + INT8_SUFFIX)


def onnxruntime_installed() -> bool:
    """Whether ONNX Runtime is there for ``auto`` to pick, without importing it."""
    return importlib.util.find_spec("onnxruntime") is not None


def _import(name: str) -> Any:
    """``name`` imported (onnxruntime, onnx and their submodules), or a
    ValueError that says how to install the extra that brings it."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ValueError(f"the int8 runtime needs {name.split('.')[0]} ({e}): {INSTALL}") from e


class _ValueAndOwnership(torch.nn.Module):
    """A value network whose forward pass is ``ValueNet.forward_with_ownership``:
    export traces ``forward`` alone."""

    def __init__(self, net: ValueNet):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net.forward_with_ownership(x)


def export_onnx(model_path: str | Path, out: str | Path) -> PolicyNet | ValueNet | DualNet:
    """The network of ``model_path`` as fp32 ONNX in ``out`` (a policy
    network: ``logits``; a value network: ``value`` and ``ownership``; a
    two-headed one: all three, in that order), the batch and the board size
    free; returns the network.  Loaded here, fresh: a network that has run
    keeps each board size's bias index, which export would freeze into the
    graph as a constant."""
    net = load_model(model_path)
    logits = {"logits": {0: "batch", 1: "moves"}}
    value = {"value": {0: "batch"}, "ownership": {0: "batch", 1: "n", 2: "n"}}
    module: torch.nn.Module
    if isinstance(net, PolicyNet):
        module, axes = net, logits
    elif isinstance(net, DualNet):
        module, axes = net, logits | value
    else:
        module, axes = _ValueAndOwnership(net), value
    example = torch.zeros((2, net.cfg.planes, 19, 19))
    # the TorchScript exporter (the one scripts/cpu_runtimes.py measured)
    # keeps the board size free; torch.export's fixed it at the example's 19.
    # It warns that it is the legacy exporter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, (example,), str(out), input_names=[INPUT],
                          output_names=list(axes),
                          dynamic_axes={INPUT: {0: "batch", 2: "n", 3: "n"}, **axes},
                          opset_version=17, dynamo=False)
    return net


def quantize_model(model_path: str | Path, calibration: list[np.ndarray],
                   out: str | Path | None = None) -> Path:
    """The int8 file of the network in ``model_path`` (``out``, default
    ``int8_path``), written atomically: exported (``export_onnx``), then
    quantised statically (QDQ, weights int8 per channel, activations uint8)
    with MinMax ranges from ``calibration``, batches of real positions'
    planes (B, P, n, n), of which the network's first planes are read
    (the 49 value planes serve a policy network too).  Returns the path."""
    onnx = _import("onnx")
    quantization = _import("onnxruntime.quantization")
    pre_process = _import("onnxruntime.quantization.shape_inference").quant_pre_process
    out = Path(out) if out is not None else int8_path(model_path)
    digest = file_digest(model_path)
    with tempfile.TemporaryDirectory(prefix="tengen-int8-") as tmp:
        fp32, pre, int8 = (Path(tmp) / name for name in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        net = export_onnx(model_path, fp32)
        batches = iter([b[:, :net.cfg.planes].astype(np.float32) for b in calibration])

        reader_class: Any = quantization.CalibrationDataReader

        class Reader(reader_class):
            def get_next(self) -> dict[str, np.ndarray] | None:
                b = next(batches, None)
                return None if b is None else {INPUT: b}

        pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        quantization.quantize_static(
            str(pre), str(int8), Reader(), quant_format=quantization.QuantFormat.QDQ,
            per_channel=True, activation_type=quantization.QuantType.QUInt8,
            weight_type=quantization.QuantType.QInt8,
            calibrate_method=quantization.CalibrationMethod.MinMax)
        model = onnx.load(str(int8))
    onnx.helper.set_model_props(model, {SOURCE_SHA256: digest, FEATURE_SET: FEATURE_SET_VERSION})
    atomic_write_bytes(out, model.SerializeToString())
    return out


def inference_session(path: str | Path, threads: int | None = None) -> Any:
    """An ONNX Runtime session (``onnxruntime.InferenceSession``) of the
    ONNX file ``path`` on the CPU: ``threads`` intra-op threads (None: ONNX
    Runtime's default, one per physical core), operators one after another
    (one network call at a time: nothing for inter-op threads to do), every
    graph optimisation, warnings kept off the engine's stderr."""
    ort = _import("onnxruntime")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or 0
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class Int8Network:
    """The int8 file of the network in ``model_path``, in an ONNX Runtime
    session: ``run`` gives what the network's PyTorch forward pass gives.
    A missing file, or one made from another version of the network, is a
    ModelFileError that says how to make it."""

    def __init__(self, model_path: str | Path, threads: int | None = None):
        self.source = Path(model_path)
        self.path = int8_path(model_path)
        remedy = f"make it with `tengen quantize --model {self.source}`"
        if not self.path.exists():
            raise ModelFileError(f"{self.path}: no such file, no int8 version of {self.source}: "
                                 f"{remedy}")
        self.session = inference_session(self.path, threads)
        recorded = self.session.get_modelmeta().custom_metadata_map.get(SOURCE_SHA256, "none")
        actual = file_digest(self.source)
        if recorded != actual:
            raise ModelFileError(f"{self.path} was made from another {self.source.name} (SHA-256 "
                                 f"{recorded[:12]}..., the file is {actual[:12]}...): {remedy}")

    def run(self, planes: np.ndarray) -> list[np.ndarray]:
        """The outputs (float32) for 0/1 ``planes`` (B, P, n, n): a policy
        network's logits (B, n*n + 1); a value network's values (B,) and
        ownership (B, n, n); a two-headed network's all three."""
        return self.session.run(None, {INPUT: planes.astype(np.float32)})


def int8_networks(runtime: str, device: Device, paths: dict[str, Path],
                  threads: int | None = None) -> dict[str, Int8Network]:
    """The networks of ``paths`` (role -> model file) that run int8, by
    role; empty: all run in PyTorch.  The rules of ``--runtime``:

    * ``torch``: none;
    * ``onnx-int8``: all, or an error saying why not (ValueError: not the
      CPU, ONNX Runtime missing; ModelFileError: an int8 file missing or
      stale);
    * ``auto``: all, exactly where int8 was measured faster: the networks
      run on the CPU in fp32 because it has no native bf16 (where bf16 is
      native, int8 has not been measured against PyTorch's bf16), ONNX Runtime is installed, and every
      network has an int8 file made from it; else none, silently."""
    if check_runtime(runtime) == "torch":
        return {}
    if runtime == "onnx-int8":
        if device.type != "cpu":
            raise ValueError(f"--runtime onnx-int8 runs on the CPU, not {device.torch}: "
                             "pass --device cpu")
        _import("onnxruntime")
        return {role: Int8Network(path, threads) for role, path in paths.items()}
    if (device.type != "cpu" or device.precision != "fp32" or bf16_supported()
            or not onnxruntime_installed()
            or not all(int8_path(p).exists() for p in paths.values())):
        return {}
    try:
        return {role: Int8Network(path, threads) for role, path in paths.items()}
    except ModelFileError:          # stale: made from another version of the network
        return {}
