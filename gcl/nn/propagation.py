"""Sparse graph propagation with a fast backward.

``torch.sparse.mm`` on a CSR matrix has a quick forward but an autograd backward that is
several times slower than the forward. For ``out = A @ x`` the gradient is ``A^T @ grad``, which
is one more forward product; :class:`SparseMatmul` does exactly that with a cached ``A^T``
(``A`` itself when the matrix is symmetric, as the normalized user-item adjacency of LightGCN).

A loss that reads only some rows ``R`` of the last propagated layer (a mini-batch's users and items) needs
only ``A[R] @ x``: :meth:`PropagationMatrix.rows` gives a :class:`RowSlice` whose product and backward
(``A[R]^T @ grad``) both cost ``O(nnz(A[R]))`` instead of ``O(nnz(A))``.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

# CSR products are the point of this module; torch's "beta" notice on every conversion is noise.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def sparse_mm(matrix: Tensor, x: Tensor) -> Tensor:
    """``matrix @ x`` for a sparse CSR ``matrix`` ``[N, M]`` and dense ``x`` ``[M, D]`` -> ``[N, D]``.

    ``torch.sparse.mm`` fills its fresh output with zeros and copies it before the product; ``addmm`` with
    ``beta=0`` into an uninitialized buffer skips both passes (``beta=0`` ignores the buffer's contents,
    NaN included) and gives the same bits: on the 70,839 x 64 Gowalla layer, 2 threads, 37-43 ms per product
    instead of 52-64 ms.
    """
    needs_graph = torch.is_grad_enabled() and (x.requires_grad or matrix.requires_grad)
    if needs_graph or matrix.layout != torch.sparse_csr or not x.is_contiguous() or x.dim() != 2:
        return torch.sparse.mm(matrix, x)  # out= products are not differentiable
    out = x.new_empty(matrix.shape[0], x.shape[1])
    return torch.addmm(out, matrix, x, beta=0, out=out)


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

    def rows(self, index: Tensor) -> RowSlice:
        """The rows ``index`` (``LongTensor [R]``, distinct) of ``A`` as a :class:`RowSlice`."""
        return RowSlice(self, index)


class SparseMatmul(torch.autograd.Function):
    """``A @ x`` for a :class:`PropagationMatrix` ``A`` and dense ``x`` [M, D] -> [N, D]."""

    @staticmethod
    def forward(ctx, prop: PropagationMatrix, x: Tensor) -> Tensor:  # noqa: D102
        ctx.prop = prop
        return sparse_mm(prop.matrix, x.contiguous())

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, Tensor]:  # noqa: D102
        return None, sparse_mm(ctx.prop.transpose, grad.contiguous())


def _take_rows(matrix: Tensor, index: Tensor) -> Tensor:
    """Rows ``index`` of a CSR matrix ``[N, M]`` as a CSR matrix ``[R, M]`` (entries in the same order)."""
    crow = matrix.crow_indices()
    start = crow[index].long()
    count = crow[index + 1].long() - start
    new_crow = torch.zeros(index.numel() + 1, dtype=torch.long, device=index.device)
    torch.cumsum(count, 0, out=new_crow[1:])
    nnz = int(new_crow[-1])
    entry = torch.repeat_interleave(start - new_crow[:-1], count, output_size=nnz)
    entry += torch.arange(nnz, device=index.device)
    return torch.sparse_csr_tensor(
        new_crow.to(crow.dtype),
        matrix.col_indices()[entry],
        matrix.values()[entry],
        size=(index.numel(), matrix.shape[1]),
        check_invariants=False,
    )


def _transpose_csr(matrix: Tensor) -> Tensor:
    """``matrix^T`` ``[M, R]`` of a CSR matrix ``[R, M]``, in CSR form, by one stable sort of the columns."""
    crow, col = matrix.crow_indices(), matrix.col_indices()
    rows, cols = matrix.shape
    nnz = col.numel()
    order = torch.sort(col, stable=True).indices
    entry_row = torch.repeat_interleave(
        torch.arange(rows, dtype=col.dtype, device=col.device), crow.diff().long(), output_size=nnz
    )
    new_crow = torch.zeros(cols + 1, dtype=torch.long, device=col.device)
    torch.cumsum(torch.bincount(col, minlength=cols), 0, out=new_crow[1:])
    return torch.sparse_csr_tensor(
        new_crow.to(crow.dtype),
        entry_row[order],
        matrix.values()[order],
        size=(cols, rows),
        check_invariants=False,
    )


class RowSlice:
    """Rows ``R`` of a :class:`PropagationMatrix`, for a product read only at those rows.

    ``A[R] @ x`` (``[R, D]``) equals ``(A @ x)[R]``; its backward ``A[R]^T @ grad`` transposes the slice
    (a sort of its ``nnz(A[R])`` column ids). Both products read only those entries.
    On Gowalla, a batch of 2048 BPR triples touches about 5,700 of the 70,839 nodes and 16 % of the
    nonzeros, so the last layer of a LightGCN propagation costs about a sixth of a full product.

    Args:
        prop: The matrix ``A`` ``[N, M]``.
        index: ``LongTensor [R]`` of distinct row ids.
    """

    def __init__(self, prop: PropagationMatrix, index: Tensor) -> None:
        if index.dim() != 1 or index.dtype != torch.long:
            raise ValueError(f"index: expected a 1-D LongTensor of row ids, got {tuple(index.shape)}")
        self.prop = prop
        self.index = index
        self.matrix = _take_rows(prop.matrix, index)

    @property
    def shape(self) -> torch.Size:
        """``(R, M)``."""
        return self.matrix.shape

    def transpose_matmul(self, grad: Tensor) -> Tensor:
        """``A[R]^T @ grad`` for ``grad`` ``[R, D]`` -> ``[M, D]``."""
        return sparse_mm(_transpose_csr(self.matrix), grad.contiguous())

    def __matmul__(self, x: Tensor) -> Tensor:
        return RowSliceMatmul.apply(self, x)


class RowSliceMatmul(torch.autograd.Function):
    """``A[R] @ x`` for a :class:`RowSlice` and dense ``x`` [M, D] -> [R, D]."""

    @staticmethod
    def forward(ctx, rows: RowSlice, x: Tensor) -> Tensor:  # noqa: D102
        ctx.rows = rows
        return sparse_mm(rows.matrix, x.contiguous())

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, Tensor]:  # noqa: D102
        return None, ctx.rows.transpose_matmul(grad)


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
