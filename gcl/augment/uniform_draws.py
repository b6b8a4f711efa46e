"""Fast ``U(0, 1)`` draws for CPU tensors: NumPy's PCG64 in fixed chunks, seeded from a torch generator.

SimGCL's and XSimGCL's noise needs a fresh ``[num_nodes, d]`` uniform matrix per layer and batch (4.5 M
numbers per layer on Gowalla). ``torch.rand`` draws them serially from one Mersenne Twister: 13 ms per
Gowalla layer on a 2-core AMD EPYC, about a tenth of an XSimGCL batch. Here each chunk of ``2**20`` numbers
gets its own PCG64 stream (``numpy.random.SeedSequence.spawn`` of one 63-bit seed taken from the torch
generator), and the chunks are drawn on ``torch.get_num_threads()`` threads: 4.7 ms.

Reproducibility: the seed comes from the torch generator (or the global torch RNG), so
``torch.manual_seed`` / a seeded ``torch.Generator`` fix the draws as before, and checkpoints that store the
torch generator's state resume the same stream. The chunking is fixed, so the draws do not depend on the
thread count. GPU tensors and other dtypes use ``torch.rand``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from gcl.augment._validate import rand
from gcl.train.cpu_threads import run_over_ranges

__all__ = ["uniform_draws"]

_CHUNK = 1 << 20  # numbers per PCG64 stream
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def uniform_draws(
    shape: tuple[int, ...],
    generator: torch.Generator | None,
    device: torch.device | str,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """``U(0, 1)`` draws of ``shape``: NumPy PCG64 chunks on CPU (float32/float64), ``torch.rand`` elsewhere.

    Args:
        shape: Output shape.
        generator: Torch generator the seed is drawn from (one 63-bit integer per call); the global torch
            RNG when ``None``.
        device: Output device.
        dtype: Output dtype.

    Returns:
        ``Tensor[shape]`` with values in ``[0, 1)``.

    Example:
        >>> a = uniform_draws((2, 3), torch.Generator().manual_seed(0), "cpu")
        >>> b = uniform_draws((2, 3), torch.Generator().manual_seed(0), "cpu")
        >>> bool(torch.equal(a, b)), bool(((a >= 0) & (a < 1)).all())
        (True, True)
    """
    device = torch.device(device)
    on_cpu = device.type == "cpu" and (generator is None or generator.device.type == "cpu")
    if not on_cpu or dtype not in _NUMPY_DTYPES:
        return rand(shape, generator, device, dtype)
    seed = int(torch.randint(0, 2**63 - 1, (1,), generator=generator))
    out = torch.empty(shape, dtype=dtype)
    flat = out.view(-1).numpy()
    n_chunks = math.ceil(flat.size / _CHUNK)
    if n_chunks == 0:
        return out
    streams = np.random.SeedSequence(seed).spawn(n_chunks)
    np_dtype = _NUMPY_DTYPES[dtype]

    def draw(first: int, last: int) -> None:
        for i in range(first, last):
            chunk = flat[i * _CHUNK : (i + 1) * _CHUNK]
            np.random.Generator(np.random.PCG64(streams[i])).random(out=chunk, dtype=np_dtype)

    run_over_ranges(n_chunks, max(1, min(torch.get_num_threads(), n_chunks)), draw)
    return out
