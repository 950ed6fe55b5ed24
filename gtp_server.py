"""tengen's GTP engine, for Go GUIs: ``python gtp_server.py`` or ``tengen gtp``.

GTP goes over stdin/stdout; stdout carries the responses only, logs go to
stderr.  Start-up is fast on purpose: this module imports nothing heavy, so
``name`` and ``protocol_version`` answer at once; the first Go command loads
the engine (Numba) and the player (``tengen.gtp_engine``), and a network
player loads PyTorch only when it first needs it.

Players are chosen with ``--player``; ``PLAYERS`` maps each name to a factory
``"module:callable"`` that takes an ``engine.player.PlayerOptions`` and
returns an ``engine.player.Player``.  Adding a player is one line here.
Without ``--player``, the tree search plays when the default policy network
(``models/policy.safetensors``) exists, else the random player.
"""

import argparse
import importlib
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from tengen import __version__
from tengen.gtp_protocol import GtpError, GtpServer, LineReader, TextOutput

PLAYERS = {
    "mcts": "mcts.player:SearchPlayer",
    "policy": "mcts.player:PolicyPlayer",
    "random": "engine.player:RandomPlayer",
}
NETWORK_PLAYERS = ("mcts", "policy")

# where nets.inference looks for the default networks (importing it here
# would import PyTorch at start-up)
DEFAULT_POLICY_MODEL = Path(__file__).resolve().parent / "models" / "policy.safetensors"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class EngineConfig:
    """What the command line sets.  ``status_playouts``: playouts per
    dead-stone estimate (``final_score``, ``final_status_list``).  The
    search settings (``visits`` to ``resign_threshold``) go to the player
    as ``engine.player.PlayerOptions``; None leaves the player's default."""
    player: str = "random"
    policy_model: str | None = None
    value_model: str | None = None
    size: int = 19
    komi: float = 7.5
    rules: str = "chinese"
    seed: int | None = None
    status_playouts: int = 200
    visits: int | None = None
    time_per_move: float | None = None
    batch_size: int | None = None
    lam: float | None = None
    rollouts: bool | None = None
    expand_threshold: int | None = None
    threads: int | None = None
    resign_threshold: float | None = None


def default_player(policy_model=None):
    """``mcts`` when a policy network is at hand, else ``random``."""
    return "mcts" if policy_model or DEFAULT_POLICY_MODEL.exists() else "random"


def make_player(config):
    """The player ``config.player`` names, built by its factory."""
    from engine.player import PlayerOptions
    if config.player not in PLAYERS:
        raise ValueError(f"unknown player {config.player!r}; known: {', '.join(sorted(PLAYERS))}")
    module, attr = PLAYERS[config.player].split(":")
    factory = getattr(importlib.import_module(module), attr)
    return factory(PlayerOptions(
        config.policy_model, config.value_model, config.seed, visits=config.visits,
        time_per_move=config.time_per_move, batch_size=config.batch_size, lam=config.lam,
        rollouts=config.rollouts, expand_threshold=config.expand_threshold,
        threads=config.threads,
        resign_threshold=config.resign_threshold))


def _no_args(func):
    def run(args):
        if args:
            raise GtpError("syntax error")
        return func()
    return run


def build_server(config):
    """A GtpServer with the protocol commands registered now and the Go
    commands registered on first use."""
    server = GtpServer()
    server.register("protocol_version", _no_args(lambda: "2"))
    server.register("name", _no_args(lambda: "tengen"))
    server.register("version", _no_args(lambda: __version__))

    def quit_():
        server.stopping = True
        return ""
    server.register("quit", _no_args(quit_))

    def load_engine(srv):
        from tengen.gtp_engine import GtpEngine
        srv.engine = GtpEngine(config, make_player(config))
        srv.engine.register(srv)
    server.late.append(load_engine)
    return server


# ---- command line -------------------------------------------------------

def _size(text):
    n = int(text)
    if not 2 <= n <= 25:
        raise argparse.ArgumentTypeError("board size must be 2..25")
    return n


def _komi(text):
    k = float(text)
    if not math.isfinite(k):
        raise argparse.ArgumentTypeError("komi must be a finite number")
    return k


