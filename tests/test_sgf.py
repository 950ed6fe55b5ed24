"""SGF reading, replay (Game path and compiled path), writing and archives.

Every fixture is written here; no game from the data sets is copied in."""

import io
import logging
import os
import random
import tarfile
import zipfile

import numpy as np
import pytest

from engine import board as B
from engine.board import BLACK, PASS, WHITE
from engine.coords import format_sgf, parse_gtp, to_point
from engine.game import Game
from engine.playouts import random_move
from engine.rules import rules_named
from engine.sgf.archive import ReadStats, iter_records
from engine.sgf.read import load_sgf, parse_sgf
from engine.sgf.record import SGFError
from engine.sgf.write import game_to_sgf, save_sgf


def sp(vertex, n=9):
    """SGF point of a GTP vertex: tests read in GTP terms."""
    return format_sgf(parse_gtp(vertex, n), n)


def pt(vertex, n=9):
    return parse_gtp(vertex, n)


def position(state):
    """What a board state says about the game: stones, when each was played,
    side to move, ko, hash, captures, passes (not the order of its internal
    lists, which depends on the order setup stones were placed)."""
    header = [B.H_N, B.H_TOMOVE, B.H_KO, B.H_HASH, B.H_PASSES, B.H_MOVENUM, B.H_CAP,
              B.H_CAP + 1, B.H_LAST, B.H_LAST2, B.H_NEMPTY, B.H_SUICIDE]
    return np.concatenate([state[header], state[B.COLOR:B.COLOR + B.MAXM],
                           state[B.MOVED:B.MOVED + B.MAXM]])


def same_state(a, b):
    """Two replays of one record built identical arrays (scratch marks aside)."""
    a, b = a[:B.MARK].copy(), b[:B.MARK].copy()
    a[B.H_STAMP] = b[B.H_STAMP] = 0
    return np.array_equal(a, b)


def random_game(n, moves, seed, rules=None, komi=7.5, handicap=0):
    """A game of random legal moves (captures, kos, passes included)."""
    g = Game(n, komi, rules)
    if handicap:
        g.fixed_handicap(handicap)
    rng = np.array([seed * 7919 + 1], dtype=np.uint64)
    for _ in range(moves):
        p = random_move(g.state.copy(), g.to_move, rng)
        if p != PASS and not g.legal(p):
            p = PASS
        g.play(p)
        if g.is_over:
            break
    return g


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------

def test_root_properties_setup_and_moves():
    text = (f"(;GM[1]FF[4]CA[UTF-8]SZ[9]KM[5.5]HA[2]RE[W+3.5]PB[Lee]PW[Cho]DT[2020-01-01]"
            f"C[hello]AB[aa:bc][gg]AW[ee]AE[bb]PL[W]"
            f";W[{sp('C3')}]C[first];B[];W[tt]C[a];B[{sp('J9')}])")
    r = parse_sgf(text)
    assert (r.size, r.komi, r.handicap, r.result, r.winner) == (9, 5.5, 2, "W+3.5", WHITE)
    # aa:bc is the 2x3 block a-b x a-c (columns A-B, rows 9-7), minus AE[bb]
    black = {pt(v) for v in ("A9", "B9", "A8", "A7", "B7", "G3")}
    assert r.setup == {**{p: BLACK for p in black}, pt("E5"): WHITE}
    assert r.first_to_move == WHITE
    assert r.moves == [(WHITE, pt("C3")), (BLACK, PASS), (WHITE, PASS), (BLACK, pt("J9"))]
    assert r.comments == ["first", None, "a", None]
    assert r.root_comment == "hello"
    assert r.properties == {"PB": ["Lee"], "PW": ["Cho"], "DT": ["2020-01-01"]}
    assert r.source == "<string>"


def test_defaults_when_properties_are_absent():
    r = parse_sgf("(;;B[dd];W[pp])")
    assert (r.size, r.komi, r.handicap, r.result, r.winner) == (19, 0.0, 0, None, None)
    assert r.setup == {} and r.first_to_move == BLACK and r.root_comment is None
    assert r.moves == [(BLACK, to_point(3, 15, 19)), (WHITE, to_point(15, 3, 19))]


