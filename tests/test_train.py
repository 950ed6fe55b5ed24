"""``nets.train``: the training loop end to end on tiny random games, resume,
Ctrl-C, rescheduling, value and two-headed training, starting from a
network; and the pieces of a step: losses and metrics against plain
computations, validation, the optimiser's weight decay, frozen layers, a
value or two-headed network started from a policy network."""

import numpy as np
import pytest
import torch
from nets_helpers import random_games_dir, small_config

from nets.evaluate import evaluate
from nets.features import POLICY_PLANES, VALUE_PLANES
from nets.inference import Networks
from nets.model import (
    ModelFileError,
    build,
    dual_config,
    load_model,
    planes_to_tensor,
    policy_config,
    save_model,
    value_config,
)
from nets.train import (
    Trainer,
    freeze_trunk,
    init_from_network,
    loss_and_metrics,
    make_optimizer,
    validate,
)


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
    save_model(build(policy_config(width=32, layers=4, arch="plain")),
               tmp_path / "fresh.safetensors")
    fresh = evaluate(Networks(policy_path=tmp_path / "fresh.safetensors", bf16=False), [str(games)])
    assert fresh["policy_entropy"] > 3.0 > r["policy_entropy"]
    assert fresh["policy_expert_probability"] < 0.1


@pytest.mark.parametrize("kind", ["policy", "dual"])
def test_resumed_run_continues_exactly(tmp_path, kind):
    games = random_games_dir(tmp_path, count=6, moves=30)
    whole = small_config(tmp_path / "a", games, max_positions=32 * 40, symmetries=True,
                         window_games=2, optimizer="sgd", lr=0.01, kind=kind)
    (tmp_path / "a").mkdir()
    Trainer(whole, progress=False).run()

    (tmp_path / "b").mkdir()
    first = small_config(tmp_path / "b", games, max_positions=32 * 17, symmetries=True,
                         window_games=2, optimizer="sgd", lr=0.01, kind=kind)
    Trainer(first, progress=False).run()
    second = small_config(tmp_path / "b", games, max_positions=32 * 40, kind=kind)
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
    from nets.train_config import learning_rate

    games = random_games_dir(tmp_path, count=4, moves=30)
    first = small_config(tmp_path, games, max_positions=32 * 4, lr=0.01,
                         schedule_positions=10_000)
    Trainer(first, progress=False).run()
    again = small_config(tmp_path, games, max_positions=32 * 8, lr=0.001,
                         schedule_positions=500)
    kept = Trainer(again, resume=True, progress=False)
    assert kept.cfg.lr == 0.01 and kept.cfg.schedule_positions == 10_000
    moved = Trainer(again, resume=True, progress=False, reschedule=True)
    assert moved.cfg.lr == 0.001 and moved.cfg.schedule_positions == 500
    assert moved.positions == 32 * 4                 # the run goes on where it was
    assert learning_rate(moved.cfg, moved.positions) < learning_rate(kept.cfg, kept.positions)


def test_a_run_shaped_as_a_network_trains_that_networks_config():
    from nets.train_config import TrainConfig

    for net in (value_config(width=8, layers=3, arch="plain"),
                policy_config(width=16, blocks=2, global_pool=True)):
        assert TrainConfig.shaped_as(net, data=[], val=[]).net_config() == net


def test_reschedule_goes_with_resume_on_the_command_line(capsys):
    from tengen.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["train", "policy", "--reschedule", "--data", "x.zip"])
    assert stop.value.code == 2 and "--reschedule goes with --resume" in capsys.readouterr().err


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


def test_two_headed_training_lowers_all_three_losses_on_the_games_it_sees(tmp_path):
    """A few hundred steps on four games: the policy's cross-entropy, the
    value error and the ownership error on those games all fall, and the
    run's files hold a two-headed network."""
    from engine.corpus import load_corpus
    from nets.data import final_ownership, fixed_sample

    games = random_games_dir(tmp_path, count=4, moves=30)
    cfg = small_config(tmp_path, games, kind="dual", max_positions=32 * 300, value_weight=1.0)
    t = Trainer(cfg, progress=False)
    corpus = load_corpus([str(games)], size=9)
    sample = fixed_sample(corpus, VALUE_PLANES, 40, per_game=10, need_winner=True,
                          ownership=final_ownership(corpus))
    before = validate(cfg, t.net, sample)
    t.run()
    after = validate(cfg, t.net, sample)
    for k in ("policy_loss", "mse", "ownership_mse", "loss"):
        assert after[k] < 0.8 * before[k], k
    assert after["top1"] > before["top1"]
    assert load_model(tmp_path / "run" / "model.safetensors", "dual").cfg.planes == VALUE_PLANES


