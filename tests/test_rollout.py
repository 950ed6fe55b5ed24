"""The fast rollout policy (rollout.policy, rollout.model, rollout.train).

Features are checked on ASCII boards and against a slow reference that
plays each move on a copy of the board; the incremental weights of a
rollout against full recomputation at every step; the sampler's
frequencies against the softmax of the full computation; rollouts for
termination and sign; the model file for round trips and clear errors.
"""

import argparse
import json

import numpy as np
import pytest

from engine import board as B
from engine.ascii import from_ascii
from engine.board import BLACK, COLOR, EMPTY, H_LAST, H_LAST2, H_N, H_PASSES, H_TOMOVE, WHITE
from engine.coords import to_point
from engine.playouts import random_move
from nets.rollout import features as F
from nets.rollout import model as RM
from nets.rollout import policy as R
from nets.rollout.train import replay, rollout_accuracy
from tests.conftest import DATA, needs_data

LAY = F.layout()
OFF = LAY.offsets()
IDS, _ = F.pattern_classes()


def features(state, p, color):
    """static_features with the pattern as its class id: (candidate,
    class, tactical index, save index, edge index)."""
    s = np.array(state, dtype=np.int64)
    ok, code, tactic, save, edge = F.static_features(s, p, color, OFF,
                                                     F.edge_table(int(s[H_N]), OFF))
    return ok, int(IDS[code]), int(tactic), int(save), int(edge)


def named(index):
    """(group, bucket) of a feature index, None for "no feature"."""
    if index == LAY.none:
        return None
    groups = [("capture", LAY.capture), ("self_atari", LAY.self_atari), ("save", LAY.save),
              ("cap_save", LAY.cap_save), ("edge", LAY.edge)]
    name, at = max((g for g in groups if g[1] <= index), key=lambda g: g[1])
    return name, index - at


def pt(game, x, y):
    return to_point(x, y, game.size)


def random_position(n, moves, seed, suicide=False):
    """A position after ``moves`` uniformly random moves (no eye filling)."""
    s = B.new_state(n, suicide)
    rng = np.array([seed * 7919 + 1], dtype=np.uint64)
    nj = np.zeros(0, dtype=np.int64)
    for _ in range(moves):
        c = s[H_TOMOVE]
        B.play(s, nj, random_move(s, c, rng), c)
    return s


def random_model(seed, scale=1.0):
    w = np.random.default_rng(seed).normal(0.0, scale, LAY.size).astype(np.float32)
    return RM.RolloutModel(w)


def softmax(z):
    z = np.where(np.isfinite(z), z, -np.inf)
    e = np.exp(z - z.max())
    return e / e.sum()


# --------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------

def test_capture_and_save_on_an_ascii_board():
    g = from_ascii("""
        . . . . . . .
        . . . . . . .
        . . X X . . .
        . X O O X . .
        . . X O X . .
        . . . . . . .
        . . . . . . .
    """, to_move=BLACK)
    # the three white stones have one liberty, (3, 1)
    ok, _, tactic, save, _ = features(g.state, pt(g, 3, 1), BLACK)
    assert ok and named(tactic) == ("capture", 2) and named(save) is None   # 3 stones
    # for White the same point saves them: 3+ liberties, a chain of 2-3 in atari
    ok, _, tactic, save, _ = features(g.state, pt(g, 3, 1), WHITE)
    assert ok and named(tactic) is None and named(save) == ("save", 3 + 1)
    # a move far away has only its pattern and its distance to the edge
    ok, _, tactic, save, edge = features(g.state, pt(g, 6, 6), BLACK)
    assert ok and named(tactic) is None and named(save) is None and named(edge) == ("edge", 0)
    assert named(features(g.state, pt(g, 5, 5), BLACK)[4]) == ("edge", 1)
    assert not features(g.state, pt(g, 3, 2), BLACK)[0]            # occupied


