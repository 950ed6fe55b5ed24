"""``tengen bench TARGET [--json]``: speed measurements.

Each target is a module with a ``Config`` dataclass (its options) and
``run(config)`` returning a flat dict of figures; ``--json`` prints it as
one JSON object.  Figures and the commands that produced them are kept in
BENCHMARKS.md.
"""

import argparse
import importlib
import json

from nets.device import DeviceError
from tengen.base.config import add_options, from_args, parse_config
from tengen.base.control import JsonOutput

TARGETS = {
    "board": "tengen.bench.board",
    "features": "tengen.bench.features",
    "net": "tengen.bench.net",
    "mcts": "tengen.bench.mcts",
    "rollout": "tengen.bench.rollout",
    "selfplay": "tengen.bench.selfplay",
    "train": "tengen.bench.train",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, modname in TARGETS.items():
        module = importlib.import_module(modname)
        p = sub.add_parser(name, help=(module.__doc__ or "").splitlines()[0].split(": ", 1)[-1])
        add_options(p, JsonOutput)
        add_options(p, module.Config)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    module = importlib.import_module(TARGETS[args.target])
    try:
        result = module.run(parse_config(parser, module.Config, args))
    except DeviceError as e:      # a device asked for but absent
        parser.error(str(e))
    if from_args(JsonOutput, args).json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for k, v in result.items():
            print(f"{k:<{width}}  {v}")
    return 0