def test_starting_from_a_network_of_another_trunk_shape_is_a_clear_error(tmp_path):
    games = random_games_dir(tmp_path, count=2, moves=20)
    save_model(build(policy_config(width=32, layers=4, arch="plain")),
               tmp_path / "plain.safetensors")
    cfg = small_config(tmp_path, games, arch="residual", blocks=2,
                       init_from=str(tmp_path / "plain.safetensors"))
    with pytest.raises(ModelFileError, match="does not match"):
        Trainer(cfg, progress=False)


def test_fine_tuning_starts_from_the_whole_network_and_keeps_frozen_layers(tmp_path):
    """``--init-from`` a network of the same kind copies its heads too;
    ``--freeze-layers 2`` leaves the first two convolutions as they were
    while the rest of the network learns."""
    games = random_games_dir(tmp_path, count=4, moves=30)
    source = build(policy_config(width=32, layers=4, arch="plain"))
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


# ---- the pieces of a training step ------------------------------------------------

def batch_of(planes, b=6, n=9, seed=0):
    """Random 0/1 input planes, moves and results."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(b, planes, n, n, generator=g) < 0.3).float()
    move = torch.randint(0, n * n + 1, (b,), generator=g)
    value = torch.where(torch.rand(b, generator=g) < 0.5, -1.0, 1.0)
    owner = torch.rand(b, n, n, generator=g) * 2 - 1
    return x, move, value, owner


def test_a_policy_batchs_loss_is_the_cross_entropy_and_its_hits_the_top_moves(tmp_path):
    torch.manual_seed(0)
    cfg = small_config(tmp_path, "unused")
    net = build(policy_config(width=8, layers=3, arch="plain")).eval()
    x, move, value, _ = batch_of(POLICY_PLANES)
    loss, m = loss_and_metrics(cfg, net, x, move, value)
    logits = net(x).detach().double().numpy()
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    target = move.numpy()
    ranks = (logits > logits[np.arange(len(target)), target][:, None]).sum(1)
    assert loss.item() == pytest.approx(-log_p[np.arange(len(target)), target].mean(), rel=1e-5)
    assert m["loss"] == pytest.approx(loss.item())
    assert m["top1"] == pytest.approx((ranks == 0).mean())
    assert m["top5"] == pytest.approx((ranks < 5).mean())


def test_a_value_batchs_loss_adds_the_weighted_ownership_error(tmp_path):
    torch.manual_seed(0)
    cfg = small_config(tmp_path, "unused", kind="value", ownership_weight=0.25)
    net = build(value_config(width=8, layers=3, arch="plain")).eval()
    x, move, value, owner = batch_of(VALUE_PLANES)
    loss, m = loss_and_metrics(cfg, net, x, move, value, owner)
    v, own = (t.detach().numpy() for t in net.forward_with_ownership(x))
    mse = ((v - value.numpy()) ** 2).mean()
    own_mse = ((own - owner.numpy()) ** 2).mean()
    assert m["mse"] == pytest.approx(mse, rel=1e-5)
    assert m["ownership_mse"] == pytest.approx(own_mse, rel=1e-5)
    assert loss.item() == pytest.approx(mse + 0.25 * own_mse, rel=1e-5) == m["loss"]
    assert m["winner_acc"] == pytest.approx(((v > 0) == (value.numpy() > 0)).mean())
    _, alone = loss_and_metrics(cfg, net, x, move, value)            # no targets: value only
    assert "ownership_mse" not in alone and alone["loss"] == pytest.approx(mse, rel=1e-5)


def test_validation_averages_over_positions_whatever_its_batches(tmp_path):
    from engine.corpus import load_corpus
    from nets.data import fixed_sample

    torch.manual_seed(0)
    games = random_games_dir(tmp_path, count=3, moves=10)
    sample = fixed_sample(load_corpus([str(games)], size=9), POLICY_PLANES, 20, per_game=7)
    cfg = small_config(tmp_path, games)
    net = build(policy_config(width=8, layers=3, arch="plain"))
    whole = validate(cfg, net, sample, batch=len(sample))
    assert net.training                                    # back to training afterwards
    assert validate(cfg, net, sample, batch=3) == pytest.approx(whole)
    idx = np.arange(len(sample))
    x = planes_to_tensor(sample.planes_of(idx), cfg.channels_last)
    with torch.inference_mode():
        _, m = loss_and_metrics(cfg, net.eval(), x, torch.from_numpy(sample.move),
                                torch.from_numpy(sample.value))
    assert whole == pytest.approx(m)


@pytest.mark.parametrize("optimizer, kind", [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam),
                                             ("adamw", torch.optim.AdamW)])
def test_weight_decay_applies_to_the_weights_and_never_to_biases(tmp_path, optimizer, kind):
    cfg = small_config(tmp_path, "unused", optimizer=optimizer, weight_decay=3e-4, lr=0.02)
    net = build(policy_config(width=8, layers=3, arch="plain"))
    opt = make_optimizer(cfg, net)
    assert type(opt) is kind
    decayed, plain = opt.param_groups
    assert decayed["weight_decay"] == 3e-4 and plain["weight_decay"] == 0.0
    assert all(p.ndim > 1 for p in decayed["params"]) and all(p.ndim <= 1 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(net.parameters()))
    assert decayed["lr"] == plain["lr"] == 0.02


def test_freezing_keeps_the_first_convolutions_and_their_norms_only():
    net = build(policy_config(width=8, layers=4, arch="plain", batchnorm=True))
    freeze_trunk(net, 2)
    for i, conv in enumerate(net.trunk.convs):
        assert all(p.requires_grad == (i >= 2) for p in conv.parameters()), i
    for i, norm in enumerate(net.trunk.norms):
        assert all(p.requires_grad == (i >= 2) for p in norm.parameters()), i
    head = [p for name, p in net.named_parameters() if not name.startswith("trunk.")]
    assert head and all(p.requires_grad for p in head)


def test_a_value_network_starts_from_a_policy_trunk_with_the_extra_plane_silent(tmp_path):
    torch.manual_seed(1)
    policy = build(policy_config(width=8, layers=3, arch="plain"))
    save_model(policy, tmp_path / "p.safetensors")
    value = build(value_config(width=8, layers=3, arch="plain"))
    head_before = {k: v.clone() for k, v in value.state_dict().items() if not k.startswith("trunk.")}
    init_from_network(value, str(tmp_path / "p.safetensors"))
    mine, theirs = value.state_dict(), policy.state_dict()
    for k, v in theirs.items():
        if k == "trunk.convs.0.weight":
            assert torch.equal(mine[k][:, :POLICY_PLANES], v)
            assert not mine[k][:, POLICY_PLANES:].any()          # the player-colour plane
        elif k.startswith("trunk."):
            assert torch.equal(mine[k], v), k
    for k, v in head_before.items():
        assert torch.equal(mine[k], v), k                        # another kind: heads untouched


def test_a_two_headed_batchs_loss_weighs_the_value_heads_losses_where_the_winner_is_known(tmp_path):
    """policy cross-entropy + value_weight x (value MSE over the positions
    with a known winner + ownership_weight x ownership MSE over all)."""
    torch.manual_seed(0)
    cfg = small_config(tmp_path, "unused", kind="dual", value_weight=0.1, ownership_weight=0.5)
    net = build(dual_config(width=8, layers=3, arch="plain")).eval()
    x, move, value, owner = batch_of(VALUE_PLANES)
    value[:2] = 0.0                                    # no winner known
    loss, m = loss_and_metrics(cfg, net, x, move, value, owner)
    logits, v, own = (t.detach().double() for t in net(x))
    ce = torch.nn.functional.cross_entropy(logits, move).item()
    known = value.numpy() != 0
    mse = ((v.numpy()[known] - value.numpy()[known]) ** 2).mean()
    own_mse = ((own.numpy() - owner.numpy()) ** 2).mean()
    assert m["policy_loss"] == pytest.approx(ce, rel=1e-5)
    assert m["mse"] == pytest.approx(mse, rel=1e-5)
    assert m["ownership_mse"] == pytest.approx(own_mse, rel=1e-5)
    assert loss.item() == pytest.approx(ce + 0.1 * (mse + 0.5 * own_mse), rel=1e-5) == m["loss"]
    assert m["winner_acc"] == pytest.approx(((v.numpy() > 0) == (value.numpy() > 0))[known].mean())
    ranks = (logits > logits[torch.arange(len(move)), move][:, None]).sum(1).numpy()
    assert m["top1"] == pytest.approx((ranks == 0).mean())
    value[:] = 0.0                                     # no winner in the batch: ownership only
    loss, m = loss_and_metrics(cfg, net, x, move, value, owner)
    assert "mse" not in m and loss.item() == pytest.approx(ce + 0.05 * own_mse, rel=1e-5)


def test_a_two_headed_network_starts_from_a_policy_networks_trunk_and_head(tmp_path):
    """``tengen train dual --init-from policy.safetensors``: the trunk and the
    policy head copied, the player-colour plane silent, the value head new;
    so it starts out predicting the moves the policy network did."""
    torch.manual_seed(1)
    policy = build(policy_config(width=8, layers=3, arch="plain"))
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(0.1 * torch.randn_like(p))
    save_model(policy, tmp_path / "p.safetensors")
    dual = build(dual_config(width=8, layers=3, arch="plain"))
    value_head = {k: v.clone() for k, v in dual.state_dict().items() if k not in policy.state_dict()}
    init_from_network(dual, str(tmp_path / "p.safetensors"))
    mine = dual.state_dict()
    for k, v in policy.state_dict().items():
        if k == "trunk.convs.0.weight":
            assert torch.equal(mine[k][:, :POLICY_PLANES], v)
            assert not mine[k][:, POLICY_PLANES:].any()          # the player-colour plane
        else:
            assert torch.equal(mine[k], v), k
    assert value_head and all(torch.equal(mine[k], v) for k, v in value_head.items())
    x, _, _, _ = batch_of(VALUE_PLANES)
    with torch.no_grad():
        assert torch.allclose(dual(x)[0], policy(x[:, :POLICY_PLANES]), atol=1e-6)


# ---- the device: the same command on the CPU and a GPU, files that travel ------------------

def test_windows_built_by_worker_processes_train_the_same_steps(tmp_path):
    games = random_games_dir(tmp_path, count=12, moves=30)
    losses = {}
    for workers in (0, 2):
        cfg = small_config(tmp_path / f"w{workers}", games, device="cpu", window_games=4,
                           loader_workers=workers)
        trainer = Trainer(cfg, progress=False)
        try:
            losses[workers] = [trainer.step()[0]["loss"] for _ in range(12)]
        finally:
            trainer.stream.close()
    assert losses[2] == losses[0]


@pytest.mark.parametrize("shape", [dict(arch="plain", width=192, layers=13),
                                   dict(arch="residual", width=128, blocks=2),
                                   dict(arch="residual", width=256, blocks=1)],
                         ids=["AlphaGo's 192 filters", "residual 128", "residual 256"])
def test_the_architectures_worth_a_gpu_train_with_the_same_command(tmp_path, shape):
    games = random_games_dir(tmp_path, count=4, moves=12)
    cfg = small_config(tmp_path, games, batch_size=8, device="cpu", lr=1e-3, **shape)
    trainer = Trainer(cfg, progress=False)
    first = [trainer.step()[0]["loss"] for _ in range(8)]
    assert trainer.net.cfg.width == shape["width"] and np.isfinite(first).all()


def checkpoint_and_export(tmp_path, device):
    """Two steps on ``device``, then the run's files: (trainer, its model file)."""
    games = random_games_dir(tmp_path, count=6, moves=20)
    cfg = small_config(tmp_path, games, device=device, max_positions=64)
    trainer = Trainer(cfg, progress=False)
    trainer.run()
    return trainer, tmp_path / "run" / "model.safetensors"