def test_self_atari_cap_save_suicide_and_eyes():
    g = from_ascii("""
        . . . . .
        . . . . .
        . X . O .
        X O . X O
        . X . O .
    """, to_move=BLACK)
    q = pt(g, 2, 1)
    # (2, 1) is the last liberty of the white stone (1, 1) and of the black stone (3, 1):
    # either side captures there and saves its own stone in atari
    for c in (BLACK, WHITE):
        ok, _, tactic, save, _ = features(g.state, q, c)
        assert ok and named(tactic) == ("capture", 0) and named(save) == ("cap_save", 0)
    # White at (0, 2) captures nothing and is left with one liberty
    ok, _, tactic, save, _ = features(g.state, pt(g, 0, 2), WHITE)
    assert ok and named(tactic) == ("self_atari", 0) and named(save) is None
    # Black at (4, 0) or White at (0, 0) would be suicide: never candidates
    assert not features(g.state, pt(g, 4, 0), BLACK)[0]
    assert not features(g.state, pt(g, 0, 0), WHITE)[0]
    # Black's (0, 0) is no true eye (the white stone on its diagonal): a candidate
    assert features(g.state, pt(g, 0, 0), BLACK)[0]
    eyes = from_ascii("""
        . X .
        X . X
        . X .
    """)
    for x, y in ((0, 0), (1, 1), (2, 2)):
        assert not features(eyes.state, pt(eyes, x, y), BLACK)[0]     # own true eyes
        assert not features(eyes.state, pt(eyes, x, y), WHITE)[0]     # suicide for White
    # the ko point is not a candidate for the player to move
    ko = from_ascii("""
        . X O .
        X O . O
        . X O .
        . . . .
    """, to_move=BLACK)
    ko.play(pt(ko, 2, 2), BLACK)            # Black captures at the ko point's neighbour
    k = int(ko.state[B.H_KO])
    assert k == pt(ko, 1, 2)
    assert not features(ko.state, k, WHITE)[0]


def _reference(s, q, c):
    """Features of a move by c at q from playing it on a copy:
    (capture stones, liberties after (capped at 3), chain size after,
    stones of own chains in atari next to q), None if not a candidate."""
    if s[COLOR + q] != EMPTY or B.is_eye(s, q, c) or not B.is_legal(s, q, c):
        return None
    w = int(s[B.H_W])
    heads = {int(s[B.HEAD + r]) for r in (q - 1, q + 1, q - w, q + w)
             if s[COLOR + r] == c and B.chain_libs(s, r) == 1}
    own_atari = sum(int(s[B.SIZE + h]) for h in heads)
    t = s.copy()
    captured = B.play(t, np.zeros(0, np.int64), q, c)
    if t[COLOR + q] != c:
        return None                          # suicide
    return captured, min(int(B.chain_libs(t, q)), 3), int(B.chain_size(t, q)), own_atari


def _bucket5(k):
    return k - 1 if k <= 3 else (3 if k <= 6 else 4)


def _bucket3(k):
    return 0 if k == 1 else (1 if k <= 3 else 2)


def _pattern_code(s, q, c):
    """The raw 3x3 code, from the documented definition."""
    w = int(s[B.H_W])
    code = 0
    for i, r in enumerate((q + w, q + 1, q - w, q - 1)):
        col = s[COLOR + r]
        if col == EMPTY:
            st = 0
        elif col == B.WALL:
            st = 1
        else:
            st = (1 if col == c else 4) + min(int(B.chain_libs(s, r)), 3)
        code |= st << (3 * i)
    for i, r in enumerate((q + w + 1, q - w + 1, q - w - 1, q + w - 1)):
        col = s[COLOR + r]
        st = 0 if col == EMPTY else 1 if col == B.WALL else 2 if col == c else 3
        code |= st << (12 + 2 * i)
    return code


@pytest.mark.parametrize("n,moves,seed,suicide", [(9, 40, 1, False), (9, 70, 2, False),
                                                  (13, 120, 3, False), (9, 60, 4, True),
                                                  (19, 250, 5, False)])
