"""``tengen bench net``: how fast the policy network runs, against a ceiling.

The ceiling is a bare ``torch.nn.Sequential`` of the same convolutions on
random tensors already in memory; the ratios show what tengen's own
wrapping costs: for inference, numpy-to-tensor conversion and the
softmax-ready output; for training, the whole step of ``tengen train``
(reading a batch from the encoded, shuffled window stream, converting it,
forward, backward, optimiser) against the bare forward/backward/step.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from nets.config import NetworkConfig
from nets.device import Device, check_device
from nets.features import POLICY_PLANES
from nets.inference import Networks
from nets.model import NetConfig, build, build_trunk, policy_config, save_model
from tengen.base.config import option, option_of, require
from tengen.base.paths import MODELS_DIR, POLICY_FILE

from .timing import interleaved_rates


@dataclass(frozen=True)
class Config:
    model: str | None = option(None, help="policy model file (default: the shipped one)")
    seconds: float = option(3.0, help="time per measurement")
    batch_size: int = option(256, help="training batch size")
    threads: int = option(0, help="PyTorch threads (0: all cores)")
    device: str = option_of(NetworkConfig, "device")
    batches: list[int] = option(default_factory=lambda: [1, 16, 128],
                                help="inference batch sizes (default 1 16 128; a GPU's best "
                                     "is in the thousands)")
    training: bool = option(True, help="time training steps too, on the first training "
                                       "archive (tengen bench train measures more)")

    def __post_init__(self) -> None:
        check_device(self.device)
        require(all(b >= 1 for b in self.batches), "batches must be at least 1")

def sequential_like(cfg: NetConfig) -> nn.Module:
    """The bare convolutions of the network ``cfg`` describes: a Sequential
    for the plain stack, the residual tower's own trunk (its additions are
    the architecture, not wrapping) plus the 1x1 head for a residual one."""
    layers: list[nn.Module]
    if cfg.arch == "residual":
        layers = [build_trunk(cfg), nn.Conv2d(cfg.width, 1, 1)]
    else:
        layers = [nn.Conv2d(cfg.planes, cfg.width, 5, padding=2), nn.ReLU()]
        for _ in range(cfg.layers - 2):
            layers += [nn.Conv2d(cfg.width, cfg.width, 3, padding=1), nn.ReLU()]
        layers.append(nn.Conv2d(cfg.width, 1, 1))
    # Module.to takes memory_format at run time; torch's annotations leave it out
    return nn.Sequential(*layers).to(memory_format=torch.channels_last)  # type: ignore[call-overload]


def _model_path(args: Config, tmp: str) -> Path:
    if args.model:
        return Path(args.model)
    default = MODELS_DIR / POLICY_FILE
    if default.exists():
        return default
    path = Path(tmp) / "policy.safetensors"
    save_model(build(policy_config(arch="plain")), path)
    return path


def run(args: Config) -> dict:
    import tempfile

    if args.threads:
        torch.set_num_threads(args.threads)
    n = 19
    with tempfile.TemporaryDirectory() as tmp:
        path = _model_path(args, tmp)
        nets = Networks(policy_path=path, device=args.device)
        dev, bf16 = nets.device, nets.bf16
        assert nets.policy_net is not None      # loaded from a policy file
        cfg = nets.policy_net.cfg
        bare = sequential_like(cfg).to(dev.torch).eval()
        result = {"model": str(path), "width": cfg.width, "layers": cfg.layers, "arch": cfg.arch, "bf16": bf16,
                  "threads": torch.get_num_threads(), "device": dev.describe()}
        rng = np.random.default_rng(0)
        for batch in args.batches:
            planes = (rng.random((batch, POLICY_PLANES, n, n)) < 0.3).astype(np.uint8)
            x = torch.rand(batch, POLICY_PLANES, n, n, device=dev.torch).contiguous(
                memory_format=torch.channels_last)

            def our_step() -> int:
                nets.policy(planes)
                return batch

            def bare_step() -> int:
                with torch.inference_mode(), dev.autocast():
                    bare(x)
                dev.synchronize()
                return batch
            ours, ceiling = interleaved_rates([our_step, bare_step], 2 * args.seconds)
            result[f"infer_pos_per_s_b{batch}"] = round(ours)
            result[f"infer_ceiling_pos_per_s_b{batch}"] = round(ceiling)
            result[f"infer_ratio_b{batch}"] = round(ours / ceiling, 3)
        if args.training:
            result.update(_training(args, cfg, bare, dev, n))
    return result


def _training(args: Config, cfg: NetConfig, bare: nn.Module, dev: Device, n: int
              ) -> dict[str, object]:
    """Positions/s of a real training step against the bare ceiling.

    The two are timed in alternating blocks of a few steps, so that both see
    the same machine (turbo, other jobs), until the real run has crossed two
    window rebuilds: encoding and shuffling are charged to it as they are in
    ``tengen train``.  The ceiling uses the trainer's optimiser (Adam)."""
    from nets.train import Trainer, make_optimizer
    from nets.train_config import TrainConfig
    from tengen.base.paths import default_archives

    b = args.batch_size
    bare.train()
    x = torch.rand(b, POLICY_PLANES, n, n, device=dev.torch).contiguous(
        memory_format=torch.channels_last)
    y = torch.randint(0, n * n, (b,), device=dev.torch)
    train, _ = default_archives()
    if not train:
        return {}
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        tc = TrainConfig.shaped_as(cfg, data=train[:1], val=[], out=tmp, batch_size=b,
                                   bf16=dev.bf16, max_games=200, window_games=30, val_positions=0,
                                   device=args.device)
        trainer = Trainer(tc, progress=False)
        trainer.net.train()
        opt = make_optimizer(tc, bare)
        scaler = dev.grad_scaler()

        def bare_step() -> int:
            with dev.autocast():
                out = bare(x).flatten(1)
            loss = F.cross_entropy(out.float(), y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            dev.synchronize()
            return b

        def our_step() -> int:
            return trainer.step()[2]

        trainer.step()     # the first window
        assert trainer.stream._window is not None       # built by that step
        window = len(trainer.stream._window)
        start = trainer.positions
        ceiling, ours = interleaved_rates(
            [bare_step, our_step], args.seconds,
            until=lambda: trainer.positions - start >= 2 * window)
        trainer.stream.close()
    return {"train_pos_per_s": round(ours), "train_ceiling_pos_per_s": round(ceiling),
            "train_ratio": round(ours / ceiling, 3), "train_optimizer": tc.optimizer}
