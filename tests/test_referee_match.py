"""``tengen match``: the referee's rules (forfeits, scoring, SGF output, the
results table) with tiny scripted engines, then real games between tengen's
random player and GNU Go."""

import math
import pathlib
import subprocess
import sys

import pytest
from conftest import GNUGO, needs_gnugo

from engine.board import BLACK, PASS, WHITE
from engine.coords import parse_gtp
from engine.game_setup import GameSetup
from engine.handicap import fixed_handicap_points
from engine.sgf.read import load_sgf
from tengen.referee.elo import elo_from_share, elo_interval, results_table
from tengen.referee.match import MatchConfig, Referee, _parse_score

ROOT = pathlib.Path(__file__).resolve().parent.parent

# A scripted GTP engine: answers everything with "=", and genmove as its
# behaviour says (a list of moves to play in turn, then "pass").
FAKE = r'''
import sys, time
moves = sys.argv[1].split(",") if sys.argv[1] else []
n = 0
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    cmd = words[0]
    if cmd == "quit":
        print("=\n", flush=True)
        break
    if cmd == "name":
        print("= fake\n", flush=True)
    elif cmd == "genmove":
        move = moves[n] if n < len(moves) else "pass"
        n += 1
        if move == "crash":
            sys.exit(3)
        if move.startswith("sleep"):
            time.sleep(float(move[5:]))
            move = "pass"
        if move == "fail":
            print("? no idea\n", flush=True)
            continue
        print("= " + move + "\n", flush=True)
    elif cmd == "clear_board":
        n = 0
        print("=\n", flush=True)
    elif cmd == "final_score":
        print("= " + (sys.argv[2] if len(sys.argv) > 2 else "0") + "\n", flush=True)
    elif cmd == "boardsize" and "x" in sys.argv[3:]:
        print("? unacceptable size\n", flush=True)
    elif cmd == "play" and "noplay" in sys.argv[3:]:
        print("? not now\n", flush=True)
    else:
        print("=\n", flush=True)
'''


@pytest.fixture
def fake(tmp_path):
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE)

    def command(moves="", score="0", refuse_size=False, refuse_play=False):
        extra = (" x" if refuse_size else "") + (" noplay" if refuse_play else "")
        return f"{sys.executable} {script} '{moves}' {score}{extra}"
    return command


def referee(a, b, tmp_path, **kw):
    kw.setdefault("setup", GameSetup(size=5, komi=0.5))
    kw.setdefault("games", 1)
    kw.setdefault("time_per_move", 0.5)
    kw.setdefault("grace", 0.5)
    kw.setdefault("startup_timeout", 10)
    kw.setdefault("status_playouts", 16)
    return Referee(MatchConfig(a, b, sgf_dir=str(tmp_path / "sgf"), **kw)).run()


def test_two_passes_are_scored_by_area(fake, tmp_path):
    r = referee(fake("c3"), fake(""), tmp_path)
    (o,) = r.outcomes
    # B c3, W pass, B pass: one black stone owns the 5x5 board
    assert (o.winner, o.result, o.moves, o.forfeit) == (BLACK, "B+24.5", 3, None)
    record = load_sgf(tmp_path / "sgf" / "game-001.sgf")
    assert record.result == "B+24.5" and len(record.moves) == 3
    assert record.properties["PB"] == ["A: fake"] and record.properties["PW"] == ["B: fake"]
    assert "two passes" in record.comments[-1]


def test_resignation(fake, tmp_path):
    (o,) = referee(fake("c3"), fake("resign"), tmp_path).outcomes
    assert (o.winner, o.result, o.reason) == (BLACK, "B+R", "B: fake resigned")


def test_illegal_and_unreadable_moves_forfeit(fake, tmp_path):
    (o,) = referee(fake("c3,c3"), fake("d4"), tmp_path).outcomes     # black plays c3 twice
    assert (o.winner, o.result, o.forfeit) == (WHITE, "W+F", "illegal")
    (o,) = referee(fake("c3"), fake("z9"), tmp_path).outcomes
    assert (o.winner, o.forfeit) == (BLACK, "illegal")
    (o,) = referee(fake("c3"), fake("fail"), tmp_path).outcomes
    assert (o.winner, o.forfeit) == (BLACK, "failure")


