"""Benchmark: SASRec and CL4SRec seconds per training epoch on Amazon Beauty (CPU, 2 threads).

Usage:
    GCL_DATA_DIR=/path/to/datasets python experiments/bench/bench_seq_speed.py [--batches 20] [--threads 2]

Setting of the papers: max length 50, dim 64, 2 blocks, 2 heads, dropout 0.5, batch 256, Adam 1e-3, CE over
all 12,101 items, prefix training examples (131,413 per epoch = 514 batches). Each model trains ``--batches``
batches after ``--warmup`` untimed ones; seconds per epoch = mean seconds per batch x batches per epoch (the
extrapolation is stated in the JSON). One full-ranking validation pass over the 22,363 users is timed
separately. Writes ``experiments/results/bench_seq_speed.json``. The machine's 1-minute load average is
recorded: on a shared machine the numbers are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import torch

from gcl.data.readers import read_sequences
from gcl.seq import SASRecEncoder, SequenceData, build_model, evaluate_ranking, sample_same_target

REPO = Path(__file__).resolve().parents[2]


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def time_model(name: str, data: SequenceData, batches: int, warmup: int, batch_size: int) -> dict:
    torch.manual_seed(0)
    encoder = SASRecEncoder(data.num_items, max_length=50, hidden=64, num_blocks=2, num_heads=2, dropout=0.5)
    model = build_model(name, encoder).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    positions = data.train_positions()
    order = torch.randperm(positions.numel(), generator=generator)
    partner = sample_same_target(data.items[positions], generator) if model.needs_partner else None
    times = []
    for b in range(warmup + batches):
        start = time.perf_counter()
        idx = order[b * batch_size : (b + 1) * batch_size]
        batch = data.batch(positions[idx])
        if partner is not None:
            batch.partner_seq, batch.partner_lengths = data.history_window(positions[partner[idx]])
        loss = model.calculate_loss(batch, generator=generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if b >= warmup:
            times.append(time.perf_counter() - start)
    per_epoch = math.ceil(positions.numel() / batch_size)
    mean = sum(times) / len(times)
    start = time.perf_counter()
    evaluate_ranking(model, data, "valid", batch_size=1024)
    eval_seconds = time.perf_counter() - start
    return {
        "seconds_per_epoch": mean * per_epoch,
        "seconds_per_batch_mean": mean,
        "seconds_per_batch_min": min(times),
        "batches_timed": len(times),
        "batches_per_epoch": per_epoch,
        "validation_seconds": eval_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("GCL_DATA_DIR"))
    parser.add_argument("--batches", type=int, default=20, help="timed batches per model")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["sasrec", "cl4srec"])
    parser.add_argument("--out", default=str(REPO / "experiments" / "results" / "bench_seq_speed.json"))
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("set GCL_DATA_DIR (or pass --data-dir) to the folder that holds Beauty/Beauty.txt")
    torch.set_num_threads(args.threads)
    data = SequenceData.from_interactions(read_sequences(Path(args.data_dir) / "Beauty" / "Beauty.txt"))
    results = {}
    for name in args.models:
        results[name] = time_model(name, data, args.batches, args.warmup, args.batch_size)
        res = results[name]
        print(
            f"{name:<8} {res['seconds_per_epoch']:8.1f} s/epoch ({res['seconds_per_batch_mean']:.3f} s/batch "
            f"x {res['batches_per_epoch']}), validation {res['validation_seconds']:.1f} s",
            flush=True,
        )
    out = {
        "benchmark": "seconds per training epoch on Amazon Beauty (leave-one-out prefix examples)",
        "setting": {
            "max_length": 50,
            "hidden": 64,
            "num_blocks": 2,
            "num_heads": 2,
            "dropout": 0.5,
            "batch_size": args.batch_size,
            "loss": "cross-entropy over all items",
            "optimizer": "Adam lr 1e-3",
            "device": "cpu",
            "threads": args.threads,
        },
        "extrapolation": (
            f"mean of {args.batches} timed batches (after {args.warmup} warm-up) x batches per epoch; "
            "validation (full ranking, 22,363 users) timed once and not included in seconds_per_epoch"
        ),
        "users": data.num_users,
        "items": data.num_items,
        "train_examples": int(data.train_positions().numel()),
        "models": results,
        "machine": machine_info(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
