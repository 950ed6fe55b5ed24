"""tengen analyze from the command line: a batch of files, a folder and an
archive with bad games among them; every output checked against the
review's own figures; resuming; outputs switched off."""

import csv
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from review_helpers import GAME_9, HANDICAP_9, centre_value, tiny_config, write_game
from conftest import DATA, needs_data
from sgfmill import sgf

import tengen.review.reviewer
from tengen.review.mistakes import biggest_mistakes
from tengen.review.plot import plot_figure
from tengen.review.schema import SCHEMA, SCHEMA_VERSION, from_dict
from engine.sgf.archive import iter_records
from nets.inference import Networks
from tengen.cli import main
from tengen.base.paths import VALIDATION_ARCHIVE

ILLEGAL_9 = b"(;GM[1]FF[4]SZ[9]KM[7];B[ee];W[ee])"


def command(tmp_path, *extra):
    cfg = tiny_config(tmp_path)
    net = cfg.networks
    return ["analyze", "--policy-model", net.policy_model, "--value-model", net.value_model,
            "--threads", "1", "--visits", "16", "--batch-size", "8", "--seed", "1",
            "--thresholds", "0.5,1,2", "--no-progress", *extra]


@pytest.fixture(scope="module", autouse=True)
def stand_in_value():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Networks, "value", centre_value)
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    games = tmp / "games"
    games.mkdir()
    write_game(games, "game9.sgf", GAME_9)
    write_game(games, "broken.sgf", b"(;GM[1]SZ[9];B[ee];W[")
    write_game(games, "illegal.sgf", ILLEGAL_9)
    archive = tmp / "more.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("club/handicap.sgf", HANDICAP_9)
        z.writestr("club/garbage.sgf", b"not sgf at all")
    out = tmp / "out"
    argv = command(tmp, str(games), str(archive), "--out", str(out))
    return tmp, games, archive, out, argv


@pytest.fixture(scope="module")
def first_run(batch):
    tmp, games, archive, out, argv = batch
    capture = io.StringIO()
    import contextlib
    with contextlib.redirect_stderr(capture):
        status = main(argv)
    return status, capture.getvalue()


def load(out, name):
    return json.loads((out / f"{name}.json").read_text())


def test_a_batch_reviews_the_good_games_and_reports_the_bad_ones(batch, first_run):
    _, _, _, out, _ = batch
    status, err = first_run
    assert status == 1                                  # something was skipped
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}{ext}" for n in ("game9", "handicap")
         for ext in ("-review.sgf", ".html", ".png", ".json")] + ["summary.csv"])
    assert "2 games reviewed" in err and "3 skipped" in err
    for name in ("broken.sgf", "illegal.sgf", "garbage.sgf"):
        assert name in err


def test_the_json_follows_the_documented_schema(batch, first_run):
    out = batch[3]
    data = load(out, "game9")
    assert (data["schema"], data["version"]) == (SCHEMA, SCHEMA_VERSION)
    assert data["game"]["black"] == "Alice" and data["game"]["rules"] == "japanese"
    assert data["settings"]["visits"] == 16 and data["settings"]["thresholds"] == [0.5, 1, 2]
    assert len(data["moves"]) == 10 and len(data["positions"]) == 11
    for m in data["moves"]:
        assert m["winrate_loss"] == pytest.approx(m["winrate_before"] - m["winrate_after"])
        assert m["score_loss"] == pytest.approx(m["score_before"] - m["score_after"])
        loss = 100 * m["winrate_loss"]
        expected = ("blunder" if loss >= 2 else "mistake" if loss >= 1
                    else "inaccuracy" if loss >= 0.5 else "good")
        assert m["class"] == expected
        after = data["positions"][m["number"]]
        black = after["winrate_black"] if m["color"] == "B" else 1 - after["winrate_black"]
        assert m["winrate_after"] == pytest.approx(black)
    review = from_dict(data)
    assert [m.move for m in review.moves][:3] == ["E5", "G7", "C3"]