def test_checkpoints_and_model_files_hold_cpu_tensors_that_load_anywhere(tmp_path):
    trainer, model = checkpoint_and_export(tmp_path, "cpu")
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert all(t.device.type == "cpu" for t in state["model"].values())
    loaded = load_model(model)
    assert all(t.device.type == "cpu" for t in loaded.state_dict().values())
    nets = Networks(model, None, device="cpu", bf16=False)
    planes = (np.random.default_rng(1).random((5, POLICY_PLANES, 9, 9)) < 0.3).astype(np.uint8)
    with torch.no_grad():
        direct = trainer.net.eval()(planes_to_tensor(planes)).float().numpy()
    assert np.allclose(nets.policy_logits(planes), direct, atol=1e-5)


@pytest.mark.cuda
def test_a_network_trained_on_a_gpu_resumes_and_plays_on_the_cpu(tmp_path):
    """Trained on CUDA (bf16 or fp16 with loss scaling, compiled), its model
    file answers on the CPU as on the GPU, and its checkpoint resumes on the
    CPU where it stopped."""
    games = random_games_dir(tmp_path, count=6, moves=20)
    for bf16 in (None, False):
        run = tmp_path / f"run-{bf16}"
        cfg = small_config(tmp_path, games, out=str(run), device="cuda", bf16=bf16,
                           max_positions=96, compile=bf16 is None)
        trainer = Trainer(cfg, progress=False)
        trainer.run()
        assert next(trainer.net.parameters()).device.type == "cuda"
        assert trainer.scaler.is_enabled() is (bf16 is False)
        planes = (np.random.default_rng(2).random((9, POLICY_PLANES, 9, 9)) < 0.3
                  ).astype(np.uint8)
        on_cpu = Networks(run / "model.safetensors", None, device="cpu", bf16=False)
        on_gpu = Networks(run / "model.safetensors", None, device="cuda")
        assert np.abs(on_cpu.policy(planes) - on_gpu.policy(planes)).max() < 0.02
        resumed = Trainer(small_config(tmp_path, games, out=str(run), device="cpu",
                                       bf16=False, max_positions=160), resume=True,
                          progress=False)
        assert resumed.positions == 96 and resumed.device.type == "cpu"
        resumed.run()
        assert resumed.positions == 160


