"""Feature augmentations: masking (GRACE) and Gaussian noise.

Pure tensor functions over a node feature matrix ``x [N, F]`` that return the augmented features
and the mask/noise they used, accept an optional explicit ``generator`` and are no-ops when
``training=False`` or the rate is 0. Column masking also accepts a sparse COO/CSR ``x`` (as produced
for bag-of-words features such as Cora/CiteSeer): it scales the stored values by the column mask
(``x @ diag(mask)``) and never densifies, which is much cheaper than masking the dense matrix.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from gcl.augment._validate import (
    check_features,
    check_generator,
    check_nonnegative,
    check_probability,
    rand,
    randn,
)

__all__ = ["feature_noise", "mask_feature"]

_SPARSE_LAYOUTS = (torch.sparse_coo, torch.sparse_csr)


def is_sparse(x: Tensor) -> bool:
    """Whether ``x`` is a sparse COO or CSR tensor."""
    return x.layout in _SPARSE_LAYOUTS


def sparse_entries(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(row, col, values)`` of the stored entries of a sparse COO/CSR matrix (no coalescing)."""
    if x.layout == torch.sparse_coo:
        indices = x._indices()
        return indices[0], indices[1], x._values()
    crow = x.crow_indices()
    counts = crow[1:] - crow[:-1]
    row = torch.repeat_interleave(torch.arange(x.size(0), device=x.device), counts)
    return row, x.col_indices(), x.values()


def _with_values(x: Tensor, values: Tensor) -> Tensor:
    """A sparse tensor with the sparsity structure of ``x`` and new stored ``values``."""
    if x.layout == torch.sparse_coo:
        return torch.sparse_coo_tensor(
            x._indices(), values, x.shape, is_coalesced=x.is_coalesced(), check_invariants=False
        )
    return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), values, x.shape, check_invariants=False)


def apply_feature_mask(x: Tensor, mask: Tensor, fill_value: float = 0.0) -> Tensor:
    """Return ``x`` with entries where the broadcast ``mask`` is ``False`` set to ``fill_value``.

    ``mask`` is ``[1, F]`` (columns), ``[N, 1]`` (rows) or ``[N, F]``. A sparse ``x`` takes only a
    row or column mask and ``fill_value=0``: stored values are multiplied by the mask, keeping the
    sparsity structure (masked entries become explicit zeros).
    """
    if not is_sparse(x):
        return x.masked_fill(~mask, fill_value)
    row, col, values = sparse_entries(x)
    keep = mask[0, col] if mask.size(0) == 1 else mask[row, 0]
    return _with_values(x, values * keep.to(values.dtype))


def mask_feature(
    x: Tensor,
    p: float = 0.5,
    *,
    mode: Literal["col", "row", "all"] = "col",
    fill_value: float = 0.0,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Mask features with probability ``p`` (GRACE feature masking, Zhu et al. 2020, GRL+@ICML).

    Same semantics as :func:`torch_geometric.utils.mask_feature` (identical draws and output for a
    dense ``x`` when ``generator`` is ``None``), plus an explicit generator and sparse input.
    ``mode="col"`` draws one mask over the feature dimensions shared by all nodes (GRACE),
    ``"row"`` one per node, ``"all"`` one per entry.

    Args:
        x: Features ``[N, F]``; dense, or sparse COO/CSR for ``mode`` ``"col"``/``"row"``.
        p: Masking probability in ``[0, 1]``.
        mode: ``"col"``, ``"row"`` or ``"all"``.
        fill_value: Value written to masked entries (must be 0 for sparse ``x``).
        training: If ``False``, return ``x`` unchanged with an all-``True`` mask.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(x_masked [N, F], feat_mask)``, ``feat_mask`` a ``BoolTensor`` of shape ``[1, F]``
        (``"col"``), ``[N, 1]`` (``"row"``) or ``[N, F]`` (``"all"``), ``True`` where kept. A sparse
        input gives a sparse output of the same layout and sparsity structure.

    Raises:
        ValueError: For ``p`` outside ``[0, 1]``, an unknown ``mode``, NaN features, or an
            unsupported sparse combination.

    Example:
        >>> x = torch.ones(3, 4)
        >>> out, mask = mask_feature(x, 0.5, generator=torch.Generator().manual_seed(0))
        >>> mask.shape, bool((out == mask.float()).all())
        (torch.Size([1, 4]), True)
    """
    p = check_probability(p, "p")
    if mode not in ("col", "row", "all"):
        raise ValueError(f"'mode' must be 'col', 'row' or 'all' (got {mode!r})")
    check_features(x)
    check_generator(generator)
    if is_sparse(x):
        if mode == "all":
            raise ValueError("'mode'='all' is not supported for sparse 'x'; use 'col' or 'row'")
        if fill_value != 0:
            raise ValueError(f"'fill_value' must be 0 for sparse 'x' (got {fill_value!r})")
    num_nodes, num_feats = x.shape
    shape = {"col": (1, num_feats), "row": (num_nodes, 1), "all": (num_nodes, num_feats)}[mode]
    if not training or p == 0.0:
        return x, torch.ones(shape, dtype=torch.bool, device=x.device)
    if mode == "all":  # as torch.rand_like(x) in PyG
        mask = rand(shape, generator, x.device, x.dtype) >= p
    else:
        mask = (rand(num_feats if mode == "col" else num_nodes, generator, x.device) >= p).view(shape)
    return apply_feature_mask(x, mask, fill_value), mask


def feature_noise(
    x: Tensor,
    std: float,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Add i.i.d. Gaussian noise ``N(0, std^2)`` to every feature (a common GCL feature perturbation).

    Args:
        x: Dense features ``[N, F]``.
        std: Noise standard deviation (finite, ``>= 0``).
        training: If ``False``, return ``x`` unchanged and zero noise.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(x + noise, noise)``, both ``[N, F]``.

    Example:
        >>> x = torch.zeros(2, 3)
        >>> out, noise = feature_noise(x, 0.1, generator=torch.Generator().manual_seed(0))
        >>> bool(torch.equal(out, noise))
        True
    """
    std = check_nonnegative(std, "std")
    check_features(x, allow_sparse=False)
    check_generator(generator)
    if not training or std == 0.0:
        return x, torch.zeros_like(x)
    noise = randn(tuple(x.shape), generator, x.device, x.dtype) * std
    return x + noise, noise
