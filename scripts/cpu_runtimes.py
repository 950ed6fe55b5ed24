"""CPU inference runtimes for the shipped policy network (issue 39).

Candidates: PyTorch eager (fp32, and bf16 autocast; the default is what
``nets.inference`` runs on this CPU: bf16 where it computes bf16 natively,
fp32 elsewhere, where autocast would emulate bf16), PyTorch ``torch.compile`` (inductor, weights
frozen; fp32 and bf16), ONNX Runtime (fp32, int8) and OpenVINO (fp32, bf16,
int8).  The network is exported to ONNX as tengen exports it
(``nets.int8.export_onnx``); the int8 models are calibrated on real
positions of the TRAINING corpus, never the held-out one: ONNX Runtime's is
tengen's int8 file (``nets.int8.quantize_model``, what ``tengen quantize``
writes), OpenVINO's comes from NNCF.

Each runtime takes the 48 uint8 feature planes and gives float32 logits, so
every figure includes the input's conversion.  Speed: positions a second at
each batch size (``--batch-sizes``: 1, the search's ``--batch-size`` 16 and
self-play's CPU ``--batch-games`` 32), one thread, the median of
``--rounds`` timed repeats after warm-up, the runtimes taking turns in each
round (the starting one rotating) so that drift on the machine hits them
alike.  Accuracy: top-1 against the move played on the first ``--positions``
positions of the held-out corpus, in the order ``tengen eval`` scores them.
A candidate that is not at least ``--gate`` times as fast as the default at
both search and self-play batch sizes cannot be adopted whatever its
accuracy; to keep the run short its top-1 is taken on the first
``--screen-positions`` positions only (the table says how many).

Run pinned to one core, e.g.

    taskset -c 1 nice -n 5 python scripts/cpu_runtimes.py --json runs/cpu_runtimes.json

It needs ``onnx``, ``onnxruntime``, ``openvino`` and ``nncf`` installed
(none of them is a tengen dependency); a runtime that is missing or fails
shows in the table with the reason.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")

import argparse                                        # noqa: E402
import json                                            # noqa: E402
import statistics                                      # noqa: E402
import sys                                             # noqa: E402
import tempfile                                        # noqa: E402
import time                                            # noqa: E402
import traceback                                       # noqa: E402
from collections.abc import Callable                   # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from pathlib import Path                               # noqa: E402
from typing import Any                                 # noqa: E402

import numpy as np                                     # noqa: E402
import torch                                           # noqa: E402

from engine.corpus import load_corpus                  # noqa: E402
from nets.data import Window                           # noqa: E402
from nets.device import bf16_supported                 # noqa: E402
from nets.evaluate import scored_windows               # noqa: E402
from nets.features import POLICY_PLANES                # noqa: E402
from nets.inference import Networks                    # noqa: E402
from nets.int8 import export_onnx as export_network    # noqa: E402
from nets.int8 import inference_session, quantize_model  # noqa: E402
from nets.model import load_model, planes_to_tensor    # noqa: E402
from nets.quantize import calibration_batches          # noqa: E402
from tengen.base.paths import MODELS_DIR, POLICY_FILE  # noqa: E402

NATIVE_BF16 = bf16_supported()
# what nets.inference runs on this CPU: bf16 autocast where it computes bf16 natively
DEFAULT = f"torch eager {'bf16' if NATIVE_BF16 else 'fp32'}"
Logits = Callable[[np.ndarray], np.ndarray]   # uint8 planes (B, 48, n, n) -> float32 (B, n*n+1)


def positions(path: str, count: int, seed: int = 0, chunk_games: int = 200) -> Window:
    """The first ``count`` positions of the corpus at ``path`` in the order
    ``nets.evaluate.evaluate`` scores them (``scored_windows``, seed 0)."""
    corpus = load_corpus(path)
    rng = np.random.default_rng(seed)
    parts, total = [], 0
    for w in scored_windows(corpus, POLICY_PLANES, chunk_games, rng):
        parts.append(w)
        total += len(w)
        if total >= count:
            break
    packed = np.concatenate([w.packed for w in parts])[:count]
    move = np.concatenate([w.move for w in parts])[:count]
    return Window(packed, move, np.zeros(len(move), np.float32), np.zeros(len(move), np.int32),
                  POLICY_PLANES, corpus.size)


class Runtime:
    """One candidate: ``logits(batch)`` gives the function that runs a batch
    of that size (made on first use: static-shape runtimes compile per size)."""

    def __init__(self, name: str, make: Callable[[int], Logits], note: str = ""):
        self.name, self.make, self.note = name, make, note
        self.fns: dict[int, Logits] = {}
        self.build_s = 0.0

    def logits(self, batch: int) -> Logits:
        if batch not in self.fns:
            t = time.perf_counter()
            self.fns[batch] = self.make(batch)
            self.build_s += time.perf_counter() - t
        return self.fns[batch]

    def __call__(self, planes: np.ndarray) -> np.ndarray:
        return self.logits(len(planes))(planes)


# -- PyTorch -------------------------------------------------------------------

def torch_eager(policy: Path, bf16: bool) -> Runtime:
    """Exactly tengen's path: ``Networks.policy_logits`` on the CPU."""
    nets = Networks(policy, bf16=bf16, threads=1, device="cpu")
    return Runtime(f"torch eager {'bf16' if bf16 else 'fp32'}", lambda b: nets.policy_logits,
                   "bf16 autocast" if bf16 else "")


