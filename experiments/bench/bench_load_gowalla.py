"""Benchmark: load LightGCN's gowalla split with gcl.data.readers.read_lightgcn and build the CSR matrix.

Usage:
    GCL_DATA_DIR=/path/to/datasets python experiments/bench/bench_load_gowalla.py [--repeats 3]

Times ``read_lightgcn(train.txt, test.txt)`` (best of ``--repeats`` runs, each from a cold Python
object but a warm OS page cache) and ``train.csr()`` on the result, prints them and writes
``experiments/results/bench_load_gowalla.json``. Target: well under 5 s (aim < 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy

from gcl.data.readers import read_lightgcn

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
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average_1min": load,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("GCL_DATA_DIR"))
    parser.add_argument("--out", default=str(REPO / "experiments" / "results" / "bench_load_gowalla.json"))
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("set GCL_DATA_DIR (or pass --data-dir) to the folder that holds gowalla/")
    base = Path(args.data_dir) / "gowalla"
    train_path, test_path = base / "train.txt", base / "test.txt"

    load_times, csr_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        train, test = read_lightgcn(train_path, test_path)
        load_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        matrix = train.csr()
        csr_times.append(time.perf_counter() - start)

    result = {
        "benchmark": "read_lightgcn(gowalla/train.txt, gowalla/test.txt) + train.csr()",
        "seconds": min(load_times),
        "csr_seconds": min(csr_times),
        "load_seconds_all": load_times,
        "csr_seconds_all": csr_times,
        "repeats": args.repeats,
        "interactions": len(train),
        "test_interactions": len(test),
        "users": train.num_users,
        "items": train.num_items,
        "csr_nnz": int(matrix.nnz),
        "machine": machine_info(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"read_lightgcn gowalla: {result['seconds']:.3f} s best of {args.repeats} "
        f"({len(train):,} train + {len(test):,} test interactions, {train.num_users:,} users, "
        f"{train.num_items:,} items); csr(): {result['csr_seconds']:.3f} s; wrote {out}"
    )


if __name__ == "__main__":
    main()