def test_the_csv_has_a_row_per_player_per_game_matching_the_json(batch, first_run):
    out = batch[3]
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["game"], r["color"]) for r in rows] == \
        [("game9", "B"), ("game9", "W"), ("handicap", "B"), ("handicap", "W")]
    for r in rows:
        p = load(out, r["game"])["players"][r["color"]]
        assert int(r["moves"]) == p["moves"]
        assert float(r["best_match"]) == pytest.approx(p["best_match"], abs=1e-4)
        assert float(r["mean_winrate_loss"]) == pytest.approx(p["mean_winrate_loss"], abs=1e-4)
        assert int(r["blunders"]) == p["classes"]["blunder"]
        assert int(r["opening_moves"]) == p["phases"]["opening"]["moves"]
    assert rows[0]["player"] == "Alice" and rows[0]["opponent"] == "Bob"


def test_the_annotated_sgf_reads_back_with_its_variations_and_the_original_is_untouched(
        batch, first_run):
    _, games, _, out, _ = batch
    assert (games / "game9.sgf").read_bytes() == GAME_9
    data = load(out, "game9")
    game = sgf.Sgf_game.from_bytes((out / "game9-review.sgf").read_bytes())
    root = game.get_root()
    assert root.get("PB") == "Alice" and root.get("RU") == "Japanese"
    assert "tengen review" in root.get("C")
    assert float(root.get("SBKV")) == pytest.approx(100 * data["positions"][0]["winrate_black"],
                                                    abs=0.01)
    main_line = game.get_main_sequence()[1:]
    assert len(main_line) == len(data["moves"])
    for node, m, pos in zip(main_line, data["moves"], data["positions"][1:]):
        colour, (row, col) = node.get_move()
        assert colour == m["color"].lower()
        assert "ABCDEFGHJ"[col] + str(row + 1) == m["move"]
        comment = node.get("C")
        assert f"{100 * m['winrate_before']:.1f}% -> {100 * m['winrate_after']:.1f}%" in comment
        assert float(node.get("SBKV")) == pytest.approx(100 * pos["winrate_black"], abs=0.01)
        assert node.has_property("BM") == (m["class"] in ("mistake", "blunder"))
        assert node.has_property("DO") == (m["class"] == "inaccuracy")
        if m["best_move"] != m["move"]:
            (r, c), = node.get("TR")
            assert "ABCDEFGHJ"[c] + str(r + 1) == m["best_move"]
            assert f"Better: {m['best_move']}" in comment
        if m["class"] != "good":
            # the better line hangs beside the move played, best move first
            siblings = node.parent[1:]
            firsts = [s.get_move() for s in siblings]
            assert any(c == m["color"].lower() and "ABCDEFGHJ"[p[1]] + str(p[0] + 1) ==
                       m["best_move"] for c, p in firsts if p)
    assert "a comment" in main_line[4].get("C")           # the file's own comment kept
    # the original variation at move 4 is still there
    node4 = main_line[3]
    assert any(s.get_move() == ("w", (3, 4)) for s in node4.parent)    # W[ef] = E4


