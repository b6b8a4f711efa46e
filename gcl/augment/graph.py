"""Topology augmentations: edge dropping, node dropping, edge adding and random-walk subgraphs.

Pure tensor functions over ``edge_index`` (``LongTensor [2, E]``). Each returns the augmented
``edge_index`` together with the mask or index it used, takes an optional explicit
``generator: torch.Generator`` (falling back to the global RNG) and is a no-op when
``training=False`` (or when the drop/add probability is 0).

The sampling is written out with ``torch.rand(..., generator=generator)`` instead of calling
``torch_geometric.utils`` directly, because PyG's functions only use the global RNG. With
``generator=None`` :func:`drop_edge` (``force_undirected=False``) and :func:`drop_node` make the very
same draws as :func:`torch_geometric.utils.dropout_edge` / :func:`~torch_geometric.utils.dropout_node`
and return identical results under the same global seed.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gcl.augment._validate import (
    check_edge_index,
    check_generator,
    check_num_nodes,
    check_probability,
    rand,
    randint,
    randperm,
)

__all__ = ["add_edge", "drop_edge", "drop_node", "random_walk_subgraph"]


def _undirected_pair_ids(edge_index: Tensor) -> tuple[Tensor, int]:
    """Id of the unordered pair ``{u, v}`` of every edge (``(u, v)`` and ``(v, u)`` share one id)."""
    row, col = edge_index
    lo, hi = torch.minimum(row, col), torch.maximum(row, col)
    keys = lo * (hi.max() + 1) + hi
    uniq, pair = torch.unique(keys, return_inverse=True)
    return pair, uniq.numel()


def drop_edge(
    edge_index: Tensor,
    p: float = 0.5,
    *,
    force_undirected: bool = False,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Drop every edge independently with probability ``p`` (GRACE, Zhu et al. 2020, GRL+@ICML).

    Same semantics as :func:`torch_geometric.utils.dropout_edge` (identical draws when
    ``generator`` is ``None`` and ``force_undirected=False``), with an explicit generator.

    With ``force_undirected=True`` one coin is drawn per unordered node pair, so ``(u, v)`` and
    ``(v, u)`` are kept or dropped together. Unlike PyG (which returns edge ids and re-adds the
    reversed edges), the result is always the subset ``edge_index[:, edge_mask]`` of the input; it is
    symmetric whenever the input is.

    Args:
        edge_index: ``LongTensor [2, E]``.
        p: Drop probability in ``[0, 1]``.
        force_undirected: Drop both directions of an undirected edge together.
        training: If ``False``, return the input unchanged with an all-``True`` mask.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(edge_index [2, E'], edge_mask BoolTensor [E])`` with ``edge_index = input[:, edge_mask]``.

    Raises:
        ValueError: If ``p`` is not in ``[0, 1]`` or ``edge_index`` is not ``[2, E]``.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> out, mask = drop_edge(ei, 0.5, generator=torch.Generator().manual_seed(0))
        >>> out.equal(ei[:, mask])
        True
    """
    p = check_probability(p, "p")
    check_edge_index(edge_index)
    check_generator(generator)
    num_edges = edge_index.size(1)
    if not training or p == 0.0 or num_edges == 0:
        return edge_index, torch.ones(num_edges, dtype=torch.bool, device=edge_index.device)
    if force_undirected:
        pair, num_pairs = _undirected_pair_ids(edge_index)
        edge_mask = (rand(num_pairs, generator, edge_index.device) >= p)[pair]
    else:
        edge_mask = rand(num_edges, generator, edge_index.device) >= p
    return edge_index[:, edge_mask], edge_mask