@pytest.mark.parametrize("text, expected", [
    ("(;SZ[9]PL[W];B[aa])", WHITE),                 # PL wins over the first move
    ("(;SZ[9];W[aa];B[bb])", WHITE),                # else the first move's colour
    ("(;SZ[9]HA[2]AB[cc][gg])", WHITE),              # handicap setup, no moves
    ("(;SZ[9]AB[cc][gg])", BLACK),                   # setup without HA
    ("(;SZ[9])", BLACK),
    ("(;SZ[9];AB[cc]PL[W];B[dd])", WHITE),           # setup node before move 1
])
def test_first_to_move(text, expected):
    assert parse_sgf(text).first_to_move == expected


@pytest.mark.parametrize("re_value, winner", [
    ("B+R", BLACK), ("W+3.5", WHITE), ("b+T", BLACK), ("W+", WHITE),
    ("0", None), ("Draw", None), ("Void", None), ("?", None)])
def test_result_and_winner(re_value, winner):
    r = parse_sgf(f"(;RE[{re_value}])")
    assert r.result == re_value and r.winner == winner


def test_pass_spellings_depend_on_board_size():
    assert parse_sgf("(;SZ[19];B[tt];W[])").moves == [(BLACK, PASS), (WHITE, PASS)]
    # on 20x20 and up, tt is the point in column 20, row 1
    assert parse_sgf("(;SZ[20];B[tt])").moves == [(BLACK, to_point(19, 0, 20))]


def test_variations_follow_the_main_line():
    r = parse_sgf("(;SZ[9];B[aa](;W[bb];B[cc])(;W[dd]))")
    assert [format_sgf(p, 9) for _, p in r.moves] == ["aa", "bb", "cc"]


def test_collection_first_game_and_all_games(tmp_path):
    path = tmp_path / "two.sgf"
    path.write_text("(;SZ[9];B[aa])\n(;SZ[13];B[bb];W[cc])\n")
    assert load_sgf(path).size == 9
    recs = list(iter_records([path]))
    assert [(r.size, len(r.moves)) for r in recs] == [(9, 1), (13, 2)]
    assert [r.source for r in recs] == [f"{path}#1", f"{path}#2"]


def test_comments_on_nodes_without_moves_join_their_neighbours():
    r = parse_sgf("(;C[root];C[before];B[aa]C[one];C[after];W[bb])")
    assert r.root_comment == "root\n\nbefore"
    assert r.comments == ["one\n\nafter", None]


def test_text_encodings_never_crash():
    assert parse_sgf(b"(;CA[UTF-8]PB[\xff\xfeLee])").properties["PB"] == ["\ufffd\ufffdLee"]
    assert parse_sgf(b"(;PB[Jos\xe9])").properties["PB"] == ["Jos\u00e9"]     # no CA: Latin-1 fallback
    assert parse_sgf("(;PB[Jos\u00e9])".encode()).properties["PB"] == ["Jos\u00e9"]
    korean = "\uc774\ucc3d\ud638"
    assert parse_sgf(b"(;CA[EUC-KR]PB[" + korean.encode("euc-kr") + b"])").properties["PB"] == [korean]
    assert parse_sgf(b"(;CA[base64]PB[x])").properties["PB"] == ["x"]      # unusable CA ignored
    assert parse_sgf(b"(;CA[no-such-codec]PB[x])").properties["PB"] == ["x"]
    assert parse_sgf(f"(;CA[ISO-8859-1]PB[{korean}])").properties["PB"] == [korean]  # str: already text


