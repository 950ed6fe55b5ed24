"""The protocol layer on its own: preprocessing, parsing, framing, the input
queue, streaming handlers and error containment."""

import threading
import time

import pytest
from gtp_helpers import Collector

import tengen.gtp.server as gtp_server
from engine.player import RandomPlayer
from tengen.gtp.analysis_commands import PlayerCommand
from tengen.gtp.config import EngineConfig, InitialGame
from tengen.gtp.protocol import GtpError, GtpServer, LineReader, clean_line, format_response, parse_command
from tengen.gtp.server import build_server


def test_clean_line():
    assert clean_line("  play b d4  ") == "play b d4"
    assert clean_line("play\tb\td4\r") == "play b d4"
    assert clean_line("pl\x00ay b\x1b d4") == "play b d4"
    assert clean_line("name # what is it") == "name"
    assert clean_line("# only a comment") == ""
    assert clean_line("\x7f\r\t ") == ""


def test_parse_command():
    assert parse_command("") is None
    assert parse_command(" # x") is None
    c = parse_command("12 PLAY b D4")
    assert (c.id, c.name, c.args) == ("12", "play", ("b", "D4"))
    c = parse_command("007 name")
    assert (c.id, c.name) == ("7", "name")
    c = parse_command("42")
    assert (c.id, c.name, c.args) == ("42", "", ())
    c = parse_command("-1 name")       # not an id: a command called "-1"
    assert (c.id, c.name) == ("", "-1")
    for digits in ("²", "٣"):          # Unicode digits are not ids either
        assert parse_command(f"{digits} name").id == ""


def test_format_response():
    assert format_response("", "") == "=\n\n"
    assert format_response("3", "D4") == "=3 D4\n\n"
    assert format_response("3", "bad", ok=False) == "?3 bad\n\n"
    assert format_response("", "a\nb") == "= a\nb\n\n"
    # a response never holds an empty line: that would end it early
    assert format_response("", "a\n\n\nb\r\n") == "= a\nb\n\n"
    assert format_response("1", "\nboard\nrows") == "=1\nboard\nrows\n\n"


def test_line_reader_queue_and_eof():
    r = LineReader()
    assert not r.pending()
    r.push("one")
    r.push("two")
    assert r.pending()
    assert r.get() == "one"
    assert r.get() == "two"
    with pytest.raises(TimeoutError):
        r.get(timeout=0.01)
    assert r.wait(0.01) is False
    r.close()
    assert r.pending() and r.get() is None and r.wait(0.01)


def test_line_reader_thread_reads_a_binary_stream():
    import io
    r = LineReader(io.BytesIO(b"name\r\n\xff\xfeplay b d4\nlast"))
    assert r.get(timeout=5) == "name\r"
    assert r.get(timeout=5) == "\ufffd\ufffdplay b d4"   # undecodable bytes replaced
    assert r.get(timeout=5) == "last"
    assert r.get(timeout=5) is None


def _serve(server, lines, until=None):
    """Serve ``lines`` pushed into a LineReader from a thread; ``until``
    (text, line) pushes ``line`` once the output contains ``text``."""
    reader, out = LineReader(), Collector()
    for line in lines:
        reader.push(line)
    worker = threading.Thread(target=server.serve, args=(reader, out))
    worker.start()
    if until:
        deadline = time.monotonic() + 10
        while until[0] not in out.text and time.monotonic() < deadline:
            time.sleep(0.005)
        reader.push(until[1])
    reader.close()
    worker.join(10)
    assert not worker.is_alive()
    return out.text


def _ticker(args, stream):
    """A test streaming handler: ``info N`` lines until input arrives."""
    if args and args[0] == "bad":
        raise GtpError("bad interval")
    stream.begin()
    i = 0
    while not stream.wait(0.001) and i < 10000:
        stream.write(f"info {i}")
        i += 1
    return "play D4" if args and args[0] == "move" else None


def test_streaming_handler_runs_until_input_arrives():
    server = GtpServer()
    server.register("tick", _ticker, streaming=True)
    server.register("name", lambda args: "x")
    text = _serve(server, ["5 tick"], until=("info 3\n", "6 name"))
    head, rest = text.split("\n", 1)
    assert head == "=5"
    body, tail = rest.split("\n\n", 1)
    infos = body.split("\n")
    assert len(infos) >= 4
    assert infos == [f"info {i}" for i in range(len(infos))]
    assert tail == "=6 x\n\n"      # the interrupting line is handled next


def test_streaming_handler_final_line_and_early_error():
    server = GtpServer()
    server.register("tick", _ticker, streaming=True)
    text = _serve(server, ["1 tick bad", "2 tick move"], until=("info 1\n", "# any line stops it"))
    first, second = text.split("\n\n", 1)
    assert first == "?1 bad interval"
    assert second.startswith("=2\ninfo 0\n")
    assert second.endswith("\nplay D4\n\n")


def test_streaming_handler_stops_at_end_of_input():
    server = GtpServer()
    server.register("tick", _ticker, streaming=True)
    reader, out = LineReader(), Collector()
    reader.push("tick")
    reader.close()
    server.serve(reader, out)
    assert out.text == "=\n\n"       # input already over: begun and ended at once


def test_player_streaming_command_through_the_engine(monkeypatch):
    """A player's own streaming command gets the live game and shows up in
    list_commands and gogui-analyze_commands."""

    class Analyst(RandomPlayer):
        def gtp_commands(self):
            def analyze(game, args, stream):
                if len(args) != 1:
                    raise ValueError("syntax error")
                stream.begin()
                while not stream.wait(0.001):
                    stream.write(f"info moves {len(game.moves)}")
                return None
            return [PlayerCommand("test-analyze", analyze, streaming=True, gogui="gfx/Analyze")]

    monkeypatch.setattr(gtp_server, "make_player", lambda config: Analyst())
    server = build_server(EngineConfig(player="random", setup=InitialGame(size=9)))
    text = _serve(server, ["play b e5", "play w d4", "1 list_commands", "2 gogui-analyze_commands",
                           "3 test-analyze", "4 test-analyze 10"],
                  until=("info moves 2\n", "5 name"))
    responses = text.split("\n\n")
    assert "test-analyze" in responses[2].split("\n")
    assert "gfx/Analyze/test-analyze" in responses[3].split("\n")
    assert responses[4] == "?3 syntax error"
    assert responses[5].split("\n")[:2] == ["=4", "info moves 2"]
    assert responses[6] == "=5 tengen"


def test_unexpected_exception_answers_and_serving_goes_on(caplog):
    server = GtpServer()

    def crash(args):
        raise ZeroDivisionError("division by zero")
    server.register("crash", crash)
    server.register("name", lambda args: "ok")
    text = _serve(server, ["1 crash", "2 name"])
    assert text == "?1 division by zero\n\n=2 ok\n\n"
    assert "Traceback" in caplog.text     # logged (to stderr), not sent to the client


def test_quit_stops_serving_and_eof_ends_cleanly():
    server = build_server(EngineConfig())
    assert _serve(server, ["1 name", "2 quit", "3 name"]) == "=1 tengen\n\n=2\n\n"
    server = build_server(EngineConfig())
    assert _serve(server, ["name"]) == "= tengen\n\n"
