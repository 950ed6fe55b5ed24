"""``tengen train policy|value|dual``: supervised training from SGF archives.

A run lives in one directory (``--out``):

* ``checkpoint.pt``: model, optimiser, position in the data stream, counters
  and the run's config; written atomically (temporary file + rename) every
  ``--checkpoint-minutes``, at every validation, on Ctrl-C / SIGTERM and at
  the end, so a ``kill -9`` loses at most one interval.  ``--resume``
  continues exactly where it stopped: the data stream is a deterministic
  function of (seed, epoch, window) and the learning rate a function of
  the positions seen.
* ``model.safetensors`` (latest) and ``best.safetensors`` (best validation),
  batch norm folded, with the provenance in their metadata;
* ``metrics.csv`` and ``tb/`` (TensorBoard): loss, top-1, learning rate.

Checkpoints are read with ``torch.load(weights_only=True)``: they hold only
tensors and plain containers.
"""

import argparse
import csv
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.corpus import Corpus, load_corpus
from tengen.base.config import (
    add_options,
    from_dict,
    option,
    option_of,
    parse_config,
    require,
    resumed,
)
from tengen.base.control import Progress, Resume
from tengen.base.files import atomic_write
from tengen.base.provenance import git_commit, machine_description
from tengen.base.stopping import stop_requests

from .data import PositionStream, Window, final_ownership, fixed_sample
from .device import Device, announce, resolve_device
from .model import (
    POLICY_HEAD,
    VALUE_HEAD,
    ModelFileError,
    Net,
    NetConfig,
    build,
    load_model,
    save_model,
)
from .shards import load_value_positions
from .train_config import RESCHEDULE, TrainConfig, learning_rate
from .widen import widen

if TYPE_CHECKING:     # annotations only: importing it loads TensorBoard
    from torch.utils.tensorboard import SummaryWriter


def init_from_network(net: Net, path: str) -> None:
    """Start ``net`` from the network in ``path`` (same trunk architecture
    and depth): the trunk always, the heads too when both are of one kind
    (fine-tuning, e.g. a 19x19 policy on 9x9 games), and a two-headed
    network's policy head from a policy network's or its value head from a
    value network's.  A narrower source is
    widened first (``nets.widen``: the same function, more filters, so a
    wider network starts where the shipped one stands).  Input planes the
    source lacks (the value network's player-colour plane) start at zero.
    A value network started from the policy network's trunk learns from
    game results many times faster than from scratch: the trunk already
    reads liberties and shape."""
    src = load_model(path)

    def shape(c: NetConfig) -> tuple[str, int, bool]:
        return (c.arch, c.layers if c.arch == "plain" else c.blocks, c.global_pool)

    if shape(src.cfg) != shape(net.cfg) or src.cfg.width > net.cfg.width:
        raise ModelFileError(
            f"{path}: trunk {shape(src.cfg)} of width {src.cfg.width} does not match the new "
            f"network's {shape(net.cfg)} of width {net.cfg.width} (arch, depth and global "
            "pool must be the same; the width may only grow)")
    if src.cfg.width < net.cfg.width:
        src = widen(src, net.cfg.width)
    mine = net.state_dict()
    # a dual network's policy head has a policy network's names, its value
    # head is a value network's under another name
    renamed = {("policy", "dual"): {}, ("value", "dual"): {"head.": "value_head."}}
    if src.cfg.kind == net.cfg.kind:
        theirs = src.state_dict()
    elif (src.cfg.kind, net.cfg.kind) in renamed:
        names = renamed[(src.cfg.kind, net.cfg.kind)]
        theirs = {next((b + k[len(a):] for a, b in names.items() if k.startswith(a)), k): v
                  for k, v in src.state_dict().items()}
    else:
        theirs = {k: v for k, v in src.state_dict().items() if k.startswith("trunk.")}
    with torch.no_grad():
        for name, w in theirs.items():
            if name not in mine:
                continue    # e.g. batch-norm statistics: the source is folded
            target = mine[name]
            if name in ("trunk.convs.0.weight", "fc.weight") and target.shape != w.shape:
                # more inputs here (the colour plane; a dual network's value
                # layers' colour): the new ones start at zero
                k = min(w.shape[1], target.shape[1])
                target.zero_()
                target[:, :k] = w[:, :k]
            elif target.shape == w.shape:
                target.copy_(w)