def test_a_two_headed_networks_new_value_head_learns_at_its_own_rate(tmp_path):
    """``--value-head-lr-scale 10``: one SGD step moves the value head ten
    times as far as the same step at scale 1, and the trunk and policy head
    exactly as far; the groups survive a resume."""
    games = random_games_dir(tmp_path, count=4, moves=30)
    moved = {}
    for scale in (1.0, 10.0):
        cfg = small_config(tmp_path / str(scale), games, kind="dual", optimizer="sgd", lr=0.01,
                           weight_decay=0.0, value_head_lr_scale=scale,
                           max_positions=32)
        t = Trainer(cfg, progress=False)
        before = {k: v.clone() for k, v in t.net.state_dict().items()}
        t.run()
        moved[scale] = {k: (t.net.state_dict()[k] - v).abs().sum().item() for k, v in before.items()}
        assert len(t.opt.param_groups) == (2 if scale == 1.0 else 4)
        again = Trainer(small_config(tmp_path / str(scale), games, kind="dual", max_positions=64),
                        resume=True, progress=False)
        assert [g["lr_scale"] for g in again.opt.param_groups] == \
            [g["lr_scale"] for g in t.opt.param_groups]
    for k, one in moved[1.0].items():
        ratio = 10.0 if k.startswith(("value_head.", "fc.", "out.")) else 1.0
        assert moved[10.0][k] == pytest.approx(ratio * one, rel=1e-4), k