@pytest.mark.parametrize("data, needle", [
    (b"", "no SGF data"),
    (b"\x00\x01garbage\xff" * 10, "no SGF data"),
    (b"(;SZ[9];B[aa", "malformed"),
    (b"(;SZ[9];B[aa];W", "malformed"),
    (b"(;SZ[0])", "board size 0"),
    (b"(;SZ[1])", "board size 1"),
    (b"(;SZ[26])", "board size 26"),
    (b"(;SZ[abc])", "bad board size"),
    (b"(;SZ[19:13])", "rectangular"),
    (b"(;SZ[" + b"9" * 5000 + b"])", "bad board size"),
    (b"(;SZ[99999999999999999999999])", "board size"),
    (b"(;KM[xyz])", "bad komi"),
    (b"(;KM[inf])", "komi"),
    (b"(;KM[nan])", "komi"),
    (b"(;KM[1e400])", "komi"),
    (b"(;KM[6.5][7])", "KM has 2 values"),
    (b"(;HA[-1])", "handicap"),
    (b"(;HA[two])", "handicap"),
    (b"(;SZ[9]HA[82])", "handicap"),
    (b"(;GM[2])", "not a game of Go"),
    (b"(;PL[X])", "bad colour"),
    (b"(;SZ[9];B[jj])", "move 1 (B at 'jj') is not a point of the 9x9 board"),
    (b"(;SZ[9];B[aa];W[a])", "move 2 (W at 'a')"),
    (b"(;SZ[9];B[aa][bb])", "has 2 values"),
    (b"(;SZ[9];B[aa]W[bb])", "both a black and a white move"),
    (b"(;SZ[9]AB[zz])", "AB[zz] in the root"),
    (b"(;SZ[9]AB[aa:zz])", "not a point"),
    (b"(;SZ[9]AB[aa]AW[aa])", "both AB and AW"),
    (b"(;SZ[9];B[aa];AW[bb];W[cc])", "after move 1, are not supported"),
])
def test_hostile_input_raises_sgf_error(data, needle):
    with pytest.raises(SGFError) as e:
        parse_sgf(data, source="bad.sgf")
    assert str(e.value).startswith("bad.sgf: ") and needle in str(e.value)


def test_mutated_files_give_a_record_or_sgf_error():
    """Truncations and byte flips of a valid file never raise anything but
    SGFError, neither when read nor when replayed."""
    good = game_to_sgf(random_game(9, 60, seed=3), comments=["x]y\\z"] * 5,
                       properties={"PB": ["a"]}, result="B+R").encode()
    rng = random.Random(7)
    variants = [good[:k] for k in range(0, len(good), 3)]
    alphabet = b"()[];:\\ABWCSZKMHAPLE09az\xff\x00 "
    for _ in range(300):
        b = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.choice(alphabet)
        variants.append(bytes(b))
    outcomes = {"ok": 0, "bad": 0}
    for data in variants:
        try:
            r = parse_sgf(data, "fuzz")
            r.replay()
            r.to_game()
            outcomes["ok"] += 1
        except SGFError:
            outcomes["bad"] += 1
    assert outcomes["ok"] > 0 and outcomes["bad"] > 0


def test_load_sgf_errors_name_the_file(tmp_path):
    with pytest.raises(SGFError, match="missing.sgf: cannot read"):
        load_sgf(tmp_path / "missing.sgf")
    empty = tmp_path / "empty.sgf"
    empty.write_bytes(b"")
    with pytest.raises(SGFError, match="empty.sgf: malformed SGF: no SGF data"):
        load_sgf(empty)


# --------------------------------------------------------------------------
# replay: Game path and compiled path
# --------------------------------------------------------------------------

# a ko on 9x9: black C5 B4 C3, white D5 E4 D3 and C4 in atari at D4
KO = f"AB[{sp('C5')}][{sp('B4')}][{sp('C3')}]AW[{sp('D5')}][{sp('E4')}][{sp('D3')}][{sp('C4')}]"


