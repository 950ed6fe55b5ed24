"""GTP conformance, in-process: every command with valid and malformed input.

The server runs in this process (no subprocess, no reader thread) so
hundreds of commands take milliseconds; ``test_gtp_server`` checks the
same framing through a real ``python gtp_server.py``.
"""

import pytest
from gtp_helpers import Session
from test_dead_stones import SEKI

from engine.ascii import from_ascii, to_ascii
from engine.board import BLACK, PASS, WHITE
from engine.coords import format_gtp, parse_gtp
from engine.game import Game
from engine.handicap import fixed_handicap_points
from engine.sgf.read import parse_sgf
from engine.sgf.write import save_sgf


@pytest.fixture
def gtp():
    return Session()


# ---- protocol basics --------------------------------------------------------

def test_protocol_commands(gtp):
    assert gtp.ok("protocol_version") == "2"
    assert gtp.ok("name") == "tengen"
    version = gtp.ok("version")
    major, minor = version.split(".")[:2]
    assert major.isdigit() and minor.isdigit()
    assert gtp.fail("protocol_version 3") == "syntax error"
    assert gtp.fail("frobnicate") == "unknown command"


def test_list_commands_is_exactly_what_is_implemented(gtp):
    listed = gtp.ok("list_commands").split("\n")
    assert listed == sorted(set(listed))
    for required in ("protocol_version", "name", "version", "known_command", "list_commands",
                     "quit", "boardsize", "clear_board", "komi", "play", "genmove", "undo",
                     "showboard", "fixed_handicap", "place_free_handicap", "set_free_handicap",
                     "final_score", "final_status_list", "time_settings", "time_left",
                     "kgs-time_settings", "kgs-genmove_cleanup", "kgs-rules", "loadsgf",
                     "printsgf", "reg_genmove", "gogui-analyze_commands"):
        assert required in listed
    for name in listed:
        assert gtp.ok(f"known_command {name}") == "true"
        # every listed command is registered: it never answers "unknown command"
        assert gtp.raw(f"{name} ###") != "? unknown command\n\n"
    assert gtp.ok("known_command frobnicate") == "false"
    assert gtp.fail("known_command") == "syntax error"


def test_ids_are_echoed(gtp):
    assert gtp.raw("5 name") == "=5 tengen\n\n"
    assert gtp.raw("17 frobnicate") == "?17 unknown command\n\n"
    assert gtp.raw("0 boardsize 9") == "=0\n\n"
    assert gtp.raw("42 play b d4") == "=42\n\n"
    assert gtp.raw("43 play b d4") == "?43 illegal move\n\n"
    assert gtp.raw("7") == "?7 syntax error\n\n"


def test_comments_blank_lines_tabs_and_control_characters(gtp):
    assert gtp.raw("") == ""
    assert gtp.raw("   \t  ") == ""
    assert gtp.raw("# just a comment") == ""
    assert gtp.raw("name # trailing comment") == "= tengen\n\n"
    assert gtp.raw("3\tname\r") == "=3 tengen\n\n"
    assert gtp.raw("na\x01me\x7f") == "= tengen\n\n"
    assert gtp.raw("play\tb\tc3\r") == "=\n\n"
    assert gtp.game.color_at(parse_gtp("C3", 9)) == BLACK


def test_colours_and_vertices_are_case_insensitive(gtp):
    gtp.ok("play B c3")
    gtp.ok("play WHITE D4")
    gtp.ok("play Black e5")
    gtp.ok("play w PASS")
    g = gtp.game
    assert [(c, format_gtp(p, 9)) for c, p in g.moves] == [
        (BLACK, "C3"), (WHITE, "D4"), (BLACK, "E5"), (WHITE, "pass")]


# ---- boardsize, clear_board, komi ---------------------------------------------

@pytest.mark.parametrize("size", [2, 5, 9, 13, 19, 25])
def test_boardsize_accepts_2_to_25(gtp, size):
    gtp.ok(f"boardsize {size}")
    assert gtp.game.size == size and not gtp.game.stones()
    assert len(gtp.board().split("\n")) == size


@pytest.mark.parametrize("size", ["1", "26", "0", "-3", "100"])
def test_boardsize_out_of_range(gtp, size):
    gtp.ok("play b e5")
    assert gtp.fail(f"boardsize {size}") == "unacceptable size"
    assert gtp.game.size == 9 and len(gtp.game.moves) == 1   # nothing changed


