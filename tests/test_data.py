"""``nets.data``: training windows (checked position by position against a
replay through ``Game``), their symmetries and final-ownership targets, the
resumable stream of batches, the fixed validation sample."""

import numpy as np
import pytest
from nets_helpers import random_games_dir, small_config

from nets.data import PositionStream, build_window, final_ownership, fixed_sample
from nets.features import POLICY_PLANES, VALUE_PLANES
from nets.symmetry import transform_index, transform_planes
from nets.train import Trainer


def test_window_smaller_than_a_batch_is_an_error(tmp_path):
    games = random_games_dir(tmp_path, count=2, moves=5)
    t = Trainer(small_config(tmp_path, games, max_positions=64), progress=False)
    with pytest.raises(ValueError, match="fewer than one batch"):
        t.stream.next_batch()


def test_value_positions_carry_final_ownership_in_the_movers_frame(tmp_path):
    from engine.corpus import load_corpus
    from nets.data import build_window, final_ownership

    games = random_games_dir(tmp_path, count=2, moves=30)
    corpus = load_corpus([str(games)], size=9)
    own = final_ownership(corpus, playouts=8)
    assert own.shape == (2, 81) and np.abs(own).max() <= 100
    w = build_window(corpus, np.array([0]), VALUE_PLANES, np.random.default_rng(0),
                     symmetries=False, ownership=own)
    black_to_move = w.planes_of(np.arange(len(w)))[:, -1, 0, 0] == 1
    targets = w.owner_of(np.arange(len(w)))
    assert black_to_move.any() and (~black_to_move).any()
    assert np.array_equal(targets[black_to_move][0].ravel(), own[0] / 100.0)
    assert np.array_equal(targets[~black_to_move][0].ravel(), -own[0] / 100.0)


# ---- windows against a replay through Game -----------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Five random 9x9 games of 12 moves, results alternating (B+R first)."""
    from engine.corpus import load_corpus

    games = random_games_dir(tmp_path_factory.mktemp("data"), count=5, moves=12)
    return load_corpus([str(games)], size=9)


def replayed(corpus, planes):
    """{(game, moves before): (planes, move played, value for the mover)} by
    replaying every game through ``Game`` and encoding each position."""
    from engine.board import PASS
    from engine.coords import point_to_index
    from engine.game import Game
    from nets.features import encode_game

    n = corpus.size
    found = {}
    for g in range(corpus.games):
        game = Game(n)
        for k in range(corpus.offsets[g], corpus.offsets[g + 1]):
            p, c = int(corpus.points[k]), int(corpus.colors[k])
            value = 0 if corpus.winner[g] == 0 else (1 if corpus.winner[g] == c else -1)
            move = n * n if p == PASS else point_to_index(p, n)
            found[g, k - corpus.offsets[g]] = (encode_game(game, planes == VALUE_PLANES),
                                               move, value)
            game.play(p, c)
    return found


def window_positions(w):
    return {(int(w.game[i]), int(w.movenum[i])): i for i in range(len(w))}


@pytest.mark.parametrize("planes", [POLICY_PLANES, VALUE_PLANES])
def test_a_window_holds_every_position_of_its_games_as_a_replay_through_game_encodes_it(
        corpus, planes):
    reference = replayed(corpus, planes)
    w = build_window(corpus, np.arange(corpus.games), planes, np.random.default_rng(0),
                     symmetries=False)
    at = window_positions(w)
    assert sorted(at) == sorted(reference) and len(w) == corpus.moves
    for key, i in at.items():
        ref_planes, move, value = reference[key]
        assert np.array_equal(w.planes_of(np.array([i]))[0], ref_planes), key
        assert (w.move[i], w.value[i]) == (move, value), key
    assert list(at) != sorted(at)                  # shuffled: a game's positions far apart


def test_each_position_is_turned_by_one_symmetry_with_its_move(corpus):
    reference = replayed(corpus, POLICY_PLANES)
    w = build_window(corpus, np.arange(corpus.games), POLICY_PLANES, np.random.default_rng(1))
    used = set()
    for key, i in window_positions(w).items():
        ref_planes, move, _ = reference[key]
        planes = w.planes_of(np.array([i]))[0]
        ks = [k for k in range(8) if np.array_equal(transform_planes(ref_planes, k), planes)
              and transform_index(move, k, corpus.size) == w.move[i]]
        assert ks, key
        used.add(ks[0])
    assert len(used) > 4                   # the symmetries are drawn, not one fixed


def test_per_game_and_chosen_pick_the_positions_of_each_game(corpus):
    rng = np.random.default_rng(2)
    games = np.arange(corpus.games)
    w = build_window(corpus, games, POLICY_PLANES, rng, per_game=3)
    per_game = np.bincount(w.game, minlength=corpus.games)
    assert per_game.tolist() == [3] * corpus.games
    assert len(set(zip(w.game.tolist(), w.movenum.tolist()))) == len(w)      # no repeats
    chosen = np.array([0, 5, 11, 12, -1])              # 12 moves a game: the last two choose none
    w = build_window(corpus, games, POLICY_PLANES, rng, chosen=chosen)
    assert sorted(zip(w.game.tolist(), w.movenum.tolist())) == [(0, 0), (1, 5), (2, 11)]
    empty = build_window(corpus, games[:0], POLICY_PLANES, rng)
    assert len(empty) == 0 and empty.planes_of(np.arange(0)).shape == (0, POLICY_PLANES, 9, 9)


