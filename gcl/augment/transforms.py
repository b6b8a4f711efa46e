"""Thin :class:`torch_geometric.transforms.BaseTransform` wrappers over the tensor augmentations.

Each transform returns a shallow copy of the input :class:`~torch_geometric.data.Data` (the input is
never modified; unchanged tensors are shared) and records what it used on the output:

* ``edge_mask`` (``BoolTensor [E_in]``): which input edges were kept;
* ``node_mask`` (``BoolTensor [N]``): which nodes were kept / visited;
* ``feat_mask`` (``BoolTensor [1, F]`` or as :func:`~gcl.augment.feature.mask_feature`): kept features;
* ``added_edges`` (``LongTensor [2, K]``): edges appended by :class:`AddEdge`.

Masks are relative to that transform's input; in a :class:`~gcl.augment.compose.Compose` a later
transform of the same kind overwrites them. When edges are dropped, edge-aligned attributes (keys
named ``edge_*`` whose first dimension is ``E``, e.g. ``edge_attr``, ``edge_weight``,
``edge_drop_weights``) are filtered with the same mask.

Expensive deterministic inputs can be precomputed on the data once and are then reused:
``edge_drop_weights`` / ``feature_drop_weights`` for the GCA transforms, ``communities`` /
``community_strength`` for the CSGCL transforms (see :class:`DetectCommunities`).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from gcl.augment._validate import check_generator, check_probability
from gcl.augment.adaptive import (
    adaptive_drop_edge,
    adaptive_mask_feature,
    centrality,
    edge_drop_weights,
    feature_drop_weights,
)
from gcl.augment.community import (
    communal_attribute_voting,
    communal_drop_edge,
    community_strength,
    louvain_communities,
)
from gcl.augment.diffusion import heat_diffusion, ppr_diffusion
from gcl.augment.feature import mask_feature
from gcl.augment.graph import add_edge, drop_edge, drop_node, random_walk_subgraph

__all__ = [
    "AdaptiveDropEdge",
    "AdaptiveMaskFeature",
    "AddEdge",
    "CommunalAttributeVoting",
    "CommunalDropEdge",
    "DetectCommunities",
    "Diffusion",
    "DropEdge",
    "DropNode",
    "MaskFeature",
    "RandomWalkSubgraph",
]

Centrality = Literal["degree", "pagerank", "eigenvector"]
_RECORDS = ("edge_mask", "node_mask", "feat_mask", "added_edges")


def _edge_aligned_keys(data: Data) -> list[str]:
    num_edges = data.edge_index.size(1)
    return [
        key
        for key in data.keys()
        if key != "edge_index"
        and key not in _RECORDS
        and key.startswith("edge_")
        and isinstance(data[key], Tensor)
        and data[key].dim() > 0
        and data[key].size(0) == num_edges
    ]


def _keep_edges(data: Data, edge_index: Tensor, edge_mask: Tensor) -> Data:
    """Shallow copy of ``data`` with ``edge_index`` replaced and edge-aligned attributes filtered."""
    out = copy.copy(data)
    for key in _edge_aligned_keys(data):
        out[key] = data[key][edge_mask]
    out.edge_index = edge_index
    out.edge_mask = edge_mask
    return out


def _require(data: Data, *keys: str) -> None:
    for key in keys:
        if getattr(data, key, None) is None:
            raise ValueError(f"the Data object has no '{key}' attribute, which this transform needs")


class _Seeded(BaseTransform):
    def __init__(self, generator: torch.Generator | None) -> None:
        check_generator(generator)
        self.generator = generator

    def _args(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{self.__class__.__name__}({args})"


class DropEdge(_Seeded):
    """Drop edges with probability ``p`` (:func:`~gcl.augment.graph.drop_edge`); records ``edge_mask``.

    Args:
        p: Drop probability in ``[0, 1]``.
        force_undirected: Keep or drop both directions of an edge together.
        generator: Optional random generator; the global RNG when ``None``.

    Example:
        >>> data = Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=2)
        >>> out = DropEdge(0.0)(data)
        >>> out.edge_mask.tolist()
        [True, True]
    """

    def __init__(self, p: float, *, force_undirected: bool = False, generator: torch.Generator | None = None):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        self.force_undirected = force_undirected

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "force_undirected": self.force_undirected}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with edges dropped."""
        _require(data, "edge_index")
        edge_index, mask = drop_edge(
            data.edge_index, self.p, force_undirected=self.force_undirected, generator=self.generator
        )
        return _keep_edges(data, edge_index, mask)