def test_the_plot_labels_each_players_biggest_mistakes(batch, first_run):
    out = batch[3]
    review = from_dict(load(out, "game9"))
    assert (out / "game9.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = plot_figure(review)
    labels = [t.get_text() for t in fig.axes[0].texts]
    wanted = [m for c in ("B", "W") for m in biggest_mistakes(review, c)[:3]]
    assert wanted and len(labels) == len(wanted)
    for m, text in zip(wanted, labels):
        assert text.startswith(f"{m.number} {m.color} {m.move} -")


def test_a_finished_game_is_not_searched_again_and_new_thresholds_reclass_it(
        batch, first_run, monkeypatch, capsys):
    tmp, games, archive, out, argv = batch

    def no_search(*args, **kw):
        raise AssertionError("searched again")
    monkeypatch.setattr(tengen.review.reviewer.Reviewer, "review", no_search)
    before = load(out, "game9")
    argv = [a if a != "0.5,1,2" else "20,40,60" for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "0 searched, 2 already done" in err
    after = load(out, "game9")
    assert [m["winrate_before"] for m in after["moves"]] == \
        [m["winrate_before"] for m in before["moves"]]
    for m in after["moves"]:
        loss = 100 * m["winrate_loss"]
        assert m["class"] == ("blunder" if loss >= 60 else "mistake" if loss >= 40
                              else "inaccuracy" if loss >= 20 else "good")


def test_a_changed_budget_searches_again(tmp_path):
    write_game(tmp_path, "h.sgf", HANDICAP_9)
    out = tmp_path / "out"
    base = command(tmp_path, str(tmp_path / "h.sgf"), "--out", str(out), "--no-html",
                   "--no-plot", "--no-sgf", "--no-csv")
    assert main(base) == 0
    first = load(out, "h")["fingerprint"]
    assert sorted(p.name for p in out.iterdir()) == ["h.json"]
    assert main([a if a != "16" else "20" for a in base]) == 0
    again = load(out, "h")
    assert again["fingerprint"] != first and again["settings"]["visits"] == 20


def test_an_output_never_overwrites_the_game(tmp_path, capsys):
    write_game(tmp_path, "x.sgf", HANDICAP_9)
    write_game(tmp_path, "x-review.sgf", HANDICAP_9)
    argv = command(tmp_path, str(tmp_path / "x-review.sgf"), str(tmp_path / "x.sgf"),
                   "--out", str(tmp_path))
    main(argv)
    assert (tmp_path / "x-review.sgf").read_bytes() == HANDICAP_9  # an input: left alone
    assert "would overwrite an input" in capsys.readouterr().err


def test_a_missing_path_is_a_command_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(command(tmp_path, str(tmp_path / "nowhere.sgf")))
    assert e.value.code == 2


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js absent")
def test_sabakis_sgf_parser_reads_the_annotated_file(batch, first_run):
    probe = subprocess.run(["node", "-e", "require('@sabaki/sgf')"], capture_output=True)
    if probe.returncode:
        pytest.skip("@sabaki/sgf not installed for node")
    out = batch[3]
    script = ("const sgf = require('@sabaki/sgf');"
              "const [root] = sgf.parseFile(process.argv[1]);"
              "let n = root, out = []; while (n.children.length) { n = n.children[0];"
              " out.push([n.data.SBKV[0], (n.data.B || n.data.W)[0]]); }"
              "console.log(JSON.stringify(out));")
    res = subprocess.run(["node", "-e", script, str(out / "game9-review.sgf")],
                         capture_output=True, text=True, check=True)
    data = load(out, "game9")
    read = json.loads(res.stdout)
    assert len(read) == len(data["moves"])
    for (sbkv, _), pos in zip(read, data["positions"][1:]):
        assert float(sbkv) == pytest.approx(100 * pos["winrate_black"], abs=0.01)


@needs_data
@pytest.mark.data
def test_a_real_19x19_game_with_the_shipped_networks_writes_the_four_outputs(tmp_path, capsys):
    """A held-out tygem game, the shipped networks (the real value network:
    no stand-in), a tiny budget."""
    rec, data, _ = next(iter_records([str(DATA / VALIDATION_ARCHIVE)], with_data=True))
    path = write_game(tmp_path, "real.sgf", data)
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out), "--visits", "4", "--threads", "1",
                 "--no-progress"]) == 0
    review = from_dict(load(out, "real"))
    assert review.size == 19 and len(review.moves) == len(rec.moves)
    assert review.game["result"] == rec.result and review.settings["visits"] == 4
    assert all(m.score_before is not None for m in review.moves)
    for ext in ("-review.sgf", ".html", ".png"):
        assert (out / f"real{ext}").stat().st_size > 1000
    game = sgf.Sgf_game.from_bytes((out / "real-review.sgf").read_bytes())
    assert len(game.get_main_sequence()) == len(rec.moves) + 1