@pytest.mark.parametrize("args", ["", "nine", "9 9", "9.0", "1_9"])
def test_boardsize_syntax(gtp, args):
    assert gtp.fail(f"boardsize {args}") == "syntax error"


def test_komi_survives_boardsize_and_clear_board(gtp):
    gtp.ok("komi 0.5")       # Sabaki sends komi before boardsize
    gtp.ok("boardsize 13")
    assert gtp.game.komi == 0.5
    gtp.ok("play b d4")
    gtp.ok("clear_board")
    assert gtp.game.komi == 0.5 and not gtp.game.moves and gtp.game.size == 13
    gtp.ok("komi -3")
    assert gtp.game.komi == -3


@pytest.mark.parametrize("args", ["", "seven", "nan", "inf", "1 2", "6,5"])
def test_komi_syntax(gtp, args):
    assert gtp.fail(f"komi {args}") == "syntax error"
    assert gtp.game.komi == 7.5


def test_clear_board_rejects_arguments(gtp):
    assert gtp.fail("clear_board now") == "syntax error"


# ---- play ---------------------------------------------------------------------

def test_play_errors(gtp):
    gtp.ok("play b e5")
    assert gtp.fail("play b e5") == "illegal move"          # occupied
    assert gtp.fail("play x e4") == "invalid color"
    assert gtp.fail("play e4 b") == "invalid color"
    assert gtp.fail("play b i5") == "invalid coordinate"     # no I column
    assert gtp.fail("play b k5") == "invalid coordinate"     # off a 9x9 board
    assert gtp.fail("play b e10") == "invalid coordinate"
    assert gtp.fail("play b e0") == "invalid coordinate"
    assert gtp.fail("play b 55") == "invalid coordinate"
    assert gtp.fail("play b") == "syntax error"
    assert gtp.fail("play") == "syntax error"
    assert gtp.fail("play b e4 e3") == "syntax error"
    assert len(gtp.game.moves) == 1


def test_play_suicide_and_ko():
    gtp = Session(size=5)
    # black stones around A1; white playing A1 would be suicide
    for v in ("b2", "a2", "b1"):
        gtp.ok(f"play b {v}")
    assert gtp.fail("play w a1") == "illegal move"
    # a ko: white takes, black may not retake at once
    gtp.ok("clear_board")
    for c, v in (("b", "b3"), ("w", "c3"), ("b", "a2"), ("w", "d2"), ("b", "b1"), ("w", "c1"),
                 ("b", "c2"), ("w", "b2")):       # white b2 captures c2
        gtp.ok(f"play {c} {v}")
    assert gtp.game.color_at(parse_gtp("c2", 5)) == 0
    assert gtp.fail("play b c2") == "illegal move"           # ko
    gtp.ok("play b e5")                                      # ko threat
    gtp.ok("play w e4")
    gtp.ok("play b c2")                                      # now legal


def test_consecutive_plays_of_one_colour(gtp):
    """Sabaki replays setup stones as plays of one colour."""
    for v in ("c3", "g7", "c7", "g3"):
        gtp.ok(f"play b {v}")
    assert sorted(format_gtp(p, 9) for p in gtp.game.stones()) == ["C3", "C7", "G3", "G7"]
    assert gtp.game.to_move == WHITE


def test_positional_superko():
    """On 3x3 the sixth move restores an earlier position: refused under
    Chinese rules (positional superko) and allowed under Japanese rules
    (simple ko only)."""
    moves = [("b", "a2"), ("w", "b1"), ("b", "b3"), ("w", "b2"), ("b", "a1"), ("w", "a3")]
    shadow = Game(3)
    for c, v in moves:
        shadow.play(parse_gtp(v, 3), BLACK if c == "b" else WHITE)
    assert shadow.why_illegal(parse_gtp("a2", 3), BLACK) == "superko"
    for rules, answer in (("chinese", "?"), ("japanese", "=")):
        gtp = Session(size=3)
        gtp.ok(f"kgs-rules {rules}")
        for c, v in moves:
            gtp.ok(f"play {c} {v}")
        assert gtp.raw("play b a2")[0] == answer


# ---- genmove ------------------------------------------------------------------