def test_crash_and_timeout_forfeit_and_the_engine_is_restarted(fake, tmp_path):
    r = referee(fake("c3,crash"), fake(""), tmp_path, games=2)
    first, second = r.outcomes
    assert (first.winner, first.result, first.forfeit, first.moves) == (WHITE, "W+F", "crash", 2)
    # restarted for game 2 (a dead engine would forfeit before any move)
    assert (second.winner, second.forfeit, second.moves) == (WHITE, "crash", 2)
    (o,) = referee(fake("c3,sleep3"), fake(""), tmp_path, startup_timeout=1).outcomes
    assert (o.winner, o.result, o.forfeit) == (WHITE, "W+T", "timeout")


def test_move_cap(fake, tmp_path):
    (o,) = referee(fake("a1,b1,c1,d1,e1"), fake("a5,b5,c5,d5,e5"), tmp_path, max_moves=6).outcomes
    assert o.moves == 6 and "move cap (6)" in o.reason


def test_engine_scores(fake, tmp_path):
    (o,) = referee(fake("", "W+3.5"), fake("", "W+3.5"), tmp_path, score="engine").outcomes
    assert (o.winner, o.result) == (WHITE, "W+3.5")
    # disagreement: tengen's count decides (empty 5x5 board, komi 0.5)
    (o,) = referee(fake("", "B+1"), fake("", "W+2"), tmp_path, score="engine").outcomes
    assert o.result == "W+0.5"


def test_alternating_colours_and_the_table(fake, tmp_path):
    r = referee(fake("c3"), fake(""), tmp_path, games=4, alternate=True)
    assert [o.a_color for o in r.outcomes] == [BLACK, WHITE, BLACK, WHITE]
    # A plays c3 as its first move and wins every game, as Black by area
    # after B's passes, as White because Black passes first and loses komi...
    assert [o.winner for o in r.outcomes] == [BLACK, WHITE, BLACK, WHITE]
    assert all(o.a_won for o in r.outcomes)
    table = results_table(r)
    lines = table.split("\n")
    assert lines[1].split()[-3:] == ["4/4", "2/2", "2/2"]
    assert lines[2].split()[-3:] == ["0/4", "0/2", "0/2"]
    assert "black won 2, white won 2, drawn 0" in table
    assert "Elo difference A - B: +inf (95% interval +" in table
    assert len(list((tmp_path / "sgf").glob("game-*.sgf"))) == 4


def write_openings(folder, size, games):
    """Records ``games`` (lists of SGF points, Black first) as SGF files."""
    folder.mkdir()
    for i, points in enumerate(games):
        body = "".join(f";{'BW'[k % 2]}[{p}]" for k, p in enumerate(points))
        (folder / f"g{i}.sgf").write_text(f"(;GM[1]SZ[{size}]{body})")
    return str(folder)


def test_each_opening_is_played_twice_with_colours_swapped(fake, tmp_path):
    openings = write_openings(tmp_path / "openings", 5, [["cc", "bb", "dd"], ["bc", "dc"]])
    r = referee(fake(""), fake(""), tmp_path, games=4, alternate=True, openings=openings,
                opening_moves=2)
    first = [(BLACK, parse_gtp("C3", 5)), (WHITE, parse_gtp("B4", 5))]
    second = [(BLACK, parse_gtp("B3", 5)), (WHITE, parse_gtp("D3", 5))]
    for number, (o, opening) in enumerate(zip(r.outcomes, [first, first, second, second]), 1):
        record = load_sgf(tmp_path / "sgf" / f"game-{number:03d}.sgf")
        # the opening, then both engines pass
        assert record.moves[:2] == opening and [p for _, p in record.moves[2:]] == [PASS, PASS]
        assert o.moves == 4 and o.forfeit is None and "first 2 moves of" in o.opening
        assert "opening: first 2 moves of" in record.root_comment
    assert [o.a_color for o in r.outcomes] == [BLACK, WHITE, BLACK, WHITE]
    with pytest.raises(ValueError, match="2 usable openings"):     # 5 games need 3
        referee(fake(""), fake(""), tmp_path, games=5, alternate=True, openings=openings,
                opening_moves=2)


