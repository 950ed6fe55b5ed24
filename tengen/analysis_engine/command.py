"""``tengen analysis``: KataGo's JSON analysis engine on stdin/stdout.

Its options come from ``AnalysisConfig``.  KataGo's command-line shape is
taken too, so that a front end that builds KataGo's command line can start
tengen: ``tengen analysis -config FILE -model FILE [-human-model FILE]
[-analysis-threads N] [-override-config K=V,...] [-quit-without-waiting]``.
From a KataGo config file and ``-override-config``, ``maxVisits``,
``maxTime``, ``numAnalysisThreads``, ``reportAnalysisWinratesAs`` and
``analysisPVLen`` are honoured; every other key, a config file that cannot
be read, and KataGo's model files (tengen runs its own networks:
``--policy-model``, ``--value-model``) are accepted with a warning on
stderr.  tengen's own options win over KataGo's.  Stdout carries the
responses only.

The engine ends at the end of its input, and also when the process that
started it ends (``--exit-with-parent``, on by default): KaTrain starts an
``altcommand`` through a shell and stops the engine by ending that shell,
which leaves the engine orphaned with stdin still open; KaTrain then waits
for its stderr to close, forever, unless the engine goes too.
"""

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tengen.base.config import add_options, given_options, parse_config

from .config import AnalysisConfig

# KataGo's config keys tengen honours, and the AnalysisConfig field each sets
# KataGo's settings that tengen honours: its key -> (AnalysisConfig's field, how to read it)
KATAGO_KEYS: dict[str, tuple[str, Callable[[str], object]]] = {"maxVisits": ("max_visits", int), "maxTime": ("max_time", float),
               "numAnalysisThreads": ("analysis_threads", int),
               "reportAnalysisWinratesAs": ("report_winrates_as", str.upper),
               "analysisPVLen": ("pv_length", int)}
PARENT_POLL_S = 0.5          # how often the engine looks whether its parent is still there


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, AnalysisConfig)
    katago = parser.add_argument_group("KataGo's command line (accepted for front ends that "
                                       "start KataGo)")
    katago.add_argument("-config", "--config", dest="katago_config", metavar="FILE",
                        action="append", default=[],
                        help=f"a KataGo analysis config: {', '.join(KATAGO_KEYS)} are honoured")
    katago.add_argument("-model", "--model", dest="katago_model", metavar="FILE",
                        help="a KataGo network: accepted, not used (tengen runs its own)")
    katago.add_argument("-human-model", "--human-model", dest="katago_human_model",
                        metavar="FILE", help="accepted, not used")
    katago.add_argument("-analysis-threads", dest="katago_threads", type=int, metavar="N",
                        help="as --analysis-threads")
    katago.add_argument("-override-config", "--override-config", dest="katago_overrides",
                        metavar="K=V,...", action="append", default=[],
                        help="KataGo config keys, as in -config")
    katago.add_argument("-quit-without-waiting", dest="katago_quit", action="store_true",
                        help="as --quit-without-waiting")


def katago_settings(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """(AnalysisConfig fields from KataGo's arguments, warnings)."""
    pairs: list[tuple[str, str]] = []
    warnings = []
    for name in args.katago_config:
        try:
            text = Path(name).read_text()
        except OSError as e:
            warnings.append(f"KataGo config {name} could not be read ({e.strerror}); ignored")
            continue
        for raw in text.splitlines():
            entry = raw.split("#", 1)[0].strip()
            if "=" in entry:
                key, _, value = entry.partition("=")
                pairs.append((key.strip(), value.strip()))
    for overrides in args.katago_overrides:
        for entry in overrides.split(","):
            if entry.strip():
                key, _, value = entry.partition("=")
                pairs.append((key.strip(), value.strip()))
    settings: dict[str, Any] = {}
    ignored = []
    for key, value in pairs:
        if key not in KATAGO_KEYS:
            ignored.append(key)
            continue
        name, convert = KATAGO_KEYS[key]
        try:
            settings[name] = convert(value)
        except ValueError:
            warnings.append(f"KataGo setting {key} = {value!r} is not a valid value; ignored")
    if ignored:
        warnings.append("KataGo settings tengen does not use, ignored: "
                        + ", ".join(dict.fromkeys(ignored)))
    if args.katago_threads is not None:
        settings["analysis_threads"] = args.katago_threads
    if args.katago_quit:
        settings["quit_without_waiting"] = True
    for what, path in (("model", args.katago_model), ("human model", args.katago_human_model)):
        if path:
            warnings.append(f"KataGo {what} {path} is not used: tengen analyses with its own "
                            "networks (--policy-model, --value-model)")
    return settings, warnings


def watch_parent(on_gone: Callable[[], None], every: float = PARENT_POLL_S) -> threading.Thread:
    """Call ``on_gone()`` once the process that started this one has ended
    (this one re-parented), on a daemon thread polling every ``every`` s."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        on_gone()
    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    settings, warnings = katago_settings(args)
    given = given_options(args)
    config = parse_config(parser, AnalysisConfig, args,
                          **{k: v for k, v in settings.items() if k not in given})
    for text in warnings:
        print(f"tengen analysis: warning: {text}", file=sys.stderr)

    from mcts.analysis import PositionSearch

    from .analyst import Analyst
    from .server import AnalysisServer

    analysts = [Analyst(PositionSearch(config.networks, config.search))
                for _ in range(config.analysis_threads)]
    server = AnalysisServer(config, analysts, sys.stdout)
    server.start(warm_up=config.warm_up)
    if config.exit_with_parent:
        def orphaned() -> None:
            # nobody is left to answer: the searches and the queue go too, at once (a
            # search thread may be blocked writing to a full pipe nobody reads)
            server.note("the process that started the engine has ended; exiting")
            os._exit(0)
        watch_parent(orphaned)
    try:
        for raw in sys.stdin.buffer:
            server.handle_line(raw.decode("utf-8", errors="replace"))
    except KeyboardInterrupt:
        return 130
    server.finish(wait=not config.quit_without_waiting)
    return 0
