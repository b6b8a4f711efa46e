"""Centrality-adaptive augmentations of GCA (Zhu et al. 2021, WWW).

GCA is "Graph Contrastive Learning with Adaptive Augmentation".

GCA drops unimportant edges and feature dimensions more often than important ones. Importance is a
node centrality (degree, PageRank or eigenvector), computed here in torch by vectorized power
iteration (no networkx). The formulas follow the authors' reference code (``pGRACE/functional.py``):

* edge weight: ``s_uv = log(1 + c_v)`` for the target ``v``, ``w_uv = (s_max - s_uv) / (s_max - mean(s))``;
* feature weight: ``s_j = log(1 + sum_i |x_ij| c_i)`` (``x`` binarized for bag-of-words features),
  ``w_j = (s_max - s_j) / (s_max - mean(s))``;
* drop probability: ``min(w / mean(w) * p, threshold)``; GCA's weights have mean 1, so this is
  ``min(w * p, threshold)``.

Where every score is equal (``s_max == mean(s)``, which yields 0/0 in the reference code), the
weights are all 1, i.e. uniform dropping with probability ``p``.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor
from torch_geometric.utils import degree, to_undirected

from gcl.augment._validate import (
    check_edge_index,
    check_features,
    check_generator,
    check_node_vector,
    check_num_nodes,
    check_probability,
    rand,
)
from gcl.augment.feature import apply_feature_mask, is_sparse, sparse_entries

__all__ = [
    "adaptive_drop_edge",
    "adaptive_mask_feature",
    "centrality",
    "edge_drop_weights",
    "feature_drop_weights",
]


def centrality(
    edge_index: Tensor,
    num_nodes: int,
    kind: Literal["degree", "pagerank", "eigenvector"] = "degree",
    *,
    damping: float = 0.85,
    num_iters: int = 10,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> Tensor:
    """Node centrality used by GCA to weight its augmentations.

    * ``"degree"``: degree in the undirected version of the graph (duplicates merged), as GCA's
      ``degree(to_undirected(edge_index)[1])``; uses PyG's :func:`~torch_geometric.utils.to_undirected`
      and :func:`~torch_geometric.utils.degree`.
    * ``"pagerank"``: GCA's ``compute_pr``: start from ones and run ``num_iters`` steps of
      ``x <- (1 - damping) x + damping A^T D_out^{-1} x`` over the directed edges.
    * ``"eigenvector"``: the leading left eigenvector of the adjacency (``x_i = sum_{j->i} x_j``, as
      networkx's ``eigenvector_centrality_numpy`` that GCA calls), by power iteration on ``A^T + I``
      (same eigenvector, guaranteed to converge on connected graphs), L2-normalized and clamped to
      be non-negative. Stops when ``sum |x_k - x_{k-1}| < N * tol`` or after ``max_iter`` steps.

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        num_nodes: Number of nodes ``N`` (``> 0``).
        kind: ``"degree"``, ``"pagerank"`` or ``"eigenvector"``.
        damping: PageRank damping factor in ``[0, 1]``.
        num_iters: PageRank iterations (GCA uses 10).
        max_iter: Maximum eigenvector power iterations.
        tol: Eigenvector convergence tolerance per node.

    Returns:
        ``FloatTensor [N]`` of non-negative centralities.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> centrality(ei, 3, "degree")
        tensor([1., 2., 1.])
    """
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    device = edge_index.device
    row, col = edge_index.long()
    if kind == "degree":
        und = to_undirected(edge_index.long(), num_nodes=num_nodes)
        return degree(und[1], num_nodes=num_nodes, dtype=torch.float)
    if kind == "pagerank":
        damping = check_probability(damping, "damping")
        if isinstance(num_iters, bool) or not isinstance(num_iters, int) or num_iters < 0:
            raise ValueError(f"'num_iters' must be an int >= 0 (got {num_iters!r})")
        deg_out = degree(row, num_nodes=num_nodes, dtype=torch.float)
        inv_deg = deg_out.reciprocal()[row]
        x = torch.ones(num_nodes, device=device)
        for _ in range(num_iters):
            agg = torch.zeros(num_nodes, device=device).index_add_(0, col, x[row] * inv_deg)
            x = (1.0 - damping) * x + damping * agg
        return x
    if kind == "eigenvector":
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
            raise ValueError(f"'max_iter' must be an int >= 1 (got {max_iter!r})")
        x = torch.full((num_nodes,), 1.0 / num_nodes, dtype=torch.float64, device=device)
        for _ in range(max_iter):
            nxt = x.clone().index_add_(0, col, x[row])
            nxt = nxt / nxt.norm()
            done = bool((nxt - x).abs().sum() < num_nodes * tol)
            x = nxt
            if done:
                break
        return x.clamp(min=0.0).float()
    raise ValueError(f"'kind' must be 'degree', 'pagerank' or 'eigenvector' (got {kind!r})")


def _normalized_drop_weights(score: Tensor) -> Tensor:
    """``(s_max - s) / (s_max - mean(s))``, or all ones where every score is equal."""
    s_max = score.max()
    denom = s_max - score.mean()
    safe = torch.where(denom > 0, denom, torch.ones_like(denom))
    return torch.where(denom > 0, (s_max - score) / safe, torch.ones_like(score))


def edge_drop_weights(edge_index: Tensor, centrality: Tensor) -> Tensor:
    """GCA edge drop weights from a node centrality of the edge targets.

    ``s_uv = log(1 + c_v)``, ``w_uv = (s_max - s_uv) / (s_max - mean(s))``: edges into central nodes
    get small weights (dropped less). The weights have mean 1.

    Args:
        edge_index: ``LongTensor [2, E]`` (``E > 0``) with ids in ``[0, N)``.
        centrality: Non-negative node centrality ``[N]``, e.g. from :func:`centrality`.

    Returns:
        ``FloatTensor [E]`` of non-negative weights.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> edge_drop_weights(ei, torch.tensor([1.0, 2.0, 1.0]))
        tensor([0., 2., 2., 0.])
    """
    if not isinstance(centrality, Tensor) or centrality.dim() != 1:
        raise ValueError("'centrality' must be a 1-D tensor [N]")
    check_node_vector(centrality, centrality.numel(), "centrality")
    check_edge_index(edge_index, centrality.numel())
    if edge_index.size(1) == 0:
        raise ValueError("'edge_index' must hold at least one edge")
    score = torch.log1p(centrality[edge_index[1]].float())
    return _normalized_drop_weights(score)


def feature_drop_weights(x: Tensor, centrality: Tensor, *, binarize: bool = True) -> Tensor:
    """GCA feature drop weights: dimensions used by central nodes get small weights.

    ``s_j = log(1 + sum_i f(x_ij) c_i)`` with ``f(x) = 1[x != 0]`` (``binarize=True``, GCA's
    ``feature_drop_weights`` for bag-of-words features) or ``f(x) = |x|`` (``binarize=False``, GCA's
    ``feature_drop_weights_dense``), then ``w_j = (s_max - s_j) / (s_max - mean(s))``.

    Args:
        x: Features ``[N, F]``, dense or sparse COO/CSR.
        centrality: Non-negative node centrality ``[N]``.
        binarize: Count non-zeros (``True``) or sum magnitudes (``False``).

    Returns:
        ``FloatTensor [F]`` of non-negative weights with mean 1.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> feature_drop_weights(x, torch.tensor([1.0, 1.0]))
        tensor([0., 2.])
    """
    check_features(x)
    check_node_vector(centrality, x.size(0), "centrality")
    if x.size(1) == 0:
        raise ValueError("'x' must have at least one feature column")
    c = centrality.float()
    if is_sparse(x):
        row, col, values = sparse_entries(x)
        v = (values != 0).float() if binarize else values.abs().float()
        usage = torch.zeros(x.size(1), device=x.device).index_add_(0, col, v * c[row])
    else:
        v = (x != 0).float() if binarize else x.abs().float()
        usage = v.t() @ c
    return _normalized_drop_weights(torch.log1p(usage))


def _drop_probability(weights: Tensor, p: float, threshold: float) -> Tensor:
    mean = weights.mean()
    rel = torch.where(mean > 0, weights / torch.where(mean > 0, mean, torch.ones_like(mean)), 1.0)
    return (rel * p).clamp(max=threshold)


def adaptive_drop_edge(
    edge_index: Tensor,
    weights: Tensor,
    p: float,
    threshold: float = 0.7,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Drop each edge with probability ``min(w_uv / mean(w) * p, threshold)`` (GCA).

    GCA's ``drop_edge_weighted``; with weights from :func:`edge_drop_weights` (mean 1) the
    probability is ``min(w_uv * p, threshold)``. GCA trains with ``threshold=0.7``.

    Args:
        edge_index: ``LongTensor [2, E]``.
        weights: Non-negative edge weights ``[E]``, e.g. from :func:`edge_drop_weights`.
        p: Average drop probability in ``[0, 1]``.
        threshold: Cap on any edge's drop probability, in ``[0, 1]``.
        training: If ``False``, return the input unchanged with an all-``True`` mask.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(edge_index [2, E'], edge_mask BoolTensor [E])`` with ``edge_index = input[:, edge_mask]``.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> out, mask = adaptive_drop_edge(ei, torch.tensor([0.0, 2.0, 2.0, 0.0]), 0.3,
        ...                                generator=torch.Generator().manual_seed(0))
        >>> bool(mask[0] and mask[3])  # zero weight: never dropped
        True
    """
    p = check_probability(p, "p")
    threshold = check_probability(threshold, "threshold")
    check_edge_index(edge_index)
    check_node_vector(weights, edge_index.size(1), "weights")
    check_generator(generator)
    num_edges = edge_index.size(1)
    if not training or p == 0.0 or num_edges == 0:
        return edge_index, torch.ones(num_edges, dtype=torch.bool, device=edge_index.device)
    prob = _drop_probability(weights, p, threshold)
    edge_mask = rand(num_edges, generator, edge_index.device, prob.dtype) >= prob
    return edge_index[:, edge_mask], edge_mask


def adaptive_mask_feature(
    x: Tensor,
    weights: Tensor,
    p: float,
    threshold: float = 0.7,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Mask each feature column with probability ``min(w_j / mean(w) * p, threshold)`` (GCA).

    GCA's ``drop_feature_weighted_2``: one mask over feature dimensions shared by all nodes.

    Args:
        x: Features ``[N, F]``, dense or sparse COO/CSR (masked by scaling stored values).
        weights: Non-negative feature weights ``[F]``, e.g. from :func:`feature_drop_weights`.
        p: Average masking probability in ``[0, 1]``.
        threshold: Cap on any column's masking probability, in ``[0, 1]``.
        training: If ``False``, return ``x`` unchanged with an all-``True`` mask.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(x_masked [N, F], feat_mask BoolTensor [1, F])``, ``True`` where kept.

    Example:
        >>> x = torch.ones(2, 3)
        >>> out, mask = adaptive_mask_feature(x, torch.ones(3), 0.0)
        >>> bool(mask.all())
        True
    """
    p = check_probability(p, "p")
    threshold = check_probability(threshold, "threshold")
    check_features(x)
    check_node_vector(weights, x.size(1), "weights")
    check_generator(generator)
    if not training or p == 0.0:
        return x, torch.ones((1, x.size(1)), dtype=torch.bool, device=x.device)
    prob = _drop_probability(weights, p, threshold)
    mask = (rand(x.size(1), generator, x.device, prob.dtype) >= prob).view(1, -1)
    return apply_feature_mask(x, mask), mask
