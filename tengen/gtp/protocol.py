"""GTP version 2 framing, the command registry and the serving loop.

This module knows nothing about Go: it turns input lines into commands,
calls the registered handler and frames what comes back.  ``gtp_server``
registers the commands.

Framing (GTP 2 spec, sections 2.2-2.11 and 3.6):

* input: control characters other than HT and LF removed (CR included),
  everything from ``#`` on dropped, HT turned into a space, empty lines
  ignored; an optional leading integer is the command id;
* output: ``=[id] result`` or ``?[id] message``, ended by one empty line;
  lines inside a response are never empty (an empty line would end it).

Why input is read on a thread: GUIs pipeline commands without waiting for
answers, and the analysis commands of Leela Zero and KataGo
(``lz-analyze``, ``kata-analyze``) keep printing ``info`` lines until *any*
input line arrives.  A reader thread queues the lines (``LineReader``), so a
streaming handler can ask ``stream.interrupted()`` between two ``info``
lines and return; the line that stopped it is then handled as the next
command.
"""

import collections
import logging
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class GtpError(Exception):
    """A command failed: answered ``? <message>``, state unchanged."""


def clean_line(raw: str) -> str:
    """A raw input line after GTP's preprocessing (2.2)."""
    line = _CONTROL.sub("", raw)
    hash_at = line.find("#")
    if hash_at >= 0:
        line = line[:hash_at]
    return line.replace("\t", " ").strip()


@dataclass(frozen=True)
class Command:
    """One parsed command line; ``id`` is "" when none was given."""
    id: str
    name: str
    args: tuple[str, ...]


def parse_command(raw: str) -> "Command | None":
    """The command on a raw input line, or None for an empty line.  An id
    without a command gets an empty name (answered ``syntax error``)."""
    words = clean_line(raw).split()
    if not words:
        return None
    cid = ""
    if words[0].isascii() and words[0].isdigit():
        cid = str(int(words[0]))
        words = words[1:]
    if not words:
        return Command(cid, "", ())
    return Command(cid, words[0].lower(), tuple(words[1:]))


def _body_lines(text: str) -> list[str]:
    """Response text as lines: control characters gone, trailing blanks
    stripped, empty lines dropped so the response cannot end early."""
    lines = (_CONTROL.sub("", ln).rstrip() for ln in text.split("\n"))
    return [ln for ln in lines if ln.strip()]


def format_response(cid: str, text: str | None, ok: bool = True) -> str:
    """``=id text`` / ``?id text`` plus the closing empty line.  Text that
    starts with a line break (``showboard``) starts on the next line."""
    head = ("=" if ok else "?") + cid
    lines = _body_lines(text or "")
    if not lines:
        return head + "\n\n"
    if (text or "").lstrip(" ").startswith("\n"):
        return head + "\n" + "\n".join(lines) + "\n\n"
    return head + " " + "\n".join(lines) + "\n\n"


def parse_response_head(line: str) -> tuple[bool, str, str] | None:
    """(ok, id, text) of a response's first line (``=12 text`` /
    ``? message``), or None when ``line`` does not start a response; the
    client side of ``format_response``."""
    if line[:1] not in ("=", "?"):
        return None
    rest = line[1:]
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return line[0] == "=", rest[:digits], rest[digits:].strip()


class ByteSource(Protocol):
    """An input stream of bytes (stdin's unbuffered stream, a pipe)."""

    def read(self, size: int, /) -> bytes | None:
        """Up to ``size`` bytes; empty at the end of the input."""


class LineReader:
    """Input lines queued by a reader thread (or pushed by a test).

    ``get`` blocks for the next line (None once the input has ended);
    ``pending`` says whether a line is waiting, without taking it."""

    def __init__(self, stream: "ByteSource | None" = None) -> None:
        self._lines: collections.deque[str] = collections.deque()
        self._closed = False
        self._cond = threading.Condition()
        if stream is not None:
            threading.Thread(target=self._pump, args=(stream,), name="gtp-reader",
                             daemon=True).start()

    def _pump(self, stream: "ByteSource") -> None:
        # chunked reads on the unbuffered stream: a thread blocked in a
        # buffered readline holds the buffer's lock, and the interpreter
        # aborts if it finds that lock held at exit (after ``quit``)
        read = getattr(stream, "read1", None) or stream.read
        pending = b""
        try:
            while True:
                chunk = read(65536)
                if not chunk:
                    break
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    self.push(_decode(raw))
            if pending:
                self.push(_decode(pending))
        except (OSError, ValueError) as exc:
            log.warning("reading GTP input failed: %s", exc)
        finally:
            self.close()

    def push(self, line: str) -> None:
        with self._cond:
            self._lines.append(line)
            self._cond.notify_all()

    def close(self) -> None:
        """No more input (end of file)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> str | None:
        """The next line, None at end of input; TimeoutError after
        ``timeout`` seconds without a line."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._lines) or self._closed, timeout):
                raise TimeoutError("no input line")
            return self._lines.popleft() if self._lines else None

    def pending(self) -> bool:
        with self._cond:
            return bool(self._lines) or self._closed

    def wait(self, timeout: float) -> bool:
        """Block until a line is waiting (or input ended) or ``timeout``
        seconds pass; returns ``pending()``."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._lines) or self._closed, timeout)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class Output(Protocol):
    """Where responses go: ``TextOutput``, or a list of texts for a caller
    that reads them itself."""

    def write(self, text: str) -> None:
        """Send ``text`` (whole lines) at once."""


class TextOutput:
    """Where responses go: ``write`` sends text at once (flushed), with
    ``\\n`` line ends whatever the platform; safe from several threads."""

    def __init__(self) -> None:
        self._out = sys.stdout.buffer
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self._out.write(text.encode("utf-8"))
            self._out.flush()


class AnalysisStream(Protocol):
    """The output channel the front end hands to a streaming command.

    GTP analysis commands (``lz-analyze``, ``kata-analyze``) answer ``=`` at
    once, print ``info ...`` lines until the client sends anything, then end
    the response with a blank line.  The front end reads its input on a
    separate thread, so the command can poll for that while it thinks."""

    def begin(self) -> None:
        """Send the ``=`` header now (``write`` does it too if needed)."""

    def write(self, line: str) -> None:
        """Send one line of the response (blank lines are dropped: a blank
        line would end the response)."""

    def interrupted(self) -> bool:
        """True once an input line has arrived (or the input has ended)."""

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early when input arrives; returns
        ``interrupted()``."""


