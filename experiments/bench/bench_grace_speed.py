"""GRACE seconds per epoch on Cora with the paper's config and 2 CPU threads.

Run by hand: ``.venv/bin/python experiments/bench/bench_grace_speed.py``. Writes
``experiments/results/bench_grace_speed.json``. The reference points quoted by issue 3 (measured
on another day on the development machine): GRACE's reference code 0.26 s/epoch, PyGCL's GRACE
example 0.56 s/epoch; target <= 0.18 s/epoch.

Because this machine's speed varies, the script also times, in the same process and on the same
data:

* ``reference_formulation``: GRACE as its paper writes it -- PyG ``GCNConv`` layers on dense
  features and the loss from four explicit similarity matrices through autograd (4 products
  forward, 8 backward) -- our own rendering of the formula, for a same-day ratio;
* ``product_floor``: 7 x one ``[N, D] x [D, N]`` product, the matrix work our loss cannot avoid
  (3 similarity blocks forward, 4 products backward).
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
from torch import Tensor, nn
from torch_geometric.nn import GCNConv
from torch_geometric.utils import dropout_edge

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


class ReferenceGRACE(nn.Module):
    """GRACE written as the paper states it, for the same-day baseline (dense features)."""

    def __init__(self, config: dict, in_channels: int) -> None:
        super().__init__()
        out = config["encoder"]["hidden"]
        self.conv1, self.conv2 = GCNConv(in_channels, 2 * out), GCNConv(2 * out, out)
        self.fc1 = nn.Linear(out, config["projector"]["hidden"])
        self.fc2 = nn.Linear(config["projector"]["hidden"], config["projector"]["out"])
        self.views, self.tau = config["views"], config["loss"]["tau"]

    def project(self, x: Tensor, edge_index: Tensor, drop_edge: float, mask_feature: float) -> Tensor:
        edge_index, _ = dropout_edge(edge_index, p=drop_edge)
        keep = torch.rand(x.size(1)) >= mask_feature
        h = torch.relu(self.conv1(x * keep, edge_index))
        h = torch.relu(self.conv2(h, edge_index))
        return self.fc2(nn.functional.elu(self.fc1(h)))

    def one_direction(self, z1: Tensor, z2: Tensor) -> Tensor:
        refl = torch.exp(z1 @ z1.t() / self.tau)
        between = torch.exp(z1 @ z2.t() / self.tau)
        return -torch.log(between.diag() / (refl.sum(1) + between.sum(1) - refl.diag()))

    def training_loss(self, data) -> Tensor:
        z1, z2 = (
            nn.functional.normalize(self.project(data.x, data.edge_index, **view), dim=1)
            for view in self.views
        )
        return 0.5 * (self.one_direction(z1, z2) + self.one_direction(z2, z1)).mean()


def time_reference(config: dict, data, epochs: int) -> list[float]:
    seed_everything(0)
    model = ReferenceGRACE(config, data.num_features)
    opt = torch.optim.Adam(model.parameters(), lr=config["train"]["lr"])
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        model.training_loss(data).backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return times


def product_seconds(n: int, d: int, repeats: int = 20) -> float:
    a, b = torch.randn(n, d), torch.randn(n, d)
    for _ in range(3):
        torch.mm(a, b.t())
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b.t())
    return (time.perf_counter() - start) / repeats


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
    dense = prepare_data(raw, config | {"features": "dense"})
    times = time_reference(config, dense, args.epochs)[5:]
    results["reference_formulation"] = {
        "median_s_per_epoch": statistics.median(times),
        "mean_s_per_epoch": statistics.mean(times),
    }
    print(f"reference formulation: {statistics.median(times):.4f} s/epoch")
    one = product_seconds(raw.num_nodes, config["projector"]["out"])
    results["product_floor"] = {"one_product_s": one, "seven_products_s": 7 * one}
    results["speedup_vs_reference_formulation"] = (
        results["reference_formulation"]["median_s_per_epoch"] / results["sparse"]["median_s_per_epoch"]
    )
    print(f"product floor: {7 * one:.4f} s; speed-up {results['speedup_vs_reference_formulation']:.2f}x")
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