def test_genmove_plays_legal_moves(gtp):
    for i in range(30):
        color = BLACK if i % 2 == 0 else WHITE
        before = gtp.game.copy()
        p = parse_gtp(gtp.ok(f"genmove {'bw'[i % 2]}"), 9)
        assert before.legal(p, color)
        assert gtp.game.moves == before.moves + [(color, p)]


def test_genmove_errors(gtp):
    assert gtp.fail("genmove") == "syntax error"
    assert gtp.fail("genmove x") == "invalid color"
    assert gtp.fail("genmove b w") == "syntax error"
    assert not gtp.game.moves


def test_reg_genmove_does_not_play(gtp):
    v = gtp.ok("reg_genmove b")
    assert parse_gtp(v, 9) != PASS
    assert not gtp.game.moves
    assert gtp.fail("reg_genmove") == "syntax error"


def test_genmove_passes_when_only_own_eyes_are_left(tmp_path):
    game = from_ascii("""
        X X X X X
        X . X . X
        X X X X X
        X X X X X
        X X X X X
    """)
    save_sgf(game, tmp_path / "eyes.sgf")
    gtp = Session(size=5)
    gtp.ok(f"loadsgf {tmp_path / 'eyes.sgf'}")
    assert gtp.ok("genmove b") == "pass"      # only its own eyes are left
    assert gtp.ok("genmove w") == "pass"      # both points are suicide for white
    assert gtp.ok("genmove b") == "pass"
    assert gtp.game.is_over


def test_kgs_genmove_cleanup(gtp):
    v = gtp.ok("kgs-genmove_cleanup w")
    assert gtp.game.moves == [(WHITE, parse_gtp(v, 9))]
    assert gtp.fail("kgs-genmove_cleanup") == "syntax error"


# ---- undo ---------------------------------------------------------------------

def test_undo(gtp):
    assert gtp.fail("undo") == "cannot undo"
    gtp.ok("play b e5")
    gtp.ok("play w d5")
    gtp.ok("undo")
    assert gtp.game.moves == [(BLACK, parse_gtp("e5", 9))]
    gtp.ok("undo")
    assert gtp.fail("undo") == "cannot undo"
    assert gtp.fail("undo 2") == "syntax error"


def test_undo_restores_captures():
    gtp = Session(size=5)
    for c, v in (("b", "a2"), ("w", "a1"), ("b", "b1")):
        gtp.ok(f"play {c} {v}")
    assert gtp.game.color_at(parse_gtp("a1", 5)) == 0
    gtp.ok("undo")
    assert gtp.game.color_at(parse_gtp("a1", 5)) == WHITE


# ---- handicap -----------------------------------------------------------------

def test_fixed_handicap(gtp):
    stones = gtp.ok("fixed_handicap 5").split()
    assert sorted(stones) == sorted(format_gtp(p, 9) for p in fixed_handicap_points(5, 9))
    assert gtp.game.to_move == WHITE and gtp.game.handicap == 5
    assert gtp.fail("fixed_handicap 2") == "board not empty"
    gtp.ok("clear_board")
    assert gtp.fail("fixed_handicap 10") == "invalid number of stones"
    assert gtp.fail("fixed_handicap 1") == "invalid number of stones"
    assert gtp.fail("fixed_handicap two") == "syntax error"
    assert gtp.fail("fixed_handicap") == "syntax error"
    gtp.ok("boardsize 19")
    assert len(gtp.ok("fixed_handicap 9").split()) == 9
    gtp.ok("boardsize 5")
    assert gtp.fail("fixed_handicap 2") == "invalid number of stones"
    assert not gtp.game.stones()


def test_place_free_handicap(gtp):
    stones = gtp.ok("place_free_handicap 4").split()
    assert len(set(stones)) == 4
    assert {gtp.game.color_at(parse_gtp(v, 9)) for v in stones} == {BLACK}
    assert gtp.fail("place_free_handicap 2") == "board not empty"
    gtp.ok("boardsize 3")
    stones = gtp.ok("place_free_handicap 8").split()
    assert len(set(stones)) == 8 and gtp.game.to_move == WHITE
    gtp.ok("clear_board")
    assert gtp.fail("place_free_handicap 9") == "invalid number of stones"
    assert gtp.fail("place_free_handicap 1") == "invalid number of stones"
    assert gtp.fail("place_free_handicap x") == "syntax error"


