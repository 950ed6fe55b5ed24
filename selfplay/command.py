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
import logging
import sys

from tengen.base.config import add_options, parse_config

from .config import RESUMED_IF_GIVEN, RunConfig

# ``tengen train rl``: the RL policy alone, unless these are given
RL_ONLY = {"value_games": 0, "gate_every": 0, "out": "runs/rl"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, RunConfig)
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    given = {}
    if getattr(args, "kind", None) == "rl":
        given = {k: v for k, v in RL_ONLY.items() if not hasattr(args, k)}
    cfg = parse_config(parser, RunConfig, args, **given)
    from .loop import SelfPlayRun

    try:
        run = SelfPlayRun(cfg, resume=args.resume, progress=not args.no_progress,
                          given={k for k in RESUMED_IF_GIVEN if hasattr(args, k)})
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
