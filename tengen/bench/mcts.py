"""``tengen bench mcts``: search visits per second against the raw networks.

The ceiling is the default networks' own batched throughput at the
search's batch size, on planes already in memory: the policy network alone
(``policy_pos_per_s``) and the policy plus value network
(``networks_pos_per_s``, what every leaf of the search needs: one pass of
a two-headed network, ``--model dual.safetensors``).  The
ratios show what selection, encoding, expansion and backup cost on top of
the networks.  Rollouts off unless ``--rollouts``.
"""

import time
from dataclasses import dataclass

import numpy as np

from engine.game import Game
from mcts.config import SearchConfig
from nets.config import NetworkConfig, check_runtime
from nets.device import check_device
from tengen.base.config import option, option_of

from .timing import interleaved_rates


@dataclass(frozen=True)
class Config:
    model: str = option("default", help="model file or directory (default: tengen/models/)")
    seconds: float = option(10.0, help="search time per position")
    positions: int = option(3, help="positions searched")
    batch_size: int = option_of(SearchConfig, "batch_size")
    gpu_batch_size: int = option_of(SearchConfig, "gpu_batch_size")
    threads: int = option(0, help="threads running the networks, PyTorch's or ONNX Runtime's "
                                  "(0: all cores)")
    device: str = option_of(NetworkConfig, "device")
    runtime: str = option_of(NetworkConfig, "runtime")
    rollouts: bool = option(False, help="mix in fast rollouts (lambda 0.5; default off)")
    expand_threshold: int = option_of(SearchConfig, "expand_threshold")

    def __post_init__(self) -> None:
        check_device(self.device)
        check_runtime(self.runtime)

def _positions(count: int) -> list[Game]:
    """Mid-game 19x19 positions from the validation games when present,
    else the empty board."""
    from engine.sgf.archive import iter_records
    from tengen.base.paths import default_archives

    _, val = default_archives()
    games: list[Game] = []
    if val:
        for rec in iter_records(val):
            games.append(rec.to_game(upto=min(len(rec.moves), 60 + 40 * len(games))))
            if len(games) >= count:
                break
    while len(games) < count:
        games.append(Game())
    return games


def run(args: Config) -> dict:
    import torch

    from mcts.search import OnePassEvaluator, Search
    from nets.features import VALUE_PLANES
    from nets.inference import Networks

    # the threads of whichever runtime answers (Networks sets PyTorch's too)
    nets = Networks.from_spec(args.model, device=args.device, runtime=args.runtime,
                              threads=args.threads or None)
    rollout = None
    if args.rollouts:
        from nets.rollout.policy import load_rollout
        rollout = load_rollout()
    cfg = SearchConfig(batch_size=args.batch_size, gpu_batch_size=args.gpu_batch_size,
                       rollouts=args.rollouts, reuse_tree=False,
                       expand_threshold=args.expand_threshold)
    search = Search(nets, cfg, rollout)
    games = _positions(args.positions)
    search.set_position(games[0])
    search.run(visits=2 * search.batch_size)  # compile and warm up
    visits, elapsed, cpu = 0, 0.0, 0.0
    for g in games:
        search.set_position(g)
        start, cpu_start = time.perf_counter(), time.process_time()
        visits += search.run(seconds=args.seconds, early_stop=False)
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    visit_rate = visits / elapsed

    b = search.batch_size       # the device's: --batch-size, or --gpu-batch-size on a GPU
    planes = (np.random.default_rng(0).random((b, VALUE_PLANES, 19, 19)) < 0.3).astype(np.uint8)

    def policy_step() -> int:
        nets.policy(planes)
        return b

    one_pass = nets if isinstance(nets, OnePassEvaluator) else None

    def networks_step() -> int:
        if one_pass is not None:
            one_pass.policy_and_value(planes)
        else:
            nets.policy(planes)
            nets.value(planes)
        return b
    if nets.value_net is not None:
        pol, both = interleaved_rates([policy_step, networks_step], 6.0)
    else:
        pol, = interleaved_rates([policy_step], 3.0)
        both = pol
    # per CPU second too: on a shared machine the wall clock counts the
    # time other jobs held the core (one thread: the process's CPU time is
    # the search's)
    return {"visits_per_s": round(visit_rate, 1), "visits_per_cpu_s": round(visits / cpu, 1), "policy_pos_per_s": round(pol, 1),
            "networks_pos_per_s": round(both, 1), "ratio_to_policy": round(visit_rate / pol, 3),
            "ratio_to_networks": round(visit_rate / both, 3), "batch_size": b,
            "rollouts": bool(args.rollouts), "threads": torch.get_num_threads(),
            "bf16": nets.bf16, "value_net": nets.value_net is not None,
            "two_headed": one_pass is not None,
            "runtime": "onnx-int8" if nets.policy_int8 is not None else "torch",
            "expand_threshold": cfg.expand_threshold, "device": nets.device.describe()}
