"""Community-strength augmentations of CSGCL (Chen et al. 2023, IJCAI).

CSGCL is "CSGCL: Community-Strength-Enhanced Graph Contrastive Learning".

CSGCL detects communities once, measures each community's strength (its modularity term) and uses
it in two augmentations:

* Communal Edge Dropping (CED): an intra-community edge of community ``c`` weighs ``s_c``, an
  inter-community edge weighs ``-(s_cu + s_cv)``; weights are min-max normalized and the keep
  probability is ``clamp(w / mean(w) * (1 - p), 1 - threshold, 1)``. Inter-community edges and edges
  of weak communities are dropped more.
* Communal Attribute Voting (CAV): every node votes for its feature dimensions with its community's
  strength, ``v_j = sum_i |x_ij| s_{c(i)}``; ``w = log v`` is flipped and min-max normalized,
  ``(max - w) / (max - min)``, and column ``j`` is masked with probability
  ``clamp(w_j / mean(w) * p, 0, threshold)``. Attributes preferred by strong communities are kept.

The formulas follow the authors' reference code (github.com/HanChen-HUST/CSGCL, ``src/functional.py``:
``community_strength``, ``get_edge_weight``, ``ced``, ``cav``; its CLI defaults to ``threshold=1`` for
both, and its README example uses 0.7 for attributes). Non-positive votes are replaced by the largest
vote before the log, as the reference does for zero votes; where all weights are equal (0/0 in the
reference) dropping is uniform. Communities come from networkx's Louvain when networkx is installed
(the reference uses cdlib's Leiden/Louvain), else from a vectorized label-propagation fallback.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gcl.augment._validate import (
    check_edge_index,
    check_features,
    check_generator,
    check_num_nodes,
    check_probability,
    rand,
)
from gcl.augment.feature import apply_feature_mask, is_sparse, sparse_entries

__all__ = [
    "communal_attribute_voting",
    "communal_drop_edge",
    "communal_edge_weights",
    "communal_feature_weights",
    "community_strength",
    "label_propagation_communities",
    "louvain_communities",
]


def _canonical_ids(labels: Tensor) -> Tensor:
    """Relabel communities ``0..C-1`` by decreasing size, ties by smallest member node."""
    _, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    nodes = torch.arange(labels.numel(), device=labels.device)
    first = torch.full_like(counts, labels.numel()).scatter_reduce_(0, inverse, nodes, reduce="amin")
    order = torch.sort(first).indices
    order = order[torch.sort(counts[order], descending=True, stable=True).indices]
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=labels.device)
    return rank[inverse]


def _symmetric_with_self_loops(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor]:
    row, col = edge_index.long()
    loops = torch.arange(num_nodes, device=edge_index.device)
    return torch.cat([row, col, loops]), torch.cat([col, row, loops])


def label_propagation_communities(
    edge_index: Tensor,
    num_nodes: int,
    *,
    max_iter: int = 100,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Communities by vectorized semi-synchronous label propagation (Raghavan et al. 2007, Phys. Rev. E).

    Every node starts in its own community. In each round a random half of the nodes adopt the most
    frequent label among their neighbours and themselves (edges taken as undirected, ties broken at
    random); all nodes move together. Stops when every node already holds one of its most frequent
    labels, or after ``max_iter`` rounds. Used by :func:`louvain_communities` when networkx is absent.

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        num_nodes: Number of nodes ``N`` (``> 0``).
        max_iter: Maximum number of rounds (``>= 1``).
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``LongTensor [N]`` of community ids ``0..C-1``, numbered by decreasing size.

    Example:
        >>> ei = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
        >>> label_propagation_communities(ei, 4, generator=torch.Generator().manual_seed(0))
        tensor([0, 0, 1, 1])
    """
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    check_generator(generator)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"'max_iter' must be an int >= 1 (got {max_iter!r})")
    device = edge_index.device
    src, dst = _symmetric_with_self_loops(edge_index, num_nodes)
    labels = torch.arange(num_nodes, device=device)
    n = num_nodes
    for _ in range(max_iter):
        keys, counts = torch.unique(dst * n + labels[src], return_counts=True)
        node, lab = keys // n, keys % n
        best = torch.zeros(n, dtype=counts.dtype, device=device).scatter_reduce_(
            0, node, counts, reduce="amax"
        )
        own_key = torch.arange(n, device=device) * n + labels
        pos = torch.searchsorted(keys, own_key).clamp(max=keys.numel() - 1)
        own_count = torch.where(keys[pos] == own_key, counts[pos], torch.zeros_like(best))
        if bool((own_count == best).all()):
            break
        score = counts.double() + 0.5 * rand(counts.numel(), generator, device, torch.float64)
        order = torch.sort(score, descending=True).indices
        order = order[torch.sort(node[order], stable=True).indices]
        node_s, lab_s = node[order], lab[order]
        is_first = torch.ones_like(node_s, dtype=torch.bool)
        is_first[1:] = node_s[1:] != node_s[:-1]
        proposal = labels.clone()
        proposal[node_s[is_first]] = lab_s[is_first]
        update = rand(n, generator, device) < 0.5
        labels = torch.where(update, proposal, labels)
    return _canonical_ids(labels)


