"""``tengen bench selfplay``: self-play positions per second against the raw
network, and Ray's scaling from one worker to two.

The games: ``3 x --games`` games, ``--games`` of them in flight at a time
(a finished game's board goes to the next one waiting), as one worker
plays an iteration.

The ceiling is the policy network's own rate (``Networks.policy_logits``
on planes already in memory) at the batch the games actually ran at (the
mean over their network calls: boards drop out as their games end), timed
in the same process right after the games.  Both are per second of the
process's CPU time (one thread: the machine is shared, and time spent
descheduled is not the code's cost; ``*_wall`` is the wall clock), or with
the networks on a GPU of the wall clock (the process waits for the device;
``clock`` says which).  The ratio shows what playing
costs on top of the network: encoding, sampling, the rules, scoring each
finished game.  Both colours play the shipped policy, so one call serves
every board in flight.

Scaling: the same batches of 9x9 games (by default) played by one Ray worker
and by two, each on its own core, wall clock from the first job sent to the
last record back (the actors start and warm up before the clock runs).
"""

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.game_setup import GameSetup
from nets.config import NetworkConfig
from nets.device import check_device
from nets.features import VALUE_PLANES
from nets.inference import Networks
from selfplay.config import GameConfig, RunConfig
from selfplay.games import GameRunner, GameSpec, warm_up
from selfplay.workers import Job, RayWorkers
from tengen.base.config import at_least, option, option_of
from tengen.base.paths import MODELS_DIR, POLICY_FILE


@dataclass(frozen=True)
class Config:
    model: str = option(str(MODELS_DIR / POLICY_FILE), help="policy model")
    games: int | None = option(None, help="games in flight at once (default: a worker's, 32 on "
                                          "the CPU, 256 on a GPU: tengen selfplay's "
                                          "--batch-games and --gpu-batch-games)")
    sizes: list[int] = option(default_factory=lambda: [19, 9], help="board sizes (default 19 9)")
    threads: int = option(1, help="PyTorch threads")
    seconds: float = option(3.0, help="time of the raw measurement")
    ray: bool = option(True, help="measure 1 and 2 Ray workers (default on)")
    ray_size: int = option(9, help="board size of the Ray runs")
    ray_jobs: int = option(8, help="batches in each Ray run")
    device: str = option_of(NetworkConfig, "device")

    def __post_init__(self) -> None:
        at_least(self, 1, "games")
        check_device(self.device)


def _specs(count: int, seed: int = 0) -> list[GameSpec]:
    return [GameSpec(seed=seed + i, black="p", white="p") for i in range(count)]


def selfplay_rate(nets: Networks, size: int, games: int, seconds: float
                  ) -> tuple[float, float, int, int, int, float]:
    """(self-play positions/s, raw network positions/s at the same mean batch,
    mean batch, games, positions)."""
    cfg = GameConfig(setup=GameSetup(size=size), resign_threshold=0)
    warm_up(size)
    runner = GameRunner(cfg, {"p": nets})
    GameRunner(cfg, {"p": nets}).play(_specs(2, 999))       # the first calls: untimed
    # on a GPU the wall clock (the process waits for the device), else CPU time
    clock = time.perf_counter if nets.device.accelerated else time.process_time
    t0, w0 = clock(), time.perf_counter()
    played = runner.play(_specs(3 * games), in_flight=games)
    cpu, wall = clock() - t0, time.perf_counter() - w0
    positions = runner.positions             # no resignation: every call is the policy's
    batch = max(1, round(positions / runner.network_calls))
    planes = (np.random.default_rng(0).random((batch, VALUE_PLANES, size, size)) < 0.3
              ).astype(np.uint8)
    nets.policy_logits(planes)
    done, c0 = 0, clock()
    while clock() - c0 < seconds:
        nets.policy_logits(planes)
        done += batch
    ceiling = done / (clock() - c0)
    moves = sum(len(pg.game.moves) for pg in played)
    return positions / cpu, ceiling, batch, len(played), moves, positions / wall


def ray_rates(model: str, size: int, games: int, jobs: int, device: str = "cpu"
              ) -> dict[int, float]:
    """Positions per second with 1 and 2 Ray workers on the same jobs."""
    weights = Path(model).read_bytes()
    cfg = GameConfig(setup=GameSetup(size=size), resign_threshold=0)
    rates: dict[int, float] = {}
    for count in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            workers = RayWorkers(cfg, tmp, count, object_store_mb=100, device=device)
            try:
                refs = {0: workers.weights(0, weights)}
                warm = [Job("rl", 0, f"warm{i}", _specs(2, 500 + i), {"p": 0}, {})
                        for i in range(count)]
                list(workers.run(warm, refs))
                batch = [Job("rl", 1, f"j{i:03d}", _specs(games, 1000 * i), {"p": 0}, {})
                         for i in range(jobs)]
                t0 = time.perf_counter()
                moves = sum(r.moves for r in workers.run(batch, refs))
                rates[count] = moves / (time.perf_counter() - t0)
            finally:
                workers.close()
    return rates


def run(args: Config) -> dict:
    nets = Networks(policy_path=args.model, threads=args.threads, device=args.device)
    at_once = args.games or RunConfig().games_at_once(nets.device.accelerated)
    result = {"model": args.model, "games_at_once": at_once, "threads": args.threads,
              "bf16": nets.bf16, "device": nets.device.describe(),
              "clock": "wall" if nets.device.accelerated else "cpu"}
    for size in args.sizes:
        rate, ceiling, batch, games, moves, wall = selfplay_rate(nets, size, at_once,
                                                                 args.seconds)
        result[f"selfplay_pos_per_s_{size}x{size}"] = round(rate)
        result[f"selfplay_pos_per_s_wall_{size}x{size}"] = round(wall)
        result[f"raw_net_pos_per_s_{size}x{size}"] = round(ceiling)
        result[f"ratio_{size}x{size}"] = round(rate / ceiling, 3)
        result[f"mean_batch_{size}x{size}"] = batch
        result[f"moves_per_game_{size}x{size}"] = round(moves / games, 1)
    if args.ray:
        rates = ray_rates(args.model, args.ray_size, at_once, args.ray_jobs, args.device)
        s = args.ray_size
        result[f"ray_1_worker_pos_per_s_{s}x{s}"] = round(rates[1])
        result[f"ray_2_workers_pos_per_s_{s}x{s}"] = round(rates[2])
        result["ray_scaling_2_vs_1"] = round(rates[2] / rates[1], 3)
    return result
