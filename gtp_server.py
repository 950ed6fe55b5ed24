"""tengen's GTP engine, for Go GUIs: ``python gtp_server.py`` or ``tengen gtp``.

GTP goes over stdin/stdout; stdout carries the responses only, logs go to
stderr.  Start-up is fast on purpose: this module imports nothing heavy, so
``name`` and ``protocol_version`` answer at once; the first Go command loads
the engine (Numba) and the player (``tengen.gtp_engine``), and a network
player loads PyTorch only when it first needs it.

Players are chosen with ``--player``; ``PLAYERS`` maps each name to a factory
``"module:callable"`` that takes an ``engine.player.PlayerOptions`` and
returns an ``engine.player.Player``.  Adding a player is one line here.
"""

import argparse
import importlib
import logging
import math
import sys
from dataclasses import dataclass

from tengen import __version__
from tengen.gtp_protocol import GtpError, GtpServer, LineReader, TextOutput

PLAYERS = {
    "random": "engine.player:RandomPlayer",
}

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class EngineConfig:
    """What the command line sets.  ``status_playouts``: playouts per
    dead-stone estimate (``final_score``, ``final_status_list``)."""
    player: str = "random"
    policy_model: str | None = None
    value_model: str | None = None
    size: int = 19
    komi: float = 7.5
    rules: str = "chinese"
    seed: int | None = None
    status_playouts: int = 200


def make_player(config):
    """The player ``config.player`` names, built by its factory."""
    from engine.player import PlayerOptions
    if config.player not in PLAYERS:
        raise ValueError(f"unknown player {config.player!r}; known: {', '.join(sorted(PLAYERS))}")
    module, attr = PLAYERS[config.player].split(":")
    factory = getattr(importlib.import_module(module), attr)
    return factory(PlayerOptions(config.policy_model, config.value_model, config.seed))


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


def add_arguments(parser):
    d = EngineConfig()
    parser.add_argument("--player", choices=sorted(PLAYERS), default=d.player,
                        help=f"move generator (default {d.player})")
    parser.add_argument("--policy-model", metavar="PATH", help="policy network weights")
    parser.add_argument("--value-model", metavar="PATH", help="value network weights")
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
    return EngineConfig(player=args.player, policy_model=args.policy_model,
                        value_model=args.value_model, size=args.size, komi=args.komi,
                        rules=args.rules, seed=args.seed, status_playouts=args.status_playouts)


def main(args):
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = build_server(config_from_args(args))
    try:
        return server.serve(LineReader(sys.stdin.buffer.raw), TextOutput())
    except BrokenPipeError:
        logging.getLogger(__name__).info("the GUI closed our output; stopping")
        return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="gtp_server.py", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