def louvain_communities(
    edge_index: Tensor,
    num_nodes: int,
    seed: int = 0,
    *,
    resolution: float = 1.0,
) -> Tensor:
    """Louvain communities (Blondel et al. 2008) of the undirected graph, as used by CSGCL.

    Uses :func:`networkx.community.louvain_communities` when networkx is importable (edges taken as
    undirected, isolated nodes become singletons); otherwise falls back to
    :func:`label_propagation_communities` seeded with ``seed``. Runs once per dataset, on the CPU.

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        num_nodes: Number of nodes ``N`` (``> 0``).
        seed: Random seed of the detection.
        resolution: Louvain resolution (``> 0``); larger gives smaller communities.

    Returns:
        ``LongTensor [N]`` of community ids ``0..C-1`` (on ``edge_index``'s device), numbered by
        decreasing size (ties by smallest member node).

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2, 0, 2, 3, 4, 4, 5, 3, 5, 2],
        ...                    [1, 0, 2, 1, 2, 0, 4, 3, 5, 4, 5, 3, 3]])
        >>> louvain_communities(ei, 6, seed=0)
        tensor([0, 0, 0, 1, 1, 1])
    """
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    if not isinstance(resolution, (int, float)) or isinstance(resolution, bool) or not resolution > 0:
        raise ValueError(f"'resolution' must be a number > 0 (got {resolution!r})")
    try:
        import networkx as nx
    except ImportError:
        gen = torch.Generator(device=edge_index.device).manual_seed(seed)
        return label_propagation_communities(edge_index, num_nodes, generator=gen)
    graph = nx.Graph()
    graph.add_nodes_from(range(num_nodes))
    graph.add_edges_from(edge_index.t().cpu().tolist())
    found = nx.community.louvain_communities(graph, resolution=resolution, seed=seed)
    nodes = torch.cat([torch.tensor(sorted(c), dtype=torch.long) for c in found])
    ids = torch.repeat_interleave(torch.arange(len(found)), torch.tensor([len(c) for c in found]))
    labels = torch.empty(num_nodes, dtype=torch.long)
    labels[nodes] = ids
    return _canonical_ids(labels).to(edge_index.device)


def _check_communities(communities: object, name: str = "communities") -> int:
    if not isinstance(communities, Tensor) or communities.dim() != 1:
        raise ValueError(f"'{name}' must be a 1-D LongTensor [N] of community ids")
    if communities.is_floating_point() or communities.dtype == torch.bool:
        raise ValueError(f"'{name}' must hold integer community ids (got dtype {communities.dtype})")
    if communities.numel() == 0:
        raise ValueError(f"'{name}' must not be empty")
    if bool(communities.min() < 0):
        raise ValueError(f"'{name}' must hold non-negative community ids")
    return communities.numel()


def _check_strength(strength: object, communities: Tensor) -> None:
    if not isinstance(strength, Tensor) or strength.dim() != 1 or not strength.is_floating_point():
        raise ValueError("'strength' must be a 1-D floating tensor [C] (one value per community)")
    if bool(communities.max() >= strength.numel()):
        raise ValueError(
            f"'strength' has {strength.numel()} entries but 'communities' holds id {int(communities.max())}"
        )
    if not bool(torch.isfinite(strength).all()):
        raise ValueError("'strength' must be finite")