class DropNode(_Seeded):
    """Isolate nodes with probability ``p`` (:func:`~gcl.augment.graph.drop_node`, GraphCL).

    Records ``edge_mask`` and ``node_mask``; features are untouched.

    Args:
        p: Drop probability per node in ``[0, 1]``.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(self, p: float, *, generator: torch.Generator | None = None):
        super().__init__(generator)
        self.p = check_probability(p, "p")

    def _args(self) -> dict[str, Any]:
        return {"p": self.p}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` without the dropped nodes' edges."""
        _require(data, "edge_index")
        edge_index, edge_mask, node_mask = drop_node(
            data.edge_index, self.p, data.num_nodes, generator=self.generator
        )
        out = _keep_edges(data, edge_index, edge_mask)
        out.node_mask = node_mask
        return out


class AddEdge(_Seeded):
    """Add ``round(p * E)`` random new edges (:func:`~gcl.augment.graph.add_edge`); records ``added_edges``.

    Refuses graphs with other edge-aligned attributes (``edge_attr``, ``edge_weight``, ...), which
    the new edges would have no values for.

    Args:
        p: Ratio of added to existing edges, in ``[0, 1]``.
        force_undirected: Add each new edge in both directions.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(self, p: float, *, force_undirected: bool = False, generator: torch.Generator | None = None):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        self.force_undirected = force_undirected

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "force_undirected": self.force_undirected}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with random edges appended."""
        _require(data, "edge_index")
        aligned = _edge_aligned_keys(data)
        if aligned:
            raise ValueError(f"AddEdge cannot invent values for edge attributes {sorted(aligned)}")
        edge_index, added = add_edge(
            data.edge_index,
            self.p,
            data.num_nodes,
            force_undirected=self.force_undirected,
            generator=self.generator,
        )
        out = copy.copy(data)
        out.edge_index = edge_index
        out.added_edges = added
        return out


class RandomWalkSubgraph(_Seeded):
    """Keep the subgraph induced by random-walk visits (:func:`~gcl.augment.graph.random_walk_subgraph`).

    Records ``edge_mask`` and ``node_mask`` (visited nodes); nodes are not relabelled.

    Args:
        root_ratio: Fraction of nodes used as roots.
        num_roots: Number of roots (overrides ``root_ratio``).
        walk_length: Steps per walk.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(
        self,
        root_ratio: float = 0.1,
        *,
        num_roots: int | None = None,
        walk_length: int = 10,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator)
        self.root_ratio = check_probability(root_ratio, "root_ratio")
        self.num_roots = num_roots
        self.walk_length = walk_length

    def _args(self) -> dict[str, Any]:
        return {"root_ratio": self.root_ratio, "num_roots": self.num_roots, "walk_length": self.walk_length}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` restricted to the visited subgraph's edges."""
        _require(data, "edge_index")
        edge_index, edge_mask, node_mask = random_walk_subgraph(
            data.edge_index,
            data.num_nodes,
            root_ratio=self.root_ratio,
            num_roots=self.num_roots,
            walk_length=self.walk_length,
            generator=self.generator,
        )
        out = _keep_edges(data, edge_index, edge_mask)
        out.node_mask = node_mask
        return out


class MaskFeature(_Seeded):
    """Mask ``data.x`` with probability ``p`` (:func:`~gcl.augment.feature.mask_feature`).

    Records ``feat_mask``.

    Args:
        p: Masking probability in ``[0, 1]``.
        mode: ``"col"`` (GRACE), ``"row"`` or ``"all"``.
        fill_value: Value of masked entries.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(
        self,
        p: float,
        *,
        mode: Literal["col", "row", "all"] = "col",
        fill_value: float = 0.0,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        if mode not in ("col", "row", "all"):
            raise ValueError(f"'mode' must be 'col', 'row' or 'all' (got {mode!r})")
        self.mode = mode
        self.fill_value = fill_value

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "mode": self.mode}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with masked features."""
        _require(data, "x")
        out = copy.copy(data)
        out.x, out.feat_mask = mask_feature(
            data.x, self.p, mode=self.mode, fill_value=self.fill_value, generator=self.generator
        )
        return out