def test_an_engine_that_rejects_an_opening_move_forfeits(fake, tmp_path):
    openings = write_openings(tmp_path / "openings", 5, [["cc", "bb"]])
    (o,) = referee(fake(""), fake("", refuse_play=True), tmp_path, openings=openings,
                   opening_moves=2).outcomes
    assert (o.winner, o.result, o.forfeit) == (BLACK, "B+F", "failure")
    assert "rejected an opening move" in o.reason


def test_openings_and_handicap_cannot_be_combined(tmp_path):
    with pytest.raises(ValueError, match="cannot be combined"):
        MatchConfig("a", "b", setup=GameSetup(size=9), handicap=2, openings=str(tmp_path))


def test_a_refused_board_size_stops_the_match(fake, tmp_path):
    from tengen.referee.match import MatchError
    with pytest.raises(MatchError, match="refuses the game settings"):
        referee(fake(""), fake("", "0", refuse_size=True), tmp_path)
    with pytest.raises(MatchError, match="cannot start"):
        referee("/nonexistent/engine", fake(""), tmp_path)


def test_elo_statistics():
    assert elo_from_share(0.5) == 0
    assert elo_from_share(0.75) == pytest.approx(190.85, abs=0.01)
    assert elo_from_share(0) == -math.inf and elo_from_share(1) == math.inf
    elo, lo, hi = elo_interval(50, 0, 100)
    assert elo == 0 and lo == pytest.approx(-hi) and 60 < hi < 80
    elo, lo, hi = elo_interval(10, 0, 10)
    assert elo == math.inf and hi == math.inf and 100 < lo < 300
    elo, lo, hi = elo_interval(3, 2, 10)        # draws count half
    assert elo == pytest.approx(elo_from_share(0.4))


def test_parse_score():
    assert _parse_score("B+3.5") == 3.5
    assert _parse_score("w+2") == -2
    assert _parse_score("0") == 0
    for bad in ("B+R", "W+", "resign", "B+nan"):
        with pytest.raises(ValueError):
            _parse_score(bad)


def test_command_line_checks():
    def run(*args):
        return subprocess.run([sys.executable, "-m", "tengen.cli", "match", *args],
                              capture_output=True, timeout=60, cwd=ROOT)
    proc = run("--black", "x")
    assert proc.returncode == 2 and b"give either --black and --white" in proc.stderr
    proc = run("--black", "x", "--white", "y", "--engine-a", "z", "--engine-b", "w")
    assert proc.returncode == 2
    proc = run("--black", "x", "--white", "y", "--size", "30")
    assert proc.returncode == 2 and b"board size must be 2..25" in proc.stderr


# ---- against GNU Go ----------------------------------------------------------

TENGEN = f"{sys.executable} {ROOT / 'gtp_server.py'} --player random --seed 1"


