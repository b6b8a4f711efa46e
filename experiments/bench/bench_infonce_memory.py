"""Memory and time of the memory-bounded GRACE InfoNCE (gcl.losses.info_nce_chunked).

Protocol: one forward + backward of the symmetric GRACE InfoNCE (intra- and inter-view negatives, tau 0.5)
on N x D random L2-normalized float32 embeddings (seed 0), CPU, ``torch.set_num_threads(threads)``.
Peak memory is the process's peak resident set size (``VmHWM`` from ``/proc/self/status``; it includes the
Python interpreter and torch, about 0.3 GB). The dense equivalent would hold 4 x (2N)^2 floats.

Then, for information, a small-scale timing of the reference (four products), fast dense (one product) and
chunked paths at N = 2708, D = 128 (Cora-sized): median of ``repeats`` forward + backward passes.

Usage::

    python experiments/bench/bench_infonce_memory.py                      # N = 200,000, D = 128, 2 threads
    python experiments/bench/bench_infonce_memory.py --n 20000 --out /tmp/bench.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gcl.losses.infonce import (
    dense_bytes_estimate,
    info_nce_chunked,
    info_nce_dense,
    info_nce_fast,
)

REPO = Path(__file__).resolve().parents[2]


def read_status_bytes(field: str) -> int:
    """``VmHWM`` / ``VmRSS`` of this process in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            value, unit = line.split()[1:3]
            assert unit == "kB"
            return int(value) * 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def views(n: int, dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    z1 = torch.nn.functional.normalize(torch.randn(n, dim, generator=g), dim=1).requires_grad_()
    z2 = torch.nn.functional.normalize(torch.randn(n, dim, generator=g), dim=1).requires_grad_()
    return z1, z2


def large_run(n: int, dim: int, tau: float, chunk: int, checkpoint: Callable[[dict], None]) -> dict:
    z1, z2 = views(n, dim, seed=0)
    record = {
        "n": n,
        "dim": dim,
        "tau": tau,
        "chunk_size": chunk,
        "dense_would_need_bytes": dense_bytes_estimate(n, torch.float32),
        "rss_after_inputs_bytes": read_status_bytes("VmRSS"),
    }
    t0 = time.perf_counter()
    loss = info_nce_chunked(z1, z2, tau, chunk)
    t1 = time.perf_counter()
    record.update(
        loss=loss.item(), forward_s=round(t1 - t0, 2), peak_rss_after_forward_bytes=read_status_bytes("VmHWM")
    )
    checkpoint(record)  # a partial record survives if the (long) backward pass is interrupted
    loss.backward()
    t2 = time.perf_counter()
    record.update(
        grads_finite=bool(torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()),
        backward_s=round(t2 - t1, 2),
        total_s=round(t2 - t0, 2),
        peak_rss_bytes=read_status_bytes("VmHWM"),
    )
    return record


def small_timing(n: int, dim: int, tau: float, chunk: int, repeats: int) -> dict:
    z1, z2 = views(n, dim, seed=1)
    paths = {
        "dense_reference": lambda: info_nce_dense(z1, z2, tau),
        "fast_dense": lambda: info_nce_fast(z1, z2, tau),
        "chunked": lambda: info_nce_chunked(z1, z2, tau, chunk),
    }
    out: dict = {"n": n, "dim": dim, "tau": tau, "chunk_size": chunk, "repeats": repeats}
    values = {}
    for name, fn in paths.items():
        times = []
        for _ in range(repeats):
            z1.grad = z2.grad = None
            t0 = time.perf_counter()
            loss = fn()
            loss.backward()
            times.append(time.perf_counter() - t0)
        values[name] = (loss.item(), z1.grad.clone())
        out[f"{name}_fwd_bwd_s_median"] = round(statistics.median(times), 4)
    ref_loss, ref_grad = values["dense_reference"]
    out["max_abs_loss_diff"] = max(abs(v - ref_loss) for v, _ in values.values())
    out["max_abs_grad_diff"] = max(float((g - ref_grad).abs().max()) for _, g in values.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--tau", type=float, default=0.5)
    parser.add_argument("--chunk-size", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--small-n", type=int, default=2708)
    parser.add_argument("--small-chunk-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "experiments/results/bench_infonce_memory.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    result = {
        "protocol": (
            "symmetric GRACE InfoNCE (intra+inter-view negatives), one forward+backward on random "
            "L2-normalized float32 embeddings, seed 0, CPU; peak RSS = VmHWM of the whole process"
        ),
        "threads": args.threads,
        "torch": torch.__version__,
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine()},
        "rss_at_start_bytes": read_status_bytes("VmRSS"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def save(large: dict | None = None) -> None:
        if large is not None:
            result["large"] = large
            print(json.dumps(large, indent=2), flush=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")

    save(large_run(args.n, args.dim, args.tau, args.chunk_size, checkpoint=save))
    result["small"] = small_timing(args.small_n, args.dim, args.tau, args.small_chunk_size, args.repeats)
    print(json.dumps(result["small"], indent=2), flush=True)
    save()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
