"""Networks, model files, training end to end, resume, and evaluation."""

import json

import numpy as np
import pytest
import torch

from engine import board as B
from engine.board import BLACK
from engine.game import Game
from engine.playouts import random_move
from engine.sgf.write import game_to_sgf
from nets.evaluate import evaluate
from nets.features import POLICY_PLANES, VALUE_PLANES
from nets.inference import Networks
from nets.model import (
    ModelFileError,
    NetConfig,
    build,
    fold_batchnorm,
    load_model,
    policy_config,
    save_model,
    value_config,
)
from nets.score import black_leads
from nets.symmetry import transform_planes
from nets.train import Trainer
from nets.train_config import TrainConfig
from selfplay.config import RLConfig


def random_games_dir(tmp_path, count, moves, size=9, seed=0):
    """Write ``count`` random (legal, eye-respecting) games as SGF files;
    each starts from a different random first move, alternating results."""
    rng = np.random.default_rng(seed)
    folder = tmp_path / "games"
    folder.mkdir()
    for g in range(count):
        game = Game(size, komi=7.5)
        r = np.array([rng.integers(1, 2 ** 62)], dtype=np.uint64)
        for _ in range(moves):
            p = random_move(game.state.copy(), game.to_move, r)
            if p == B.PASS or not game.legal(p):
                break
            game.play(p)
        result = "B+R" if g % 2 == 0 else "W+R"
        (folder / f"g{g}.sgf").write_text(game_to_sgf(game, result=result))
    return folder


@pytest.mark.parametrize("n", [9, 13, 19])
def test_output_shapes_any_board_size(n):
    pol = build(policy_config(width=16))
    val = build(value_config(width=16))
    x = torch.rand(3, POLICY_PLANES, n, n)
    assert pol(x).shape == (3, n * n + 1)
    v = val(torch.rand(3, VALUE_PLANES, n, n))
    assert v.shape == (3,)
    assert bool(((v >= -1) & (v <= 1)).all())


def test_point_bias_is_symmetric_and_size_agnostic():
    pol = build(policy_config(width=8, layers=3))
    with torch.no_grad():
        pol.point_bias.copy_(torch.randn_like(pol.point_bias))
        for m in pol.trunk.convs:
            m.weight.zero_()
            m.bias.zero_()
    for n in (7, 19):
        out = pol(torch.zeros(1, POLICY_PLANES, n, n))[0, :-1].view(n, n)
        # with a silent trunk only the bias speaks: it must be 8-fold symmetric
        assert torch.allclose(out, out.flip(0))
        assert torch.allclose(out, out.flip(1))
        assert torch.allclose(out, out.T)


def test_a_new_residual_tower_is_the_identity_after_its_stem():
    """Without batch norm each block's second convolution starts at zero,
    so a deep unnormalised tower starts as relu(stem(x)) and trains; the
    global-pooling layers start silent too."""
    for pool in (False, True):
        net = build(policy_config(width=8, arch="residual", blocks=6, global_pool=pool))
        x = torch.rand(2, POLICY_PLANES, 9, 9)
        stem = torch.relu(net.trunk.convs[0](x))
        assert torch.allclose(net.trunk(x), stem)
        assert len(net.trunk.convs) == 1 + 2 * 6
        assert len(net.trunk.pools) == (2 if pool else 0)     # blocks 3 and 6


@pytest.mark.parametrize("kind", ["policy", "value"])
@pytest.mark.parametrize("pool", [False, True])
def test_residual_networks_fold_save_and_load(tmp_path, kind, pool):
    torch.manual_seed(1)
    make = policy_config if kind == "policy" else value_config
    net = build(make(width=8, arch="residual", blocks=3, global_pool=pool, batchnorm=True))
    planes = POLICY_PLANES if kind == "policy" else VALUE_PLANES
    x = torch.rand(8, planes, 9, 9)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))     # away from the identity start
    net.train()
    net(x)
    net.eval()
    save_model(net, tmp_path / "r.safetensors")
    back = load_model(tmp_path / "r.safetensors", kind)
    assert back.cfg.arch == "residual" and not back.cfg.batchnorm
    assert torch.allclose(net(x), back(x), atol=1e-4)
    # a 13x13 board works with the same weights
    assert back(torch.rand(1, planes, 13, 13)).shape[0] == 1


