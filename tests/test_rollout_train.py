"""``nets.rollout.train``: training the rollout policy on real games, its
evaluation, and ``tengen train rollout``'s own defaults."""

import argparse
import json

import numpy as np
import pytest

from nets.rollout import model as RM
from nets.rollout.train import replay, rollout_accuracy
from tests.conftest import DATA, needs_data

ARCHIVE = DATA / "tygem-2011-11.zip"


@needs_data
def test_training_on_a_few_games_learns_and_eval_reports_it(tmp_path, monkeypatch, capsys):
    from engine.corpus import load_corpus
    from nets import evaluate
    from nets.model import ModelFileError
    from tengen.cli import main

    corpus = load_corpus([ARCHIVE], 19, max_games=30)
    games = np.arange(corpus.games)
    model = RM.RolloutModel.zeros()
    tables = model.tables()
    before = replay(corpus, games, tables)
    accum = np.zeros_like(tables[2])
    replay(corpus, games, tables, accum, lr=0.2)
    after = replay(corpus, games, tables)
    assert tables[2][-1] == 0.0                          # "no feature" keeps weight 0
    assert after[2] / after[3] < before[2] / before[3] - 0.3   # cross-entropy
    assert after[1] / after[0] > 0.2 > before[1] / before[0]   # top-1

    # the command line: tengen train rollout, then tengen eval on it
    out = tmp_path / "run"
    assert main(["train", "rollout", "--data", str(ARCHIVE), "--val", str(ARCHIVE),
                 "--max-games", "20", "--max-positions", "3000",
                 "--val-positions", "500", "--out", str(out), "--no-progress"]) == 0
    trained = RM.load_model(out / "rollout.npz")
    assert trained.provenance["positions_seen"] == 3000
    assert trained.provenance["validation"]["positions"] == 500
    capsys.readouterr()

    r = rollout_accuracy(trained, [ARCHIVE], max_positions=400)
    assert r["rollout_positions"] == 400 and 0.05 < r["rollout_top1"] < 0.6

    def no_networks(*a, **k):
        raise ModelFileError("no networks here")
    monkeypatch.setattr(evaluate.Networks, "from_spec", no_networks)
    eparser = argparse.ArgumentParser()
    evaluate.add_arguments(eparser)
    eargs = eparser.parse_args(["--games", str(ARCHIVE), "--max-positions", "400", "--json",
                                "--rollout", str(out / "rollout.npz")])
    assert evaluate.main(eargs, eparser) == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported["rollout_top1"] == pytest.approx(r["rollout_top1"])
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"junk")
    eargs.rollout = str(bad)
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(eargs, eparser)
    assert exit_.value.code == 2 and "not a readable rollout model file" in capsys.readouterr().err


def test_train_rollout_takes_its_own_defaults_and_the_board_size(monkeypatch, tmp_path):
    """``tengen train rollout`` validates as ``RolloutTrainConfig`` says
    (20,000 positions every 2,000,000), not as the networks' training
    does, and reads games of the board size it is given."""
    from nets.rollout import train as RT
    from tengen.cli import main

    seen = {}

    def fake_train(cfg, command="", progress=True):
        seen["cfg"] = cfg
        return {}
    monkeypatch.setattr(RT, "train", fake_train)
    assert main(["train", "rollout", "--data", "games.zip", "--out", str(tmp_path)]) == 0
    cfg = seen["cfg"]
    defaults = RT.RolloutTrainConfig()
    assert (cfg.val_positions, cfg.val_every, cfg.size) == (20_000, 2_000_000, 19)
    assert (cfg.val_positions, cfg.val_every) == (defaults.val_positions, defaults.val_every)
    main(["train", "rollout", "--data", "games.zip", "--size", "9",
          "--val-positions", "300", "--out", str(tmp_path)])
    assert (seen["cfg"].size, seen["cfg"].val_positions, seen["cfg"].data) == (9, 300, ["games.zip"])