@pytest.mark.parametrize("root, moves, rules, message", [
    ("", f";B[{sp('E5')}];W[{sp('E5')}]", None,
     "move 2 (W at ee = E5) is illegal: occupied"),
    (KO, f";B[{sp('D4')}];W[{sp('C4')}]", None,
     "move 2 (W at cf = C4) is illegal: ko"),
    (f"AB[{sp('A2')}][{sp('B1')}]", f";W[{sp('A1')}]", None,
     "move 1 (W at ai = A1) is illegal: suicide"),
    # the ko retaken after two passes repeats the first position
    (KO, f";B[{sp('D4')}];W[];B[];W[{sp('C4')}]", "chinese",
     "move 4 (W at cf = C4) is illegal: superko"),
    (KO, f";B[{sp('D4')}];W[];B[];W[{sp('C4')}]", "aga",
     "move 4 (W at cf = C4) is illegal: superko"),
])
def test_illegal_moves_are_named_by_both_paths(root, moves, rules, message):
    r = parse_sgf(f"(;SZ[9]{root}{moves})", source="g.sgf")
    with pytest.raises(SGFError) as slow:
        r.to_game(rules)
    with pytest.raises(SGFError) as fast:
        r.replay(rules)
    assert str(slow.value) == str(fast.value) == f"g.sgf: {message}"


def test_superko_rules_differ_between_paths_consistently():
    """White to move at the start (PL[W]) but Black takes the ko: the retake
    repeats the first position with the other side to move, which only
    positional superko forbids; simple ko allows the repetition."""
    r = parse_sgf(f"(;SZ[9]{KO}PL[W];B[{sp('D4')}];W[];B[];W[{sp('C4')}])")
    for rules in ("aga", "japanese"):
        assert same_state(r.replay(rules), r.to_game(rules).state)
    with pytest.raises(SGFError, match="superko"):
        r.replay("chinese")
    with pytest.raises(SGFError, match="superko"):
        r.to_game("chinese")


def test_setup_without_liberties_is_an_error():
    r = parse_sgf("(;SZ[9]AB[aa]AW[ab][ba])", source="s.sgf")
    with pytest.raises(SGFError, match="s.sgf: setup stones without liberties"):
        r.to_game()
    with pytest.raises(SGFError, match="s.sgf: setup stones without liberties"):
        r.replay()


@pytest.mark.parametrize("n, rules", [(7, "chinese"), (9, "chinese"), (9, "aga"),
                                      (9, "japanese"), (13, "tromp-taylor")])
def test_compiled_replay_matches_game_replay(n, rules):
    for seed in range(4):
        g = random_game(n, 3 * n * n, seed, rules_named(rules))
        r = parse_sgf(game_to_sgf(g))
        played = r.to_game(rules)
        assert played.moves == g.moves
        assert np.array_equal(position(played.state), position(g.state))
        assert same_state(r.replay(rules), played.state)
        half = len(g.moves) // 2
        assert same_state(r.replay(rules, upto=half), r.to_game(rules, upto=half).state)


def test_upto():
    r = parse_sgf("(;SZ[9];B[aa];W[bb];B[cc])")
    assert r.to_game(upto=2).moves == r.moves[:2]
    assert r.to_game(upto=0).moves == []
    assert r.to_game(upto=99).moves == r.moves
    with pytest.raises(ValueError):
        r.to_game(upto=-1)


# --------------------------------------------------------------------------
# writing and round trips
# --------------------------------------------------------------------------

@pytest.mark.parametrize("n, handicap, moves", [(9, 0, 120), (9, 3, 90), (19, 0, 250), (19, 4, 200)])
def test_round_trip(n, handicap, moves):
    g = random_game(n, moves, seed=n + handicap, komi=0.5 if handicap else 7.5, handicap=handicap)
    g.play(PASS)
    g.play(PASS)
    comments = [None if i % 3 else f"move {i}: a]b \\c\nline \u00e9\u56f2" for i in range(len(g.moves))]
    props = {"PB": ["Black [9d]"], "PW": ["\uc774\ucc3d\ud638"], "DT": ["2024-05-01"],
             "RU": ["Chinese"], "GN": ["round trip"], "XX": ["one", "two"]}
    text = game_to_sgf(g, comments=comments, properties=props, result="B+1.5", root_comment="root")
    r = parse_sgf(text)
    assert (r.size, r.komi, r.handicap, r.result, r.winner) == (n, g.komi, handicap, "B+1.5", BLACK)
    assert r.setup == g.setup and r.first_to_move == g.first_to_move
    assert r.moves == g.moves and [p for _, p in r.moves[-2:]] == [PASS, PASS]
    assert r.comments == comments and r.root_comment == "root"
    assert r.properties == props
    back = r.to_game()
    assert back.moves == g.moves and back.setup == g.setup and back.handicap == g.handicap
    assert back.komi == g.komi and back.size == n and back.to_move == g.to_move
    assert np.array_equal(position(back.state), position(g.state))


