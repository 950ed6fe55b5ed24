"""Can a new head read another network's trunk?  (Issue 39's two-headed network.)

The cheapest two-headed network would keep one shipped network's trunk and
train only a new head for the other task: a value head on the policy's
trunk (its 48 planes: the value layers read the colour themselves), or a
policy head on the value network's.  This measures whether that can work
at all, before any CPU-hour goes into it: the ``--trunk``'s outputs for
``--positions`` training positions are computed once and kept, then a new
``--head`` alone (``nets.model.DualNet``'s, at each ``--lr``) is fitted to
them for ``--steps`` Adam steps and scored on 1,500 positions held back:
the value head against the shipped value network's values (its targets)
and the games' winners, the policy head against the moves played (top-1).
A new head on its own network's trunk is the control: what the fit reaches
where the features are known to be there.

    taskset -c 1 python scripts/head_capacity.py --trunk policy --head value --lr 1e-3

Results in BENCHMARKS.md, "The two-headed network".
"""

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from engine.corpus import load_corpus
from nets.data import fixed_sample
from nets.features import POLICY_PLANES, VALUE_PLANES
from nets.model import (
    COLOUR_PLANE,
    POLICY_HEAD,
    VALUE_HEAD,
    DualNet,
    build,
    dual_config,
    load_model,
    value_from_head,
)

HELD_BACK = 1500


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trunk", choices=("policy", "value"), required=True,
                    help="the shipped network whose trunk is kept")
    ap.add_argument("--head", choices=("value", "policy"), required=True,
                    help="the new head fitted to its outputs")
    ap.add_argument("--data", default="corpus/train.npz", help="training games (tengen pack)")
    ap.add_argument("--positions", type=int, default=12000)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--lr", type=float, nargs="+", default=[1e-3])
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    policy = load_model("tengen/models/policy.safetensors", "policy").eval()
    value = load_model("tengen/models/value.safetensors", "value").eval()
    corpus = load_corpus([args.data], 19, max_games=args.positions // 4)
    sample = fixed_sample(corpus, VALUE_PLANES, args.positions, need_winner=args.head == "value",
                          seed=7)
    x = torch.from_numpy(sample.planes_of(np.arange(len(sample))).astype(np.float32))
    started = time.perf_counter()
    with torch.no_grad():
        trunk = policy.trunk if args.trunk == "policy" else value.trunk
        planes = POLICY_PLANES if args.trunk == "policy" else VALUE_PLANES
        h = torch.cat([trunk(x[i:i + 256, :planes]) for i in range(0, len(x), 256)])
        teacher = torch.cat([value(x[i:i + 256]) for i in range(0, len(x), 256)])
    colour = x[:, COLOUR_PLANE, 0, 0].unsqueeze(1)
    winner = torch.from_numpy(sample.value.astype(np.float32))
    move = torch.from_numpy(sample.move.astype(np.int64))
    n = len(x)
    held = slice(n - HELD_BACK, n)
    known = winner[held] != 0
    print(json.dumps({"trunk": args.trunk, "head": args.head, "positions": n, "trunk_seconds": round(time.perf_counter() - started, 1),
                      "teacher_winner_acc": round(float(((teacher[held][known] > 0) ==
                                                         (winner[held][known] > 0)).float()
                                                        .mean()), 4)}), flush=True)
    for lr in args.lr:
        net = build(dual_config(arch="plain", layers=13, width=64))
        assert isinstance(net, DualNet)
        prefixes = VALUE_HEAD if args.head == "value" else POLICY_HEAD
        params = [p for name, p in net.named_parameters() if name.startswith(prefixes)]
        opt = torch.optim.Adam(params, lr=lr)

        def loss_of(idx: torch.Tensor | slice, scores: bool = False
                    ) -> tuple[torch.Tensor, dict[str, float]]:
            """The head's loss on positions ``idx``, and its scores when asked."""
            if args.head == "value":
                v, _ = value_from_head(net.value_head(h[idx]), net.fc, net.out, colour[idx])
                loss = F.mse_loss(v, teacher[idx])
                w = winner[idx]
                k = w != 0
                return loss, {} if not scores else {
                    "mse_to_teacher": float(loss),
                    "mean_square_value": float((v ** 2).mean()),
                    "winner_acc": float(((v[k] > 0) == (w[k] > 0)).float().mean())}
            logits = net.policy_from_trunk(h[idx])
            loss = F.cross_entropy(logits, move[idx])
            return loss, {} if not scores else {
                "top1": float((logits.argmax(1) == move[idx]).float().mean())}

        for step in range(1, args.steps + 1):
            loss, _ = loss_of(torch.randint(0, n - HELD_BACK, (256,)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 500 == 0 or step == args.steps:
                with torch.no_grad():
                    _, metrics = loss_of(held, scores=True)
                print(json.dumps({"lr": lr, "step": step,
                                  **{k: round(v, 4) for k, v in metrics.items()}}), flush=True)


if __name__ == "__main__":
    main()
