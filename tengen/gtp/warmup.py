"""``tengen warmup``: compile and load everything a game needs, once, after
installing.

Numba compiles the board, the search and the rollouts on their first use
and caches the machine code beside the sources; on a fresh install that
first use takes about a minute.  This command plays the commands a GUI
sends at the start of a timed game (through the real GTP server, with the
default player), so that the cache is filled before any GUI or clock is
waiting: the README's set-up runs it.  It prints what each step cost.
"""

import argparse
import sys
import time

from tengen.base.config import add_options, parse_config

from .config import EngineConfig
from .server import build_server

SESSION = ["boardsize 19", "komi 7.5", "time_settings 0 5 1", "genmove b", "genmove w",
           "play b pass", "genmove w", "final_score", "final_status_list dead", "boardsize 9",
           "clear_board", "genmove b", "genmove w", "tengen-policy_heatmap", "quit"]


class _Discard:
    def __init__(self) -> None:
        self.text: list[str] = []

    def write(self, text: str) -> None:
        self.text.append(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, EngineConfig, exclude=("warm_up",))


def main(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    from .protocol import LineReader

    parser = parser or argparse.ArgumentParser(prog="tengen warmup")
    config = parse_config(parser, EngineConfig, args)
    server = build_server(config)
    reader, out = LineReader(), _Discard()
    reader.close()
    total = time.perf_counter()
    for line in SESSION:
        if not server.lookup(line.split()[0]):
            continue                  # a player without the command (random, policy)
        start = time.perf_counter()
        out.text.clear()
        server.handle_line(line, out, reader)
        answer = "".join(out.text).strip().replace("\n", " ")[:50]
        print(f"{time.perf_counter() - start:6.1f} s  {line:<24} {answer}", file=sys.stderr)
    print(f"tengen warmup: {config.chosen_player} player ready; {time.perf_counter() - total:.0f} s "
          "in all (a later start needs a few seconds)", file=sys.stderr)
    return 0
