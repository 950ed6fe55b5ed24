"""The ``tengen`` console command.

Dispatch only: each subcommand lives in the module that owns it and
exposes ``add_arguments(parser)`` and ``main(args, parser)``; only the
chosen module is imported, so ``tengen gtp`` starts without loading
PyTorch or compiling.  A command with kinds (``tengen train policy``) maps
each kind to its own module; the module finds the kind in ``args.kind``.
"""

import argparse
import importlib
import sys

COMMANDS = {
    "gtp": ("gtp.server", "play over GTP on stdin/stdout (for Go GUIs)"),
    "bench": ("bench.cli", "measure speed (board, features, net, mcts, rollout)"),
    "train": ({
        "policy": ("nets.train", "the policy network, from SGF games"),
        "value": ("nets.train", "the value network, from SGF games"),
        "rollout": ("rollout.train", "the fast rollout policy, from SGF games"),
        "rl": ("selfplay.command", "the RL policy, by REINFORCE on self-play games"),
    }, "train the policy or value network, the rollout policy, or the RL policy"),
    "selfplay": ("selfplay.command", "self-play: the RL policy, value positions, gating"),
    "gate": ("selfplay.gating", "match a candidate policy against the best: promote or not"),
    "eval": ("nets.evaluate", "how well the networks and the rollout policy predict SGF games"),
    "match": ("referee.match", "referee games between two GTP engines"),
}


def _parser_for(prog: str, help_text: str, module_name: str) -> tuple[argparse.ArgumentParser,
                                                                      object]:
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=prog, description=help_text)
    module.add_arguments(parser)
    return parser, module


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    top = argparse.ArgumentParser(prog="tengen", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in COMMANDS:
        top.parse_args(argv or ["--help"])
        return 2
    name, rest = argv[0], argv[1:]
    target, help_text = COMMANDS[name]
    kind = None
    if isinstance(target, dict):
        kinds = argparse.ArgumentParser(prog=f"tengen {name}", description=help_text)
        ksub = kinds.add_subparsers(dest="kind", metavar="KIND")
        for k, (_, khelp) in target.items():
            ksub.add_parser(k, help=khelp, add_help=False)
        if not rest or rest[0] not in target:
            kinds.parse_args(rest or ["--help"])
            return 2
        kind, rest = rest[0], rest[1:]
        target, help_text = target[kind]
        name = f"{name} {kind}"
    parser, module = _parser_for(f"tengen {name}", help_text, target)
    args = parser.parse_args(rest)
    args.kind = kind
    return module.main(args, parser) or 0


if __name__ == "__main__":
    sys.exit(main())