def test_static_features_match_a_reference_that_plays_the_move(n, moves, seed, suicide):
    s = random_position(n, moves, seed, suicide)
    edge = F.edge_table(n, OFF)
    none = LAY.none
    checked = 0
    for y in range(n):
        for x in range(n):
            q = to_point(x, y, n)
            for c in (BLACK, WHITE):
                ref = _reference(s, q, c)
                ok, code, tactic, save, e = F.static_features(s.copy(), q, c, OFF, edge)
                assert ok == (ref is not None), (x, y, c)
                if ref is None:
                    continue
                captured, libs, size, own_atari = ref
                want_t, want_s = none, none
                if captured:
                    want_t = LAY.capture + _bucket5(captured)
                    want_s = LAY.cap_save if own_atari else none
                elif libs == 1:
                    want_t = LAY.self_atari + _bucket5(size)
                elif own_atari:
                    want_s = LAY.save + 3 * (libs - 2) + _bucket3(own_atari)
                assert (tactic, save) == (want_t, want_s), (x, y, c, ref)
                assert code == _pattern_code(s, q, c)
                assert e == LAY.edge + min(x, y, n - 1 - x, n - 1 - y, 6)
                checked += 1
    assert checked > n * n // 3


def _transform(grid, k):
    """Symmetry k of a (y, x) grid: k % 4 quarter turns, then a mirror."""
    g = np.rot90(grid, k % 4)
    return np.fliplr(g) if k >= 4 else g


def test_patterns_and_responses_are_invariant_under_the_symmetries_and_colours():
    base = from_ascii("""
        . . . . . . . .
        . . X O . . . .
        . X O . O . . .
        . X O X . . . .
        . . X . . . O .
        . . . . . O X .
        . . . . . . . .
        . . . . . . . .
    """, to_move=BLACK)
    n = base.size
    colours = np.array([[base.color_at(to_point(x, y, n)) for x in range(n)] for y in range(n)])
    coords = np.array([[y * n + x for x in range(n)] for y in range(n)])
    last = (3, 5)                                 # the white stone at D6 "was just played"

    def position(col_grid, swap):
        stones = {}
        for y in range(n):
            for x in range(n):
                c = int(col_grid[y, x])
                if c != EMPTY:
                    stones[to_point(x, y, n)] = (3 - c) if swap else c
        g = from_ascii("\n".join(". " * n for _ in range(n)))
        g.set_setup(stones, WHITE if swap else BLACK)
        return g

    reference = {}
    for k in range(8):
        for swap in (False, True):
            grid = _transform(colours, k)
            where = _transform(coords, k)
            g = position(grid, swap)
            s = g.state.copy()
            ly, lx = np.argwhere(where == last[1] * n + last[0])[0]
            s[H_LAST] = to_point(int(lx), int(ly), n)
            mover = WHITE if swap else BLACK
            model = random_model(7)
            logits = model.logits(s, mover)
            for y in range(n):
                for x in range(n):
                    orig = int(where[y, x])
                    f = features(s, to_point(x, y, n), mover)
                    z = logits[y * n + x]
                    if orig in reference:
                        assert reference[orig][0] == f, (k, swap, orig)
                        assert reference[orig][1] == pytest.approx(z), (k, swap, orig)
                    else:
                        reference[orig] = (f, z)
    # and the test is not vacuous: distinct shapes get distinct classes
    assert len({f[1] for f, _ in reference.values() if f[0]}) > 10


def test_pattern_classes_are_the_orbits_of_the_symmetries():
    ids, count = F.pattern_classes()
    assert 2 ** 20 // 8 < count < 2 ** 20 // 4
    rng = np.random.default_rng(3)
    for code in rng.integers(0, 2 ** 20, size=200):
        orth = [(code >> (3 * i)) & 7 for i in range(4)]
        diag = [(code >> (12 + 2 * i)) & 3 for i in range(4)]
        # one quarter turn: N<-W, E<-N, ... (see F.ORTH_PERM)
        for k in range(8):
            v = 0
            for i in range(4):
                v |= orth[i] << (3 * int(F.ORTH_PERM[k, i]))
                v |= diag[i] << (12 + 2 * int(F.DIAG_PERM[k, i]))
            assert ids[v] == ids[code]
    # a pattern and its colour swap differ (colour-relative, not colour-blind)
    own_n = 2 | (0 << 3)      # own stone with 1 liberty to the north
    opp_n = 5
    assert ids[own_n] != ids[opp_n]


