"""The search behind GTP: the analysis commands GUIs read (Leela Zero's and
KataGo's formats, parsed the way Lizzie does), their interruption, the
GoGui heat maps, the command set per player, start-up time, the command
line, and thinking time under GTP time controls.

Everything runs on 9x9 with tiny random-weight networks."""

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from gtp_helpers import Collector, save_tiny_models
from virtual_time import REAL_MONOTONIC, networks_take, virtual_time

import tengen.gtp.server as gtp_server
from engine.board import BLACK, WHITE
from engine.coords import parse_gtp
from tengen.gtp.config import EngineConfig, InitialGame
from tengen.gtp.protocol import LineReader
from tengen.gtp.server import build_server
from mcts.config import PlayConfig, SearchConfig
from nets.config import NetworkConfig
from tengen.base.config import from_args

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS = {"lz-analyze", "kata-analyze", "lz-genmove_analyze", "kata-genmove_analyze",
            "tengen-policy_heatmap", "tengen-value_heatmap"}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(policy path, value path): random networks of width 8."""
    return save_tiny_models(tmp_path_factory.mktemp("models"), seed=1)


def mcts_config(models, **kw):
    pol, val = models
    search = {"visits": 32, **{k: kw.pop(k) for k in list(kw) if k in ("visits", "lam", "rollouts")}}
    play = {"resign_threshold": 0.0,
            **{k: kw.pop(k) for k in list(kw) if k in ("time_per_move", "resign_threshold")}}
    return EngineConfig(player="mcts", setup=InitialGame(size=9), seed=1,
                        networks=NetworkConfig(pol, val, threads=1),
                        search=SearchConfig(**search), play=PlayConfig(**play), **kw)


class Session:
    """A server answering on a thread; ``ask`` sends a line and returns the
    next whole response (without its closing blank line)."""

    def __init__(self, config):
        self.server = build_server(config)
        self.reader, self.out = LineReader(), Collector()
        self.seen = 0
        self.thread = threading.Thread(target=self.server.serve, args=(self.reader, self.out),
                                       daemon=True)
        self.thread.start()

    def send(self, line):
        self.reader.push(line)

    def wait_until(self, condition, timeout=60):
        deadline = REAL_MONOTONIC() + timeout           # a guard against hanging only
        while not condition(self.out.text[self.seen:]):
            assert REAL_MONOTONIC() < deadline, f"timed out; output so far: {self.out.text[-500:]!r}"
            time.sleep(0.002)

    def response(self, timeout=60):
        self.wait_until(lambda t: "\n\n" in t, timeout)
        text = self.out.text[self.seen:]
        end = text.index("\n\n")
        self.seen += end + 2
        return text[:end]

    def ask(self, line, timeout=60):
        self.send(line)
        return self.response(timeout)

    def stream(self, line, infos=3, stop="name", until=None):
        """Start a streaming command, let it print ``infos`` lines (and
        until ``until()`` holds, if given), send ``stop``; returns (the
        streamed response, the answer to ``stop``)."""
        self.send(line)
        self.wait_until(lambda t: t.startswith("?") or (
            t.count("\ninfo ") >= infos and (until is None or until())))
        self.send(stop)
        first = self.response()
        return first, (self.response() if stop.strip() else None)

    @property
    def engine(self):
        return self.server.engine

    def close(self):
        self.reader.close()
        self.thread.join(30)


@pytest.fixture
def session(models):
    s = Session(mcts_config(models))
    yield s
    s.close()


# ---- what Lizzie reads --------------------------------------------------------------

LZ_MOVE = re.compile(r"(?:info )?move (\S+) visits (\d+) winrate (\d+) prior (\d+) lcb (\d+) "
                     r"order (\d+) pv((?: \S+)+)")
NUM = r"(-?[0-9]+\.[0-9]+)"
KATA_MOVE = re.compile(rf"(?:info )?move (\S+) visits (\d+) utility {NUM} winrate {NUM} "
                       r"(?:scoreMean -?[0-9.]+ scoreLead -?[0-9.]+ )?"
                       rf"prior {NUM} lcb {NUM} utilityLcb {NUM} order (\d+) pv((?: \S+)+)")


def parse_lines(response, pattern):
    """Each ``info`` line split into moves as Lizzie does (``" info "``)."""
    head, *lines = response.split("\n")
    assert head == "=" and lines
    parsed = []
    for line in lines:
        assert line.startswith("info move ")
        moves = []
        for part in line.split(" info "):
            m = pattern.fullmatch(part.strip())
            assert m, part
            moves.append(m.groups())
        parsed.append(moves)
    return parsed


def check_pv_legal(game, color, pv):
    g = game.copy()
    c = color
    for v in pv:
        p = parse_gtp(v, g.size)
        assert g.legal(p, c), (pv, v)
        g.play(p, c)
        c = 3 - c


def test_lz_analyze_lines_stop_at_the_next_command(session):
    for move in ("play b e5", "play w c3", "play b g4"):
        assert session.ask(move) == "="
    streamed, answer = session.stream("7 lz-analyze w 5", infos=3, stop="8 name")
    assert answer == "=8 tengen"
    streamed = streamed.replace("=7", "=", 1)
    game = session.engine.game
    lines = parse_lines(streamed, LZ_MOVE)
    assert len(lines) >= 3
    for moves in lines:
        orders = [int(m[5]) for m in moves]
        visits = [int(m[1]) for m in moves]
        assert orders == list(range(len(moves)))
        assert visits == sorted(visits, reverse=True) and visits[-1] > 0
        assert len({m[0] for m in moves}) == len(moves)
        for move, _, winrate, prior, low, _, pv in moves:
            assert 0 <= int(low) <= int(winrate) <= 10000 and 0 <= int(prior) <= 10000
            pv = pv.split()
            assert pv[0] == move
            check_pv_legal(game, WHITE, pv)
    # later lines have searched more
    assert sum(int(m[1]) for m in lines[-1]) > sum(int(m[1]) for m in lines[0])
    assert session.engine.game.moves == game.moves     # analysis plays nothing


def test_kata_analyze_floats_and_a_blank_line_stops_it(session):
    assert session.ask("play b d4") == "="
    streamed, _ = session.stream("kata-analyze b interval 5", infos=2, stop="")
    for moves in parse_lines(streamed, KATA_MOVE):
        assert [int(m[7]) for m in moves] == list(range(len(moves)))
        for move, visits, utility, winrate, prior, low, ulow, _, pv in moves:
            w, u = float(winrate), float(utility)
            assert 0 <= float(low) <= w <= 1 and 0 <= float(prior) <= 1
            assert u == pytest.approx(2 * w - 1, abs=2e-6)
            assert float(ulow) == pytest.approx(2 * float(low) - 1, abs=2e-6)
            check_pv_legal(session.engine.game, BLACK, pv.split())
    # the blank line was not a command; the next one is answered normally
    assert session.ask("5 name") == "=5 tengen"


def test_kata_analyze_reports_the_score_lead_after_each_move(session):
    """scoreLead (and scoreMean, KataGo's older name for it) is the side to
    move's lead after the move, from the value network's ownership head."""
    from nets.score import lead_after

    assert session.ask("play b d4") == "="
    streamed, _ = session.stream("kata-analyze w interval 5", infos=2, stop="name")
    line = streamed.split("\n")[-1]
    found = re.findall(rf"move (\S+) visits \d+ utility {NUM} winrate {NUM} "
                       rf"scoreMean {NUM} scoreLead {NUM} prior", line)
    assert found and len(found) == line.count("move ")
    game = session.engine.game
    nets = session.engine.player.ensure_search().nets
    moves = [parse_gtp(m[0], game.size) for m in found]
    expected = lead_after(nets, game, WHITE, moves)
    for (_, _, _, mean, lead), want in zip(found, expected):
        assert float(lead) == float(mean) == pytest.approx(want, abs=1e-3)


def test_analysis_arguments_in_every_form(session):
    for line in ("lz-analyze 5", "lz-analyze interval 5", "lz-analyze B",
                 "lz-analyze b 5 maxmoves 2 avoid b D4,E5 1 allow w C3 2",
                 "kata-analyze w 5 ownership true pvVisits true rootInfo true"):
        streamed, answer = session.stream(line, infos=2)
        assert answer == "= tengen", line
        lines = parse_lines(streamed, LZ_MOVE if line.startswith("lz") else KATA_MOVE)
        if "maxmoves 2" in line:
            assert all(len(moves) <= 2 for moves in lines)
    streamed, _ = session.stream("lz-analyze b 5 minmoves 30", infos=1)
    lines = parse_lines(streamed, LZ_MOVE)
    assert len(lines[0]) >= 30          # unsearched moves listed too, with 0 visits
    for bad, message in (("lz-analyze b 5 frobnicate 1", "unknown analysis option"),
                         ("lz-analyze interval", "needs a value"),
                         ("lz-analyze b 5 minmoves x", "non-negative integer"),
                         ("kata-analyze avoid b D4", "needs a colour"),
                         ("lz-analyze purple 5", "unknown analysis option")):
        reply = session.ask(bad)
        assert reply.startswith("? ") and message in reply, (bad, reply)


def test_genmove_analyze_plays_its_move(session):
    assert session.ask("play b e5") == "="
    session.send("3 lz-genmove_analyze w 1")
    session.send("4 name")               # pipelined: does not cut the move short
    response = session.response()
    *infos, last = response.split("\n")
    assert infos[0] == "=3" and len(infos) >= 2
    parse_lines("\n".join(["="] + infos[1:]), LZ_MOVE)
    assert last.startswith("play ")
    vertex = last.split()[1]
    assert session.engine.game.moves[-1] == (WHITE, parse_gtp(vertex, 9))
    assert session.response() == "=4 tengen"
    response = session.ask("kata-genmove_analyze b 1")
    assert response.split("\n")[-1].startswith("play ")
    assert [c for c, _ in session.engine.game.moves] == [BLACK, WHITE, BLACK]
    assert session.ask("lz-genmove_analyze red").startswith("? unknown analysis option")
    assert len(session.engine.game.moves) == 3


def test_a_full_tree_keeps_reporting_its_last_result(models, monkeypatch):
    """Memory stays bounded: a 300-node arena fills, and the analysis goes
    on printing the same result until it is stopped."""
    from mcts.player import SearchPlayer

    pol, val = models
    player = SearchPlayer(NetworkConfig(pol, val, threads=1), SearchConfig(max_nodes=300, seed=1))
    monkeypatch.setattr(gtp_server, "make_player", lambda config: player)
    s = Session(EngineConfig(player="random", setup=InitialGame(size=9)))
    full = {}

    def filled():
        # three lines printed after the arena filled and the search stopped
        search = player.search
        nodes = search.tree.meta[0] if search is not None else 0
        if search is not None and "at" not in full and \
                nodes >= len(search.tree.first) - search.cfg.batch_size:
            full["at"] = s.out.text.count("\ninfo ")
        return "at" in full and s.out.text.count("\ninfo ") >= full["at"] + 3
    try:
        streamed, answer = s.stream("lz-analyze b 2", infos=3, until=filled)
        assert answer == "= tengen"
        lines = streamed.split("\n")[1:]
        assert player.search.tree.meta[0] > 250
        assert lines[-1] == lines[-2] == lines[-3]
    finally:
        s.close()


# ---- GoGui ----------------------------------------------------------------------------

def parse_gfx(response, game, color):
    head, *rest = ("\n" + response[2:] if response.startswith("= ") else response).split("\n")
    assert head in ("", "=")
    coloured, labels, text = [], {}, None
    for line in rest:
        word, *args = line.split()
        if word == "COLOR":
            assert re.fullmatch(r"#[0-9a-f]{6}", args[0])
            coloured += args[1:]
        elif word == "LABEL":
            for v, lab in zip(args[::2], args[1::2]):
                labels[v] = int(lab)
        else:
            assert word == "TEXT"
            text = " ".join(args)
    points = [parse_gtp(v, game.size) for v in coloured]
    assert len(set(points)) == len(points)
    assert all(game.legal(p, color) for p in points)
    assert set(labels) <= set(coloured)
    assert all(0 <= x <= 100 for x in labels.values())
    return points, labels, text


def test_heat_maps(session):
    for move in ("play b e5", "play w d5", "play b d4"):
        session.ask(move)
    game = session.engine.game
    listed = session.ask("gogui-analyze_commands").split("\n")
    assert "gfx/Policy heat map/tengen-policy_heatmap" in listed
    assert "gfx/Value heat map/tengen-value_heatmap" in listed
    legal = set(game.legal_moves(WHITE))
    points, labels, text = parse_gfx(session.ask("tengen-policy_heatmap"), game, WHITE)
    assert set(points) == legal and text.startswith("White to move: policy best")
    points, labels, text = parse_gfx(session.ask("tengen-value_heatmap b"), game, BLACK)
    assert set(points) == set(game.legal_moves(BLACK))
    assert len(labels) == len(points) and "value network best" in text
    assert session.ask("tengen-policy_heatmap b w") == "? syntax error"


# ---- command sets, start-up, command line ----------------------------------------------

def command_set(config):
    s = Session(config)
    try:
        return set(s.ask("list_commands")[2:].split("\n"))
    finally:
        s.close()


def test_list_commands_is_exactly_what_each_player_implements(models):
    pol, val = models
    base = command_set(EngineConfig(player="random"))
    assert not base & ANALYSIS
    assert command_set(mcts_config(models)) == base | ANALYSIS
    assert command_set(EngineConfig(player="policy", networks=NetworkConfig(pol))) == \
        base | {"tengen-policy_heatmap"}


def test_start_up_stays_instant_with_the_search_player(models):
    """name, protocol_version, list_commands and a first Go command answer
    without PyTorch; the first genmove loads it."""
    pol, val = models
    script = (
        "import sys\n"
        "from tengen.gtp.config import EngineConfig, InitialGame\n"
        "from tengen.gtp.server import build_server\n"
        "from tengen.gtp.protocol import LineReader\n"
        "from mcts.config import SearchConfig\n"
        "from nets.config import NetworkConfig\n"
        "class Out:\n"
        "    def write(self, text): pass\n"
        f"config = EngineConfig(player='mcts', networks=NetworkConfig({pol!r}, {val!r}, 1), "
        "setup=InitialGame(size=9), search=SearchConfig(visits=8))\n"
        "server, reader = build_server(config), LineReader()\n"
        "for line in ('protocol_version', 'name', 'list_commands', 'boardsize 9', 'play b e5'):\n"
        "    server.handle_line(line, Out(), reader)\n"
        "print('torch' in sys.modules)\n"
        "server.handle_line('genmove w', Out(), reader)\n"
        "print('torch' in sys.modules, len(server.engine.game.moves))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().split("\n") == ["False", "True 2", ""]


def test_command_line_options(models):
    import argparse

    pol, val = models
    parser = argparse.ArgumentParser()
    gtp_server.add_arguments(parser)
    args = parser.parse_args(["--policy-model", pol, "--visits", "50", "--time-per-move", "2.5",
                              "--batch-size", "8", "--lambda", "0.5", "--threads", "1",
                              "--resign-threshold", "0.1", "--seed", "3",
                              "--expand-threshold", "3"])
    config = from_args(EngineConfig, args)
    assert config.chosen_player == "mcts"     # a policy network given: the search plays
    assert (config.search.visits, config.play.time_per_move, config.search.batch_size,
            config.search.leaf_lambda, config.search.with_rollouts, config.networks.threads,
            config.play.resign_threshold, config.search.expand_threshold, config.seed) == \
        (50, 2.5, 8, 0.5, True, 1, 0.1, 3, 3)
    args = parser.parse_args(["--player", "random", "--no-rollouts"])
    assert from_args(EngineConfig, args).search.with_rollouts is False
    assert from_args(EngineConfig, args).search.leaf_lambda == 1.0
    defaults = from_args(EngineConfig, parser.parse_args([])).search
    assert (defaults.with_rollouts, defaults.leaf_lambda) == (False, 1.0)   # the value net alone
    mixed = from_args(EngineConfig, parser.parse_args(["--rollouts"])).search
    assert (mixed.with_rollouts, mixed.leaf_lambda) == (True, 0.5)          # AlphaGo's mix
    with pytest.raises(ValueError):
        from_args(EngineConfig, parser.parse_args(["--no-rollouts", "--lambda", "0.5"]))
    server = [sys.executable, str(ROOT / "gtp_server.py")]
    for bad, message in ((["--visits", "0"], b"must be at least 1"),
                         (["--lambda", "2"], b"between 0 and 1"),
                         (["--time-per-move", "-1"], b"positive number of seconds"),
                         (["--resign-threshold", "0.5"], b"below 0.5"),
                         (["--expand-threshold", "0"], b"must be at least 1")):
        proc = subprocess.run(server + bad, capture_output=True, timeout=60)
        assert proc.returncode == 2 and message in proc.stderr, bad
    help_text = subprocess.run(server + ["--help"], capture_output=True, timeout=60).stdout
    for option in (b"--visits", b"--time-per-move", b"--batch-size", b"--lambda",
                   b"--rollouts", b"--threads", b"--resign-threshold", b"--seed",
                   b"--expand-threshold"):
        assert option in help_text


def test_a_network_player_without_a_network_is_refused_at_start():
    if NetworkConfig().has_policy():
        pytest.skip("the default policy network exists")
    proc = subprocess.run([sys.executable, str(ROOT / "gtp_server.py"), "--player", "mcts"],
                          input=b"name\n", capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"needs a policy network" in proc.stderr
    assert EngineConfig().chosen_player == "random"


# ---- time -------------------------------------------------------------------------------
# The engine's time passes only while its networks compute (``tests/virtual_time.py``),
# NETWORK_PASS seconds a pass: how long each move thinks and what the clock is charged are
# then exact, however busy the machine.

NETWORK_PASS = 0.005


@pytest.fixture
def timed(models, monkeypatch):
    """(a session of the search player without a visit limit, its virtual clock)."""
    clock = virtual_time(monkeypatch)
    networks_take(monkeypatch, clock, NETWORK_PASS)
    s = Session(mcts_config(models, visits=None))
    yield s, clock
    s.close()


def timed_genmoves(session, clock, count):
    walls = []
    for i in range(count):
        color = "bw"[i % 2]
        t0 = clock()
        reply = session.ask(f"genmove {color}")
        walls.append(clock() - t0)
        assert reply.startswith("= ") and reply != "= resign", reply
    return walls


def test_canadian_byo_yomi_one_second_per_move(timed):
    s, clock = timed
    assert s.ask("time_settings 0 1 1") == "="
    assert s.engine.player.search is not None      # networks loaded before the clock runs
    walls = timed_genmoves(s, clock, 4)
    assert max(walls) < 1.0
    assert sum(walls) > 4 * 0.1                     # and the time is used
    for color in (BLACK, WHITE):
        assert s.engine.clock.side(color).stones == 1
    # lz-genmove_analyze thinks under the same clock
    t0 = clock()
    assert s.ask("lz-genmove_analyze b 10").split("\n")[-1].startswith("play ")
    assert clock() - t0 < 1.0 and len(s.engine.game.moves) == 5


def test_japanese_byo_yomi_is_never_exceeded(timed):
    s, clock = timed
    assert s.ask("kgs-time_settings byoyomi 0 1 2") == "="
    walls = timed_genmoves(s, clock, 4)
    assert max(walls) < 1.0
    for color in (BLACK, WHITE):
        assert s.engine.clock.side(color).stones == 2     # no period lost


def test_absolute_time_follows_time_left(timed):
    s, clock = timed
    assert s.ask("time_settings 12 0 0") == "="
    assert s.ask("time_left b 3 0") == "="
    # 2.5 s (lag kept back) over ~24 moves left: 0.1 s, 0.2 s at most
    t0 = clock()
    assert s.ask("genmove b").startswith("= ")
    assert clock() - t0 < 0.5
    assert 2.5 < s.engine.clock.side(BLACK).main_left < 3.0
    # lz-genmove_analyze is charged like genmove
    t0 = clock()
    assert s.ask("lz-genmove_analyze w 10").split("\n")[-1].startswith("play ")
    wall = clock() - t0
    assert 12 - wall <= s.engine.clock.side(WHITE).main_left < 12 - wall / 2
    assert s.ask("time_left w 0.2 0") == "="      # less than the lag: move at once
    t0 = clock()
    reply = s.ask("genmove w")
    assert clock() - t0 < 0.3
    assert reply.startswith("= ") and s.engine.player.search.visits_done == 0


# ---- KataGo's extra fields, and avoid / allow ----------------------------------------

def _fields(part):
    """``key value value ...`` runs of one ``info`` part, by key (numbers and
    vertices after a key are its values)."""
    words = part.split()
    out, key = {}, None
    for w in words:
        if re.fullmatch(r"[A-Za-z]+", w) and not re.fullmatch(r"[A-HJ-Ta-hj-t][0-9]+|pass", w):
            key = w
            out[key] = []
        else:
            out[key].append(w)
    return out


def test_kata_analyze_prints_ownership_from_the_top_left_in_the_movers_frame(session):
    """KataGo's order: row by row from A9 (top left) to J1; +1 is the side
    to move's.  The stand-in ownership head owns A1 for the mover and J9
    for the opponent, so the first value (A9) is 0, A1 (first of the last
    row) is +1 and J9 (last of the first row) is -1."""
    session.ask("boardsize 9")
    session.ask("play b e5")
    nets = session.engine.player.networks_for(9)
    real = nets.value_and_ownership

    def fake(planes, symmetries=1):
        v, own = real(planes, symmetries)
        own = np.zeros_like(own)
        own[:, 0, 0] = 1.0          # row 0 is line 1: A1
        own[:, 8, 8] = -1.0         # J9
        return v, own
    nets.value_and_ownership = fake
    try:
        first, _ = session.stream("kata-analyze w 5 ownership true rootInfo true", infos=1)
    finally:
        del nets.value_and_ownership
    line = first.split("\n")[1]
    info, _, own = line.rpartition(" ownership ")
    values = [float(x) for x in own.split()]
    assert len(values) == 81
    assert values[0] == 0.0 and values[8 * 9] == 1.0 and values[8] == -1.0
    root = _fields(info.rpartition(" rootInfo ")[2])
    assert int(root["visits"][0]) > 0 and 0 <= float(root["winrate"][0]) <= 1
    assert "scoreLead" in root


def test_kata_analyze_prints_pv_visits_and_each_moves_ownership(session):
    session.ask("boardsize 9")
    first, _ = session.stream("kata-analyze b 5 pvVisits true movesOwnership true", infos=2)
    last = first.split("\n")[-1]
    for part in last.split(" info ")[:3]:
        f = _fields(part)
        pv, visits = f["pv"], [int(v) for v in f["pvVisits"]]
        assert len(visits) == len(pv) and visits[0] == int(f["visits"][0])
        assert visits == sorted(visits, reverse=True)      # a line's visits only shrink
        assert f["pvEdgeVisits"] == f["pvVisits"]          # a tree: every position one edge
        own = [float(x) for x in f["movesOwnership"]]
        assert len(own) == 81 and all(-1 <= x <= 1 for x in own)


def test_allow_and_avoid_restrict_the_moves_searched_at_the_root(session):
    session.ask("boardsize 9")
    first, _ = session.stream("kata-analyze b 5 allow b D4,E5 1", infos=2)
    shown = {m[0] for line in parse_lines(first, KATA_MOVE) for m in line}
    assert shown <= {"D4", "E5"} and shown
    first, _ = session.stream("lz-analyze b 5 avoid b E5,D4 1 avoid b C3 1", infos=2)
    shown = {m[0] for line in parse_lines(first, LZ_MOVE) for m in line}
    assert shown and not shown & {"E5", "D4", "C3"}
    # the other side's avoid list does not bind the side analysed
    first, _ = session.stream("lz-analyze b 5 minmoves 81 avoid w E5 1", infos=2)
    assert "E5" in {m[0] for line in parse_lines(first, LZ_MOVE) for m in line}


@pytest.mark.parametrize("args, message", [
    ("allow b D4 1 allow b E5 1", "once"),
    ("allow b D4 1 avoid b E5 1", "together"),
    ("avoid b Z99 1", "bad vertex"),
    ("ownership maybe", "true or false"),
])
def test_bad_avoid_allow_and_switches_are_clear_errors(session, args, message):
    session.ask("boardsize 9")
    answer = session.ask(f"kata-analyze b 5 {args}")
    assert answer.startswith("?") and message in answer
    assert session.ask("name") == "= tengen"
