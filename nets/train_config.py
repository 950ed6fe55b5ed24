"""The design of one supervised training run (``TrainConfig``: what
``tengen train policy|value|dual`` takes on its command line, generated from the
fields) and its learning-rate schedule, a function of the positions seen so
that a resumed run continues on the same curve.
"""

import math
from dataclasses import dataclass, fields
from typing import Any

from tengen.base.config import ALWAYS, at_least, option, option_of, require
from tengen.base.paths import resolve_games, training_games_option, validation_games_option

from .config import NetworkConfig
from .device import check_device
from .features import POLICY_PLANES, VALUE_PLANES
from .model import KINDS, NetConfig

# ``option(resume=RESCHEDULE)``: what a resumed run takes from its new
# command line with ``--reschedule`` (the learning-rate schedule)
RESCHEDULE = "reschedule"


@dataclass
class TrainConfig:
    """One supervised training run of the policy, the value or the
    two-headed (``dual``) network.
    The stopping rules (``max_*``, ``checkpoint_minutes``, ``threads``)
    may change when a run is resumed, and the learning-rate schedule with
    ``--reschedule`` (the fields marked ``resume``); the rest is the run's
    design.  The network's shape is ``NetConfig``'s options
    (``net_config``)."""
    kind: str = "policy"              # one of nets.model.KINDS: the subcommand
    size: int = option(19, help="board size of the games to train on")
    data: list[str] | None = training_games_option()
    val: list[str] | None = validation_games_option()
    out: str | None = option(None, metavar="DIR", help="run directory (default runs/KIND)")
    width: int = option_of(NetConfig, "width")
    layers: int = option_of(NetConfig, "layers")
    arch: str = option_of(NetConfig, "arch")
    blocks: int = option_of(NetConfig, "blocks")
    global_pool: bool = option_of(NetConfig, "global_pool")
    batchnorm: bool = option_of(NetConfig, "batchnorm")
    optimizer: str = option("adam", choices=("sgd", "adam", "adamw"),
                            help="sgd (Nesterov momentum), adam or adamw")
    lr: float = option(0.001, resume=RESCHEDULE, help="peak learning rate")
    momentum: float = option(0.9, help="sgd momentum")
    weight_decay: float = option(1e-4, help="weight decay of the weights (not biases)")
    batch_size: int = option(256, help="positions per step")
    bf16: bool | None = option(None, help="bf16 autocast (default: the device's: on the CPU "
                                          "where it has native bf16, AVX-512 BF16 or AMX, "
                                          "else fp32; on a GPU bf16 where supported, else "
                                          "fp16; --no-bf16: fp32 on the CPU, fp16 with loss "
                                          "scaling on a GPU)")
    schedule_positions: int = option(40_000_000, resume=RESCHEDULE,
                                     help="positions over which the cosine learning rate "
                                          "decays")
    warmup_positions: int = option(50_000, help="positions of linear warm-up")
    min_lr_fraction: float = option(0.02, resume=RESCHEDULE,
                                    help="the cosine's floor, as a share of --lr")
    max_positions: int = option(0, resume=ALWAYS,
                                help="stop after this many positions (0: no limit)")
    max_minutes: float = option(0.0, resume=ALWAYS,
                                help="stop after this much wall time in this process "
                                     "(0: no limit)")
    max_cpu_minutes: float = option(0.0, resume=ALWAYS,
                                    help="stop once the run, all sessions together, used "
                                         "this much CPU time (0: no limit)")
    checkpoint_minutes: float = option(5.0, resume=ALWAYS, help="minutes between checkpoints")
    val_every: int = option(250_000, help="positions between validations")
    val_positions: int = option(8192, help="validation positions (4 per game)")
    window_games: int = option(1000, help="games encoded and shuffled together")
    per_game: int = option(0, help="positions per game (0: all for the policy, 4 for the value)")
    max_games: int = option(0, help="read at most this many training games (0: all)")
    seed: int = option(0, help="seed of the data order and the initial weights")
    threads: int = option(0, resume=ALWAYS, help="PyTorch threads (0: all cores)")
    device: str = option_of(
        NetworkConfig, "device", resume=ALWAYS,
        help="where the network trains: auto (a CUDA GPU, else Apple's MPS, else the CPU), "
             "cpu, cuda, cuda:N or mps; checkpoints and model files load on any device")
    compile: bool = option(False, resume=ALWAYS,
                           help="torch.compile the network (on a GPU, faster steps after a "
                                "minute or two of compiling)")
    loader_workers: int | None = option(
        None, metavar="N", resume=ALWAYS,
        help="processes that build the next training windows while the device trains "
             "(default 0 on the CPU, whose cores the steps use; 4 on a GPU)")
    symmetries: bool = True           # a random symmetry of the square per position
    selfplay: str | None = option(
        None, metavar="DIR", help="value: train on the self-play value positions in DIR "
        "(shards of tengen selfplay, one position per game with its final ownership) "
        "instead of --data; --max-games keeps the newest games")
    init_from: str = option("", metavar="MODEL",
                            help="start from this network (same trunk shape; a narrower one is "
                                 "widened): the trunk, and the heads too when it is of the same "
                                 "kind")
    freeze_layers: int = option(0, metavar="N", help="keep the first N trunk convolutions "
                                                      "fixed (fine-tuning; 0: train all)")
    ownership_weight: float = option(1.0, help="value, dual: weight of the final-ownership "
                                               "auxiliary loss against the value loss (0: off)")
    value_weight: float = option(1.0, help="dual: weight of the value head's losses (value "
                                           "and ownership) against the policy's "
                                           "cross-entropy (AlphaGo Zero's supervised run: 0.01)")
    value_teacher: str = option("", metavar="MODEL",
                                help="dual: a value network whose value of each training "
                                     "position is the value head's target instead of the "
                                     "game's result (distillation: a dense target, where a "
                                     "result is one bit a game)")
    policy_teacher: str = option("", metavar="MODEL",
                                 help="dual: a policy network whose move probabilities are the "
                                      "policy head's targets instead of the move played "
                                      "(distillation: a whole distribution a position)")
    value_head_lr_scale: float = option(1.0, help="dual: the value head's learning rate as a "
                                                  "multiple of --lr (for a head that starts "
                                                  "new where --init-from gives the rest)")
    policy_head_lr_scale: float = option(1.0, help="dual: the policy head's learning rate as a "
                                                   "multiple of --lr (the same, started from a "
                                                   "value network)")
    ownership_playouts: int = 24      # playouts estimating each game's final ownership
    channels_last: bool = True

    def __post_init__(self) -> None:
        require(self.kind in KINDS, f"unknown network kind {self.kind!r}")
        at_least(self, 1, "batch_size", "window_games")
        at_least(self, 0, "loader_workers")
        check_device(self.device)
        require(self.value_weight >= 0 and self.ownership_weight >= 0,
                "--value-weight and --ownership-weight must not be negative")
        require(self.value_head_lr_scale > 0 and self.policy_head_lr_scale > 0,
                "--value-head-lr-scale and --policy-head-lr-scale must be positive")
        require(not (self.value_teacher or self.policy_teacher) or self.kind == "dual",
                "--value-teacher and --policy-teacher teach a dual network's heads: "
                "tengen train dual")
        self.net_config()           # the network's own checks
        self.data, self.val = resolve_games(self.data, self.val)
        if self.out is None:
            self.out = f"runs/{self.kind}"
        require(self.selfplay is None or self.kind == "value",
                "--selfplay trains the value network: tengen train value --selfplay DIR")
        if self.selfplay is not None:
            self.data = []

    def window_workers(self, accelerated: bool) -> int:
        """Processes building windows ahead: ``loader_workers``, else none on
        the CPU and 4 on a GPU (one process encodes about 30,000 positions a
        second, BENCHMARKS.md "Net"; a GPU trains faster than that)."""
        if self.loader_workers is not None:
            return self.loader_workers
        return 4 if accelerated else 0

    @property
    def planes(self) -> int:
        return POLICY_PLANES if self.kind == "policy" else VALUE_PLANES

    def net_config(self) -> NetConfig:
        """The network this run trains: ``NetConfig`` with the fields this
        config shares with it (the kind, the input planes, the shape)."""
        return NetConfig(**{f.name: getattr(self, f.name) for f in fields(NetConfig)
                            if hasattr(self, f.name)})

    @classmethod
    def shaped_as(cls, net: NetConfig, **kw: Any) -> "TrainConfig":
        """A run that trains a network of ``net``'s kind and shape (``kw``:
        the rest of the run)."""
        shared = {f.name for f in fields(cls) if f.init} & {f.name for f in fields(NetConfig)}
        return cls(**{name: getattr(net, name) for name in shared}, **kw)


def learning_rate(cfg: TrainConfig, positions: int) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_fraction`` of ``lr``."""
    if positions < cfg.warmup_positions:
        return cfg.lr * max(positions, cfg.batch_size) / cfg.warmup_positions
    t = min(1.0, (positions - cfg.warmup_positions) /
            max(1, cfg.schedule_positions - cfg.warmup_positions))
    lo = cfg.min_lr_fraction
    return cfg.lr * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * t)))
