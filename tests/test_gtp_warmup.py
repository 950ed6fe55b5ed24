"""Starting in GUIs: the version Lizzie accepts, the engine warmed up on a
thread from start-up (name still instant, stderr told when it is slow),
and ``tengen warmup``."""

import logging
import threading
import time

from gtp_helpers import Collector, save_tiny_models

import tengen.gtp.server as gtp_server
from engine.player import Player
from tengen.gtp.config import EngineConfig, InitialGame
from tengen.gtp.protocol import LineReader
from tengen import __version__
from tengen.cli import main


def lizzie_minor(response_line):
    """What Lizzie 0.7.4's Leelaz.parseLine does with the ``version`` answer:
    the first word after ``=N``, split at dots, the second part as an int."""
    params = response_line.strip().split(" ")
    return int(params[1].split(".")[1])


def test_the_version_reads_as_leela_zero_0_17_to_lizzie_and_names_tengens_own():
    server = gtp_server.build_server(EngineConfig(player="random", setup=InitialGame(size=9)))
    out = Collector()
    server.handle_line("1 version", out, LineReader())
    line = out.text.split("\n")[0]
    assert lizzie_minor(line) >= 15
    assert line == f"=1 0.17.0+tengen-{__version__}"
    major, minor = line[3:].split(".")[:2]          # what other GUIs and the spec expect
    assert major.isdigit() and minor.isdigit()


class SlowPlayer(Player):
    """A player whose preparation blocks until released."""
    name = "slow"

    def __init__(self):
        self.release = threading.Event()
        self.prepared = threading.Event()

    def prepare(self, game):
        self.release.wait(30)
        self.prepared.set()

    def new_game(self, game):
        pass


def test_name_answers_while_the_engine_warms_up_and_stderr_says_why(monkeypatch, caplog):
    player = SlowPlayer()
    monkeypatch.setattr(gtp_server, "make_player", lambda config: player)
    monkeypatch.setattr(gtp_server, "NOTICE_AFTER", 0.05)
    server = gtp_server.build_server(EngineConfig(player="random", setup=InitialGame(size=9)))
    with caplog.at_level(logging.WARNING, logger="tengen.gtp.server"):
        thread = gtp_server.warm_up_in_background(server)
        out, reader = Collector(), LineReader()
        server.handle_line("name", out, reader)
        server.handle_line("protocol_version", out, reader)
        assert out.text == "= tengen\n\n= 2\n\n"
        assert not player.prepared.is_set()     # answered without waiting for the engine
        deadline = time.monotonic() + 30        # a guard against hanging only
        while gtp_server.SLOW_MESSAGE not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gtp_server.SLOW_MESSAGE in caplog.text        # said while still preparing
        assert not player.prepared.is_set()
        player.release.set()
        thread.join(10)
    assert player.prepared.is_set()
    assert "engine ready after" in caplog.text


def test_a_quick_warm_up_says_nothing(monkeypatch, caplog):
    player = SlowPlayer()
    player.release.set()
    monkeypatch.setattr(gtp_server, "make_player", lambda config: player)
    server = gtp_server.build_server(EngineConfig(player="random", setup=InitialGame(size=9)))
    with caplog.at_level(logging.WARNING):
        gtp_server.warm_up_in_background(server).join(10)
    assert player.prepared.is_set() and caplog.text == ""


def test_tengen_warmup_plays_a_gui_session(tmp_path, capsys):
    policy, value = save_tiny_models(tmp_path, seed=2)
    assert main(["warmup", "--policy-model", policy, "--value-model", value, "--threads", "1",
                 "--visits", "16"]) == 0
    err = capsys.readouterr().err
    for line in ("time_settings 0 5 1", "genmove b", "final_score"):
        assert line in err
    assert "mcts player ready" in err