def freeze_trunk(net: Net, layers: int) -> None:
    """Keep the first ``layers`` trunk convolutions (and their batch norms)
    fixed: the transfer recipe's first stage, where only the upper layers
    adapt to a new board size."""
    trunk = net.trunk
    for i, conv in enumerate(trunk.convs[:layers]):
        conv.requires_grad_(False)
        if trunk.norms is not None:
            trunk.norms[i].requires_grad_(False)


def make_optimizer(cfg: TrainConfig, net: nn.Module) -> torch.optim.Optimizer:
    """The run's optimiser: weight decay on the weights only; a dual
    network's heads in groups of their own when their learning rate is
    ``value_head_lr_scale`` or ``policy_head_lr_scale`` times the
    schedule's (``lr_scale``).  The groups in a fixed order, the rest of
    the network's first (weights, then biases), so that a checkpoint's
    optimiser state loads into the groups it came from."""
    scales = [1.0]
    if cfg.kind == "dual":
        scales += [cfg.value_head_lr_scale, cfg.policy_head_lr_scale]

    def part(name: str) -> int:
        """0: the rest, 1: the value head, 2: the policy head (each only
        when its rate differs)."""
        for i, head in ((1, VALUE_HEAD), (2, POLICY_HEAD)):
            if len(scales) > i and scales[i] != 1.0 and name.startswith(head):
                return i
        return 0

    params: dict[tuple[int, bool], list[nn.Parameter]] = {}
    for name, p in net.named_parameters():
        params.setdefault((part(name), p.ndim <= 1), []).append(p)
    groups = [{"params": params.get(key, []), "lr_scale": scales[key[0]],
               "weight_decay": 0.0 if key[1] else cfg.weight_decay}
              for key in sorted(params.keys() | {(0, False), (0, True)})]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=True)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")


def loss_and_metrics(cfg: TrainConfig, net: Any, x: torch.Tensor, move: torch.Tensor,
                     value: torch.Tensor, owner: torch.Tensor | None = None,
                     device: Device | None = None, move_probs: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, dict[str, float]]:
    """(loss, {metric: float}) for one batch on ``device`` (default: the
    CPU in ``cfg.bf16``'s precision); ``owner`` (value and dual
    networks): final-ownership targets for the auxiliary loss;
    ``move_probs``: the policy's targets in place of the moves played (a
    teacher's, ``--policy-teacher``; top-1 still counts the moves).  A dual
    network's loss is the policy's cross-entropy plus ``value_weight``
    times the value network's loss, its value error counted only where
    the game's winner is known (``value`` not 0).  ``net``: a network, or
    ``torch.compile``'s wrapper of one (which forwards its methods)."""
    device = device or resolve_device("cpu", cfg.bf16)
    with device.autocast():
        if cfg.kind == "dual":
            logits, out, own = net(x)
            if owner is None:
                own = None
        elif cfg.kind == "value" and owner is not None:
            logits, (out, own) = None, net.forward_with_ownership(x)
        elif cfg.kind == "value":
            logits, out, own = None, net(x), None
        else:
            logits, out, own = net(x), None, None
    metrics: dict[str, float] = {}
    loss: torch.Tensor | float = 0.0
    if logits is not None:
        logits = logits.float()
        loss = F.cross_entropy(logits, move if move_probs is None else move_probs)
        top5 = logits.topk(5, dim=1).indices
        metrics["top1"] = (top5[:, 0] == move).float().mean().item()
        metrics["top5"] = (top5 == move.unsqueeze(1)).any(dim=1).float().mean().item()
    if out is not None:
        out = out.float()
        if cfg.kind == "dual":
            metrics["policy_loss"] = float(loss.detach()) if isinstance(loss, torch.Tensor) else loss
            known = value != 0
            out, value = out[known], value[known]
        if len(value):
            value_loss = F.mse_loss(out, value)
            metrics["mse"] = value_loss.item()
            metrics["winner_acc"] = ((out > 0) == (value > 0)).float().mean().item()
        else:       # no winner known in this batch: the ownership alone
            value_loss = out.sum() * 0.0
        if own is not None:
            assert owner is not None        # the ownership is computed for its targets only
            own_mse = F.mse_loss(own.float(), owner)
            value_loss = value_loss + cfg.ownership_weight * own_mse
            metrics["ownership_mse"] = own_mse.item()
        loss = loss + (cfg.value_weight * value_loss if cfg.kind == "dual" else value_loss)
    assert isinstance(loss, torch.Tensor)       # every kind of network has a loss
    metrics["loss"] = loss.item()
    return loss, metrics