def torch_compiled(policy: Path, bf16: bool) -> Runtime:
    """``torch.compile`` (inductor, weights frozen into the graph: the CPU
    inference setting), one static shape per batch size, run as tengen runs
    the eager network (channels-last input, inference mode, autocast)."""
    import torch._dynamo.config as dynamo
    import torch._inductor.config as inductor

    inductor.freezing = True
    dynamo.recompile_limit = 64     # one graph per batch size and precision, never eager
    net = load_model(policy, "policy").to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    compiled = torch.compile(net, dynamic=False)

    def run(planes: np.ndarray) -> np.ndarray:
        x = planes_to_tensor(planes)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return compiled(x).float().numpy()

    def make(batch: int) -> Logits:
        run(np.zeros((batch, POLICY_PLANES, 19, 19), np.uint8))     # compiles this shape
        return run

    return Runtime(f"torch compile {'bf16' if bf16 else 'fp32'}", make,
                   "inductor, freezing" + (", bf16 autocast" if bf16 else ""))


def export_onnx(policy: Path, out: Path) -> float:
    """The policy network as ONNX (batch and board size dynamic); returns the
    largest absolute logit difference from PyTorch fp32 on random planes."""
    net = export_network(policy, out)
    x = torch.from_numpy((np.random.default_rng(2).random((4, POLICY_PLANES, 19, 19)) < 0.2)
                         .astype(np.float32))
    with torch.inference_mode():
        want = net(x).numpy()
    got = inference_session(out).run(None, {"planes": x.numpy()})[0]
    return float(np.abs(got - want).max())


# -- ONNX Runtime --------------------------------------------------------------

def onnxruntime_session(model: Path, name: str, note: str = "") -> Runtime:
    """``model`` in a session as tengen opens one, on one thread."""
    sess = inference_session(model, threads=1)

    def run(planes: np.ndarray) -> np.ndarray:
        return sess.run(None, {"planes": planes.astype(np.float32)})[0]

    return Runtime(name, lambda b: run, note)


def onnxruntime_int8(policy: Path, out: Path, calibration: list[np.ndarray]) -> Runtime:
    """tengen's int8 file of the policy network (``quantize_model``: static
    quantisation, QDQ, weights int8 per channel, activations uint8 in MinMax
    ranges from ``calibration``)."""
    quantize_model(policy, calibration, out)
    return onnxruntime_session(out, "onnxruntime int8",
                               f"static QDQ, per-channel, MinMax on {sum(map(len, calibration))} "
                               "training positions")