def test_a_value_teacher_gives_the_two_headed_networks_value_targets(tmp_path):
    """``--value-teacher``: the value head is trained toward the teacher's
    value of each position, not the game's result; only a dual network
    takes one."""
    from nets.train_config import TrainConfig

    games = random_games_dir(tmp_path, count=4, moves=30)
    torch.manual_seed(5)
    teacher = build(value_config(width=8, layers=3, arch="plain"))
    with torch.no_grad():
        for p in teacher.parameters():
            p.add_(0.1 * torch.randn_like(p))
    save_model(teacher, tmp_path / "teacher.safetensors")
    cfg = small_config(tmp_path, games, kind="dual",
                       value_teacher=str(tmp_path / "teacher.safetensors"))
    t = Trainer(cfg, progress=False)
    x, move, value, owner = t.on_device(*t.stream.next_batch())
    with torch.no_grad():
        taught = load_model(tmp_path / "teacher.safetensors", "value")(x)
        _, v, _ = t.net(x)
    assert not torch.allclose(taught, value)
    m, _, _ = t.learn(x, move, value, owner)
    assert m["mse"] == pytest.approx(((v - taught) ** 2).mean().item(), rel=1e-5)
    with pytest.raises(ValueError, match="tengen train dual"):
        TrainConfig(kind="value", value_teacher=str(tmp_path / "teacher.safetensors"))