def test_batchnorm_folds_into_convolutions():
    torch.manual_seed(0)
    net = build(NetConfig(kind="policy", width=8, layers=4, batchnorm=True))
    x = torch.rand(16, POLICY_PLANES, 9, 9)
    net.train()
    for _ in range(3):
        net(x)  # gather running statistics
    net.eval()
    for bn in net.trunk.norms:
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    plain = fold_batchnorm(net)
    assert not plain.cfg.batchnorm and plain.trunk.norms is None
    assert torch.allclose(net(x), plain(x), atol=1e-4)


def test_model_file_round_trip(tmp_path):
    net = build(value_config(width=8, layers=3))
    net.cfg.provenance = {"command": "test"}
    save_model(net, tmp_path / "v.safetensors")
    back = load_model(tmp_path / "v.safetensors", "value")
    assert back.cfg.provenance == {"command": "test"}
    x = torch.rand(2, VALUE_PLANES, 9, 9)
    assert torch.equal(net.eval()(x), back(x))


def test_subnormal_weights_are_zero_after_saving_and_loading(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    net = build(policy_config(width=8, layers=3))
    tiny = torch.finfo(torch.float32).tiny
    with torch.no_grad():
        net.trunk.convs[1].weight[0, 0] = tiny / 4          # subnormal
        net.trunk.convs[1].weight[0, 1] = -tiny / 1000      # subnormal
        net.trunk.convs[1].weight[0, 2] = tiny              # the smallest normal: kept
    save_model(net, tmp_path / "p.safetensors")
    with safe_open(str(tmp_path / "p.safetensors"), framework="pt") as f:
        stored = f.get_tensor("trunk.convs.1.weight")
        meta = f.metadata()
    assert (stored[0, 0] == 0).all() and (stored[0, 1] == 0).all()
    assert (stored[0, 2] == tiny).all()
    # a file written by something else, subnormals and all, loads without them
    raw = {k: v.detach().clone() for k, v in net.state_dict().items()}
    raw["trunk.convs.1.weight"][0, 0] = tiny / 4
    save_file(raw, str(tmp_path / "raw.safetensors"), metadata=meta)
    loaded = load_model(tmp_path / "raw.safetensors", "policy").trunk.convs[1].weight
    assert (loaded[0, 0] == 0).all() and (loaded[0, 2] == tiny).all()


def test_building_a_network_turns_on_flush_to_zero():
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU has no flush-to-zero mode")
    assert torch.tensor([1e-39]).mul(1.0).item() != 0.0
    build(value_config(width=8, layers=3))
    assert torch.tensor([1e-39]).mul(1.0).item() == 0.0


def test_bad_model_files_give_clear_errors(tmp_path):
    from safetensors.torch import save_file

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00\x01 not a model at all" * 10)
    with pytest.raises(ModelFileError, match="not a readable"):
        load_model(garbage)
    with pytest.raises(ModelFileError, match="no such"):
        Networks.from_spec(tmp_path / "missing.safetensors")

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(ModelFileError, match="not a tengen network"):
        load_model(foreign)

    pol = build(policy_config(width=8, layers=3))
    save_model(pol, tmp_path / "p.safetensors")
    with pytest.raises(ModelFileError, match="expected a value network"):
        load_model(tmp_path / "p.safetensors", "value")

    # weights that do not fit the declared architecture
    meta = {"format": "tengen-net",
            "config": json.dumps({"kind": "policy", "width": 16, "layers": 3, "planes": 48})}
    tensors = {k: v.contiguous() for k, v in pol.state_dict().items()}
    save_file(tensors, str(tmp_path / "shape.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError, match="shape"):
        load_model(tmp_path / "shape.safetensors")

    meta["config"] = json.dumps({"kind": "policy", "width": 8, "layers": 3, "planes": 48,
                                 "feature_set": "some-other-encoder"})
    save_file(tensors, str(tmp_path / "fs.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError, match="feature"):
        load_model(tmp_path / "fs.safetensors")


def small_config(tmp_path, games, **kw):
    base = dict(kind="policy", size=9, data=[str(games)], val=[], out=str(tmp_path / "run"),
                arch="plain", width=32, layers=4, optimizer="adam", lr=3e-3, batch_size=32, bf16=False,
                warmup_positions=0, schedule_positions=10 ** 9, window_games=100,
                checkpoint_minutes=1000, val_every=10 ** 9, val_positions=0, seed=3,
                symmetries=False)
    base.update(kw)
    return TrainConfig(**base)


def test_network_overfits_a_tiny_dataset(tmp_path):
    """Learning works end to end: SGF -> features -> training -> model
    file -> evaluation reaches ~100% on the games it learned."""
    games = random_games_dir(tmp_path, count=4, moves=40)
    cfg = small_config(tmp_path, games, max_positions=32 * 500)
    Trainer(cfg, progress=False).run()
    nets = Networks(policy_path=tmp_path / "run" / "model.safetensors", bf16=False)
    r = evaluate(nets, [str(games)])
    assert r["positions"] == 160
    # the 4 games share the empty-board position, so 3 of 160 are unlearnable
    assert r["top1"] >= 0.95
    # the prior it learned is sharp: nearly all its mass on the games' moves
    assert 0.9 <= r["policy_expert_probability"] <= 1.0
    assert 0.0 <= r["policy_entropy"] < 0.5
    torch.manual_seed(0)
    save_model(build(policy_config(width=32, layers=4)), tmp_path / "fresh.safetensors")
    fresh = evaluate(Networks(policy_path=tmp_path / "fresh.safetensors", bf16=False), [str(games)])
    assert fresh["policy_entropy"] > 3.0 > r["policy_entropy"]
    assert fresh["policy_expert_probability"] < 0.1


def test_resumed_run_continues_exactly(tmp_path):
    games = random_games_dir(tmp_path, count=6, moves=30)
    whole = small_config(tmp_path / "a", games, max_positions=32 * 40, symmetries=True,
                         window_games=2, optimizer="sgd", lr=0.01)
    (tmp_path / "a").mkdir()
    Trainer(whole, progress=False).run()

    (tmp_path / "b").mkdir()
    first = small_config(tmp_path / "b", games, max_positions=32 * 17, symmetries=True,
                         window_games=2, optimizer="sgd", lr=0.01)
    Trainer(first, progress=False).run()
    second = small_config(tmp_path / "b", games, max_positions=32 * 40)
    t = Trainer(second, resume=True, progress=False)
    assert t.cfg.symmetries and t.cfg.optimizer == "sgd"  # the run keeps its own design
    assert t.positions == 32 * 17
    t.run()

    a = torch.load(tmp_path / "a" / "run" / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "run" / "checkpoint.pt", weights_only=True)
    assert a["positions"] == b["positions"] == 32 * 40
    assert a["stream"] == b["stream"]
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


def test_ctrl_c_ends_a_run_at_a_step_boundary_with_a_checkpoint_it_resumes_from(tmp_path):
    """SIGINT in the middle of a run (sent by the fifth step itself, as a
    user's Ctrl-C would arrive) ends it after that step with its checkpoint
    and model file written, and ``--resume`` goes on from there."""
    import os
    import signal

    games = random_games_dir(tmp_path, count=4, moves=30)
    cfg = small_config(tmp_path, games, max_positions=32 * 40)
    t = Trainer(cfg, progress=False)
    step = t.step

    def step_then_interrupt():
        out = step()
        if t.steps == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return out

    t.step = step_then_interrupt
    t.run()                                   # returns: no KeyboardInterrupt
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert ckpt["positions"] == 32 * 5
    assert (tmp_path / "run" / "model.safetensors").exists()
    again = Trainer(cfg, resume=True, progress=False)
    assert again.positions == 32 * 5
    again.run()
    assert again.positions == 32 * 40


def test_a_resumed_run_takes_a_new_schedule_only_when_asked(tmp_path):
    from nets.train_config import SCHEDULE_FIELDS, learning_rate

    games = random_games_dir(tmp_path, count=4, moves=30)
    first = small_config(tmp_path, games, max_positions=32 * 4, lr=0.01,
                         schedule_positions=10_000)
    Trainer(first, progress=False).run()
    again = small_config(tmp_path, games, max_positions=32 * 8, lr=0.001,
                         schedule_positions=500)
    kept = Trainer(again, resume=True, progress=False)
    assert kept.cfg.lr == 0.01 and kept.cfg.schedule_positions == 10_000
    moved = Trainer(again, resume=True, progress=False, reschedule=SCHEDULE_FIELDS)
    assert moved.cfg.lr == 0.001 and moved.cfg.schedule_positions == 500
    assert moved.positions == 32 * 4                 # the run goes on where it was
    assert learning_rate(moved.cfg, moved.positions) < learning_rate(kept.cfg, kept.positions)


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


def test_value_training_uses_results(tmp_path):
    games = random_games_dir(tmp_path, count=6, moves=20)
    cfg = small_config(tmp_path, games, kind="value", max_positions=8 * 3, per_game=3,
                       batch_size=8)
    t = Trainer(cfg, progress=False)
    planes, move, value, owner = t.stream.next_batch()
    assert planes.shape == (8, VALUE_PLANES, 9, 9)
    assert owner.shape == (8, 9, 9) and np.abs(owner).max() <= 1.0
    assert set(np.unique(value)) <= {-1.0, 1.0}
    t.run()
    assert load_model(tmp_path / "run" / "model.safetensors", "value").cfg.kind == "value"


def test_starting_from_a_network_of_another_trunk_shape_is_a_clear_error(tmp_path):
    games = random_games_dir(tmp_path, count=2, moves=20)
    save_model(build(policy_config(width=32, layers=4)), tmp_path / "plain.safetensors")
    cfg = small_config(tmp_path, games, arch="residual", blocks=2,
                       init_from=str(tmp_path / "plain.safetensors"))
    with pytest.raises(ModelFileError, match="does not match"):
        Trainer(cfg, progress=False)


def test_fine_tuning_starts_from_the_whole_network_and_keeps_frozen_layers(tmp_path):
    """``--init-from`` a network of the same kind copies its heads too;
    ``--freeze-layers 2`` leaves the first two convolutions as they were
    while the rest of the network learns."""
    games = random_games_dir(tmp_path, count=4, moves=30)
    source = build(policy_config(width=32, layers=4))
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.01 * torch.randn_like(p))
    save_model(source, tmp_path / "source.safetensors")
    cfg = small_config(tmp_path, games, max_positions=32 * 30,
                       init_from=str(tmp_path / "source.safetensors"), freeze_layers=2)
    t = Trainer(cfg, progress=False)
    start = {k: v.clone() for k, v in t.net.state_dict().items()}
    for k, v in source.state_dict().items():
        assert torch.equal(start[k], v), k          # every tensor copied, heads included
    t.run()
    end = t.net.state_dict()
    for k in start:
        moved = not torch.equal(start[k], end[k])
        frozen = k.startswith(("trunk.convs.0.", "trunk.convs.1."))
        assert moved != frozen, k


def test_score_error_is_scored_against_counted_results_only(tmp_path, monkeypatch):
    """The ownership head's score estimate is compared with the counted
    margin (B+3.5) of each position's game, from the mover's side; games
    that ended by resignation do not count, except for the winner its sign
    calls.  Reference: nets.score's estimate, position by position, through
    Game and its own encoding."""
    rng = np.random.default_rng(5)
    folder = tmp_path / "games"
    folder.mkdir()
    games = []
    for g, result in enumerate(["B+3.5", "W+R", "W+12.5"]):
        game = Game(9, komi=6.5)
        r = np.array([rng.integers(1, 2 ** 62)], dtype=np.uint64)
        positions = []
        for _ in range(12):
            p = random_move(game.state.copy(), game.to_move, r)
            if p == B.PASS:
                break
            positions.append((game.copy(), game.to_move))
            game.play(p)
        (folder / f"g{g}.sgf").write_text(game_to_sgf(game, result=result))
        games.append((result, positions))
    torch.manual_seed(0)
    value = build(value_config(width=8, layers=3))
    save_model(value, tmp_path / "v.safetensors")
    nets = Networks(value_path=tmp_path / "v.safetensors", bf16=False)

    for symmetries in (1, 8):
        r = evaluate(nets, [str(folder)], batch=5, symmetries=symmetries)
        errors, winner_calls = [], []
        for result, positions in games:
            leads = black_leads(nets, positions, symmetries=symmetries)
            winner_calls += [(lead > 0) == (result[0] == "B") for lead in leads]
            if result.endswith("R"):
                continue
            margin = float(result[2:]) * (1 if result[0] == "B" else -1)
            for (_, mover), lead in zip(positions, leads):
                sign = 1 if mover == BLACK else -1
                errors.append(sign * (lead - margin))
        assert r["score_winner_accuracy"] == pytest.approx(np.mean(winner_calls))
        assert r["symmetries"] == symmetries
        assert r["score_positions"] == len(errors) > 0
        assert r["score_mae"] == pytest.approx(np.mean(np.abs(errors)), abs=1e-3)
        assert r["score_bias"] == pytest.approx(np.mean(errors), abs=1e-3)
        assert r["score_mae_after_move_100"] is None     # no game is that long



def test_networks_averaged_over_the_eight_symmetries_turn_with_the_board(tmp_path):
    """Averaged over all eight symmetries, the policy, value and ownership of
    a turned or mirrored board are those of the board, turned the same way
    (a wrong inverse would break this); one network pass alone is not."""
    torch.manual_seed(1)
    save_model(build(policy_config(width=8, layers=3)), tmp_path / "p.safetensors")
    save_model(build(value_config(width=8, layers=3)), tmp_path / "v.safetensors")
    nets = Networks(tmp_path / "p.safetensors", tmp_path / "v.safetensors", bf16=False)
    n, b = 7, 3
    planes = (np.random.default_rng(2).random((b, VALUE_PLANES, n, n)) < 0.3).astype(np.uint8)
    p8 = nets.policy(planes, 8)
    v8, own8 = nets.value_and_ownership(planes, 8)
    assert p8.shape == (b, n * n + 1) and np.allclose(p8.sum(axis=1), 1)
    alone_differs = False
    for k in range(8):
        turned = np.ascontiguousarray(transform_planes(planes, k))
        pk = nets.policy(turned, 8)
        vk, ownk = nets.value_and_ownership(turned, 8)
        board = transform_planes(p8[:, :-1].reshape(b, n, n), k).reshape(b, n * n)
        assert np.allclose(pk[:, :-1], board, atol=1e-5) and np.allclose(pk[:, -1], p8[:, -1], atol=1e-5)
        assert np.allclose(vk, v8, atol=1e-5)
        assert np.allclose(ownk, transform_planes(own8, k), atol=1e-5)
        one = transform_planes(nets.policy(planes)[:, :-1].reshape(b, n, n), k).reshape(b, n * n)
        alone_differs |= not np.allclose(nets.policy(turned)[:, :-1], one, atol=1e-5)
    assert alone_differs
    logits = nets.policy_logits(planes)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(nets.policy(planes), expected / expected.sum(axis=1, keepdims=True))
    with pytest.raises(ValueError):
        nets.policy(planes, 9)


@pytest.mark.parametrize("native", [True, False])
def test_bf16_is_on_by_default_only_where_the_cpu_computes_it_natively(monkeypatch, native):
    import nets.inference as inference

    monkeypatch.setattr(inference, "bf16_supported", lambda: native)
    assert inference.use_bf16(TrainConfig().bf16) is native
    assert inference.use_bf16(RLConfig().bf16) is native
    assert inference.use_bf16(False) is False and inference.use_bf16(True) is True