def community_strength(edge_index: Tensor, communities: Tensor) -> Tensor:
    """Strength of every community: its term of Newman's modularity, as CSGCL defines it.

    ``s_c = L_c / m - (d_c / 2m)^2`` where, on the undirected simple graph (``(u, v)`` and ``(v, u)``
    merged), ``m`` is the number of edges, ``L_c`` the number of edges inside ``c`` and ``d_c`` the
    total degree of ``c`` (a self-loop counts once in ``m`` and ``L_c``, twice in the degree, like
    networkx). The strengths sum to the modularity of the partition. A node's strength is
    ``strength[communities]``.

    Args:
        edge_index: ``LongTensor [2, E]`` (``E > 0``) with ids in ``[0, N)``.
        communities: ``LongTensor [N]`` of community ids ``>= 0``.

    Returns:
        ``FloatTensor [C]`` with ``C = communities.max() + 1`` (absent ids get 0).

    Example:
        >>> ei = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
        >>> community_strength(ei, torch.tensor([0, 0, 1, 1]))
        tensor([0.2500, 0.2500])
    """
    num_nodes = _check_communities(communities)
    check_edge_index(edge_index, num_nodes)
    row, col = edge_index.long()
    lo, hi = torch.minimum(row, col), torch.maximum(row, col)
    keys = torch.unique(lo * num_nodes + hi)
    if keys.numel() == 0:
        raise ValueError("'edge_index' must hold at least one edge: a graph without edges has no communities")
    lo, hi = keys // num_nodes, keys % num_nodes
    m = float(keys.numel())
    comm = communities.long()
    num_comms = int(comm.max()) + 1
    deg = torch.bincount(lo, minlength=num_nodes) + torch.bincount(hi, minlength=num_nodes)
    total_deg = torch.zeros(num_comms, dtype=torch.float64, device=comm.device).index_add_(
        0, comm, deg.double()
    )
    inside = comm[lo] == comm[hi]
    internal = torch.bincount(comm[lo][inside], minlength=num_comms).double()
    return (internal / m - (total_deg / (2.0 * m)) ** 2).float()


def _minmax(w: Tensor) -> Tensor:
    lo, hi = w.min(), w.max()
    span = hi - lo
    safe = torch.where(span > 0, span, torch.ones_like(span))
    return torch.where(span > 0, (w - lo) / safe, torch.ones_like(w))


def communal_edge_weights(edge_index: Tensor, communities: Tensor, strength: Tensor) -> Tensor:
    """CSGCL edge weights: ``s_c`` inside community ``c``, ``-(s_cu + s_cv)`` across, min-max normalized.

    Args:
        edge_index: ``LongTensor [2, E]`` (``E > 0``) with ids in ``[0, N)``.
        communities: ``LongTensor [N]`` of community ids.
        strength: ``FloatTensor [C]`` from :func:`community_strength`.

    Returns:
        ``FloatTensor [E]`` in ``[0, 1]`` (all ones if every edge weighs the same); larger = kept more.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> communal_edge_weights(ei, torch.tensor([0, 0, 1]), torch.tensor([0.2, 0.1]))
        tensor([1., 1., 0., 0.])
    """
    num_nodes = _check_communities(communities)
    _check_strength(strength, communities)
    check_edge_index(edge_index, num_nodes)
    if edge_index.size(1) == 0:
        raise ValueError("'edge_index' must hold at least one edge")
    cu, cv = communities[edge_index[0]], communities[edge_index[1]]
    su, sv = strength[cu], strength[cv]
    return _minmax(torch.where(cu == cv, su, -(su + sv)))