def test_set_free_handicap(gtp):
    gtp.ok("set_free_handicap c3 g7 e5")
    assert gtp.game.handicap == 3 and gtp.game.to_move == WHITE
    assert gtp.fail("set_free_handicap a1 a2") == "board not empty"
    gtp.ok("clear_board")
    for bad in ("a1", "a1 a1", "a1 pass", "a1 z9", "a1 foo", ""):
        assert gtp.fail(f"set_free_handicap {bad}") == "bad vertex list", bad
    gtp.ok("boardsize 2")
    assert gtp.fail("set_free_handicap a1 a2 b1 b2") == "bad vertex list"
    assert not gtp.game.stones()


# ---- scoring ------------------------------------------------------------------

def test_final_status_list_and_score(gtp, tmp_path):
    save_sgf(from_ascii(SEKI, komi=7.5), tmp_path / "seki.sgf")
    gtp.ok(f"loadsgf {tmp_path / 'seki.sgf'}")
    assert gtp.ok("final_status_list dead") == "E2"
    assert sorted(gtp.ok("final_status_list seki").split("\n")) == ["A7 B7 A8 A9", "C7 C8 C9"]
    alive = gtp.ok("final_status_list alive").split("\n")
    assert sorted(len(line.split()) for line in alive) == [26 - 4, 2 + 9 + 4 + 9]
    # counted by hand: Black 26 stones + 3 eyes; White 3 seki stones, 24
    # stones, 5 eyes and the 18 points of rows 1-2 (E2 is dead); B8/B9 dame
    assert gtp.ok("final_score") == f"W+{50 - 29 + 7.5:g}"
    assert gtp.fail("final_status_list") == "syntax error"
    assert gtp.fail("final_status_list undead") == "syntax error"
    assert gtp.fail("final_score now") == "syntax error"


def test_final_score_empty_board(gtp):
    gtp.ok("komi 6.5")
    # no stones, so none dead; the empty board is nobody's area
    assert gtp.ok("final_status_list dead") == ""
    assert gtp.ok("final_score") == "W+6.5"


# ---- time ---------------------------------------------------------------------

def test_time_commands(gtp):
    def engine_clock():
        return gtp.engine.clock

    gtp.ok("time_settings 600 30 5")
    c = engine_clock().control
    assert (c.system, c.main_time, c.period_time, c.period_stones) == ("canadian", 600, 30, 5)
    gtp.ok("time_left b 500 0")
    assert engine_clock().side(BLACK).main_left == 500
    gtp.ok("time_left white 20 3")
    side = engine_clock().side(WHITE)
    assert side.in_overtime and side.period_left == 20 and side.stones == 3
    gtp.ok("time_settings 300 0 0")
    assert engine_clock().control.system == "absolute"
    gtp.ok("time_settings 0 10 0")
    assert engine_clock().control.system == "none"
    for bad in ("time_settings 1 2", "time_settings a b c", "time_settings -1 5 1",
                "time_settings 10 5 1.5", "time_left b 10", "time_left b x 0", "time_left b -1 0"):
        assert gtp.fail(bad) == "syntax error", bad
    assert gtp.fail("time_left x 10 0") == "invalid color"
    gtp.ok("kgs-time_settings none")
    gtp.ok("kgs-time_settings absolute 900")
    gtp.ok("kgs-time_settings byoyomi 600 30 5")
    c = engine_clock().control
    assert (c.system, c.periods) == ("byoyomi", 5)
    gtp.ok("kgs-time_settings canadian 600 300 25")
    assert engine_clock().control.period_stones == 25
    for bad in ("kgs-time_settings", "kgs-time_settings fischer 10 5",
                "kgs-time_settings byoyomi 600 30", "kgs-time_settings absolute",
                "kgs-time_settings byoyomi 600 30 0", "kgs-time_settings none 5"):
        assert gtp.fail(bad) == "syntax error", bad
    assert engine_clock().control.period_stones == 25     # failures changed nothing


# ---- rules, SGF ---------------------------------------------------------------

def test_kgs_rules(gtp):
    for name in ("chinese", "japanese", "aga", "new_zealand"):
        gtp.ok(f"kgs-rules {name}")
    assert gtp.game.rules.name == "new-zealand"
    assert gtp.fail("kgs-rules klingon") == "unknown rules"
    assert gtp.fail("kgs-rules") == "syntax error"
    gtp.ok("play b e5")
    gtp.ok("kgs-rules japanese")
    assert gtp.game.rules.name == "japanese" and len(gtp.game.moves) == 1
    assert "Japanese" in gtp.ok("printsgf")