def test_writer_adds_rules_and_refuses_reserved_properties():
    g = Game(9, 6.5, rules_named("japanese"))
    g.play(pt("E5"))
    assert parse_sgf(game_to_sgf(g)).properties == {"RU": ["Japanese"]}
    assert parse_sgf(game_to_sgf(g, properties={"RU": "AGA"})).properties == {"RU": ["AGA"]}
    with pytest.raises(ValueError, match="KM"):
        game_to_sgf(g, properties={"KM": ["7"]})
    with pytest.raises(ValueError):
        game_to_sgf(g, properties={"bad id": ["x"]})
    with pytest.raises(ValueError, match="2 comments for 1 moves"):
        game_to_sgf(g, comments=["a", "b"])


def test_white_first_without_setup_round_trips():
    g = Game(9, 7.5)
    g.set_setup({}, to_move=WHITE)
    g.play(pt("C3"))
    r = parse_sgf(game_to_sgf(g))
    assert r.first_to_move == WHITE and r.to_game().moves == [(WHITE, pt("C3"))]


def test_save_sgf_is_atomic(tmp_path):
    g = random_game(9, 40, seed=1)
    path = tmp_path / "game.sgf"
    save_sgf(g, path, result="W+R")
    assert load_sgf(path).moves == g.moves
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_sgf(g, path, properties={"SZ": ["9"]})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["game.sgf"]


# --------------------------------------------------------------------------
# streaming readers
# --------------------------------------------------------------------------

def sgf_bytes(seed, n=9, moves=50):
    return game_to_sgf(random_game(n, moves, seed), result="B+R").encode()


ILLEGAL = b"(;SZ[9];B[ee];W[ee])"
GARBAGE = b"\x00\xffnot an sgf file at all"


def test_directory_and_plain_files(tmp_path, caplog):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.sgf").write_bytes(sgf_bytes(1))
    (tmp_path / "a" / "b" / "two.SGF").write_bytes(sgf_bytes(2))
    (tmp_path / "a" / "b" / "bad.sgf").write_bytes(GARBAGE)
    (tmp_path / "a" / "b" / "illegal.sgf").write_bytes(ILLEGAL)
    (tmp_path / "readme.txt").write_text("not a game")
    stats = ReadStats()
    with caplog.at_level(logging.WARNING, logger="engine.sgf"):
        recs = list(iter_records([tmp_path], stats))
    assert sorted(os.path.basename(r.source) for r in recs) == ["one.sgf", "two.SGF"]
    assert (stats.games, stats.skipped, stats.ignored) == (2, 2, 1)
    assert any("bad.sgf: malformed SGF" in m for m in stats.errors)
    assert any("illegal.sgf: move 2 (W at ee = E5) is illegal: occupied" in m for m in stats.errors)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    assert "2 games read, 2 skipped" in stats.summary()


def test_zip_archive_with_corrupt_members(tmp_path):
    path = tmp_path / "games.zip"
    marker = b"(;SZ[9]C[corrupt me];B[aa])"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("g/1.sgf", sgf_bytes(1), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("g/", b"")                              # a directory entry
        z.writestr("g/2.sgf", GARBAGE)
        z.writestr("g/notes.txt", b"hello")
        z.writestr("g/3.sgf", ILLEGAL)
        z.writestr("g/4.sgf", marker, compress_type=zipfile.ZIP_STORED)
        z.writestr("g/5.sgf", sgf_bytes(5), compress_type=zipfile.ZIP_DEFLATED)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"corrupt me", b"corrupt ME"))   # CRC no longer matches
    stats = ReadStats()
    recs = list(iter_records(path, stats))
    assert [r.source for r in recs] == ["games.zip:g/1.sgf", "games.zip:g/5.sgf"]
    assert (stats.games, stats.skipped, stats.ignored) == (2, 3, 2)
    assert any("games.zip:g/4.sgf: unreadable member" in m for m in stats.errors)
    assert recs[0].moves == parse_sgf(sgf_bytes(1)).moves