class AdaptiveDropEdge(_Seeded):
    """GCA centrality-adaptive edge dropping (:func:`~gcl.augment.adaptive.adaptive_drop_edge`).

    Uses ``data.edge_drop_weights`` if present, else computes
    ``edge_drop_weights(edge_index, centrality(edge_index, N, kind))`` on every call.

    Args:
        p: Average drop probability.
        threshold: Cap on any edge's drop probability (GCA: 0.7).
        centrality: ``"degree"``, ``"pagerank"`` or ``"eigenvector"``.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(
        self,
        p: float,
        threshold: float = 0.7,
        *,
        centrality: Centrality = "degree",
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        self.threshold = check_probability(threshold, "threshold")
        if centrality not in ("degree", "pagerank", "eigenvector"):
            raise ValueError(
                f"'centrality' must be 'degree', 'pagerank' or 'eigenvector' (got {centrality!r})"
            )
        self.centrality = centrality

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "threshold": self.threshold, "centrality": self.centrality}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with edges dropped adaptively."""
        _require(data, "edge_index")
        weights = getattr(data, "edge_drop_weights", None)
        if weights is None:
            node_c = centrality(data.edge_index, data.num_nodes, self.centrality)
            weights = edge_drop_weights(data.edge_index, node_c)
        edge_index, mask = adaptive_drop_edge(
            data.edge_index, weights, self.p, self.threshold, generator=self.generator
        )
        return _keep_edges(data, edge_index, mask)


class AdaptiveMaskFeature(_Seeded):
    """GCA centrality-adaptive feature masking (:func:`~gcl.augment.adaptive.adaptive_mask_feature`).

    Uses ``data.feature_drop_weights`` if present, else computes
    ``feature_drop_weights(x, centrality(edge_index, N, kind), binarize=binarize)`` on every call.

    Args:
        p: Average masking probability.
        threshold: Cap on any column's masking probability (GCA: 0.7).
        centrality: ``"degree"``, ``"pagerank"`` or ``"eigenvector"``.
        binarize: Count non-zero entries (bag-of-words) instead of magnitudes.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(
        self,
        p: float,
        threshold: float = 0.7,
        *,
        centrality: Centrality = "degree",
        binarize: bool = True,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        self.threshold = check_probability(threshold, "threshold")
        if centrality not in ("degree", "pagerank", "eigenvector"):
            raise ValueError(
                f"'centrality' must be 'degree', 'pagerank' or 'eigenvector' (got {centrality!r})"
            )
        self.centrality = centrality
        self.binarize = binarize

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "threshold": self.threshold, "centrality": self.centrality}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with feature columns masked adaptively."""
        _require(data, "x")
        weights = getattr(data, "feature_drop_weights", None)
        if weights is None:
            _require(data, "edge_index")
            node_c = centrality(data.edge_index, data.num_nodes, self.centrality)
            weights = feature_drop_weights(data.x, node_c, binarize=self.binarize)
        out = copy.copy(data)
        out.x, out.feat_mask = adaptive_mask_feature(
            data.x, weights, self.p, self.threshold, generator=self.generator
        )
        return out


