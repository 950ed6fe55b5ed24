"""``tengen selfplay`` (the whole loop: RL games, the RL policy, value
positions, gating) and ``tengen train rl`` (the RL policy alone: the same
loop with no value games and no gating unless asked for).

What a run directory holds (``--out``):

* ``checkpoint.pt``: policy, optimiser, iteration, pool, best version (atomic);
* ``policy.safetensors`` (the current RL policy), ``best.safetensors`` (the
  gated best; ``best/`` keeps it by version), ``start/`` (the networks it
  started from), ``pool/`` (the opponents), ``candidates/`` (a policy being
  gated);
* ``sgf/it<N>-<batch>/g<k>.sgf``: every game, players and seed in the root;
* ``shards/rl/`` and ``shards/value/``: the training records (``nets.shards``);
  ``tengen train value --selfplay DIR/shards/value`` trains on the latter;
* ``metrics.csv`` (a row per iteration), ``promotions.csv`` (a row per
  gate), ``gates/`` (the gate games), ``tb/`` (TensorBoard).
"""

import argparse
import json
import sys

from tengen.base.config import add_options, from_args, given_options, parse_config
from tengen.base.control import Logging, Progress, Resume

from .config import RunConfig

# ``tengen train rl``: the RL policy alone, unless these are given
RL_ONLY = {"value_games": 0, "gate_every": 0, "out": "runs/rl"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, RunConfig)
    add_options(parser, Resume)
    add_options(parser, Progress)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    Logging().configure()
    given = {}
    if getattr(args, "kind", None) == "rl":
        given = {k: v for k, v in RL_ONLY.items() if not hasattr(args, k)}
    cfg = parse_config(parser, RunConfig, args, **given)
    from .loop import SelfPlayRun

    try:
        run = SelfPlayRun(cfg, resume=from_args(Resume, args).resume,
                          progress=from_args(Progress, args).progress, given=given_options(args))
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"tengen selfplay: {e}", file=sys.stderr)
        return 2
    try:
        workers = run.make_workers()
    except RuntimeError as e:
        print(f"tengen selfplay: {e}", file=sys.stderr)
        return 2
    print(f"selfplay: {run.out}: iteration {run.iteration}, best v{run.best}, "
          f"{'Ray, ' + str(cfg.workers) + ' workers' if cfg.workers > 1 or cfg.ray_address else 'one process'}; "
          f"disk kept to {cfg.max_sgf_mb} MB of SGF + {cfg.max_rl_shard_mb} MB of RL shards "
          "(value shards kept whole)", file=sys.stderr, flush=True)
    result = run.run(workers)
    print(json.dumps(result))
    return 0