def test_a_policy_teacher_gives_the_two_headed_networks_move_targets(tmp_path):
    """``--policy-teacher``: the policy head's loss is the cross-entropy
    against the teacher's move probabilities (from its 48 planes), not the
    move played; top-1 still counts the moves played."""
    from nets.train_config import TrainConfig

    games = random_games_dir(tmp_path, count=4, moves=30)
    torch.manual_seed(6)
    teacher = build(policy_config(width=8, layers=3, arch="plain"))
    with torch.no_grad():
        for p in teacher.parameters():
            p.add_(0.1 * torch.randn_like(p))
    save_model(teacher, tmp_path / "teacher.safetensors")
    cfg = small_config(tmp_path, games, kind="dual",
                       policy_teacher=str(tmp_path / "teacher.safetensors"))
    t = Trainer(cfg, progress=False)
    x, move, value, owner = t.on_device(*t.stream.next_batch())
    with torch.no_grad():
        probs = torch.softmax(load_model(tmp_path / "teacher.safetensors", "policy")(
            x[:, :POLICY_PLANES]), dim=1)
        logits, _, _ = t.net(x)
    m, _, _ = t.learn(x, move, value, owner)
    soft = -(probs * torch.log_softmax(logits, dim=1)).sum(dim=1).mean().item()
    assert m["policy_loss"] == pytest.approx(soft, rel=1e-5)
    assert m["policy_loss"] != pytest.approx(
        torch.nn.functional.cross_entropy(logits, move).item(), rel=1e-3)
    assert m["top1"] == pytest.approx((logits.argmax(dim=1) == move).float().mean().item())
    with pytest.raises(ValueError, match="tengen train dual"):
        TrainConfig(kind="policy", policy_teacher=str(tmp_path / "teacher.safetensors"))


def test_a_two_headed_network_starts_from_a_value_networks_trunk_and_head(tmp_path):
    """From a value network: its trunk and its value and ownership head (as
    ``value_head``), the policy head new; so it starts out valuing
    positions as the value network did, and ``--policy-head-lr-scale``
    puts the new policy head in groups of its own."""
    torch.manual_seed(4)
    value = build(value_config(width=8, layers=3, arch="plain"))
    with torch.no_grad():
        for p in value.parameters():
            p.add_(0.1 * torch.randn_like(p))
    save_model(value, tmp_path / "v.safetensors")
    dual = build(dual_config(width=8, layers=3, arch="plain"))
    policy_head = {k: v.clone() for k, v in dual.state_dict().items()
                   if k.startswith(("head.", "point_bias", "pass_logit."))}
    init_from_network(dual, str(tmp_path / "v.safetensors"))
    mine = dual.state_dict()
    for k, v in value.state_dict().items():
        name = k.replace("head.", "value_head.", 1) if k.startswith("head.") else k
        # the value layers' one more input, the colour, starts at zero
        got = mine[name][:, :-1] if name == "fc.weight" else mine[name]
        assert torch.equal(got, v), k
    assert not mine["fc.weight"][:, -1].any()
    assert policy_head and all(torch.equal(mine[k], v) for k, v in policy_head.items())
    x, _, _, _ = batch_of(VALUE_PLANES)
    with torch.no_grad():
        assert torch.allclose(dual(x)[1], value(x), atol=1e-6)
    cfg = small_config(tmp_path, "unused", kind="dual", policy_head_lr_scale=5.0)
    groups = make_optimizer(cfg, dual).param_groups
    named = {id(p): k for k, p in dual.named_parameters()}
    for g in groups:
        heads = {named[id(p)].startswith(("head.", "point_bias", "pass_logit.")) for p in g["params"]}
        assert heads == {g["lr_scale"] == 5.0}
