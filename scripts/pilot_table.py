"""The pilot-run comparison table for tengen/models/README.md.

For every pilot run directory: the best validation top-1 and the CPU time
it took, validation top-1 per CPU-hour, and the inference speed of its
network at batch 1 and 64 (one thread, bf16 where the CPU has it), as a
Markdown table on stdout.

    python scripts/pilot_table.py runs/pilots [--threads 1]
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch


def read_metrics(run):
    rows = []
    with open(run / "metrics.csv") as f:
        for r in csv.DictReader(f):
            r["metrics"] = json.loads(r["metrics"])
            rows.append(r)
    return rows


def inference_rate(path, batch, seconds=3.0):
    from tengen.bench.timing import interleaved_rates
    from nets.inference import Networks

    nets = Networks(policy_path=path)
    planes = (np.random.default_rng(0).random((batch, 48, 19, 19)) < 0.3).astype(np.uint8)

    def step():
        nets.policy(planes)
        return batch
    return interleaved_rates([step], seconds)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pilots", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print("| run | trunk | width | BN | optimiser | bf16 | batch | positions | CPU-h | val top-1 | "
          "top-1 per CPU-h | infer pos/s b1 | infer pos/s b64 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run in sorted(p for p in args.pilots.iterdir() if (p / "metrics.csv").exists()):
        ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
        cfg = ckpt["config"]
        vals = [r for r in read_metrics(run) if r["split"] == "val"]
        if not vals:
            continue
        best = max(vals, key=lambda r: r["metrics"]["top1"])
        last = vals[-1]
        cpu_h = float(last["cpu_hours"])
        top1 = best["metrics"]["top1"]
        model = run / "best.safetensors"
        b1 = inference_rate(model, 1)
        b64 = inference_rate(model, 64)
        arch = cfg.get("arch", "plain")
        trunk = (f"plain {cfg['layers']}" if arch == "plain" else
                 f"residual {cfg['blocks']}" + (" + global pool" if cfg.get("global_pool") else ""))
        print(f"| {run.name} | {trunk} | {cfg['width']} | {'yes' if cfg['batchnorm'] else 'no'} | "
              f"{cfg['optimizer']} lr {cfg['lr']:g} | {'yes' if cfg['bf16'] else 'no'} | "
              f"{cfg['batch_size']} | {int(last['positions']):,} | {cpu_h:.2f} | {top1:.3f} | "
              f"{top1 / cpu_h:.2f} | {b1:.0f} | {b64:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
