"""The analysis engine's loop: lines in, queries queued by priority, search
threads, responses out (``AnalysisServer``).

``handle_line`` answers a bad line at once with its error and queues each
turn of a good query; it never raises, so no line can stop the engine or
lose the queries in flight.  One thread per ``Analyst`` takes the turn of
highest priority (the earliest among equals, KataGo's order), searches it,
and writes its final response: exactly one per turn, an analysis, a
``noResults`` line for a turn terminated before its search began, or an
error closing the turn when its search failed.  A query's id stays in
flight until its last turn's final line is written, and a query reusing
it before then is an error: ``terminate`` names queries by id.  Actions
are answered at once, in KataGo's way (``responses``); at the end of the
input the queued turns are finished unless ``quit_without_waiting``.
"""

import heapq
import itertools
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from tengen import __version__
from tengen.base.provenance import git_commit

from . import responses
from .analyst import Analyst, TurnResult, TurnSettings
from .config import AnalysisConfig
from .positions import Turn, query_turns, root_moves
from .queries import ActionQuery, AnalysisQuery, QueryError, parse_line

QUEUED, RUNNING, DONE = "queued", "running", "done"
READY = "Started, ready to begin handling requests"     # KataGo's words, which some clients await


@dataclass(eq=False)
class TurnRequest:
    """One turn of a query, from the queue to its final response."""
    query_id: str
    turn: Turn
    settings: TurnSettings
    perspective: str
    state: str = QUEUED
    stop: threading.Event = field(default_factory=threading.Event)


def turn_settings(query: AnalysisQuery, turn: Turn, config: AnalysisConfig) -> TurnSettings:
    """How ``turn`` of ``query`` is searched: the query's settings, the
    engine's defaults where it gives none."""
    return TurnSettings(
        visits=query.max_visits or config.max_visits,
        max_time=query.max_time if query.max_time is not None else config.max_time,
        pv_length=query.pv_length or config.pv_length,
        include_ownership=query.include_ownership,
        include_moves_ownership=query.include_moves_ownership,
        include_policy=query.include_policy, include_pv_visits=query.include_pv_visits,
        report_every=query.report_every, first_report_after=query.first_report_after,
        root_moves=root_moves(query, turn.game))


