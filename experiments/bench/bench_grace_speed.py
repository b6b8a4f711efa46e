"""GRACE seconds per epoch on Cora with the paper's config and 2 CPU threads.

Run by hand: ``.venv/bin/python experiments/bench/bench_grace_speed.py``. Writes
``experiments/results/bench_grace_speed.json``. The reference points (measured on the development
machine, see issue 3): GRACE's reference code 0.26 s/epoch, PyGCL's GRACE example 0.56 s/epoch;
target <= 0.18 s/epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import torch
import yaml

from gcl.data.graphs import load_graph
from gcl.node.factory import build_model, prepare_data
from gcl.train import seed_everything

ROOT = Path(__file__).resolve().parents[2]


def time_epochs(config: dict, data, epochs: int) -> list[float]:
    seed_everything(0)
    model = build_model(config, data)
    opt = torch.optim.Adam(
        model.parameters(), lr=config["train"]["lr"], weight_decay=config["train"]["weight_decay"]
    )
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model.training_loss(data)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "experiments/node/grace_cora.yaml"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "experiments/results/bench_grace_speed.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = yaml.safe_load(Path(args.config).read_text())
    raw = load_graph(config["dataset"])
    results = {}
    for features in ("sparse", "dense"):
        data = prepare_data(raw, config | {"features": features})
        times = time_epochs(config, data, args.epochs)[5:]  # drop warm-up
        results[features] = {
            "median_s_per_epoch": statistics.median(times),
            "mean_s_per_epoch": statistics.mean(times),
        }
        print(f"{features:>6} features: {statistics.median(times):.4f} s/epoch (median of {len(times)})")
    load = os.getloadavg()
    out = {
        "benchmark": "GRACE training epoch (2 views, forward + backward + Adam step), Cora, paper config",
        "config": args.config,
        "threads": args.threads,
        "results": results,
        "reference": {"GRACE reference code": 0.26, "PyGCL GRACE example": 0.56, "target": 0.18},
        "load_average_1m": load[0],
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
