"""``tengen bench train``: training positions per second on a device, and the data stream alone.

Three rates, in positions per wall-clock second, of ``tengen train policy``
with the network and the device given:

* ``train_pos_per_s``: whole steps (``nets.train.Trainer.step``: the next
  batch from the window stream, onto the device, forward, backward, the
  optimiser), timed until the stream has crossed two window rebuilds, with the
  run's loader workers building windows ahead;
* ``compute_pos_per_s``: the same step on one batch already on the device
  (``Trainer.learn``): what the device does with no data to wait for,
  timed in blocks alternating with the whole steps so both see the same
  machine;
* ``stream_pos_per_s``: the data stream alone, before the steps: batches
  taken from the stream and put on the device, no step (the stream is then
  rewound, ``PositionStream.restore``).

``stream_bound`` is true when the stream is slower than the device, so the
stream and not the device sets the training rate.  Every step waits for the
device (its metrics are read back), so the rates are the device's own.
"""

import tempfile
import time
from dataclasses import dataclass

from nets.config import NetworkConfig
from nets.device import check_device
from nets.model import NetConfig
from nets.train_config import TrainConfig
from tengen.base.config import at_least, option, option_of
from tengen.base.paths import default_archives

from .timing import interleaved_rates


@dataclass(frozen=True)
class Config:
    data: list[str] | None = option(
        None, metavar="PATH", help="training games: SGF archives or packed corpora (tengen "
                                   "pack; default: the first training archive)")
    max_games: int = option(1000, help="games read")
    width: int = option_of(NetConfig, "width")
    layers: int = option_of(NetConfig, "layers")
    arch: str = option_of(NetConfig, "arch")
    blocks: int = option_of(NetConfig, "blocks")
    batch_size: int = option_of(TrainConfig, "batch_size")
    window_games: int = option(10, help="games per window (few, so that the timed steps "
                                        "cross window rebuilds)")
    seconds: float = option(10.0, help="time of each measurement")
    loader_workers: int | None = option_of(TrainConfig, "loader_workers")
    compile: bool = option_of(TrainConfig, "compile")
    bf16: bool | None = option_of(TrainConfig, "bf16")
    threads: int = option(0, help="PyTorch threads (0: all cores)")
    device: str = option_of(NetworkConfig, "device")

    def __post_init__(self) -> None:
        at_least(self, 1, "max_games", "batch_size", "window_games")
        check_device(self.device)


def run(args: Config) -> dict:
    from nets.train import Trainer

    data = args.data or default_archives()[0][:1]
    if not data:
        raise SystemExit("tengen bench train: no training games (pass --data)")
    with tempfile.TemporaryDirectory() as tmp:
        tc = TrainConfig(kind="policy", data=data, val=[], out=tmp, width=args.width,
                         layers=args.layers, arch=args.arch, blocks=args.blocks,
                         batch_size=args.batch_size, bf16=args.bf16, max_games=args.max_games,
                         window_games=args.window_games, val_positions=0, device=args.device,
                         compile=args.compile, loader_workers=args.loader_workers,
                         threads=args.threads)
        trainer = Trainer(tc, progress=False)
        dev, b = trainer.device, tc.batch_size
        try:
            trainer.step()              # the first window; compiling, if asked
            stream = trainer.stream
            saved = stream.state()

            def fetch() -> None:
                trainer.on_device(*stream.next_batch())
                dev.synchronize()       # the copy done, as a step would wait for it

            fetch()
            done, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < args.seconds:
                fetch()
                done += b
            stream_rate = done / (time.perf_counter() - t0)
            stream.restore(saved)
            fixed = trainer.on_device(*stream.next_batch())

            def windows() -> int:
                state = stream.state()
                return state["epoch"] * stream.windows_per_epoch + state["window"]

            start = windows()
            train_rate, compute_rate = interleaved_rates(
                [lambda: trainer.step()[2], lambda: trainer.learn(*fixed)[2]], args.seconds,
                until=lambda: windows() - start >= 2)
        finally:
            trainer.stream.close()
    cfg = trainer.net.cfg
    return {"device": dev.describe(), "precision": dev.precision, "compiled": tc.compile,
            "arch": cfg.arch, "width": cfg.width,
            "depth": cfg.layers if cfg.arch == "plain" else cfg.blocks, "batch_size": b,
            "loader_workers": tc.window_workers(dev.accelerated),
            "train_pos_per_s": round(train_rate), "compute_pos_per_s": round(compute_rate),
            "stream_pos_per_s": round(stream_rate),
            "stream_bound": bool(stream_rate < compute_rate),
            "train_ratio": round(train_rate / compute_rate, 3)}
