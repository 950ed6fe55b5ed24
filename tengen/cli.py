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

# a command: (its module, or a table of its kinds, each (module, help)), its help
Table = dict[str, tuple["str | Table", str]]

COMMANDS: Table = {
    "gtp": ("tengen.gtp.server", "play over GTP on stdin/stdout (for Go GUIs)"),
    "bench": ("tengen.bench.cli", "measure speed (board, features, net, mcts, rollout)"),
    "train": ({
        "policy": ("nets.train", "the policy network, from SGF games"),
        "value": ("nets.train", "the value network, from SGF games"),
        "dual": ("nets.train", "one network with a policy and a value head, from SGF games"),
        "rollout": ("nets.rollout.train", "the fast rollout policy, from SGF games"),
        "rl": ("selfplay.command", "the RL policy, by REINFORCE on self-play games"),
    }, "train the policy, value or two-headed network, the rollout policy, or the RL policy"),
    "selfplay": ("selfplay.command", "self-play: the RL policy, value positions, gating"),
    "gate": ("selfplay.gating", "match a candidate policy against the best: promote or not"),
    "pack": ("engine.corpus", "pack SGF archives into one compact corpus file (tengen train and eval read it)"),
    "eval": ("nets.evaluate", "how well the networks and the rollout policy predict SGF games"),
    "match": ("tengen.referee.command", "referee games between two GTP engines"),
    "analyze": ("tengen.review.command", "review SGF games: annotated SGF, HTML report, graph, JSON"),
    "analysis": ("tengen.analysis_engine.command", "KataGo's JSON analysis protocol on stdin/stdout (KaTrain, q5Go)"),
    "calibrate": ("tengen.review.calibration", "how well tengen analyze's win rates predict real results"),
    "calibrate-value": ("nets.score_fit", "fit the value network's score and win-rate calibration on training games, measure it on held-out ones"),
    "quantize": ("nets.quantize", "int8 versions of the networks, which ONNX Runtime runs faster on CPUs without native bf16 (pip install 'tengen[int8]')"),
    "warmup": ("tengen.gtp.warmup", "compile and load the engine once after installing (first moves quick)"),
}


def _choose(prog: str, help_text: str, table: Table, argv: list[str]) -> tuple[str, list[str]]:
    """The entry of ``table`` that ``argv`` starts with and the rest of
    ``argv``; a missing or unknown one prints the table's help (exit 2)."""
    chooser = argparse.ArgumentParser(prog=prog, description=help_text)
    sub = chooser.add_subparsers(dest="choice", metavar="COMMAND" if prog == "tengen" else "KIND")
    for name, (_, text) in table.items():
        sub.add_parser(name, help=text, add_help=False)
    if not argv or argv[0] not in table:
        chooser.parse_args(argv or ["--help"])
        raise SystemExit(2)
    return argv[0], argv[1:]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target: str | Table = COMMANDS
    prog, help_text, kind = "tengen", (__doc__ or "").splitlines()[0], None
    while isinstance(target, dict):
        try:
            choice, argv = _choose(prog, help_text, target, argv)
        except SystemExit as e:
            return int(e.code or 0)
        if prog != "tengen":
            kind = choice
        prog = f"{prog} {choice}"
        target, help_text = target[choice]
    module = importlib.import_module(target)
    parser = argparse.ArgumentParser(prog=prog, description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    args.kind = kind
    return module.main(args, parser) or 0


if __name__ == "__main__":
    sys.exit(main())