def _positive(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _seconds(text):
    t = float(text)
    if not math.isfinite(t) or t <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return t


def _fraction(text):
    f = float(text)
    if not 0.0 <= f <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return f


def _winrate(text):
    f = float(text)
    if not 0.0 <= f < 1.0:
        raise argparse.ArgumentTypeError("must be at least 0 and below 1")
    return f


def add_arguments(parser):
    d = EngineConfig()
    parser.add_argument("--player", choices=sorted(PLAYERS), default=None,
                        help="move generator: mcts (tree search, the default when "
                             "models/policy.safetensors exists), policy (the raw policy "
                             "network) or random (the default otherwise)")
    parser.add_argument("--policy-model", metavar="PATH",
                        help="policy network weights (default models/policy.safetensors)")
    parser.add_argument("--value-model", metavar="PATH",
                        help="value network weights (default models/value.safetensors)")
    search = parser.add_argument_group("search (mcts player)")
    search.add_argument("--visits", type=_positive,
                        help="visits per move (default 400 without a clock; with a clock or "
                             "--time-per-move, a cap on top of the time limit)")
    search.add_argument("--time-per-move", type=_seconds, metavar="SECONDS",
                        help="thinking time per move when the GUI sets no time control")
    search.add_argument("--batch-size", type=_positive,
                        help="positions per network call (default 16)")
    search.add_argument("--lambda", dest="lam", type=_fraction, metavar="L",
                        help="leaf value = L * value network + (1 - L) * rollout result "
                             "(default 0.5; 1 means the value network alone, as --no-rollouts)")
    search.add_argument("--rollouts", action=argparse.BooleanOptionalAction, default=None,
                        help="mix fast rollouts into the leaf values (default: on)")
    search.add_argument("--expand-threshold", type=_positive, metavar="N",
                        help="visits of a move before its position is expanded with the "
                             "policy network; below that its leaf is valued only "
                             "(AlphaGo's n_thr; default 3)")
    search.add_argument("--threads", type=_positive, help="PyTorch threads (default: all cores)")
    search.add_argument("--resign-threshold", type=_winrate, metavar="P",
                        help="resign when the win rate stays below P for 3 moves "
                             "(default 0.05; 0 never resigns)")
    parser.add_argument("--size", type=_size, default=d.size,
                        help=f"initial board size (default {d.size})")
    parser.add_argument("--komi", type=_komi, default=d.komi, help=f"initial komi (default {d.komi})")
    parser.add_argument("--rules", default=d.rules,
                        help=f"rule set: chinese, japanese, korean, aga, new-zealand, "
                             f"tromp-taylor (default {d.rules})")
    parser.add_argument("--seed", type=int, help="random seed (repeatable games)")
    parser.add_argument("--status-playouts", type=_positive, default=d.status_playouts,
                        help=f"playouts per dead-stone estimate (default {d.status_playouts})")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="WARNING",
                        help="stderr logging level (default WARNING)")


def config_from_args(args):
    """The EngineConfig for parsed arguments (``--player`` left out picks
    ``default_player``); ValueError for contradictory options."""
    player = args.player or default_player(args.policy_model)
    if player in NETWORK_PLAYERS and not args.policy_model and not DEFAULT_POLICY_MODEL.exists():
        raise ValueError(f"the {player} player needs a policy network: none at "
                         f"{DEFAULT_POLICY_MODEL}; pass --policy-model")
    if args.rollouts is False and args.lam is not None and args.lam < 1:
        raise ValueError("--lambda below 1 mixes in rollouts; it contradicts --no-rollouts")
    return EngineConfig(player=player, policy_model=args.policy_model,
                        value_model=args.value_model, size=args.size, komi=args.komi,
                        rules=args.rules, seed=args.seed, status_playouts=args.status_playouts,
                        visits=args.visits, time_per_move=args.time_per_move,
                        batch_size=args.batch_size, lam=args.lam, rollouts=args.rollouts,
                        expand_threshold=args.expand_threshold,
                        threads=args.threads, resign_threshold=args.resign_threshold)


def main(args):
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
    except ValueError as e:
        print(f"gtp_server.py: error: {e}", file=sys.stderr)
        return 2
    if args.player is None and config.player == "random":
        logging.getLogger(__name__).warning(
            "no policy network at %s: playing random moves (train one, or pass "
            "--policy-model)", DEFAULT_POLICY_MODEL)
    server = build_server(config)
    try:
        return server.serve(LineReader(sys.stdin.buffer.raw), TextOutput())
    except BrokenPipeError:
        logging.getLogger(__name__).info("the GUI closed our output; stopping")
        return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="gtp_server.py", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
