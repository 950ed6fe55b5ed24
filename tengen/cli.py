"""The ``tengen`` console command.

Dispatch only: each subcommand lives in the module that owns it and
exposes ``add_arguments(parser)`` and ``main(args, parser)``; only the
chosen module is imported, so ``tengen gtp`` starts without loading
PyTorch or compiling.
"""

import argparse
import importlib
import sys

COMMANDS = {
    "gtp": ("gtp.server", "play over GTP on stdin/stdout (for Go GUIs)"),
    "bench": ("bench.cli", "measure speed (board, features, net, mcts, rollout)"),
    "train": ("nets.train", "train the policy or value network, or the rollout policy"),
    "eval": ("nets.evaluate", "how well the networks and the rollout policy predict SGF games"),
    "match": ("referee.match", "referee games between two GTP engines"),
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    top = argparse.ArgumentParser(prog="tengen", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in COMMANDS:
        top.parse_args(argv or ["--help"])
        return 2
    name = argv[0]
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"tengen {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    return module.main(args, parser) or 0


if __name__ == "__main__":
    sys.exit(main())
