"""Dense CPU matrix products through NumPy's BLAS, which is often the faster one.

PyTorch's CPU wheels multiply float32 matrices with MKL, which runs its AVX2 kernels on AMD processors;
NumPy's wheels ship OpenBLAS with runtime kernel selection (``DYNAMIC_ARCH``), which picks its AVX-512
kernels wherever the processor has them. Measured on a 2-core AMD EPYC (Zen 4) with the Gowalla scoring
product (29,858 x 64 times 64 x 40,981, in batches of 1,024 users): ``torch.mm`` 2.0 s, NumPy 0.9 s
(``experiments/bench/bench_full_ranking.py``). Both are exact float32 products; they may differ in the last
bit through a different summation order.

Threads: OpenBLAS's own worker threads keep spinning after a product, and on a small machine they take the
cores from PyTorch's OpenMP threads that run next (the top-K after the scores took 1.8 s instead of 0.8 s).
So :func:`matmul_into` runs OpenBLAS single-threaded (``threadpoolctl``) and splits the rows over
``torch.get_num_threads()`` Python threads instead (NumPy releases the GIL in ``matmul``); idle Python
threads sleep. ``torch.set_num_threads`` keeps governing the whole computation.

``GCL_CPU_MATMUL=torch`` switches back to ``torch.mm``.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import torch
from threadpoolctl import ThreadpoolController
from torch import Tensor

from gcl.train.cpu_threads import run_over_ranges

__all__ = ["matmul_into", "numpy_matmul_enabled"]

_NUMPY_DTYPES = (torch.float32, torch.float64)
_MIN_ROWS_PER_THREAD = 64  # below this a split costs more than it saves
_lock = threading.Lock()
_controller: list[ThreadpoolController] = []  # built on first use: finding the BLAS libraries takes ~1 ms


def numpy_matmul_enabled() -> bool:
    """Whether CPU products go through NumPy (default) rather than ``torch.mm`` (``GCL_CPU_MATMUL=torch``).

    Raises:
        ValueError: ``GCL_CPU_MATMUL`` is set to something other than ``numpy`` or ``torch``.
    """
    choice = os.environ.get("GCL_CPU_MATMUL", "numpy").strip().lower()
    if choice not in ("numpy", "torch"):
        raise ValueError(f"GCL_CPU_MATMUL: expected 'numpy' or 'torch', got {choice!r}")
    return choice == "numpy"


def _blas_controller() -> ThreadpoolController:
    with _lock:
        if not _controller:
            _controller.append(ThreadpoolController())
        return _controller[0]


def matmul_into(a: Tensor, b: Tensor, out: Tensor) -> Tensor:
    """``out = a @ b`` without autograd, through NumPy's BLAS for CPU float32/float64 tensors.

    The rows of ``a`` are split over ``torch.get_num_threads()`` threads, each a single-threaded BLAS call;
    other inputs (GPU tensors, other dtypes, tensors requiring grad, ``GCL_CPU_MATMUL=torch``) go to
    ``torch.mm``.

    Args:
        a: ``Tensor[m, k]``.
        b: ``Tensor[k, n]``, contiguous for the fastest product.
        out: ``Tensor[m, n]``, contiguous, same dtype and device.

    Returns:
        ``out``.

    Example:
        >>> out = torch.empty(1, 2)
        >>> matmul_into(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0], [0.0, 3.0]]), out).tolist()
        [[1.0, 6.0]]
    """
    eligible = (
        out.device.type == a.device.type == b.device.type == "cpu"
        and a.dtype == b.dtype == out.dtype
        and a.dtype in _NUMPY_DTYPES
        and out.is_contiguous()
        and not (a.requires_grad or b.requires_grad or out.requires_grad)
        and numpy_matmul_enabled()
    )
    if not eligible:
        return torch.mm(a, b, out=out)
    if a.dim() != 2 or b.dim() != 2 or a.size(1) != b.size(0) or tuple(out.shape) != (a.size(0), b.size(1)):
        raise ValueError(
            f"matmul_into: shapes {tuple(a.shape)} @ {tuple(b.shape)} -> {tuple(out.shape)} do not match"
        )
    a_np, b_np, out_np = a.detach().numpy(), b.detach().numpy(), out.detach().numpy()
    parts = max(1, min(torch.get_num_threads(), a.size(0) // _MIN_ROWS_PER_THREAD))
    with _blas_controller().limit(limits=1, user_api="blas"):
        run_over_ranges(a.size(0), parts, lambda lo, hi: np.matmul(a_np[lo:hi], b_np, out=out_np[lo:hi]))
    return out