# -- OpenVINO ------------------------------------------------------------------

def openvino_model(model: Any, name: str, precision: str, note: str = "") -> Runtime:
    """``model`` (an ov.Model with a dynamic batch) compiled for the CPU
    once per batch size (static shapes), one thread, one stream, with
    ``precision`` as the inference precision hint (checked: the compiled
    model must report it)."""
    import openvino as ov

    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": 1,
              "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}

    def make(batch: int) -> Logits:
        m = model.clone()
        m.reshape({0: [batch, POLICY_PLANES, 19, 19]})
        cm = core.compile_model(m, "CPU", config)
        got = cm.get_property("INFERENCE_PRECISION_HINT")
        if got != {"f32": ov.Type.f32, "bf16": ov.Type.bf16}[precision]:
            raise RuntimeError(f"OpenVINO compiled {name} in {got}, not {precision}")
        req = cm.create_infer_request()

        def run(planes: np.ndarray) -> np.ndarray:
            req.infer({0: planes.astype(np.float32)})
            return req.get_output_tensor(0).data.copy()

        return run

    return Runtime(name, make, note)


def openvino_runtimes(onnx_model: Path, calibration: list[np.ndarray]) -> list[Runtime]:
    import openvino as ov

    model = ov.convert_model(str(onnx_model))
    out = [openvino_model(model, "openvino fp32", "f32"),
           openvino_model(model, "openvino bf16", "bf16", "inference precision hint bf16")]
    try:
        import nncf

        t = time.perf_counter()
        q = nncf.quantize(model, nncf.Dataset(calibration), subset_size=len(calibration))
        note = (f"NNCF post-training (default preset), {sum(map(len, calibration))} training "
                f"positions, {time.perf_counter() - t:.0f} s; other layers fp32")
        out.append(openvino_model(q, "openvino int8", "f32", note))
    except Exception as e:          # reported in the table, not fatal
        out.append(failed("openvino int8", e))
    return out


def failed(name: str, e: BaseException) -> Runtime:
    traceback.print_exception(e, file=sys.stderr)

    def make(batch: int) -> Logits:
        raise RuntimeError(f"{name} unavailable")

    return Runtime(name, make, f"unavailable: {type(e).__name__}: {str(e).splitlines()[0][:160]}")


def available(rt: Runtime) -> bool:
    return not rt.note.startswith("unavailable")


# -- measuring -----------------------------------------------------------------

def throughput(runtimes: list[Runtime], planes: np.ndarray, rounds: int, block_s: float
               ) -> dict[str, float]:
    """Median positions a second of each runtime on ``planes``: after warm-up,
    ``rounds`` rounds in which every runtime runs one timed block of about
    ``block_s`` seconds, the first runtime of a round rotating."""
    b = len(planes)
    calls = {}
    for rt in runtimes:
        f = rt.logits(b)
        for _ in range(3):
            f(planes)
        t = time.perf_counter()
        f(planes)
        calls[rt.name] = max(1, round(block_s / (time.perf_counter() - t)))
    rates: dict[str, list[float]] = {rt.name: [] for rt in runtimes}
    for r in range(rounds):
        for rt in runtimes[r % len(runtimes):] + runtimes[:r % len(runtimes)]:
            f, k = rt.logits(b), calls[rt.name]
            t = time.perf_counter()
            for _ in range(k):
                f(planes)
            rates[rt.name].append(k * b / (time.perf_counter() - t))
    return {name: statistics.median(v) for name, v in rates.items()}


