"""Argument checks and seeded random draws shared by :mod:`gcl.augment`.

Every public augmentation validates its arguments with these helpers, so the error messages are
uniform: a :class:`ValueError` that names the offending argument and says what was expected.

The ``rand``/``randn``/``randperm``/``randint`` helpers draw from an explicit
:class:`torch.Generator` when one is given (on the generator's device, then moved to the data's
device, so a CPU generator also seeds CUDA data) and from the global RNG otherwise. With
``generator=None`` they issue exactly the calls PyG's ``torch_geometric.utils`` augmentations issue
(``torch.rand(n, device=device)``), so results match PyG draw for draw under a global seed.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

__all__ = [
    "check_edge_index",
    "check_features",
    "check_generator",
    "check_node_vector",
    "check_nonnegative",
    "check_num_nodes",
    "check_probability",
    "rand",
    "randint",
    "randn",
    "randperm",
]


def _as_float(value: object, name: str) -> float:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"'{name}' must be a scalar (got a tensor of shape {tuple(value.shape)})")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"'{name}' must be a real number (got {value!r})")
    return float(value)


def check_probability(value: object, name: str = "p") -> float:
    """Return ``value`` as a float after checking it is a probability in ``[0, 1]`` (not NaN)."""
    out = _as_float(value, name)
    if math.isnan(out) or out < 0.0 or out > 1.0:
        raise ValueError(f"'{name}' must be a probability in [0, 1] (got {value!r})")
    return out


def check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float after checking it is finite and ``>= 0``."""
    out = _as_float(value, name)
    if not math.isfinite(out) or out < 0.0:
        raise ValueError(f"'{name}' must be a finite number >= 0 (got {value!r})")
    return out


def check_num_nodes(num_nodes: object, name: str = "num_nodes", *, allow_zero: bool = False) -> int:
    """Return ``num_nodes`` as an int after checking it is a (positive) integer."""
    if isinstance(num_nodes, Tensor) and num_nodes.numel() == 1 and not num_nodes.is_floating_point():
        num_nodes = int(num_nodes.item())
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, numbers.Integral):
        raise ValueError(f"'{name}' must be an int (got {num_nodes!r})")
    lowest = 0 if allow_zero else 1
    if num_nodes < lowest:
        what = "a non-negative int" if allow_zero else "a positive int (the graph must not be empty)"
        raise ValueError(f"'{name}' must be {what} (got {num_nodes})")
    return int(num_nodes)


def check_edge_index(edge_index: object, num_nodes: int | None = None, name: str = "edge_index") -> None:
    """Check ``edge_index`` is an integer tensor of shape ``[2, E]`` with ids in ``[0, num_nodes)``.

    The id range is checked only when ``num_nodes`` is given (it costs one device sync).
    """
    if not isinstance(edge_index, Tensor):
        raise ValueError(f"'{name}' must be a torch.Tensor of shape [2, E] (got {type(edge_index).__name__})")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"'{name}' must have shape [2, E] (got {tuple(edge_index.shape)})")
    if edge_index.is_floating_point() or edge_index.is_complex() or edge_index.dtype == torch.bool:
        raise ValueError(f"'{name}' must hold integer node ids (got dtype {edge_index.dtype})")
    if num_nodes is not None and edge_index.numel() > 0:
        lo, hi = torch.aminmax(edge_index)
        if bool((lo < 0) | (hi >= num_nodes)):
            raise ValueError(
                f"'{name}' holds node ids outside [0, {num_nodes}) (min {int(lo)}, max {int(hi)}); "
                "check 'num_nodes'"
            )


def _sparse_values(x: Tensor) -> Tensor:
    if x.layout == torch.sparse_coo:
        return x._values()
    return x.values()


def check_features(x: object, name: str = "x", *, allow_sparse: bool = True) -> None:
    """Check ``x`` is a 2-D floating tensor ``[N, F]`` without NaN (dense, or sparse COO/CSR)."""
    if not isinstance(x, Tensor):
        raise ValueError(f"'{name}' must be a torch.Tensor of shape [N, F] (got {type(x).__name__})")
    sparse = x.layout in (torch.sparse_coo, torch.sparse_csr)
    if x.layout != torch.strided and not (allow_sparse and sparse):
        allowed = "dense or sparse COO/CSR" if allow_sparse else "dense (strided)"
        raise ValueError(f"'{name}' must be a {allowed} tensor (got layout {x.layout})")
    if x.dim() != 2:
        raise ValueError(f"'{name}' must have shape [N, F] (got {tuple(x.shape)})")
    if not x.is_floating_point():
        raise ValueError(f"'{name}' must be a floating-point tensor (got dtype {x.dtype})")
    values = _sparse_values(x) if sparse else x
    # A NaN anywhere makes the sum NaN; the sum is a cheap reduction, the exact scan runs only if needed
    # (a NaN sum can also come from inf - inf).
    if values.numel() > 0 and bool(torch.isnan(values.sum())) and bool(torch.isnan(values).any()):
        raise ValueError(f"'{name}' contains NaN values")


def check_node_vector(value: object, length: int, name: str, *, nonnegative: bool = True) -> None:
    """Check ``value`` is a finite 1-D floating tensor of the given length (and ``>= 0``)."""
    if not isinstance(value, Tensor):
        raise ValueError(f"'{name}' must be a torch.Tensor of shape [{length}] (got {type(value).__name__})")
    if value.dim() != 1 or value.numel() != length:
        raise ValueError(f"'{name}' must have shape [{length}] (got {tuple(value.shape)})")
    if not value.is_floating_point():
        raise ValueError(f"'{name}' must be a floating-point tensor (got dtype {value.dtype})")
    if length == 0:
        return
    bad = ~torch.isfinite(value)
    if nonnegative:
        bad = bad | (value < 0)
    if bool(bad.any()):
        what = "finite and >= 0" if nonnegative else "finite"
        raise ValueError(f"'{name}' must be {what} everywhere")


def check_generator(generator: object) -> None:
    """Check ``generator`` is ``None`` or a :class:`torch.Generator`."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"'generator' must be a torch.Generator or None (got {type(generator).__name__})")


def rand(
    size: int | tuple[int, ...],
    generator: torch.Generator | None,
    device: torch.device,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """``U(0, 1)`` draws on ``device``, from ``generator`` if given, else from the global RNG."""
    size = (size,) if isinstance(size, int) else tuple(size)
    if generator is None:
        return torch.rand(size, device=device, dtype=dtype)
    return torch.rand(size, generator=generator, device=generator.device, dtype=dtype).to(device)


def randn(
    size: int | tuple[int, ...],
    generator: torch.Generator | None,
    device: torch.device,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Standard normal draws on ``device``, from ``generator`` if given, else from the global RNG."""
    size = (size,) if isinstance(size, int) else tuple(size)
    if generator is None:
        return torch.randn(size, device=device, dtype=dtype)
    return torch.randn(size, generator=generator, device=generator.device, dtype=dtype).to(device)


def randperm(n: int, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """A random permutation of ``range(n)`` on ``device``."""
    if generator is None:
        return torch.randperm(n, device=device)
    return torch.randperm(n, generator=generator, device=generator.device).to(device)


def randint(high: int, size: int, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """Uniform integers in ``[0, high)`` on ``device``."""
    if generator is None:
        return torch.randint(high, (size,), device=device)
    return torch.randint(high, (size,), generator=generator, device=generator.device).to(device)