class ResponseStream:
    """The ``AnalysisStream`` given to a streaming handler."""

    def __init__(self, out: Output, reader: LineReader, cid: str) -> None:
        self._out = out
        self._reader = reader
        self._cid = cid
        self.begun = False

    def begin(self) -> None:
        if not self.begun:
            self.begun = True
            self._out.write("=" + self._cid + "\n")

    def write(self, line: str) -> None:
        self.begin()
        lines = _body_lines(line)
        if lines:
            self._out.write("\n".join(lines) + "\n")

    def interrupted(self) -> bool:
        return self._reader.pending()

    def wait(self, seconds: float) -> bool:
        return self._reader.wait(seconds)


# a command's handler: its arguments in, the response text out (None: empty)
PlainHandler = Callable[[list[str]], "str | None"]
# a streaming command's handler, given the response's stream too
StreamingHandler = Callable[[list[str], AnalysisStream], "str | None"]


@dataclass(frozen=True)
class Handler:
    """``func(args)`` returns the response text; a streaming handler is
    called as ``func(args, stream)``."""
    func: PlainHandler | StreamingHandler
    streaming: bool = False


class GtpServer:
    """The command registry and the loop that serves it.

    ``late`` registrars run once, the first time a name is looked up that
    is not registered yet or the full list is needed: that is how the Go
    commands (which import Numba) and the player's own commands are loaded
    only when a command needs them, so ``name`` and ``protocol_version``
    answer at once."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.late: list[Callable[[GtpServer], None]] = []
        self._late_lock = threading.RLock()
        self.engine: object = None      # what the late commands act on, for inspection
        self.stopping = False
        self.register("list_commands", self._list_commands)
        self.register("known_command", self._known_command)

    def register(self, name: str, func: PlainHandler | StreamingHandler, streaming: bool = False) -> None:
        self.commands[name] = Handler(func, streaming)

    def _load_late(self) -> None:
        # a registrar that fails stays queued: every command that needs it
        # keeps answering its error instead of "unknown command"; the lock
        # lets a background warm-up load them while commands are answered
        with self._late_lock:
            while self.late:
                self.late[0](self)
                self.late.pop(0)

    def lookup(self, name: str) -> "Handler | None":
        if name not in self.commands and self.late:
            self._load_late()
        return self.commands.get(name)

    def names(self) -> list[str]:
        self._load_late()
        return sorted(self.commands)

    def _list_commands(self, args: list[str]) -> str:
        if args:
            raise GtpError("syntax error")
        return "\n".join(self.names())

    def _known_command(self, args: list[str]) -> str:
        if len(args) != 1:
            raise GtpError("syntax error")
        return "true" if self.lookup(args[0].lower()) else "false"

    # ---- serving -------------------------------------------------------
    def execute(self, cmd: Command, out: Output, reader: LineReader) -> None:
        """Run one command and write its whole response to ``out``."""
        try:
            handler = self.lookup(cmd.name) if cmd.name else None
        except Exception as exc:  # a late registrar failed (bad config...)
            if isinstance(exc, ValueError):
                log.error("cannot load the Go commands: %s", exc)
            else:
                log.exception("cannot load the Go commands")
            out.write(format_response(cmd.id, _one_line(exc), ok=False))
            return
        if not cmd.name:
            out.write(format_response(cmd.id, "syntax error", ok=False))
            return
        if handler is None:
            out.write(format_response(cmd.id, "unknown command", ok=False))
            return
        stream = ResponseStream(out, reader, cmd.id) if handler.streaming else None
        try:
            if stream is not None:      # registered as streaming: takes the stream
                text = cast(StreamingHandler, handler.func)(list(cmd.args), stream)
            else:
                text = cast(PlainHandler, handler.func)(list(cmd.args))
        except Exception as exc:
            if not isinstance(exc, (GtpError, ValueError)):
                log.exception("command %r failed", cmd.name)
            if stream is not None and stream.begun:
                log.warning("command %r stopped: %s", cmd.name, _one_line(exc))
                out.write("\n")  # end the response already under way
            else:
                out.write(format_response(cmd.id, _one_line(exc), ok=False))
            return
        text = "" if text is None else str(text)
        if stream is not None and stream.begun:
            if text:
                stream.write(text)
            out.write("\n")
        else:
            out.write(format_response(cmd.id, text))

    def handle_line(self, raw: str, out: Output, reader: LineReader) -> None:
        """Handle one raw input line (nothing for an empty one)."""
        cmd = parse_command(raw)
        if cmd is not None:
            self.execute(cmd, out, reader)

    def serve(self, reader: LineReader, out: Output) -> int:
        """Answer commands until ``quit`` or the end of the input."""
        while not self.stopping:
            raw = reader.get()
            if raw is None:
                log.info("end of input")
                break
            self.handle_line(raw, out, reader)
        return 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