# --------------------------------------------------------------------------
# the policy: logits, sampler, rollouts
# --------------------------------------------------------------------------

def test_hand_set_weights_pick_the_capture():
    g = from_ascii("""
        . . . . . . . . .
        . . . . . . . . .
        . . . X . . . . .
        . . X O X . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
    """, to_move=BLACK)
    w = np.zeros(LAY.size, np.float32)
    w[LAY.capture:LAY.capture + 5] = 6.0
    model = RM.RolloutModel(w)
    logits = model.logits(g.state)
    n = g.size
    assert int(np.argmax(logits)) == 4 * n + 3          # (3, 4): below the white stone
    counts = np.zeros(n * n + 1, np.int64)
    off, ew_pat, ewv = model.exp_tables()
    R.sample_counts(g.state.copy(), 2000, 1, off, ew_pat, ewv, counts)
    p = softmax(logits)[4 * n + 3]
    assert p > 0.7 and abs(counts[4 * n + 3] / 2000 - p) < 0.05


@pytest.mark.parametrize("scale,near_boost", [(1.0, 0.0), (0.5, 12.0)])
def test_sampler_draws_the_softmax_of_the_full_computation(scale, near_boost):
    s = random_position(9, 30, 11)
    n = 9
    assert s[H_LAST] >= 0 and s[H_LAST2] >= 0
    model = random_model(5, scale)
    if near_boost:
        # nearly all the mass next to the previous move: exercises the rejection path
        model.weights[LAY.dist_last:LAY.dist_last + 8] += near_boost
    p = softmax(model.logits(s))
    counts = np.zeros(n * n + 1, np.int64)
    draws = 40_000
    off, ew_pat, ewv = model.exp_tables()
    R.sample_counts(s, draws, 3, off, ew_pat, ewv, counts)
    assert counts[n * n] == 0                            # never a pass with moves left
    freq = counts[:n * n] / draws
    assert np.all(freq[p == 0] == 0)
    assert 0.5 * np.abs(freq - p).sum() < 0.03


@pytest.mark.parametrize("n,seed,suicide", [(9, 1, False), (9, 2, True), (13, 3, False),
                                            (19, 4, False)])
