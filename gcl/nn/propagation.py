"""Sparse graph propagation with a fast backward.

``torch.sparse.mm`` on a CSR matrix has a quick forward but an autograd backward that is
several times slower than the forward. For ``out = A @ x`` the gradient is ``A^T @ grad``, which
is one more forward product; :class:`SparseMatmul` does exactly that with a cached ``A^T``
(``A`` itself when the matrix is symmetric, as the normalized user-item adjacency of LightGCN).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

# CSR products are the point of this module; torch's "beta" notice on every conversion is noise.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


class PropagationMatrix:
    """A sparse propagation matrix with its transpose, both in CSR form.

    Args:
        matrix: Sparse [N, M] tensor (any layout; converted to CSR).
        symmetric: ``True`` if ``matrix`` equals its transpose (then ``A^T`` is not stored twice).
    """

    def __init__(self, matrix: Tensor, *, symmetric: bool = False) -> None:
        self.matrix = matrix.to_sparse_csr()
        self.symmetric = symmetric
        self._transpose: Tensor | None = self.matrix if symmetric else None

    @property
    def transpose(self) -> Tensor:
        """``A^T`` in CSR form (built on first use and cached)."""
        if self._transpose is None:
            self._transpose = self.matrix.t().to_sparse_coo().coalesce().to_sparse_csr()
        return self._transpose

    @property
    def shape(self) -> torch.Size:
        """Shape of ``A``."""
        return self.matrix.shape

    def to(self, device: torch.device | str) -> PropagationMatrix:
        """Return a copy on ``device``."""
        out = PropagationMatrix.__new__(PropagationMatrix)
        out.matrix = self.matrix.to(device)
        out.symmetric = self.symmetric
        out._transpose = (
            out.matrix
            if self.symmetric
            else (None if self._transpose is None else self._transpose.to(device))
        )
        return out

    def __matmul__(self, x: Tensor) -> Tensor:
        return SparseMatmul.apply(self, x)


class SparseMatmul(torch.autograd.Function):
    """``A @ x`` for a :class:`PropagationMatrix` ``A`` and dense ``x`` [M, D] -> [N, D]."""

    @staticmethod
    def forward(ctx, prop: PropagationMatrix, x: Tensor) -> Tensor:  # noqa: D102
        ctx.prop = prop
        return torch.sparse.mm(prop.matrix, x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, Tensor]:  # noqa: D102
        return None, torch.sparse.mm(ctx.prop.transpose, grad.contiguous())


def gcn_norm_matrix(
    edge_index: Tensor,
    num_nodes: int,
    edge_weight: Tensor | None = None,
    *,
    add_self_loops: bool = True,
    dtype: torch.dtype = torch.float32,
) -> PropagationMatrix:
    r"""The GCN propagation matrix :math:`\hat D^{-1/2} (A + I) \hat D^{-1/2}` (Kipf & Welling, ICLR 2017).

    Follows PyG's ``gcn_norm`` convention: messages flow from ``edge_index[0]`` (source) to
    ``edge_index[1]`` (target), degrees are in-degrees of targets, so ``(A @ x)[t] = sum_s
    norm_st x[s]``. Works for directed graphs (edge dropping in GRACE drops directions
    independently); the matrix is then not symmetric and the transpose is built for backward.

    Args:
        edge_index: [2, E] long tensor.
        num_nodes: N.
        edge_weight: Optional [E] weights (default 1).
        add_self_loops: Add :math:`I` (weight 1) before normalizing.
        dtype: Value dtype.

    Returns:
        A :class:`PropagationMatrix` of shape [N, N].
    """
    device = edge_index.device
    source, target = edge_index[0], edge_index[1]
    weight = (
        torch.ones(source.numel(), dtype=dtype, device=device)
        if edge_weight is None
        else edge_weight.to(dtype)
    )
    if add_self_loops:
        loop = torch.arange(num_nodes, device=device)
        source = torch.cat([source, loop])
        target = torch.cat([target, loop])
        weight = torch.cat([weight, torch.ones(num_nodes, dtype=dtype, device=device)])
    degree = torch.zeros(num_nodes, dtype=dtype, device=device).index_add_(0, target, weight)
    inv_sqrt = degree.pow(-0.5)
    inv_sqrt.masked_fill_(torch.isinf(inv_sqrt), 0.0)
    values = inv_sqrt[source] * weight * inv_sqrt[target]
    matrix = torch.sparse_coo_tensor(
        torch.stack([target, source]), values, (num_nodes, num_nodes), check_invariants=False
    ).coalesce()
    return PropagationMatrix(matrix)
