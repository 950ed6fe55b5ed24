"""REINFORCE: the sign of the update, and which moves it learns from."""

import numpy as np
import pytest
import torch

from engine.board import BLACK, WHITE
from engine.coords import point_to_index, to_point
from nets.data import encode_games
from nets.features import VALUE_PLANES
from nets.model import build, planes_to_tensor, policy_config
from nets.shards import build_shard, to_corpus
from selfplay.config import RLConfig
from selfplay.rl import Reinforce, learner_moves

N = 9
MOVES = [(BLACK, to_point(2, 2, N)), (WHITE, to_point(2, 6, N)), (BLACK, to_point(6, 6, N)),
         (WHITE, to_point(6, 2, N)), (BLACK, to_point(4, 4, N)), (WHITE, to_point(4, 6, N))]


def one_game_shard(winner, learner=BLACK):
    sampled = [[c == learner for c, _ in MOVES]]
    return build_shard(N, 7.5, [MOVES], sampled, {"winner": [winner], "learner": [learner]},
                       np.zeros((1, N * N), np.int8))


def learner_log_probs(net, shard):
    corpus = to_corpus([shard])
    pick = learner_moves(shard)
    k = int(pick.sum())
    out = np.zeros((k, VALUE_PLANES, N, N), np.uint8)
    move = np.zeros(k, np.int64)
    encode_games(N, corpus.points, corpus.colors, corpus.offsets, corpus.setup_points,
                 corpus.setup_colors, corpus.setup_offsets, corpus.winner, corpus.first,
                 np.arange(1, dtype=np.int64), pick, out, move, np.zeros(k, np.int8),
                 np.zeros(k, np.int32), np.zeros(k, np.int64))
    with torch.no_grad():
        logp = torch.log_softmax(net(planes_to_tensor(out[:, :48])).float(), 1)
    return logp.gather(1, torch.from_numpy(move)[:, None]).squeeze(1).numpy(), move


def fresh_net():
    torch.manual_seed(0)
    net = build(policy_config(width=8, layers=3, arch="plain"))
    return net.to(memory_format=torch.channels_last)


@pytest.mark.parametrize("winner, direction", [(BLACK, 1), (WHITE, -1)],
                         ids=["a won game raises them", "a lost game lowers them"])
def test_the_learners_result_moves_the_probability_of_its_moves(winner, direction):
    net = fresh_net()
    shard = one_game_shard(winner=winner)
    before, _ = learner_log_probs(net, shard)
    Reinforce(net, RLConfig(lr=0.05, optimizer="sgd", baseline="zero", bf16=False)).step([shard])
    after, _ = learner_log_probs(net, shard)
    assert (direction * (after - before) > 0).all()


def test_a_mean_baseline_of_one_won_game_leaves_the_network_as_it_was():
    net = fresh_net()
    shard = one_game_shard(winner=BLACK)
    before, _ = learner_log_probs(net, shard)
    m = Reinforce(net, RLConfig(lr=0.05, optimizer="sgd", baseline="mean",
                                bf16=False)).step([shard])
    after, _ = learner_log_probs(net, shard)
    assert m["baseline"] == 1.0 and np.allclose(after, before)


def test_only_the_learners_sampled_moves_carry_gradient():
    shard = one_game_shard(winner=BLACK, learner=WHITE)
    shard.sampled[3] = 0                   # a rule pass, say: not sampled
    pick = learner_moves(shard)
    assert pick.tolist() == [False, True, False, False, False, True]
    _, moves = learner_log_probs(fresh_net(), shard)
    assert moves.tolist() == [point_to_index(MOVES[1][1], N), point_to_index(MOVES[5][1], N)]


def test_the_step_reports_the_learners_results():
    m = Reinforce(fresh_net(), RLConfig(baseline="zero", bf16=False)).step(
        [one_game_shard(winner=WHITE)])
    assert m["positions"] == 3 and m["z"] == -1.0 and m["entropy"] > 0


@pytest.mark.parametrize("bf16", [False, True])
def test_on_the_cpu_device_the_step_is_the_plain_cpu_step_to_the_bit(bf16):
    """The learner's device path on the CPU (the device, its autocast and a
    scaler that is off) moves the weights exactly as a plain step does."""
    from nets.device import resolve_device

    shard = one_game_shard(winner=BLACK)
    cfg = RLConfig(lr=0.05, optimizer="adam", baseline="zero", bf16=bf16)
    ours = fresh_net()
    Reinforce(ours, cfg, device=resolve_device("cpu", bf16)).step([shard])
    plain = fresh_net()
    opt = torch.optim.Adam([p for p in plain.parameters() if p.requires_grad], lr=0.05)
    _, move = learner_log_probs(plain, shard)
    corpus_planes = learner_planes(shard)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = plain(planes_to_tensor(corpus_planes[:, :48]))
    logp = torch.log_softmax(logits.float(), 1).gather(1, torch.from_numpy(move)[:, None])
    (-(torch.ones(len(move)) * logp.squeeze(1)).sum() / len(move)).backward()
    opt.step()
    for a, b in zip(ours.state_dict().values(), plain.state_dict().values()):
        assert torch.equal(a, b)


def learner_planes(shard):
    corpus = to_corpus([shard])
    pick = learner_moves(shard)
    k = int(pick.sum())
    out = np.zeros((k, VALUE_PLANES, N, N), np.uint8)
    encode_games(N, corpus.points, corpus.colors, corpus.offsets, corpus.setup_points,
                 corpus.setup_colors, corpus.setup_offsets, corpus.winner, corpus.first,
                 np.arange(1, dtype=np.int64), pick, out, np.zeros(k, np.int64),
                 np.zeros(k, np.int8), np.zeros(k, np.int32), np.zeros(k, np.int64))
    return out


@pytest.mark.cuda
@pytest.mark.parametrize("bf16", [None, False], ids=["the GPU's precision", "fp16, scaled"])
def test_the_learner_on_a_cuda_gpu_moves_the_probabilities_as_on_the_cpu(bf16):
    from nets.device import resolve_device

    shard = one_game_shard(winner=BLACK)
    before, _ = learner_log_probs(fresh_net(), shard)
    gpu_net = fresh_net()
    Reinforce(gpu_net, RLConfig(lr=0.05, optimizer="sgd", baseline="zero", bf16=bf16),
              device=resolve_device("cuda", bf16)).step([shard])
    assert next(gpu_net.parameters()).device.type == "cuda"
    after_gpu, _ = learner_log_probs(gpu_net.cpu(), shard)
    cpu_net = fresh_net()
    Reinforce(cpu_net, RLConfig(lr=0.05, optimizer="sgd", baseline="zero", bf16=False)).step(
        [shard])
    after_cpu, _ = learner_log_probs(cpu_net, shard)
    assert (after_gpu > before).all()
    assert np.allclose(after_gpu - before, after_cpu - before, rtol=0.1, atol=2e-3)
