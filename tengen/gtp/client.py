"""A GTP engine in a subprocess, driven with deadlines: the client side of
the protocol, for the referee (``tengen match``) and anything else that
plays other engines.  Responses are read with ``tengen.gtp.protocol``'s own
framing rules (``parse_response_head``)."""

import logging
import queue
import shlex
import subprocess
import threading
import time

from .protocol import parse_response_head

log = logging.getLogger(__name__)


class EngineStartError(RuntimeError):
    """The engine's command line cannot be started."""


class EngineFailure(Exception):
    """The engine crashed (``kind`` "crash") or did not answer in time
    ("timeout")."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class GtpFailure(Exception):
    """The engine answered ``? message``."""


class GtpClient:
    """One GTP engine in a subprocess.  Its stdout is read on a thread so
    every command can have a deadline; its stderr is passed to the log at
    DEBUG level."""

    def __init__(self, command: str, label: str) -> None:
        self.command = command
        self.label = label
        self.proc: subprocess.Popen[bytes] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.pumps: list[threading.Thread] = []
        self.fresh = True   # no genmove answered since the last start

    def start(self) -> None:
        try:
            argv = shlex.split(self.command)
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0)
        except (OSError, ValueError) as e:
            raise EngineStartError(f"cannot start {self.label} ({self.command!r}): {e}") from None
        self.lines = queue.Queue()
        self.fresh = True
        self.pumps = [threading.Thread(target=self._pump_stdout, args=(self.proc, self.lines), daemon=True),
                      threading.Thread(target=self._pump_stderr, args=(self.proc,), daemon=True)]
        for pump in self.pumps:
            pump.start()

    @staticmethod
    def _pump_stdout(proc: subprocess.Popen[bytes], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            lines.put(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        lines.put(None)

    def _pump_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            log.debug("[%s] %s", self.label, raw.decode("utf-8", errors="replace").rstrip())

    def send(self, command: str, timeout: float) -> str:
        """The response text of ``command``; raises GtpFailure for a ``?``
        answer and EngineFailure when the engine dies or is too slow."""
        if self.proc is None or self.proc.poll() is not None:
            raise EngineFailure("crash", f"{self.label} is not running")
        assert self.proc.stdin is not None      # started with stdin=PIPE
        try:
            self.proc.stdin.write((command + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except OSError:
            raise EngineFailure("crash", f"{self.label} stopped reading commands") from None
        deadline = time.monotonic() + timeout
        head, body = None, []       # head: (ok, id, first line's text)
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise EngineFailure("timeout", f"{self.label}: no answer to {command!r} "
                                               f"within {timeout:g} s") from None
            if line is None:
                raise EngineFailure("crash", f"{self.label} exited during {command!r}")
            if head is None:
                head = parse_response_head(line)
                if head is None and line.strip():
                    log.debug("[%s] ignored output %r", self.label, line)
                continue
            if not line.strip():
                break
            body.append(line)
        ok, _, first = head
        text = "\n".join([first] + body if first else body)
        if not ok:
            raise GtpFailure(f"{self.label}: {command!r} failed: {text}")
        return text

    def close(self, kill: bool = False) -> None:
        """Ask the engine to quit, and kill it if it does not; ``kill``
        skips the asking (an engine that timed out is still busy)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if kill and proc.poll() is None:
            proc.kill()
            proc.wait()
        elif proc.poll() is None:
            assert proc.stdin is not None
            try:
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        # the pumps see end of file once the process is gone; wait for them
        # so no thread is inside a pipe's readline when the interpreter exits
        for pump in self.pumps:
            pump.join(timeout=5)

    def restart(self, kill: bool = False) -> None:
        self.close(kill)
        self.start()


