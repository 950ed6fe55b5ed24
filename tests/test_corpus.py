"""Many games as arrays, and the same arrays packed into one file: packed
and read back, a packed file is the corpus its archives give, its metadata
and digests hold, and a corrupt, foreign, newer or mismatched file is a
clear error.  ``tengen pack`` writes and checks one; ``tengen train`` and
``tengen eval`` read it where they read SGF archives."""

import json
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from nets_helpers import random_games_dir

from engine.corpus import (
    CORPUS_FORMAT,
    CorpusFileError,
    concat,
    first_games,
    load_corpus,
    pack_corpus,
    read_packed,
)

FIELDS = ("points", "colors", "offsets", "setup_points", "setup_colors", "setup_offsets",
          "winner", "first", "komi")


def same_corpus(a, b):
    assert (a.size, a.games, a.moves, a.skipped) == (b.size, b.games, b.moves, b.skipped)
    for name in FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.margin, b.margin, equal_nan=True)


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """Two zip archives of random 9x9 games (7 and 5), and a 13x13 game in the first."""
    root = tmp_path_factory.mktemp("corpus")
    out = []
    for i, count in enumerate((7, 5)):
        (root / f"src{i}").mkdir()
        games = random_games_dir(root / f"src{i}", count, moves=20 + 5 * i, seed=i)
        if i == 0:
            (root / "big").mkdir()
            big = random_games_dir(root / "big", 1, moves=10, size=13, seed=9)
            shutil.copy(big / "g0.sgf", games / "z13.sgf")
        path = root / f"archive{i}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for sgf in sorted(games.glob("*.sgf")):
                text = sgf.read_text().replace("(;", "(;PB[black \u68cb]BR[9d]DT[2011-11-01]", 1)
                zf.writestr(sgf.name, text)
        out.append(str(path))
    return out


def test_a_packed_file_is_the_corpus_its_archives_give_with_their_metadata(archives, tmp_path):
    path = tmp_path / "c.npz"
    meta = pack_corpus(archives, path, size=9)
    assert meta["format"] == CORPUS_FORMAT and meta["games"] == 12 and meta["skipped"] == 1
    assert [(s["name"], s["games"]) for s in meta["sources"]] == [("archive0.zip", 7),
                                                                   ("archive1.zip", 5)]
    corpus, meta_back, games = read_packed(path, archives, metadata=True)
    assert meta_back == meta
    same_corpus(corpus, load_corpus(archives, size=9))
    same_corpus(load_corpus([str(path)], size=9), corpus)
    assert games["name"][:2] == ["g0.sgf", "g1.sgf"] and len(games["name"]) == 12
    assert games["black"][0] == "black \u68cb" and games["black_rank"][0] == "9d"
    assert games["date"][0] == "2011-11-01" and games["result"][:2] == ["B+R", "W+R"]


def test_packed_files_and_archives_read_together_in_order_and_max_games_cuts(archives, tmp_path):
    path = tmp_path / "first.npz"
    pack_corpus(archives[:1], path, size=9)
    together = load_corpus([str(path), archives[1]], size=9)
    same_corpus(together, load_corpus(archives, size=9))
    same_corpus(load_corpus([str(path), archives[1]], size=9, max_games=8),
                first_games(together, 8))
    same_corpus(concat([first_games(together, 3)]), first_games(together, 3))
    with pytest.raises(CorpusFileError, match="holds 9x9 games, not 19x19"):
        load_corpus([str(path)], size=19)


def test_a_corrupt_foreign_newer_or_mismatched_file_is_a_clear_error(archives, tmp_path):
    path = tmp_path / "c.npz"
    pack_corpus(archives, path, size=9)
    with pytest.raises(CorpusFileError, match="packed from other archives than these: "
                                              r"packed from \['archive1.zip'\] too"):
        read_packed(path, archives[:1])
    changed = tmp_path / "archive1.zip"
    shutil.copy(archives[1], changed)
    with zipfile.ZipFile(changed, "a") as zf:
        zf.writestr("extra.sgf", "(;SZ[9];B[aa])")
    with pytest.raises(CorpusFileError, match=r"changed since: \['archive1.zip'\]"):
        read_packed(path, [archives[0], str(changed)])

    def rewritten(name, edit):
        out = tmp_path / name
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.namelist():
                dst.writestr(item, edit(item, src.read(item)))
        return out

    def points_changed(item, data):
        if item != "points.npy":
            return data
        return data[:-1] + bytes([(data[-1] + 1) % 256])

    with pytest.raises(CorpusFileError, match="its games do not match the digest"):
        read_packed(rewritten("tampered.npz", points_changed))

    def newer(item, data):
        if item != "meta.json":
            return data
        return json.dumps(dict(json.loads(data), format=CORPUS_FORMAT + 1)).encode()

    with pytest.raises(CorpusFileError, match=f"format {CORPUS_FORMAT + 1}, this tengen reads"):
        read_packed(rewritten("newer.npz", newer))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    with pytest.raises(CorpusFileError, match="corrupt packed corpus"):
        read_packed(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, points=np.zeros(3))
    with pytest.raises(CorpusFileError, match="not a packed tengen corpus"):
        load_corpus([str(foreign)])
    with pytest.raises(CorpusFileError, match="no such packed corpus"):
        read_packed(tmp_path / "absent.npz")


def test_tengen_pack_writes_a_file_and_checks_it_against_its_archives(archives, tmp_path):
    out = tmp_path / "p.npz"
    cmd = [sys.executable, "-m", "tengen.cli", "pack", *archives, "--out", str(out), "--size",
           "9", "--no-progress"]
    made = subprocess.run(cmd, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["games"] == 12 and summary["sources"] == ["archive0.zip", "archive1.zip"]
    checked = subprocess.run(cmd + ["--check"], capture_output=True, text=True)
    assert checked.returncode == 0 and json.loads(checked.stdout)["checked"], checked.stderr
    wrong = subprocess.run(cmd[:4] + cmd[5:] + ["--check"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "packed from other archives" in wrong.stderr
    bad_name = subprocess.run(cmd[:-4] + [str(tmp_path / "p.zip")], capture_output=True,
                              text=True)
    assert bad_name.returncode == 2 and "FILE.npz" in bad_name.stderr


def test_the_trainer_and_eval_read_a_packed_file_as_they_read_its_archives(archives, tmp_path):
    from nets_helpers import small_config

    from nets.evaluate import evaluate
    from nets.inference import Networks
    from nets.model import build, policy_config, save_model
    from nets.train import Trainer

    path = tmp_path / "c.npz"
    pack_corpus(archives, path, size=9)
    runs = {}
    for name, data in (("packed", [str(path)]), ("sgf", archives)):
        trainer = Trainer(small_config(tmp_path / name, None, data=data, batch_size=16),
                          progress=False)
        runs[name] = [trainer.step()[0]["loss"] for _ in range(3)]
    assert runs["packed"] == runs["sgf"]
    model = tmp_path / "policy.safetensors"
    save_model(build(policy_config(width=8, layers=3, arch="plain")), model)
    nets = Networks(model, None, bf16=False)
    assert evaluate(nets, [str(path)], size=9) == evaluate(nets, archives, size=9)