def communal_drop_edge(
    edge_index: Tensor,
    communities: Tensor,
    strength: Tensor,
    p: float,
    threshold: float = 1.0,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Communal Edge Dropping (CSGCL): keep an edge with ``clamp(w / mean(w) * (1 - p), 1 - threshold, 1)``.

    ``w`` from :func:`communal_edge_weights`: inter-community edges and edges of weak communities
    are dropped more; the average keep rate is about ``1 - p``. ``threshold`` caps the drop
    probability (the reference default 1 lets the lowest-weight edges always be dropped).

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, N)``.
        communities: ``LongTensor [N]`` of community ids.
        strength: ``FloatTensor [C]`` from :func:`community_strength`.
        p: Average drop probability in ``[0, 1]``.
        threshold: Largest drop probability of any edge, in ``[0, 1]``.
        training: If ``False``, return the input unchanged with an all-``True`` mask.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(edge_index [2, E'], edge_mask BoolTensor [E])`` with ``edge_index = input[:, edge_mask]``.

    Example:
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> _, mask = communal_drop_edge(ei, torch.tensor([0, 0, 1]), torch.tensor([0.2, 0.1]), 0.5,
        ...                              generator=torch.Generator().manual_seed(0))
        >>> mask.tolist()  # the two inter-community edges are dropped
        [True, True, False, False]
    """
    p = check_probability(p, "p")
    threshold = check_probability(threshold, "threshold")
    check_generator(generator)
    weights = communal_edge_weights(edge_index, communities, strength)
    num_edges = edge_index.size(1)
    if not training or p == 0.0:
        return edge_index, torch.ones(num_edges, dtype=torch.bool, device=edge_index.device)
    keep = (weights / weights.mean() * (1.0 - p)).clamp(min=1.0 - threshold, max=1.0)
    edge_mask = rand(num_edges, generator, edge_index.device, keep.dtype) < keep
    return edge_index[:, edge_mask], edge_mask


def communal_feature_weights(x: Tensor, communities: Tensor, strength: Tensor) -> Tensor:
    """CSGCL attribute-voting weights: ``w = log v``, flipped and min-max normalized to ``[0, 1]``.

    Votes are ``v_j = sum_i |x_ij| s_{c(i)}``. Non-positive votes are replaced by the largest vote
    (the reference does so for zero votes).

    Args:
        x: Features ``[N, F]``, dense or sparse COO/CSR.
        communities: ``LongTensor [N]`` of community ids.
        strength: ``FloatTensor [C]`` from :func:`community_strength`.

    Returns:
        ``FloatTensor [F]`` in ``[0, 1]``, ``(max(w) - w) / (max(w) - min(w))`` (all ones if every
        vote is equal); larger = masked more.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> communal_feature_weights(x, torch.tensor([0, 1]), torch.tensor([0.3, 0.1]))
        tensor([0., 1.])
    """
    check_features(x)
    num_nodes = _check_communities(communities)
    _check_strength(strength, communities)
    if num_nodes != x.size(0):
        raise ValueError(f"'communities' has {num_nodes} entries but 'x' has {x.size(0)} rows")
    if x.size(1) == 0:
        raise ValueError("'x' must have at least one feature column")
    node_strength = strength[communities].double()
    if is_sparse(x):
        row, col, values = sparse_entries(x)
        votes = torch.zeros(x.size(1), dtype=torch.float64, device=x.device).index_add_(
            0, col, values.abs().double() * node_strength[row]
        )
    else:
        votes = x.abs().double().t() @ node_strength
    top = votes.max()
    fallback = torch.where(top > 0, top, torch.ones_like(top))
    score = torch.log(torch.where(votes > 0, votes, fallback))
    return _minmax(-score).float()


def communal_attribute_voting(
    x: Tensor,
    communities: Tensor,
    strength: Tensor,
    p: float,
    threshold: float = 0.7,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Communal Attribute Voting (CSGCL): mask column ``j`` with ``clamp(w_j / mean(w) * p, 0, threshold)``.

    ``w`` from :func:`communal_feature_weights`: attributes preferred by strong communities are
    masked less. One mask over feature dimensions, shared by all nodes.

    Args:
        x: Features ``[N, F]``, dense or sparse COO/CSR (masked by scaling stored values).
        communities: ``LongTensor [N]`` of community ids.
        strength: ``FloatTensor [C]`` from :func:`community_strength`.
        p: Average masking probability in ``[0, 1]``.
        threshold: Largest masking probability of any column, in ``[0, 1]``.
        training: If ``False``, return ``x`` unchanged with an all-``True`` mask.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(x_masked [N, F], feat_mask BoolTensor [1, F])``, ``True`` where kept.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> _, mask = communal_attribute_voting(x, torch.tensor([0, 1]), torch.tensor([0.3, 0.1]), 0.0)
        >>> mask.tolist()
        [[True, True]]
    """
    p = check_probability(p, "p")
    threshold = check_probability(threshold, "threshold")
    check_generator(generator)
    weights = communal_feature_weights(x, communities, strength)
    if not training or p == 0.0:
        return x, torch.ones((1, x.size(1)), dtype=torch.bool, device=x.device)
    prob = (weights / weights.mean() * p).clamp(min=0.0, max=threshold)
    mask = (rand(x.size(1), generator, x.device, prob.dtype) >= prob).view(1, -1)
    return apply_feature_mask(x, mask), mask
