"""``engine.sgf.read``: parsing SGF text into records: root properties, setup,
variations, encodings, hostile and mutated input.

Every fixture is written here; no game from the data sets is copied in."""

import random

import pytest
from sgf_helpers import pt, random_game, sp

from engine.board import BLACK, PASS, WHITE
from engine.coords import format_sgf, to_point
from engine.sgf.archive import iter_records
from engine.sgf.read import load_sgf, parse_sgf
from engine.sgf.record import SGFError
from engine.sgf.write import game_to_sgf


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
