"""Seconds per training batch and full-ranking evaluation time of the graph recommenders on Gowalla.

Setting of the issue's speed target (SELFRec on the same machine: SimGCL 1.14 s per batch, XSimGCL 0.45 s per
batch, full-ranking evaluation of all users 14 s; targets: a quarter of each): Gowalla (LightGCN split,
29,858 users x 40,981 items, 810,128 training interactions), batch 2048, embedding 64, 2 layers (XSimGCL
contrast layer 1), ``torch.set_num_threads(2)``. One batch = ``calculate_loss`` + ``backward`` + Adam step
(the trainer's optimizer, :func:`gcl.train.adam`; the SELFRec-style step uses ``torch.optim.Adam``);
the median over ``--batches`` batches after ``--warmup`` batches is reported (batches from the seeded BPR
sampler). Evaluation = final embeddings + full ranking of all users with a test item, training items masked,
Recall/Precision/NDCG/HitRate/MRR and beyond-accuracy metrics at K = 10, 20, 50.

Next to each of LightGCN, SimGCL and XSimGCL the same step is timed as SELFRec writes it (COO adjacency,
``torch.sparse.mm`` autograd, three propagations for SimGCL), alternating with ours batch by batch, so both
see the same machine state; ``ratio_to_selfrec_style_median_of_batches`` is the median of the per-batch
ratios (ours / SELFRec-style).

Writes ``experiments/results/bench_rec_speed.json`` including the load average at start and end (the machine
is shared; compare runs only at similar load).

Usage: ``GCL_DATA_DIR=/path/to/datasets python experiments/bench/bench_rec_speed.py [--batches 20]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from bench_full_ranking import cpu_model, has_avx512  # this folder is on sys.path when run as a script

from gcl.data.readers import read_lightgcn
from gcl.rec.graph import normalized_adjacency
from gcl.rec.models import build_model
from gcl.rec.sampler import BPRSampler
from gcl.rec.trainer import evaluate_model
from gcl.train import adam
from gcl.train.cpu_malloc import keep_freed_memory

MODELS = {
    "lightgcn": {"num_layers": 2},
    "simgcl": {"num_layers": 2},
    "xsimgcl": {"num_layers": 2, "cl_layer": 1},
    "sgl": {"num_layers": 2},
}


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        return []


def our_step(name: str, train) -> tuple[torch.nn.Module, Callable[..., None]]:
    """Our model and one training step on it (loss, backward, the trainer's Adam)."""
    torch.manual_seed(0)
    model = build_model(name, train, embedding_dim=64, **MODELS[name])
    optimizer = adam(model.parameters(), lr=1e-3)
    model.train()
    model.on_epoch_start(0)

    def step(users, pos, neg) -> None:
        loss = model.calculate_loss(users, pos, neg)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return model, step


def interleaved_times(steps: dict[str, Callable[..., None]], batches: list, warmup: int) -> dict:
    """Seconds of every step on every batch, the steps alternating batch by batch (same machine state)."""
    times: dict[str, list[float]] = {key: [] for key in steps}
    for batch in batches:
        for key, step in steps.items():
            t0 = time.perf_counter()
            step(*batch)
            times[key].append(time.perf_counter() - t0)
    return {key: values[warmup:] for key, values in times.items()}


class SelfRecStyle(torch.nn.Module):
    """The models as SELFRec writes them: COO adjacency, ``torch.sparse.mm`` autograd, Xavier tables.

    Timed at the same moment as our models, so the speed-up does not depend on the machine's load.
    """

    def __init__(self, name: str, train, adjacency: torch.Tensor) -> None:
        super().__init__()
        self.name, self.U = name, train.num_users
        self.adj = adjacency  # sparse COO [N, N], coalesced (SELFRec's convert_sparse_mat_to_tensor)
        self.user = torch.nn.Parameter(torch.nn.init.xavier_uniform_(torch.empty(train.num_users, 64)))
        self.item = torch.nn.Parameter(torch.nn.init.xavier_uniform_(torch.empty(train.num_items, 64)))

    def forward(self, perturbed: bool = False, eps: float = 0.1):
        ego = torch.cat([self.user, self.item], 0)
        layers = [ego] if self.name == "lightgcn" else []
        cl = None
        for k in range(2):
            ego = torch.sparse.mm(self.adj, ego)
            if perturbed:
                ego = ego + torch.sign(ego) * F.normalize(torch.rand_like(ego), dim=-1) * eps
            layers.append(ego)
            if k == 0:
                cl = ego
        final = torch.stack(layers, dim=1).mean(dim=1)
        return final[: self.U], final[self.U :], cl[: self.U], cl[self.U :]

    @staticmethod
    def info_nce(a, b, tau: float):
        a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
        return -torch.diag(F.log_softmax(a @ b.t() / tau, dim=1)).mean()

    def loss(self, users, pos, neg):
        eps = 0.2 if self.name == "xsimgcl" else 0.1
        u_all, i_all, u_cl, i_cl = self.forward(perturbed=self.name == "xsimgcl", eps=eps)
        u, p, n = u_all[users], i_all[pos], i_all[neg]
        rec = -torch.log(1e-5 + torch.sigmoid((u * p).sum(1) - (u * n).sum(1))).mean()
        reg = 1e-4 * (torch.norm(u) + torch.norm(p) + torch.norm(n)) / users.numel()
        if self.name == "lightgcn":
            return rec + reg
        uu, ii = torch.unique(users), torch.unique(pos)
        if self.name == "xsimgcl":
            cl = self.info_nce(u_all[uu], u_cl[uu], 0.2) + self.info_nce(i_all[ii], i_cl[ii], 0.2)
            return rec + reg + 0.2 * cl
        u1, i1, _, _ = self.forward(perturbed=True)
        u2, i2, _, _ = self.forward(perturbed=True)
        cl = self.info_nce(u1[uu], u2[uu], 0.2) + self.info_nce(i1[ii], i2[ii], 0.2)
        return rec + reg + 0.5 * cl


def reference_step(name: str, train, coo: torch.Tensor) -> Callable[..., None]:
    """One SELFRec-style training step (``torch.optim.Adam`` as SELFRec)."""
    torch.manual_seed(0)
    model = SelfRecStyle(name, train, coo)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(users, pos, neg) -> None:
        loss = model.loss(users, pos, neg)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, default=20, help="timed batches per model")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument(
        "--no-reference", action="store_true", help="skip timing the SELFRec-style implementations"
    )
    default_out = Path(__file__).parents[1] / "results" / "bench_rec_speed.json"
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument(
        "--malloc",
        choices=("keep", "system"),
        default="keep",
        help="keep: glibc keeps freed memory (gcl.train.cpu_malloc, as gcl does); system: its defaults",
    )
    args = parser.parse_args()
    malloc_tuned = args.malloc == "keep" and keep_freed_memory()
    torch.set_num_threads(args.threads)
    root = Path(os.environ.get("GCL_DATA_DIR", "datasets")) / "gowalla"
    load_start = loadavg()

    t0 = time.perf_counter()
    train, test = read_lightgcn(root / "train.txt", root / "test.txt")
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    normalized_adjacency(train)
    adjacency_s = time.perf_counter() - t0
    sampler = BPRSampler(train, args.batch_size, generator=torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    users, pos, neg = sampler.sample_epoch()
    sample_s = time.perf_counter() - t0
    n = args.warmup + args.batches
    batches = [
        (users[k : k + args.batch_size], pos[k : k + args.batch_size], neg[k : k + args.batch_size])
        for k in range(0, n * args.batch_size, args.batch_size)
    ]

    results: dict[str, dict] = {}
    models: dict[str, torch.nn.Module] = {}
    coo = None if args.no_reference else normalized_adjacency(train).matrix.to_sparse_coo().coalesce()
    for name in args.models:
        models[name], step = our_step(name, train)
        steps = {"ours": step}
        if coo is not None and name in ("lightgcn", "simgcl", "xsimgcl"):
            steps["selfrec_style"] = reference_step(name, train, coo)
        times = interleaved_times(steps, batches, args.warmup)
        ours = times["ours"]
        r = {
            "median_s_per_batch": statistics.median(ours),
            "min_s_per_batch": min(ours),
            "max_s_per_batch": max(ours),
            "batches_timed": len(ours),
            "last_loss_terms": {k: float(v) for k, v in models[name].loss_terms.items()},
            "model": repr(models[name]),
        }
        print(f"{name:9s} {r['median_s_per_batch']:.4f} s/batch (median of {len(ours)})")
        if "selfrec_style" in times:
            ref = times["selfrec_style"]
            r["selfrec_style_median_s_per_batch"] = statistics.median(ref)
            r["speedup_vs_selfrec_style"] = statistics.median(ref) / r["median_s_per_batch"]
            r["ratio_to_selfrec_style_median_of_batches"] = statistics.median(
                o / f for o, f in zip(ours, ref)
            )
            print(
                f"{'':9s} {r['selfrec_style_median_s_per_batch']:.4f} s/batch SELFRec-style (COO, "
                f"torch.sparse.mm autograd); ratio {r['ratio_to_selfrec_style_median_of_batches']:.3f}"
            )
        t0 = time.perf_counter()
        models[name].on_epoch_start(1)
        r["epoch_start_hook_s"] = time.perf_counter() - t0
        results[name] = r

    # Full-ranking evaluation of all users (training items masked) with the last LightGCN-family model.
    model = models[args.models[0]]
    evals = []
    for _ in range(2):
        t0 = time.perf_counter()
        metrics = evaluate_model(model, train.csr(), test.csr(), ks=(10, 20, 50))
        evals.append(time.perf_counter() - t0)
    print(f"evaluation {min(evals):.3f} s ({metrics['num_users']} users)")

    batches_per_epoch = len(sampler)
    out = {
        "benchmark": "graph recommender speed, Gowalla (LightGCN split)",
        "setting": {
            "threads": args.threads,
            "batch_size": args.batch_size,
            "embedding_dim": 64,
            "num_layers": 2,
            "xsimgcl_cl_layer": 1,
            "timed_batches": args.batches,
            "warmup_batches": args.warmup,
            "statistic": "median seconds per batch of calculate_loss + backward + Adam step",
        },
        "data": {
            "users": train.num_users,
            "items": train.num_items,
            "train_interactions": len(train),
            "batches_per_epoch": batches_per_epoch,
        },
        "setup_seconds": {"read": read_s, "normalized_adjacency": adjacency_s, "sample_epoch": sample_s},
        "models": {
            name: {**r, "estimated_s_per_epoch": r["median_s_per_batch"] * batches_per_epoch}
            for name, r in results.items()
        },
        "evaluation": {
            "seconds_best_of_2": min(evals),
            "seconds": evals,
            "model": args.models[0],
            "users_evaluated": metrics["num_users"],
            "protocol": metrics["protocol"],
        },
        "reference_selfrec_same_machine": {
            "simgcl_s_per_batch": 1.14,
            "xsimgcl_s_per_batch": 0.45,
            "evaluation_s": 14.0,
        },
        "targets": {"simgcl_s_per_batch": 0.285, "xsimgcl_s_per_batch": 0.1125, "evaluation_s": 3.5},
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu": cpu_model(),
            "avx512f": has_avx512(),  # MKL (torch.mm) runs AVX2 kernels on AMD; OpenBLAS picks AVX-512
            "malloc": "keep freed memory (gcl.train.cpu_malloc)" if malloc_tuned else "system defaults",
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