def test_printsgf_and_loadsgf(gtp, tmp_path):
    moves = ["e5", "d5", "e4", "d4", "pass", "c3"]
    for i, v in enumerate(moves):
        gtp.ok(f"play {'bw'[i % 2]} {v}")
    text = gtp.ok("printsgf")
    record = parse_sgf(text)
    assert [format_gtp(p, 9).lower() for _, p in record.moves] == moves
    path = tmp_path / "g.sgf"
    assert gtp.ok(f"printsgf {path}") == ""
    assert parse_sgf(path.read_bytes()).moves == record.moves
    assert gtp.fail(f"printsgf {tmp_path}/no/such/dir/g.sgf").startswith("cannot save file")
    assert gtp.fail("printsgf a b") == "syntax error"

    other = Session(size=19, komi=0.5)
    other.ok(f"loadsgf {path}")
    assert other.game.size == 9 and other.game.komi == 7.5
    assert other.game.moves == gtp.game.moves
    other.ok(f"loadsgf {path} 3")            # the position before move 3
    assert other.game.moves == gtp.game.moves[:2]
    other.ok(f"loadsgf {path} 1")
    assert other.game.moves == []
    other.ok(f"loadsgf {path} 100")
    assert len(other.game.moves) == 6
    assert other.fail(f"loadsgf {path} 0") == "syntax error"
    assert other.fail(f"loadsgf {path} x") == "syntax error"
    assert other.fail(f"loadsgf {tmp_path}/missing.sgf") == "cannot load file"
    bad = tmp_path / "bad.sgf"
    bad.write_text("(;SZ[9];B[ee];W[ee])")                 # occupied point
    assert other.fail(f"loadsgf {bad}") == "cannot load file"
    bad.write_text("not sgf at all")
    assert other.fail(f"loadsgf {bad}") == "cannot load file"
    assert other.fail("loadsgf") == "syntax error"
    assert len(other.game.moves) == 6                      # failures changed nothing


def test_showboard(gtp):
    gtp.ok("play b c3")
    gtp.ok("play w d4")
    text = gtp.raw("showboard")
    assert text.startswith("=\n   A B C D E F G H J\n 9 . . . . . . . . . 9\n")
    assert "\n\n" not in text[:-2]
    assert gtp.board() == to_ascii(gtp.game)
    assert "black to move" in text and "last D4" in text
    assert gtp.fail("showboard now") == "syntax error"


def test_gogui_analyze_commands(gtp):
    entries = gtp.ok("gogui-analyze_commands").split("\n")
    listed = set(gtp.ok("list_commands").split("\n"))
    for entry in entries:
        kind, label, command = entry.split("/", 2)
        assert kind in ("string", "plist", "dboard", "gfx", "cboard", "sboard", "var", "none")
        assert command.split()[0] in listed
        gtp.ok(command)


# ---- failing commands leave the state intact -----------------------------------

def test_exception_in_player_answers_error_and_keeps_state(monkeypatch):
    import tengen.gtp.server as gtp_server
    from engine.player import RandomPlayer

    calls = []

    class Broken(RandomPlayer):
        def played(self, game, color, move):
            if len(game.moves) == 3:
                raise RuntimeError("tree blew up")

        def new_game(self, game):
            calls.append(len(game.moves))

    monkeypatch.setattr(gtp_server, "make_player", lambda config: Broken())
    gtp = Session()
    gtp.ok("play b e5")
    gtp.ok("play w d5")
    calls.clear()
    assert gtp.fail("play b c3") == "tree blew up"
    assert len(gtp.game.moves) == 2                 # the move is taken back
    assert calls == [2]                             # and the player told to start over
    assert gtp.ok("name") == "tengen"


def test_bad_rules_give_a_clear_error_for_every_go_command():
    gtp = Session(rules="klingon")
    assert gtp.ok("name") == "tengen"
    assert "unknown rule set 'klingon'" in gtp.fail("boardsize 9")
    assert "unknown rule set 'klingon'" in gtp.fail("play b c3")
    assert "unknown rule set" in gtp.fail("list_commands")


def test_quit(gtp):
    assert gtp.raw("9 quit") == "=9\n\n"
    assert gtp.server.stopping