@torch.inference_mode()
def validate(cfg: TrainConfig, net: nn.Module, sample: Window, batch: int = 512,
             device: Device | None = None) -> dict[str, float]:
    device = device or resolve_device("cpu", cfg.bf16)
    net.eval()
    sums: dict[str, float] = {}
    count = 0
    for a in range(0, len(sample), batch):
        idx = np.arange(a, min(len(sample), a + batch))
        x = device.planes(sample.planes_of(idx), cfg.channels_last)
        move = device.to_device(torch.from_numpy(sample.move[idx]))
        value = device.to_device(torch.from_numpy(sample.value[idx]))
        owner = sample.owner_of(idx)
        owner = None if owner is None else device.to_device(torch.from_numpy(owner))
        _, m = loss_and_metrics(cfg, net, x, move, value, owner, device)
        for k, v in m.items():
            sums[k] = sums.get(k, 0.0) + v * len(idx)
        count += len(idx)
    net.train()
    return {k: v / count for k, v in sums.items()}


class Trainer:
    """One training run: owns the network, optimiser, stream and logs."""

    def __init__(self, cfg: TrainConfig, resume: bool = False, progress: bool = True,
                 command: str | None = None, reschedule: bool = False):
        """``resume``: go on with the run in ``cfg.out``: its design, with the
        fields ``TrainConfig`` marks ``resume`` from ``cfg`` (the stopping
        rules; with ``reschedule`` the learning-rate schedule too, e.g. a
        longer or shorter cosine)."""
        self.cfg = cfg
        assert cfg.out is not None      # resolved by TrainConfig.__post_init__, as data and val
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.command = command or " ".join(sys.argv)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        ckpt = None
        if resume:
            ckpt = self.load_checkpoint()
            self.cfg = cfg = resumed(from_dict(TrainConfig, ckpt["config"]), cfg,
                                     when={RESCHEDULE} if reschedule else ())
        assert cfg.data is not None and cfg.val is not None
        self.device = announce(resolve_device(cfg.device, cfg.bf16), f"train {cfg.kind}")
        torch.manual_seed(cfg.seed)
        self.net = build(cfg.net_config())      # on the CPU: the same start on every device
        if cfg.channels_last:
            # Module.to takes memory_format at run time; torch's annotations leave it out
            self.net = self.net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.net = self.net.to(self.device.torch)
        if cfg.init_from and ckpt is None:
            init_from_network(self.net, cfg.init_from)
        freeze_trunk(self.net, cfg.freeze_layers)
        self.opt = make_optimizer(cfg, self.net)
        self.scaler = self.device.grad_scaler()
        # the training steps' network: compiled if asked (its weights are self.net's)
        self.model = torch.compile(self.net) if cfg.compile else self.net
        # the networks whose outputs are a dual network's targets (distillation)
        self.teachers = {kind: load_model(path, kind).to(  # type: ignore[call-overload]
                             self.device.torch, memory_format=torch.channels_last)
                         for kind, path in (("policy", cfg.policy_teacher),
                                            ("value", cfg.value_teacher)) if path}
        per_game = cfg.per_game or (4 if cfg.kind == "value" else None)
        owner: np.ndarray | None = None
        val_owner: np.ndarray | None = None
        chosen: np.ndarray | None = None
        self.corpus: Corpus
        use_owner = cfg.kind in ("value", "dual") and cfg.ownership_weight > 0
        if cfg.selfplay:
            # AlphaGo's value data: one position per self-play game, its
            # final ownership estimated when the game ended
            found = load_value_positions(cfg.selfplay, cfg.size, cfg.max_games or None)
            print(f"self-play value positions: {found.corpus.games} games; "
                  f"{found.stats.summary()}", file=sys.stderr, flush=True)
            self.corpus, chosen = found.corpus, found.moves
            owner = found.ownership if use_owner else None
        else:
            self.corpus = load_corpus(cfg.data, cfg.size, max_games=cfg.max_games or None,
                                      progress=progress)
            if use_owner:
                owner = final_ownership(self.corpus, cfg.ownership_playouts,
                                        cache=self.out / "ownership-train.npy")
        self.stream = PositionStream(self.corpus, cfg.planes, cfg.batch_size, cfg.seed,
                                     cfg.window_games, per_game, need_winner=cfg.kind == "value",
                                     symmetries=cfg.symmetries, ownership=owner, chosen=chosen,
                                     workers=cfg.window_workers(self.device.accelerated))
        self.val_sample: Window | None = None
        if cfg.val and cfg.val_positions:
            val_corpus = load_corpus(cfg.val, cfg.size, max_games=max(50, cfg.val_positions // 2))
            if use_owner:
                val_owner = final_ownership(val_corpus, cfg.ownership_playouts,
                                            cache=self.out / "ownership-val.npy")
            self.val_sample = fixed_sample(val_corpus, cfg.planes, cfg.val_positions,
                                           need_winner=cfg.kind != "policy", ownership=val_owner)
        self.positions = 0
        self.steps = 0
        self.elapsed = 0.0          # training wall time over all sessions
        self.cpu_seconds = 0.0      # training CPU time (all threads) over all sessions
        self.best: dict[str, float] | None = None
        self.last_val_at = 0
        if ckpt is not None:
            self.net.load_state_dict(ckpt["model"])
            self.opt.load_state_dict(ckpt["optimizer"])
            self.stream.restore(ckpt["stream"])
            self.positions = ckpt["positions"]
            self.steps = ckpt["steps"]
            self.elapsed = ckpt["elapsed"]
            self.cpu_seconds = ckpt.get("cpu_seconds", 0.0)
            self.best = ckpt.get("best")
            self.last_val_at = ckpt.get("last_val_at", 0)
            torch.set_rng_state(ckpt["torch_rng"])
            if "scaler" in ckpt:
                self.scaler.load_state_dict(ckpt["scaler"])
        self.writer: SummaryWriter | None = None
        self._stop = False

    # ---- persistence --------------------------------------------------
    def load_checkpoint(self) -> dict[str, Any]:
        path = self.out / "checkpoint.pt"
        if not path.exists():
            raise FileNotFoundError(f"no checkpoint to resume in {self.out}")
        # on the CPU whatever device wrote it: load_state_dict moves it to ours
        return torch.load(path, weights_only=True, map_location="cpu")

    def save_checkpoint(self) -> None:
        state = {"config": asdict(self.cfg), "model": self.net.state_dict(),
                 "optimizer": self.opt.state_dict(), "stream": self.stream.state(),
                 "positions": self.positions, "steps": self.steps, "elapsed": self.elapsed,
                 "cpu_seconds": self.cpu_seconds,
                 "best": self.best, "last_val_at": self.last_val_at,
                 "torch_rng": torch.get_rng_state()}
        if self.scaler.is_enabled():
            state["scaler"] = self.scaler.state_dict()
        with atomic_write(self.out / "checkpoint.pt") as f:
            torch.save(state, f)

    def provenance(self, metrics: dict[str, float] | None = None) -> dict[str, Any]:
        return {"command": self.command, "git_commit": git_commit(),
                "train_config": asdict(self.cfg), "positions_seen": self.positions,
                "steps": self.steps, "wall_hours": round(self.elapsed / 3600, 3),
                "cpu_hours": round(self.cpu_seconds / 3600, 3),
                "machine": machine_description(), "validation": metrics or {},
                "data": [Path(p).name for p in self.cfg.data or []] or [str(self.cfg.selfplay)],
                "val_data": [Path(p).name for p in self.cfg.val or []]}

    def export(self, name: str, metrics: dict[str, float] | None = None) -> None:
        net = build(self.net.cfg)
        net.load_state_dict(self.net.state_dict())
        net.eval()
        net.cfg.provenance = self.provenance(metrics)
        save_model(net, self.out / name)

    def log(self, split: str, metrics: dict[str, float], lr: float | None = None) -> None:
        if self.writer is None:
            from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(str(self.out / "tb"))
        for k, v in metrics.items():
            self.writer.add_scalar(f"{split}/{k}", v, self.positions)
        if lr is not None:
            self.writer.add_scalar("lr", lr, self.positions)
        path = self.out / "metrics.csv"
        new = not path.exists()
        with open(path, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(["positions", "hours", "cpu_hours", "split", "metrics"])
            w.writerow([self.positions, round(self.elapsed / 3600, 4),
                        round(self.cpu_seconds / 3600, 4), split,
                        json.dumps({k: round(v, 5) for k, v in metrics.items()})])

    # ---- the loop -----------------------------------------------------
    def _request_stop(self) -> None:
        self._stop = True

    def run(self) -> dict[str, float] | None:
        cfg = self.cfg
        start = time.time()
        cpu_start = time.process_time()
        session_start_elapsed = self.elapsed
        session_start_cpu = self.cpu_seconds
        last_ckpt = time.time()
        bar = None
        if self.progress:
            from tqdm import tqdm
            total = cfg.max_positions or None
            bar = tqdm(total=total, initial=self.positions, unit="pos", unit_scale=True,
                       desc=f"train {cfg.kind}", smoothing=0.05)
        run_metrics: dict[str, float] = {}
        with stop_requests(self._request_stop):
            try:
                self.net.train()
                while not self._stop:
                    if cfg.max_positions and self.positions >= cfg.max_positions:
                        break
                    if cfg.max_minutes and time.time() - start >= cfg.max_minutes * 60:
                        break
                    if cfg.max_cpu_minutes and self.cpu_seconds >= cfg.max_cpu_minutes * 60:
                        break
                    m, lr, count = self.step()
                    self.elapsed = session_start_elapsed + (time.time() - start)
                    self.cpu_seconds = session_start_cpu + (time.process_time() - cpu_start)
                    for k, v in m.items():
                        run_metrics[k] = 0.98 * run_metrics.get(k, v) + 0.02 * v
                    if bar is not None:
                        bar.update(count)
                        if self.steps % 10 == 0:
                            bar.set_postfix({k: f"{v:.3f}" for k, v in run_metrics.items()} |
                                            {"lr": f"{lr:.4f}"}, refresh=False)
                    if self.steps % 50 == 0:
                        self.log("train", run_metrics, lr)
                    if self.val_sample is not None and self.positions - self.last_val_at >= cfg.val_every:
                        self.validate_and_export()
                        last_ckpt = time.time()
                    elif time.time() - last_ckpt >= cfg.checkpoint_minutes * 60:
                        self.save_checkpoint()
                        last_ckpt = time.time()
            finally:
                if bar is not None:
                    bar.close()
                self.stream.close()
        self.validate_and_export()
        if self.writer is not None:
            self.writer.close()
        return self.best

    def step(self) -> tuple[dict[str, float], float, int]:
        """One optimisation step on the next batch: (metrics, lr, positions)."""
        return self.learn(*self.on_device(*self.stream.next_batch()))

    def on_device(self, planes: np.ndarray, move: np.ndarray, value: np.ndarray,
                  owner: np.ndarray | None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """A batch of the stream as the device's tensors: (x, move, value, owner)."""
        dev = self.device
        return (dev.planes(planes, self.cfg.channels_last), dev.to_device(torch.from_numpy(move)),
                dev.to_device(torch.from_numpy(value)),
                None if owner is None else dev.to_device(torch.from_numpy(owner)))

    def learn(self, x: torch.Tensor, move: torch.Tensor, value: torch.Tensor,
              owner: torch.Tensor | None) -> tuple[dict[str, float], float, int]:
        """One optimisation step on a batch already on the device
        (``on_device``): (metrics, lr, positions)."""
        cfg = self.cfg
        lr = learning_rate(cfg, self.positions)
        for g in self.opt.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        move_probs = None
        with torch.no_grad(), self.device.autocast():
            if "policy" in self.teachers:
                teacher = self.teachers["policy"]
                move_probs = F.softmax(teacher(x[:, :teacher.cfg.planes]).float(), dim=1)
            if "value" in self.teachers:
                value = self.teachers["value"](x).float()
        loss, m = loss_and_metrics(cfg, self.model, x, move, value, owner, self.device, move_probs)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        self.positions += len(move)
        self.steps += 1
        return m, lr, len(move)

    def validate_and_export(self) -> None:
        metrics = (validate(self.cfg, self.net, self.val_sample, device=self.device)
                   if self.val_sample is not None else {})
        self.last_val_at = self.positions
        if metrics:
            self.log("val", metrics)
            # a dual network's is its whole loss, the heads weighed as trained
            key = {"policy": "top1", "value": "mse", "dual": "loss"}[self.cfg.kind]
            better = self.best is None or (metrics[key] > self.best[key] if key == "top1"
                                           else metrics[key] < self.best[key])
            if better:
                self.best = dict(metrics, positions=self.positions)
                self.export("best.safetensors", metrics)
            print(f"[val] positions {self.positions:,}  " +
                  "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()), file=sys.stderr, flush=True)
        self.export("model.safetensors", metrics)
        self.save_checkpoint()


@dataclass(frozen=True)
class TrainCommand:
    """How ``tengen train policy|value|dual`` runs, beside the run's design
    (``TrainConfig``): never saved with the run."""
    resume: bool = option_of(Resume, "resume")
    reschedule: bool = option(False, help="with --resume: take --lr, --schedule-positions and "
                                          "--min-lr-fraction from this command line (the "
                                          "cosine continues from the positions already seen)")
    progress: bool = option_of(Progress, "progress")

    def __post_init__(self) -> None:
        require(self.resume or not self.reschedule, "--reschedule goes with --resume")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``tengen train policy``, ``value`` and ``dual``."""
    add_options(parser, TrainConfig)
    add_options(parser, TrainCommand)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cfg = parse_config(parser, TrainConfig, args, kind=args.kind)
    run = parse_config(parser, TrainCommand, args)
    if not cfg.data and not cfg.selfplay:
        parser.error("no training data: pass --data (or --selfplay DIR for the value network)")
    if cfg.selfplay and not Path(cfg.selfplay).exists():
        parser.error(f"--selfplay {cfg.selfplay}: no such file or directory")
    trainer = Trainer(cfg, resume=run.resume, progress=run.progress, reschedule=run.reschedule)
    best = trainer.run()
    print(json.dumps({"positions": trainer.positions, "best": best}))
    return 0