class AnalysisServer:
    """The engine: ``start``, then ``handle_line`` for each input line, then
    ``finish`` at the end of the input."""

    def __init__(self, config: AnalysisConfig, analysts: Sequence[Analyst], out: TextIO,
                 log: TextIO = sys.stderr):
        self.config = config
        self.analysts = list(analysts)
        self.out, self.log = out, log
        self._lock = threading.Lock()                 # the queue and the open turns
        self._wake = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._queue: list = []                        # (-priority, order, TurnRequest)
        self._order = itertools.count()
        self._open: list[TurnRequest] = []            # queued or running
        self._closing = False
        self._fresh = [False] * len(self.analysts)   # clear_cache: a new tree next time
        self._unready = len(self.analysts)
        self._threads: list[threading.Thread] = []

    # ---- output -----------------------------------------------------------------
    def send(self, obj: dict) -> None:
        """Write one response line; a closed output is ignored (the client has gone)."""
        with self._write_lock:
            try:
                self.out.write(responses.line(obj) + "\n")
                self.out.flush()
            except (OSError, ValueError):
                pass

    def note(self, text: str) -> None:
        """A line for people on stderr (stdout carries responses only)."""
        try:
            print(f"tengen analysis: {text}" if text != READY else text, file=self.log, flush=True)
        except (OSError, ValueError):
            pass

    # ---- threads ----------------------------------------------------------------
    def start(self, warm_up: bool = True) -> None:
        """Start the search threads; each first loads its networks and
        compiles the search when ``warm_up`` (queries wait meanwhile)."""
        if warm_up:
            self.note("loading the networks and compiling the search; queries wait until ready")
        for k, analyst in enumerate(self.analysts):
            thread = threading.Thread(target=self._work, args=(k, analyst, warm_up),
                                      name=f"analysis-{k}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _ready(self) -> None:
        with self._lock:
            self._unready -= 1
            done = self._unready == 0
        if done:
            self.note(READY)

    def _work(self, k: int, analyst: Analyst, warm_up: bool) -> None:
        if warm_up:
            try:
                analyst.warm_up()
            except Exception as e:                   # reported again on each query
                self.note(f"could not prepare the search: {e}")
        self._ready()
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._wake.wait()
                if not self._queue:
                    return
                request = heapq.heappop(self._queue)[2]
                if request.state != QUEUED:          # terminated in the queue: answered
                    continue
                request.state = RUNNING
                fresh, self._fresh[k] = self._fresh[k], False
            self._search(analyst, request, fresh)

    def _search(self, analyst: Analyst, request: TurnRequest, fresh: bool) -> None:
        number = request.turn.number

        def report(result: TurnResult) -> None:
            self.send(responses.analysis(request.query_id, number, result, request.perspective,
                                         during_search=True))
        try:
            if fresh:
                analyst.clear()
            result = analyst.analyse(request.turn.game, request.settings, request.stop.is_set,
                                     report if request.settings.report_every else None)
            final = (responses.no_results(request.query_id, number) if result is None else
                     responses.analysis(request.query_id, number, result, request.perspective,
                                        during_search=False))
        except Exception as e:
            self.note(f"the analysis of {request.query_id!r} turn {number} failed:\n"
                      + traceback.format_exc())
            final = responses.turn_error(request.query_id, number, f"analysis failed: {e}")
        with self._lock:
            request.state = DONE
            self._open.remove(request)
            self.send(final)

    def finish(self, wait: bool = True) -> None:
        """The input has ended: finish the queued turns (``wait``) or stop
        the searches in flight and drop the rest; the threads end."""
        with self._lock:
            self._closing = True
            if not wait:
                for request in self._open:
                    if request.state == QUEUED:
                        request.state = DONE
                    request.stop.set()
                self._open = [r for r in self._open if r.state == RUNNING]
            self._wake.notify_all()
        for thread in self._threads:
            thread.join()

    # ---- lines ------------------------------------------------------------------
    def handle_line(self, line: str) -> None:
        """Answer or queue one input line; never raises."""
        text = line.strip()
        if not text:
            return
        try:
            query = parse_line(text)
            if isinstance(query, ActionQuery):
                self._action(query)
            else:
                self._enqueue(query)
        except QueryError as e:
            self.send(e.response())
        except Exception as e:                       # a bug: say so, keep serving
            self.note("could not handle a line:\n" + traceback.format_exc())
            self.send({"error": f"internal error: {e}"})

    def _enqueue(self, query: AnalysisQuery) -> None:
        turns, rule_warnings = query_turns(query)
        warnings = list(query.warnings) + [("rules", w) for w in rule_warnings]
        perspective = query.perspective or self.config.report_winrates_as
        requests = [TurnRequest(query.id, turn, turn_settings(query, turn, self.config),
                                perspective) for turn in turns]
        with self._lock:
            if any(r.query_id == query.id for r in self._open):
                raise QueryError("A query with this id is still being analysed; ids must be "
                                 "unique among the queries in flight", "id", query.id)
            for field_name, message in warnings:        # before any of its results
                self.send(responses.warning(query.id, field_name, message))
            for request, turn in zip(requests, turns):
                self._open.append(request)
                heapq.heappush(self._queue, (-turn.priority, next(self._order), request))
            self._wake.notify_all()

    def _action(self, query: ActionQuery) -> None:
        echo = dict(query.echo)
        if query.action == "query_version":
            echo.update(version=__version__, git_hash=git_commit() or "<omitted>")
        elif query.action == "query_models":
            echo["models"] = self._models()
        elif query.action == "clear_cache":
            with self._lock:
                self._fresh = [True] * len(self.analysts)
        else:
            self._terminate(query)
        self.send(echo)

    def _terminate(self, query: ActionQuery) -> None:
        """Stop the matching turns: a queued one is answered ``noResults``
        now, a running one stops and answers with what it found."""
        with self._lock:
            for request in list(self._open):
                if query.terminate_id is not None and request.query_id != query.terminate_id:
                    continue
                if query.turn_numbers is not None and request.turn.number not in query.turn_numbers:
                    continue
                if request.state == QUEUED:
                    request.state = DONE
                    self._open.remove(request)
                    self.send(responses.no_results(request.query_id, request.turn.number))
                else:
                    request.stop.set()

    def _models(self) -> list[dict]:
        """The network files of the default board, KataGo's model entries."""
        networks = self.config.networks
        paths = [networks.policy_path(), networks.value_path()]
        return [{"name": path.name, "internalName": f"tengen-{path.stem}",
                 "maxBatchSize": self.config.search.batch_size, "usesHumanSLProfile": False,
                 "usingFP16": "false"} for path in paths if path is not None]