@needs_gnugo
@pytest.mark.slow
@pytest.mark.parametrize("size, games", [(9, 2), (19, 1)])
def test_tengen_against_gnugo(tmp_path, size, games):
    """Complete games to two passes or a resignation: two on 9x9 (colours
    alternate), one on 19x19 (about 470 moves, under a minute: GNU Go needs
    0.1-0.3 s a move there at level 1)."""
    gnugo = f"{GNUGO} --mode gtp --level 1"
    proc = subprocess.run(
        [sys.executable, "-m", "tengen.cli", "match", "--engine-a", TENGEN, "--engine-b", gnugo,
         "--games", str(games), "--size", str(size), "--komi", "7.5", "--time-per-move", "1",
         "--sgf-dir", str(tmp_path), "--status-playouts", "64"],
        capture_output=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    table = proc.stdout.decode()
    assert "A: tengen" in table and "B: GNU Go" in table
    assert f"games {games}:" in table and "Elo difference A - B:" in table
    assert "forfeits: illegal 0, timeout 0, crash 0, failure 0" in table
    progress = [ln for ln in proc.stderr.decode().split("\n") if ln.startswith("game ")]
    assert len(progress) == games
    files = sorted(tmp_path.glob("game-*.sgf"))
    assert len(files) == games
    for i, path in enumerate(files):
        record = load_sgf(path)
        assert record.size == size and record.komi == 7.5
        assert record.result and record.result[0] in "BW0"
        game = record.to_game()                     # every move legal
        assert game.is_over or record.result.endswith("+R")
        tengen_black = i == 0
        assert record.properties["PB" if tengen_black else "PW"][0].startswith("A: tengen")


@needs_gnugo
def test_a_handicap_game_gives_black_the_fixed_stones_and_white_the_first_move(tmp_path):
    """``--handicap 4`` on 9x9: both engines get GTP's four points (GNU Go
    and tengen place them with ``fixed_handicap``), White moves first, and
    the record says HA[4] with the stones as setup."""
    gnugo = f"{GNUGO} --mode gtp --level 1"
    proc = subprocess.run(
        [sys.executable, "-m", "tengen.cli", "match", "--black", gnugo, "--white", TENGEN,
         "--games", "1", "--size", "9", "--komi", "0.5", "--handicap", "4",
         "--time-per-move", "1", "--sgf-dir", str(tmp_path), "--status-playouts", "32"],
        capture_output=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert "forfeits: illegal 0, timeout 0, crash 0, failure 0" in proc.stdout.decode()
    record = load_sgf(tmp_path / "game-001.sgf")
    assert record.handicap == 4 and record.komi == 0.5
    assert sorted(record.setup) == sorted(fixed_handicap_points(4, 9))
    assert set(record.setup.values()) == {BLACK}
    assert record.moves[0][0] == WHITE and record.first_to_move == WHITE
    record.to_game()                                 # every move legal after the stones


def test_a_handicap_gtp_does_not_define_is_refused():
    proc = subprocess.run([sys.executable, "-m", "tengen.cli", "match", "--black", "x",
                           "--white", "y", "--size", "19", "--handicap", "10"],
                          capture_output=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2 and b"no fixed handicap" in proc.stderr


@needs_gnugo
def test_gnugo_takes_the_opening_and_plays_on_from_it(tmp_path):
    """A 9x9 game against GNU Go from a recorded opening: both engines got
    the opening's moves (every later move is legal on the referee's board,
    and GNU Go would forfeit a rejected one)."""
    openings = write_openings(tmp_path / "openings", 9, [["ee", "cg", "gc", "cc"]])
    gnugo = f"{GNUGO} --mode gtp --level 1"
    proc = subprocess.run(
        [sys.executable, "-m", "tengen.cli", "match", "--engine-a", TENGEN, "--engine-b", gnugo,
         "--games", "2", "--size", "9", "--komi", "7.5", "--time-per-move", "1",
         "--openings", openings, "--opening-moves", "4", "--sgf-dir", str(tmp_path / "sgf"),
         "--status-playouts", "32"],
        capture_output=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert "forfeits: illegal 0, timeout 0, crash 0, failure 0" in proc.stdout.decode()
    assert proc.stderr.decode().count("after the first 4 moves of") == 2
    for name in ("game-001.sgf", "game-002.sgf"):
        record = load_sgf(tmp_path / "sgf" / name)
        assert [p for _, p in record.moves[:4]] == [parse_gtp(m, 9) for m in ("E5", "C3", "G7", "C7")]
        assert len(record.moves) > 4
        record.to_game()                             # every move legal