def drop_node(
    edge_index: Tensor,
    p: float,
    num_nodes: int,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Drop every node independently with probability ``p`` by removing all its incident edges.

    Node dropping of GraphCL (You et al. 2020, NeurIPS): a dropped node stays in the graph (its
    features are untouched) but becomes isolated. Equivalent to
    :func:`torch_geometric.utils.dropout_node` (identical draws when ``generator`` is ``None``); the
    induced-edge mask is computed directly, as :func:`torch_geometric.utils.subgraph` does, minus its
    device sync. GraphCL drops an exact ``int(N * p)`` nodes; here the count is Binomial(N, p).

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        p: Drop probability per node in ``[0, 1]``.
        num_nodes: Number of nodes ``N`` (``> 0``).
        training: If ``False``, return the input unchanged with all-``True`` masks.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(edge_index [2, E'], edge_mask BoolTensor [E], node_mask BoolTensor [N])``; ``node_mask``
        marks the kept nodes and ``edge_index = input[:, edge_mask]``.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> out, edge_mask, node_mask = drop_node(ei, 0.0, 3)
        >>> bool(edge_mask.all()), bool(node_mask.all())
        (True, True)
    """
    p = check_probability(p, "p")
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    check_generator(generator)
    device = edge_index.device
    if not training or p == 0.0:
        return (
            edge_index,
            torch.ones(edge_index.size(1), dtype=torch.bool, device=device),
            torch.ones(num_nodes, dtype=torch.bool, device=device),
        )
    node_mask = rand(num_nodes, generator, device) > p
    edge_mask = node_mask[edge_index[0]] & node_mask[edge_index[1]]
    return edge_index[:, edge_mask], edge_mask, node_mask


def _first_unique(keys: Tensor) -> Tensor:
    """Positions of the first occurrence of every distinct key, in order of appearance."""
    if keys.numel() == 0:
        return keys.new_empty(0)
    uniq, inverse = torch.unique(keys, return_inverse=True)
    pos = torch.arange(keys.numel(), device=keys.device)
    first = torch.full((uniq.numel(),), keys.numel(), dtype=torch.long, device=keys.device)
    first.scatter_reduce_(0, inverse, pos, reduce="amin")
    return first.sort().values


def add_edge(
    edge_index: Tensor,
    p: float,
    num_nodes: int,
    *,
    force_undirected: bool = False,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Add ``round(p * E)`` random new edges (GraphCL-style edge perturbation, You et al. 2020).

    Same contract as :func:`torch_geometric.utils.add_random_edge` (which samples with
    :func:`~torch_geometric.utils.negative_sampling` and the global RNG): added edges are distinct,
    are not self-loops and are not already in ``edge_index``. For small or dense graphs
    (``N^2 <= max(4 (E + N), 2^20)``) all candidate pairs are enumerated and a random subset is
    taken (if fewer non-edges exist than requested, all of them are added); otherwise candidates
    are drawn by vectorized rejection sampling, where at least 3/4 of all pairs are valid.

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        p: Ratio of added edges to existing edges, in ``[0, 1]``.
        num_nodes: Number of nodes ``N`` (``> 0``).
        force_undirected: Add ``round(p * E) // 2`` unordered pairs, each in both directions (a pair
            is new only if neither direction exists).
        training: If ``False``, return the input unchanged and no added edges.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(edge_index [2, E + K], added_edges [2, K])`` where the output is
        ``cat([edge_index, added_edges], dim=1)``.

    Example:
        >>> ei = torch.tensor([[0, 1], [1, 0]])
        >>> out, added = add_edge(ei, 1.0, 3, generator=torch.Generator().manual_seed(0))
        >>> added.size(1), out.size(1)
        (2, 4)
    """
    p = check_probability(p, "p")
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    check_generator(generator)
    device = edge_index.device
    edge_index = edge_index.long()
    num_edges = edge_index.size(1)
    want = round(num_edges * p)
    if force_undirected:
        want //= 2
    if not training or want == 0:
        return edge_index, torch.empty((2, 0), dtype=torch.long, device=device)

    n = num_nodes
    row, col = edge_index
    if force_undirected:
        existing = torch.minimum(row, col) * n + torch.maximum(row, col)
        space = n * (n - 1) // 2
    else:
        existing = row * n + col
        space = n * (n - 1)
    existing = existing.unique()

    if n * n <= max(4 * (num_edges + n), 1 << 20):  # small or dense graph: enumerate every candidate pair
        if force_undirected:
            u, v = torch.triu_indices(n, n, 1, device=device)
        else:
            u, v = (
                torch.arange(n, device=device).repeat_interleave(n),
                torch.arange(n, device=device).repeat(n),
            )
            u, v = u[u != v], v[u != v]
        keys = u * n + v
        keys = keys[~torch.isin(keys, existing)]
        keys = keys[randperm(keys.numel(), generator, device)[:want]]
    else:
        valid_frac = max(1.0 - (num_edges + n) / space, 1e-3)
        keys = torch.empty(0, dtype=torch.long, device=device)
        for _ in range(16):  # one round suffices unless we are very unlucky
            m = math.ceil((want - keys.numel()) / valid_frac * 1.2) + 16
            u, v = randint(n, m, generator, device), randint(n, m, generator, device)
            if force_undirected:
                u, v = torch.minimum(u, v), torch.maximum(u, v)
            cand = (u * n + v)[u != v]
            cand = cand[~torch.isin(cand, existing)]
            keys = torch.cat([keys, cand])
            keys = keys[_first_unique(keys)]
            if keys.numel() >= want:
                break
        keys = keys[:want]

    added = torch.stack([keys // n, keys % n])
    if force_undirected:
        added = torch.cat([added, added.flip(0)], dim=1)
    return torch.cat([edge_index, added], dim=1), added


def random_walk_subgraph(
    edge_index: Tensor,
    num_nodes: int,
    *,
    root_ratio: float = 0.1,
    num_roots: int | None = None,
    walk_length: int = 10,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Subgraph induced by the nodes visited by uniform random walks (GraphCL subgraph / GCC views).

    Roots are sampled without replacement; all walks advance together, one vectorized step at a
    time over a CSR view (``rowptr``/``col``) of ``edge_index``. A walk stuck at a node without
    out-edges stays there. The kept edges are those with both ends visited, as
    :func:`torch_geometric.utils.subgraph` (nodes are not relabelled).

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``; walks follow ``row -> col``.
        num_nodes: Number of nodes ``N`` (``> 0``).
        root_ratio: Fraction of nodes used as walk roots, in ``[0, 1]`` (at least one root).
        num_roots: Number of roots in ``[1, N]``; overrides ``root_ratio`` when given.
        walk_length: Number of steps per walk (``>= 0``).
        training: If ``False``, return the input unchanged with all-``True`` masks.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(edge_index [2, E'], edge_mask BoolTensor [E], node_mask BoolTensor [N])`` where
        ``node_mask`` marks visited nodes.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> _, _, node_mask = random_walk_subgraph(ei, 3, num_roots=1, walk_length=0,
        ...                                        generator=torch.Generator().manual_seed(0))
        >>> int(node_mask.sum())
        1
    """
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    check_generator(generator)
    root_ratio = check_probability(root_ratio, "root_ratio")
    if num_roots is None:
        num_roots = max(1, round(root_ratio * num_nodes))
    elif isinstance(num_roots, bool) or not isinstance(num_roots, int) or not 1 <= num_roots <= num_nodes:
        raise ValueError(f"'num_roots' must be an int in [1, {num_nodes}] (got {num_roots!r})")
    if isinstance(walk_length, bool) or not isinstance(walk_length, int) or walk_length < 0:
        raise ValueError(f"'walk_length' must be an int >= 0 (got {walk_length!r})")
    device = edge_index.device
    num_edges = edge_index.size(1)
    if not training:
        return (
            edge_index,
            torch.ones(num_edges, dtype=torch.bool, device=device),
            torch.ones(num_nodes, dtype=torch.bool, device=device),
        )

    cur = randperm(num_nodes, generator, device)[:num_roots]
    node_mask = torch.zeros(num_nodes, dtype=torch.bool, device=device)
    node_mask[cur] = True
    if num_edges > 0 and walk_length > 0:
        row, col = edge_index.long()
        row_sorted, perm = torch.sort(row, stable=True)
        col_sorted = col[perm]
        deg = torch.bincount(row_sorted, minlength=num_nodes)
        rowptr = torch.cumsum(deg, 0) - deg
        for _ in range(walk_length):
            d = deg[cur]
            offset = (rand(num_roots, generator, device) * d).long()
            offset = torch.minimum(offset, (d - 1).clamp(min=0))
            nxt = col_sorted[(rowptr[cur] + offset).clamp(max=num_edges - 1)]
            cur = torch.where(d > 0, nxt, cur)
            node_mask[cur] = True
    edge_mask = node_mask[edge_index[0]] & node_mask[edge_index[1]]
    return edge_index[:, edge_mask], edge_mask, node_mask