# ---- the stream --------------------------------------------------------------

def batches(stream, count):
    return [stream.next_batch() for _ in range(count)]


def same_batches(a, b):
    return all(np.array_equal(x, y) for p, q in zip(a, b) for x, y in zip(p[:3], q[:3]))


def test_a_stream_restored_from_its_state_repeats_the_batches_it_would_have_given(corpus):
    """Windows of two games (24 positions, two batches of 10): ten batches
    run through windows and into the second epoch."""
    stream = PositionStream(corpus, POLICY_PLANES, 10, seed=4, window_games=2)
    first = batches(stream, 3)
    saved = stream.state()
    rest = batches(stream, 7)
    assert stream.state()["epoch"] == 1 and stream.windows_per_epoch == 3
    again = PositionStream(corpus, POLICY_PLANES, 10, seed=4, window_games=2)
    again.restore(saved)
    assert same_batches(batches(again, 7), rest)
    other_seed = PositionStream(corpus, POLICY_PLANES, 10, seed=5, window_games=2)
    assert not same_batches(batches(other_seed, 3), first)


def test_windows_built_ahead_in_worker_processes_are_the_windows_built_here(corpus):
    """Two workers build the next windows while this process serves the
    current one: the same batches, across windows, epochs and a restore."""
    here = PositionStream(corpus, POLICY_PLANES, 10, seed=4, window_games=2)
    ahead = PositionStream(corpus, POLICY_PLANES, 10, seed=4, window_games=2, workers=2)
    try:
        assert same_batches(batches(ahead, 10), batches(here, 10))
        assert ahead.state() == here.state() and ahead.state()["epoch"] == 1
        saved = {"epoch": 0, "window": 2, "offset": 10}
        here.restore(saved)
        ahead.restore(saved)
        assert same_batches(batches(ahead, 5), batches(here, 5))
    finally:
        ahead.close()
    assert ahead._pool is None


def test_value_streams_take_only_games_with_a_winner(corpus, tmp_path):
    from engine.corpus import load_corpus
    from engine.sgf.write import game_to_sgf

    stream = PositionStream(corpus, VALUE_PLANES, 8, window_games=5, need_winner=True)
    assert stream.eligible.tolist() == list(range(corpus.games))
    folder = tmp_path / "no-result"
    folder.mkdir()
    from engine.game import Game
    (folder / "g.sgf").write_text(game_to_sgf(Game(9)))
    without = load_corpus([str(folder)], size=9)
    assert without.winner.tolist() == [0]
    with pytest.raises(ValueError, match="no games"):
        PositionStream(without, VALUE_PLANES, 8, need_winner=True)


def test_the_validation_sample_is_fixed_and_unturned(corpus):
    reference = replayed(corpus, VALUE_PLANES)
    a = fixed_sample(corpus, VALUE_PLANES, 10, per_game=4)
    b = fixed_sample(corpus, VALUE_PLANES, 10, per_game=4)
    assert len(a) == 10 and np.array_equal(a.packed, b.packed) and np.array_equal(a.game, b.game)
    assert np.bincount(a.game).max() <= 4
    for key, i in window_positions(a).items():
        assert np.array_equal(a.planes_of(np.array([i]))[0], reference[key][0])


# ---- final ownership ------------------------------------------------------------

def test_a_settled_positions_ownership_is_whole_and_in_blacks_frame():
    from engine.ascii import from_ascii
    from nets.data import ownership_percent

    g = from_ascii("""
        . X O .
        X X O O
        X X O .
        . X O O
    """)
    out = np.zeros(16, np.int64)
    ownership_percent(g.state, 16, 1, out)
    # row-major from the bottom row (y = 0): Black's two columns, White's two
    assert out.reshape(4, 4).tolist() == [[100, 100, -100, -100]] * 4


def test_final_ownership_is_kept_in_its_cache_and_recomputed_for_another_corpus(
        corpus, tmp_path, monkeypatch):
    from nets import data

    cache = tmp_path / "own.npy"
    own = final_ownership(corpus, playouts=8, cache=str(cache))
    assert own.dtype == np.int8 and own.shape == (corpus.games, 81) and cache.exists()
    monkeypatch.setattr(data, "_final_ownership", lambda *a: pytest.fail("not from the cache"))
    assert np.array_equal(final_ownership(corpus, playouts=8, cache=str(cache)), own)
    np.save(cache, own[:2])                             # a cache of another corpus
    monkeypatch.undo()
    again = final_ownership(corpus, playouts=8, cache=str(cache))
    assert np.array_equal(again, own) and np.load(cache).shape == own.shape