def top_moves(rt: Runtime, w: Window, count: int, batch: int) -> np.ndarray:
    """The runtime's top move on each of the first ``count`` positions."""
    out = []
    for a in range(0, count, batch):
        idx = np.arange(a, min(a + batch, count))
        out.append(rt(w.planes_of(idx)).argmax(axis=1))
    return np.concatenate(out)


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for pkg in ("torch", "numpy", "onnx", "onnxruntime", "openvino", "nncf"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def cpu() -> dict[str, Any]:
    info = open("/proc/cpuinfo").read()
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                  if ln.startswith("model name")), "?")
    flags = set(next((ln.split(":", 1)[1].split() for ln in info.splitlines()
                      if ln.startswith("flags")), []))
    return {"model": model, "affinity": sorted(os.sched_getaffinity(0)),
            "flags": sorted(flags & {"avx2", "avx512f", "avx512_bf16", "avx512_vnni",
                                     "amx_bf16", "amx_int8", "avx_vnni"})}


def table(result: dict[str, Any], gate: float) -> str:
    sizes = result["batch_sizes"]
    ref = result["runtimes"][DEFAULT]
    head = ("| runtime | " + " | ".join(f"pos/s b={b}" for b in sizes)
            + " | vs default b=16 / b=32 | top-1 | top-1 of default, same positions "
            "| same top move as default | verdict | notes |")
    lines = [head, "|" + "---|" * (len(sizes) + 7)]
    for name, r in result["runtimes"].items():
        if "speed" not in r:
            lines.append(f"| {name} | " + " | ".join("-" for _ in sizes)
                         + f" | - | - | - | - | - | {r['note']} |")
            continue
        speed = " | ".join(f"{r['speed'][str(b)]:.0f}" for b in sizes)
        ratio = " / ".join(f"{r['speed'][str(b)] / ref['speed'][str(b)]:.2f}x"
                           for b in result["gate_sizes"])
        n = r["top1_positions"]
        top1 = f"{100 * r['top1']:.2f}% ({n:,})"
        base = f"{100 * ref['top1_prefix'][str(n)]:.2f}%"
        agree = f"{100 * r['agreement']:.2f}%"
        lines.append(f"| {name} | {speed} | {ratio} | {top1} | {base} | {agree} | {r['verdict']} "
                     f"| {r['note']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", default=str(MODELS_DIR / POLICY_FILE))
    ap.add_argument("--held-out", default="corpus/val.npz",
                    help="held-out corpus (packed, or the tygem-2011-11 archive)")
    ap.add_argument("--train", default="corpus/train.npz",
                    help="training corpus, for the int8 calibration positions")
    ap.add_argument("--positions", type=int, default=50_000)
    ap.add_argument("--screen-positions", type=int, default=10_000)
    ap.add_argument("--calibration", type=int, default=320, help="int8 calibration positions")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16, 32])
    ap.add_argument("--gate-sizes", type=int, nargs="+", default=[16, 32],
                    help="batch sizes at which a candidate must be --gate times as fast")
    ap.add_argument("--gate", type=float, default=1.3)
    ap.add_argument("--max-drop", type=float, default=0.2, help="top-1 points a candidate may lose")
    ap.add_argument("--eval-batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--block-s", type=float, default=0.4)
    ap.add_argument("--only", nargs="*", help="run only these runtimes (names as in the table)")
    ap.add_argument("--json", default="runs/cpu_runtimes.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    policy = Path(args.policy)

    held = positions(args.held_out, args.positions)
    calib = calibration_batches(load_corpus(args.train), args.calibration, POLICY_PLANES)
    print(f"{len(held)} held-out positions, {sum(map(len, calib))} calibration positions "
          f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="cpu_runtimes-"))
    onnx_file = tmp / "policy.onnx"
    runtimes = [torch_eager(policy, NATIVE_BF16), torch_eager(policy, not NATIVE_BF16)]
    for name, build in (("torch compile fp32", lambda: torch_compiled(policy, False)),
                        ("torch compile bf16", lambda: torch_compiled(policy, True))):
        try:
            runtimes.append(build())
        except Exception as e:
            runtimes.append(failed(name, e))
    export_diff = None
    try:
        export_diff = export_onnx(policy, onnx_file)
        runtimes.append(onnxruntime_session(onnx_file, "onnxruntime fp32"))
    except Exception as e:
        runtimes.append(failed("onnxruntime fp32", e))
    runtimes.append(failed("onnxruntime bf16", RuntimeError(
        "not measured: ONNX Runtime's CPU provider has no bf16 convolution kernels")))
    try:
        runtimes.append(onnxruntime_int8(policy, tmp / "policy.int8.onnx", calib))
    except Exception as e:
        runtimes.append(failed("onnxruntime int8", e))
    try:
        runtimes += openvino_runtimes(onnx_file, calib)
    except Exception as e:
        runtimes += [failed(f"openvino {p}", e) for p in ("fp32", "bf16", "int8")]
    if args.only:
        runtimes = [rt for rt in runtimes if rt.name in args.only or rt.name == DEFAULT]

    # first use of each batch size compiles the static-shape runtimes: done here,
    # so that a runtime failing to build is reported rather than fatal
    live: list[Runtime] = []
    for rt in runtimes:
        if not available(rt):
            continue
        try:
            for b in sorted({*args.batch_sizes, args.eval_batch, args.positions % args.eval_batch}
                            - {0}):
                rt.logits(b)(held.planes_of(np.arange(b)))
            live.append(rt)
        except Exception as e:
            runtimes[runtimes.index(rt)] = failed(rt.name, e)
        print(f"{rt.name}: built in {rt.build_s:.0f} s", file=sys.stderr, flush=True)

    result: dict[str, Any] = {
        "command": " ".join(sys.argv), "cpu": cpu(), "versions": versions(),
        "torch_threads": torch.get_num_threads(), "batch_sizes": args.batch_sizes,
        "gate_sizes": args.gate_sizes, "gate": args.gate, "max_drop": args.max_drop,
        "positions": len(held), "held_out": args.held_out, "train": args.train,
        "onnx_export_max_abs_diff": export_diff, "rounds": args.rounds, "block_s": args.block_s,
        "runtimes": {rt.name: {"note": rt.note} for rt in runtimes}}
    for b in args.batch_sizes:
        planes = held.planes_of(np.arange(b))
        for name, v in throughput(live, planes, args.rounds, args.block_s).items():
            result["runtimes"][name].setdefault("speed", {})[str(b)] = v
        print(f"b={b}: " + ", ".join(f"{rt.name} {result['runtimes'][rt.name]['speed'][str(b)]:.0f}"
                                     for rt in live), file=sys.stderr, flush=True)

    ref = result["runtimes"][DEFAULT]
    base_moves = top_moves(live[0], held, len(held), args.eval_batch)
    assert live[0].name == DEFAULT
    for rt in live:
        r = result["runtimes"][rt.name]
        r["build_s"] = rt.build_s
        fast = all(r["speed"][str(b)] >= args.gate * ref["speed"][str(b)] for b in args.gate_sizes)
        n = len(held) if fast or rt.name == DEFAULT else min(args.screen_positions, len(held))
        t = time.perf_counter()
        moves = base_moves if rt.name == DEFAULT else top_moves(rt, held, n, args.eval_batch)
        r["top1_positions"] = n
        r["top1"] = float((moves[:n] == held.move[:n]).mean())
        r["agreement"] = float((moves[:n] == base_moves[:n]).mean())
        ref.setdefault("top1_prefix", {})[str(n)] = float((base_moves[:n] == held.move[:n]).mean())
        drop = 100 * (ref["top1_prefix"][str(n)] - r["top1"])
        r["verdict"] = ("default" if rt.name == DEFAULT
                        else f"no: under {args.gate}x" if not fast
                        else f"no: top-1 {drop:+.2f} points down" if drop > args.max_drop
                        else "PASSES")
        print(f"{rt.name}: top-1 {100 * r['top1']:.2f}% on {n} ({time.perf_counter() - t:.0f} s)",
              file=sys.stderr, flush=True)
    result["wall_s"] = time.perf_counter() - t0
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(table(result, args.gate))
    print(f"\n{result['cpu']}; {result['versions']}; ONNX export max |logit diff| vs torch fp32: "
          f"{export_diff}; {result['wall_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
