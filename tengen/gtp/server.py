"""tengen's GTP engine, for Go GUIs: ``python gtp_server.py`` or ``tengen gtp``.

GTP goes over stdin/stdout; stdout carries the responses only, logs go to
stderr.  Start-up is fast on purpose: this module imports nothing heavy, so
``name`` and ``protocol_version`` answer at once; the first Go command loads
the engine (Numba) and the player (``tengen.gtp.commands``), and a network player
loads PyTorch only when it first needs it.

The command line is generated from ``EngineConfig`` and the configs it
holds (``tengen.base.config``): each option's default and check live in its
field.  Players are chosen with ``--player`` and built by ``make_player``;
without ``--player``, the tree search plays when the default policy network
(``tengen/models/policy.safetensors``) exists, else the random player.
"""

import argparse
import io
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from tengen import __version__
from tengen.base.config import add_options, parse_config

from .config import EngineConfig
from .protocol import GtpError, GtpServer, LineReader, TextOutput

if TYPE_CHECKING:       # imports Numba: loaded on the first Go command only
    from engine.player import Player

log = logging.getLogger(__name__)


# Lizzie (0.7.4 and earlier) reads the ``version`` answer as Leela Zero's:
# the number after the first dot must be 15 or more (the first version with
# lz-analyze), or it shows a modal error and never analyses.  tengen
# answers Leela Zero 0.17's analysis commands, so it says so first, its own
# version after a ``+`` (semantic versioning's build metadata): Lizzie
# reads 0.17, other GUIs show the whole string.
LEELA_ZERO_LEVEL = "0.17.0"
GTP_VERSION = f"{LEELA_ZERO_LEVEL}+tengen-{__version__}"


def make_player(config: EngineConfig) -> "Player":
    """The ``engine.player.Player`` that ``config`` names.  The player
    modules are imported here, on the first Go command, not at start-up."""
    name = config.chosen_player
    if name == "random":
        from engine.player import RandomPlayer
        return RandomPlayer(config.seed)
    if name == "policy":
        from nets.policy_player import PolicyPlayer
        return PolicyPlayer(config.networks, config.policy_temperature, config.seed)
    from mcts.player import SearchPlayer
    return SearchPlayer(config.networks, replace(config.search, seed=config.seed), config.play)


def _no_args(func: Callable[[], str]) -> Callable[[list[str]], str]:
    def run(args: list[str]) -> str:
        if args:
            raise GtpError("syntax error")
        return func()
    return run


def build_server(config: EngineConfig) -> GtpServer:
    """A GtpServer with the protocol commands registered now and the Go
    commands registered on first use."""
    server = GtpServer()
    server.register("protocol_version", _no_args(lambda: "2"))
    server.register("name", _no_args(lambda: "tengen"))
    server.register("version", _no_args(lambda: GTP_VERSION))

    def quit_() -> str:
        server.stopping = True
        return ""
    server.register("quit", _no_args(quit_))

    def load_engine(srv: GtpServer) -> None:
        from .commands import GtpEngine
        engine = GtpEngine(config, make_player(config))
        srv.engine = engine
        engine.register(srv)
    server.late.append(load_engine)
    return server


# ---- warming up -----------------------------------------------------------

NOTICE_AFTER = 8.0      # seconds of warming up before stderr says what is going on
SLOW_MESSAGE = ("preparing the engine (loading the networks, compiling the board and search "
                "code: about a minute on the first start after installing, a few seconds later; "
                "`tengen warmup` does it ahead); the first move waits for it")


def warm_up_in_background(server: GtpServer) -> threading.Thread:
    """Load the Go commands and prepare the player (networks loaded, search
    compiled) on a thread, so that the first ``genmove`` or analysis is
    quick while ``name`` and ``protocol_version`` still answer at once.  A
    command that needs the engine meanwhile waits for it (the loaders are
    locked); after ``NOTICE_AFTER`` seconds stderr says why.  A failure is
    only logged: the first command that needs the engine reports it."""
    def run() -> None:
        start = time.perf_counter()
        notice = threading.Timer(NOTICE_AFTER, log.warning, args=(SLOW_MESSAGE,))
        notice.daemon = True
        notice.start()
        try:
            server.lookup("play")                 # loads the Go commands
            from .commands import GtpEngine       # imported by now
            engine = server.engine
            assert isinstance(engine, GtpEngine)
            engine.player.prepare(engine.game)
        except Exception as e:
            log.warning("the engine could not be prepared in the background: %s", e)
            return
        finally:
            notice.cancel()
        elapsed = time.perf_counter() - start
        if elapsed >= NOTICE_AFTER:
            log.warning("engine ready after %.0f s", elapsed)
    thread = threading.Thread(target=run, name="gtp-warm-up", daemon=True)
    thread.start()
    return thread


# ---- command line -------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, EngineConfig)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    parser = parser or argparse.ArgumentParser(prog="tengen gtp")
    config = parse_config(parser, EngineConfig, args)
    config.log.configure()
    if config.chosen_player == "random" and config.player is None:
        log.warning(
            "no policy network at %s: playing random moves (train one, or pass "
            "--policy-model)", config.networks.policy_path())
    server = build_server(config)
    if config.warm_up:
        warm_up_in_background(server)
    try:
        # the unbuffered stream under stdin's buffer (a BufferedReader)
        stdin = cast(io.BufferedReader, sys.stdin.buffer).raw
        return server.serve(LineReader(stdin), TextOutput())
    except BrokenPipeError:
        log.info("the GUI closed our output; stopping")
        return 0


def run_command_line(prog: str, argv: list[str] | None = None) -> int:
    """``python gtp_server.py`` and ``tengen gtp``: parse ``argv`` and serve."""
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    return main(parser.parse_args(argv), parser)