class DetectCommunities(BaseTransform):
    """Annotate ``data.communities`` (Louvain) and ``data.community_strength`` for the CSGCL transforms.

    Deterministic for a given ``seed``: use it as a ``pre_transform`` or apply it once.

    Args:
        seed: Seed of the community detection.
        resolution: Louvain resolution.
    """

    def __init__(self, seed: int = 0, *, resolution: float = 1.0):
        self.seed = seed
        self.resolution = resolution

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with ``communities`` and ``community_strength``."""
        _require(data, "edge_index")
        out = copy.copy(data)
        out.communities = louvain_communities(
            data.edge_index, data.num_nodes, self.seed, resolution=self.resolution
        )
        out.community_strength = community_strength(data.edge_index, out.communities)
        return out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(seed={self.seed}, resolution={self.resolution})"


def _with_communities(data: Data, seed: int) -> Data:
    if (
        getattr(data, "communities", None) is not None
        and getattr(data, "community_strength", None) is not None
    ):
        return copy.copy(data)
    return DetectCommunities(seed)(data)


class CommunalDropEdge(_Seeded):
    """CSGCL Communal Edge Dropping (:func:`~gcl.augment.community.communal_drop_edge`).

    Uses ``data.communities`` / ``data.community_strength`` if present, else detects them (Louvain,
    ``seed``) and stores them on the output. Records ``edge_mask``.

    Args:
        p: Average drop probability.
        threshold: Largest drop probability of any edge (reference default 1).
        seed: Seed of the community detection, when it has to run.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(
        self,
        p: float,
        threshold: float = 1.0,
        *,
        seed: int = 0,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        self.threshold = check_probability(threshold, "threshold")
        self.seed = seed

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "threshold": self.threshold}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with edges dropped by community strength."""
        _require(data, "edge_index")
        data = _with_communities(data, self.seed)
        edge_index, mask = communal_drop_edge(
            data.edge_index,
            data.communities,
            data.community_strength,
            self.p,
            self.threshold,
            generator=self.generator,
        )
        return _keep_edges(data, edge_index, mask)


class CommunalAttributeVoting(_Seeded):
    """CSGCL Communal Attribute Voting (:func:`~gcl.augment.community.communal_attribute_voting`).

    Uses ``data.communities`` / ``data.community_strength`` if present, else detects them (Louvain,
    ``seed``) and stores them on the output. Records ``feat_mask``.

    Args:
        p: Average masking probability.
        threshold: Largest masking probability of any column.
        seed: Seed of the community detection, when it has to run.
        generator: Optional random generator; the global RNG when ``None``.
    """

    def __init__(
        self,
        p: float,
        threshold: float = 0.7,
        *,
        seed: int = 0,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator)
        self.p = check_probability(p, "p")
        self.threshold = check_probability(threshold, "threshold")
        self.seed = seed

    def _args(self) -> dict[str, Any]:
        return {"p": self.p, "threshold": self.threshold}

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` with feature columns masked by community votes."""
        _require(data, "x", "edge_index")
        out = _with_communities(data, self.seed)
        out.x, out.feat_mask = communal_attribute_voting(
            data.x, out.communities, out.community_strength, self.p, self.threshold, generator=self.generator
        )
        return out


class Diffusion(BaseTransform):
    """Replace the graph by its sparsified PPR or heat diffusion (MVGRL; :mod:`gcl.augment.diffusion`).

    The output's ``edge_index`` / ``edge_weight`` hold the diffusion matrix; edge-aligned attributes of
    the input graph (``edge_attr`` ...) are dropped. Deterministic and dense (``O(N^2)``): apply once.

    Args:
        method: ``"ppr"`` or ``"heat"``.
        **kwargs: Passed to :func:`~gcl.augment.diffusion.ppr_diffusion` (``alpha``, ``eps``,
            ``top_k``, ...) or :func:`~gcl.augment.diffusion.heat_diffusion` (``t``, ...).
    """

    def __init__(self, method: Literal["ppr", "heat"] = "ppr", **kwargs: Any):
        if method not in ("ppr", "heat"):
            raise ValueError(f"'method' must be 'ppr' or 'heat' (got {method!r})")
        self.method = method
        self.kwargs = kwargs

    def forward(self, data: Data) -> Data:
        """Return a shallow copy of ``data`` whose edges are the diffusion matrix."""
        _require(data, "edge_index")
        fn = ppr_diffusion if self.method == "ppr" else heat_diffusion
        edge_index, edge_weight = fn(data.edge_index, data.num_nodes, **self.kwargs)
        out = copy.copy(data)
        for key in _edge_aligned_keys(data):
            del out[key]
        out.edge_index = edge_index
        out.edge_weight = edge_weight
        return out

    def __repr__(self) -> str:
        args = ", ".join([repr(self.method)] + [f"{k}={v!r}" for k, v in self.kwargs.items()])
        return f"{self.__class__.__name__}({args})"
