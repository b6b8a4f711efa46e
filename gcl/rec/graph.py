"""The symmetric-normalized user-item adjacency that LightGCN-style models propagate over.

For ``U`` users, ``I`` items and the binary interaction matrix ``R`` (``U x I``), the bipartite adjacency
over the ``N = U + I`` nodes (users first, then items) is ``A = [[0, R], [R^T, 0]]`` and LightGCN (He et al.
2020, SIGIR) propagates with ``A_hat = D^-1/2 A D^-1/2``, ``D`` the diagonal degree matrix (isolated nodes get
a zero row). ``A_hat`` is symmetric, so it is wrapped in a :class:`~gcl.nn.propagation.PropagationMatrix` with
``symmetric=True``: the backward of ``A_hat @ x`` is one more sparse product with ``A_hat``.

The matrix is assembled directly in CSR form from the interaction CSR, vectorized and without any sort:
the user rows are the interaction CSR itself (column ``U + item``), the item rows are its transpose, read
through a fixed CSR -> CSC permutation computed once per training set. SGL re-weights a sub-graph every
epoch by passing an ``edge_mask`` over the interactions (:func:`interaction_edges` order); that path reuses
the cached permutation, so a new view costs a few ``O(nnz)`` gathers. No dense ``N x N`` matrix is formed.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from gcl.data.interactions import Interactions
from gcl.nn.propagation import PropagationMatrix

__all__ = ["BipartiteGraph", "bipartite_graph", "interaction_edges", "normalized_adjacency"]

# Structures and unmasked adjacencies already built, per training Interactions (weakly keyed: they go away
# with the Interactions object).
_CACHE: weakref.WeakKeyDictionary[Interactions, dict[str, Any]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class BipartiteGraph:
    """The distinct (user, item) edges of a training set with the index maps needed to build ``A_hat``.

    Attributes:
        num_users: ``U``.
        num_items: ``I``.
        user: ``LongTensor [E]`` user of every edge, in CSR order (sorted by user, then item).
        item: ``LongTensor [E]`` item of every edge, same order.
        csc_perm: ``LongTensor [E]`` edge ids sorted by item, then user (the transpose's CSR order).
    """

    num_users: int
    num_items: int
    user: Tensor
    item: Tensor
    csc_perm: Tensor

    @property
    def num_nodes(self) -> int:
        """``U + I``."""
        return self.num_users + self.num_items

    @property
    def num_edges(self) -> int:
        """Distinct interactions ``E``."""
        return int(self.user.numel())


def _as_csr(train: Interactions | sp.spmatrix | sp.sparray, name: str = "train") -> sp.csr_matrix:
    if isinstance(train, Interactions):
        return train.csr()
    if sp.issparse(train):
        if train.ndim != 2:
            raise ValueError(f"{name}: expected a 2-D users x items sparse matrix, got {train.ndim}-D")
        csr = sp.csr_matrix(train)
        csr.sum_duplicates()
        csr.sort_indices()
        if csr.nnz and (csr.data == 0).any():
            csr = csr.copy()
            csr.eliminate_zeros()
        return csr
    raise ValueError(
        f"{name}: expected an Interactions or a users x items scipy sparse matrix, got {type(train).__name__}"
    )


def bipartite_graph(train: Interactions | sp.spmatrix | sp.sparray) -> BipartiteGraph:
    """The distinct training edges and the CSR -> CSC permutation (cached per :class:`Interactions`).

    Args:
        train: Training interactions, or a users x items scipy sparse matrix (nonzeros are edges; values are
            ignored, the graph is binary as in LightGCN).

    Returns:
        A :class:`BipartiteGraph` on the CPU.

    Example:
        >>> inter = Interactions(user=[0, 0, 1], item=[1, 0, 0])
        >>> g = bipartite_graph(inter)
        >>> g.user.tolist(), g.item.tolist(), g.csc_perm.tolist()
        ([0, 0, 1], [0, 1, 0], [0, 2, 1])
    """
    cached = _CACHE.get(train) if isinstance(train, Interactions) else None
    if cached is not None and "graph" in cached:
        return cached["graph"]
    csr = _as_csr(train)
    num_users, num_items = csr.shape
    indptr = np.asarray(csr.indptr, dtype=np.int64)
    item = np.asarray(csr.indices, dtype=np.int64)
    user = np.repeat(np.arange(num_users, dtype=np.int64), np.diff(indptr))
    # Stable sort by item keeps users ascending within an item: the CSR order of R^T.
    csc_perm = np.argsort(item, kind="stable")
    graph = BipartiteGraph(
        num_users=int(num_users),
        num_items=int(num_items),
        user=torch.from_numpy(user),
        item=torch.from_numpy(item),
        csc_perm=torch.from_numpy(csc_perm),
    )
    if isinstance(train, Interactions):
        _CACHE.setdefault(train, {})["graph"] = graph
    return graph


def interaction_edges(train: Interactions | sp.spmatrix | sp.sparray) -> Tensor:
    """The distinct training edges as ``LongTensor [2, E]`` (row 0 users, row 1 items), in CSR order.

    ``edge_mask`` arguments of :func:`normalized_adjacency` are indexed in this order.

    Example:
        >>> interaction_edges(Interactions(user=[1, 0, 0], item=[0, 1, 0])).tolist()
        [[0, 0, 1], [0, 1, 0]]
    """
    graph = bipartite_graph(train)
    return torch.stack([graph.user, graph.item])


def _build(
    graph: BipartiteGraph, edge_mask: Tensor | None, device: torch.device, dtype: torch.dtype
) -> Tensor:
    """CSR tensor of ``D^-1/2 A D^-1/2`` over the kept edges (all edges when ``edge_mask`` is None)."""
    user = graph.user.to(device)
    item = graph.item.to(device)
    perm = graph.csc_perm.to(device)
    U, N = graph.num_users, graph.num_nodes
    if edge_mask is None:
        keep_r = None
        u_r, i_r = user, item
        perm_c = perm
    else:
        keep_r = edge_mask.to(device)
        u_r, i_r = user[keep_r], item[keep_r]
        perm_c = perm[keep_r[perm]]  # kept edges in CSC order
    deg_u = torch.bincount(u_r, minlength=U)
    deg_i = torch.bincount(i_r, minlength=graph.num_items)
    inv_u = deg_u.to(dtype).clamp_min(1).rsqrt()
    inv_i = deg_i.to(dtype).clamp_min(1).rsqrt()
    weight = inv_u[user] * inv_i[item]  # per edge (all edges; only kept ones are read)
    w_r = weight if keep_r is None else weight[keep_r]
    counts = torch.cat([deg_u, deg_i])
    crow = torch.zeros(N + 1, dtype=torch.int64, device=device)
    torch.cumsum(counts, 0, out=crow[1:])
    col = torch.cat([i_r + U, user[perm_c]])
    values = torch.cat([w_r, weight[perm_c]])
    if values.numel() < 2**31 - 1 and N < 2**31 - 1:  # 32-bit indices: a faster CPU product (less traffic)
        crow, col = crow.to(torch.int32), col.to(torch.int32)
    return torch.sparse_csr_tensor(crow, col, values, size=(N, N), device=device, check_invariants=False)


def normalized_adjacency(
    train: Interactions | sp.spmatrix | sp.sparray,
    *,
    edge_mask: Tensor | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> PropagationMatrix:
    r"""LightGCN's propagation matrix :math:`D^{-1/2} A D^{-1/2}` over the ``U + I`` user and item nodes.

    He et al. 2020, "LightGCN: Simplifying and Powering Graph Convolution Network for Recommendation" (SIGIR).
    Node ``u < U`` is user ``u``, node ``U + i`` is item ``i``; ``A`` holds one symmetric pair of entries per
    distinct training interaction. The unmasked matrix is built once per training :class:`Interactions`,
    device and dtype and then served from a cache (the same object is returned: do not modify it).

    Args:
        train: Training interactions, or a users x items scipy sparse matrix (values ignored).
        edge_mask: Optional ``BoolTensor [E]`` marking the *kept* edges, in :func:`interaction_edges` order
            (the ``edge_mask`` returned by :func:`gcl.augment.drop_edge` / :func:`~gcl.augment.drop_node` over
            those edges); degrees are recomputed on the kept sub-graph, as in SGL (Wu et al. 2021, SIGIR).
            Masked adjacencies are not cached.
        device: Where to build the matrix (default: the mask's device, else CPU).
        dtype: Value dtype.

    Returns:
        A symmetric :class:`~gcl.nn.propagation.PropagationMatrix` of shape ``[U + I, U + I]`` (CSR).

    Raises:
        ValueError: ``edge_mask`` is not a bool tensor of shape ``[E]``, or ``train`` is not a matrix.

    Example:
        >>> inter = Interactions(user=[0, 0, 1], item=[0, 1, 0])  # degrees: users 2, 1; items 2, 1
        >>> adj = normalized_adjacency(inter)
        >>> [round(v, 4) for v in adj.matrix.to_dense()[0].tolist()]  # user 0 -> items 0, 1
        [0.0, 0.0, 0.5, 0.7071]
    """
    graph = bipartite_graph(train)
    if edge_mask is not None:
        if (
            not isinstance(edge_mask, Tensor)
            or edge_mask.dtype != torch.bool
            or edge_mask.shape != (graph.num_edges,)
        ):
            shape = tuple(edge_mask.shape) if isinstance(edge_mask, Tensor) else type(edge_mask).__name__
            raise ValueError(
                f"edge_mask: expected a BoolTensor of shape ({graph.num_edges},) (one entry per distinct "
                f"training interaction, in interaction_edges order), got {shape}"
                + (f" with dtype {edge_mask.dtype}" if isinstance(edge_mask, Tensor) else "")
            )
    if device is None:
        device = edge_mask.device if edge_mask is not None else torch.device("cpu")
    device = torch.device(device)
    if edge_mask is not None:
        return PropagationMatrix(_build(graph, edge_mask, device, dtype), symmetric=True)
    key = f"adjacency:{device}:{dtype}"
    cache = _CACHE.setdefault(train, {}) if isinstance(train, Interactions) else None
    if cache is not None and key in cache:
        return cache[key]
    adjacency = PropagationMatrix(_build(graph, None, device, dtype), symmetric=True)
    if cache is not None:
        cache[key] = adjacency
    return adjacency