def test_incremental_weights_equal_full_recomputation_at_every_step(n, seed, suicide):
    # random weights: many self-ataris, captures and kos along the way
    model = random_model(seed, 2.0)
    off, ew_pat, ewv = model.exp_tables()
    states = np.stack([random_position(n, m, seed + m, suicide) for m in (0, 10, n * n // 2)])
    out = np.empty(len(states))
    moves, bad = R.rollouts(states, 7.5, seed, off, ew_pat, ewv, out, True)
    assert moves > len(states) * n and bad == 0


def test_rollouts_end_with_two_passes_and_no_move_left():
    model = random_model(1)
    off, ew_pat, ewv = model.exp_tables()
    scratch = R._new_scratch()
    rng = np.array([12345], np.uint64)
    for seed in range(4):
        s = random_position(9, 5 * seed, seed)
        moves, _ = R._rollout(s, 3 * 81, off, ew_pat, ewv, scratch, rng, False)
        assert moves < 3 * 81 and s[H_PASSES] == 2
        for c in (BLACK, WHITE):
            assert not np.isfinite(model.logits(s, c)).any()


def test_rollout_results_have_the_right_sign():
    black_owns = from_ascii("""
        X X X X X
        X . X X X
        X X X X X
        X X X . X
        X X X X X
    """, to_move=WHITE)
    white_owns = from_ascii("""
        O O O O O
        O . O O O
        O O O O O
        O O O . O
        O O O O O
    """, to_move=BLACK)
    rollout = R.RolloutPolicy(random_model(2))
    states = np.stack([black_owns.state, white_owns.state, black_owns.state])
    before = states.copy()
    z = rollout(states, 6.5, 42)
    assert z.dtype == np.float64 and z.tolist() == [1.0, -1.0, 1.0]
    assert np.array_equal(states, before)               # the caller's rows are untouched
    assert rollout(states[:1], 25.0, 1).tolist() == [0.0]   # area 25 - komi 25: a draw
    # from an open 9x9 board: every result is a win, a loss or a draw, and both occur
    z = rollout(np.stack([B.new_state(9)] * 40), 7.0, 3)
    assert set(z.tolist()) <= {-1.0, 0.0, 1.0} and {-1.0, 1.0} <= set(z.tolist())


def test_rollout_refuses_bad_input():
    rollout = R.RolloutPolicy(RM.RolloutModel.zeros())
    with pytest.raises(ValueError, match="int64"):
        rollout(np.zeros((2, 10), np.int64), 7.5, 1)
    with pytest.raises(ValueError, match="int64"):
        rollout(np.zeros((1, B.STATE_LEN), np.int32), 7.5, 1)
    one = rollout(B.new_state(5), 0.5, 1)              # one row on its own is accepted
    assert one.shape == (1,)


# --------------------------------------------------------------------------
# the model file
# --------------------------------------------------------------------------

def test_model_file_round_trip(tmp_path):
    model = random_model(9)
    model.provenance = {"command": "tengen train rollout", "positions_seen": 12}
    path = tmp_path / "r.npz"
    RM.save_rollout(model, path)
    back = RM.load_model(path)
    assert np.array_equal(back.weights, model.weights)
    assert back.provenance == model.provenance
    s = random_position(9, 20, 1)
    assert np.array_equal(back.logits(s), model.logits(s))
    assert callable(R.load_rollout(path))
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"][()]))
    assert meta["feature_set"] == F.FEATURE_SET_VERSION and meta["size"] == LAY.size


def _write(path, weights, meta):
    with open(path, "wb") as f:
        np.savez(f, weights=weights, meta=np.array(json.dumps(meta)))


def test_bad_model_files_are_clear_errors(tmp_path):
    good = {"format": RM.FILE_FORMAT, "feature_set": F.FEATURE_SET_VERSION,
            "groups": LAY.sizes(), "size": LAY.size, "provenance": {}}
    w = np.zeros(LAY.size, np.float32)
    cases = {
        "missing.npz": None,
        "garbage.npz": b"not a zip file at all",
        "truncated.npz": "truncate",
        "old.npz": (w, dict(good, feature_set="rollout-v0")),
        "short.npz": (w[:100], good),
        "nan.npz": (np.full(LAY.size, np.nan, np.float32), good),
        "other.npz": (w, dict(good, format="something-else")),
        "groups.npz": (w, dict(good, groups={"pattern": 1})),
    }
    messages = {"missing.npz": "no such", "garbage.npz": "not a readable",
                "truncated.npz": "not a readable", "old.npz": "feature set",
                "short.npz": "expected", "nan.npz": "finite", "other.npz": "not a tengen-rollout",
                "groups.npz": "feature groups"}
    for name, spec in cases.items():
        path = tmp_path / name
        if isinstance(spec, bytes):
            path.write_bytes(spec)
        elif spec == "truncate":
            _write(path, w, good)
            path.write_bytes(path.read_bytes()[:1000])
        elif spec is not None:
            _write(path, *spec)
        with pytest.raises(RM.RolloutFileError, match=messages[name]) as e:
            R.load_rollout(path)
        assert name in str(e.value)
    # an object array would need pickle: refused, never unpickled
    path = tmp_path / "pickle.npz"
    with open(path, "wb") as f:
        np.savez(f, weights=np.array([object()], dtype=object), meta=np.array("{}"))
    with pytest.raises(RM.RolloutFileError):
        RM.load_model(path)


# --------------------------------------------------------------------------
# training and evaluation on real games
# --------------------------------------------------------------------------

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