def test_tar_archives(tmp_path):
    for suffix, mode in ((".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.bz2", "w:bz2")):
        path = tmp_path / f"games{suffix}"
        with tarfile.open(path, mode) as t:
            for name, data in (("x/1.sgf", sgf_bytes(1)), ("x/bad.sgf", GARBAGE),
                               ("x/info.txt", b"text"), ("x/2.sgf", sgf_bytes(2))):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            d = tarfile.TarInfo("x/sub")
            d.type = tarfile.DIRTYPE
            t.addfile(d)
        stats = ReadStats()
        recs = list(iter_records([path], stats))
        assert [r.source for r in recs] == [f"games{suffix}:x/1.sgf", f"games{suffix}:x/2.sgf"]
        assert (stats.games, stats.skipped, stats.ignored) == (2, 1, 2)


def test_truncated_tar_keeps_the_games_before_the_damage(tmp_path):
    path = tmp_path / "games.tar.gz"
    games = [sgf_bytes(s, n=19, moves=200) for s in range(6)]
    with tarfile.open(path, "w:gz") as t:
        for i, data in enumerate(games):
            info = tarfile.TarInfo(f"{i}.sgf")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3])
    stats = ReadStats()
    recs = list(iter_records(path, stats))
    assert 0 < len(recs) < len(games) and stats.skipped == 1
    assert [r.moves for r in recs] == [parse_sgf(g).moves for g in games[:len(recs)]]
    assert "corrupt or truncated" in stats.errors[0]


def test_unreadable_archives_are_counted(tmp_path):
    for name in ("broken.zip", "broken.tar.gz", "broken.tar.bz2"):
        (tmp_path / name).write_bytes(GARBAGE * 100)
    (tmp_path / "empty.zip").write_bytes(b"")
    stats = ReadStats()
    assert list(iter_records(sorted(tmp_path.iterdir()), stats)) == []
    assert stats.skipped == 4 and stats.games == 0


def test_validation_rules_and_caller_errors(tmp_path):
    superko = f"(;SZ[9]{KO};B[{sp('D4')}];W[];B[];W[{sp('C4')}])"
    path = tmp_path / "ko.sgf"
    path.write_text(superko)
    assert len(list(iter_records(path))) == 1               # simple ko by default
    stats = ReadStats()
    assert list(iter_records(path, stats, rules="chinese")) == []
    assert stats.skipped == 1
    (tmp_path / "occupied.sgf").write_bytes(ILLEGAL)
    assert len(list(iter_records(tmp_path / "occupied.sgf", validate=False))) == 1
    with pytest.raises(FileNotFoundError):
        iter_records([tmp_path / "nope.zip"])
    (tmp_path / "x.rar").write_bytes(b"")
    with pytest.raises(ValueError, match="x.rar"):
        iter_records([tmp_path / "x.rar"])


def test_oversized_members_are_skipped(tmp_path):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.sgf", b"(;C[" + b"x" * 5000 + b"])")
        z.writestr("small.sgf", b"(;SZ[9];B[aa])")
    stats = ReadStats()
    recs = list(iter_records(path, stats, max_bytes=1000))
    assert [r.source for r in recs] == ["big.zip:small.sgf"] and stats.skipped == 1


@pytest.mark.parametrize("re_value, margin", [
    ("B+3.5", 3.5), ("W+0.5", -0.5), ("W+R", None), ("B+T", None), ("Draw", None), ("B+", None)])
def test_a_records_margin_is_blacks_counted_lead(re_value, margin):
    assert parse_sgf(f"(;RE[{re_value}])").margin == margin
