"""``tengen bench TARGET [--json]``: speed measurements.

Each target is a module with ``add_arguments(parser)`` and ``run(args)``
returning a flat dict of figures; ``--json`` prints it as one JSON object.
"""

import importlib
import json

TARGETS = {
    "board": "bench.board",
    "features": "bench.features",
    "net": "bench.net",
    "mcts": "bench.mcts",
    "rollout": "bench.rollout",
    "selfplay": "bench.selfplay",
}


def add_arguments(parser):
    sub = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, modname in TARGETS.items():
        p = sub.add_parser(name)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        importlib.import_module(modname).add_arguments(p)


def main(args, parser=None):
    result = importlib.import_module(TARGETS[args.target]).run(args)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for k, v in result.items():
            print(f"{k:<{width}}  {v}")
    return 0
