"""Graph diffusion views of MVGRL (Hassani & Khasahmadi 2020, ICML).

MVGRL is "Contrastive Multi-View Representation Learning on Graphs".

MVGRL contrasts the adjacency view with a sparsified diffusion view: personalized PageRank
``S = alpha (I - (1 - alpha) T)^{-1}`` or the heat kernel ``S = exp(-t (I - T))``, with
``T = D^{-1/2} (A + I) D^{-1/2}``. Both are computed exactly by
:class:`torch_geometric.transforms.GDC` (Klicpera et al. 2019, NeurIPS), which runs on plain torch
(no torch_sparse; the exact variants densify the graph). PyG's approximate sparse PPR
(:func:`~torch_geometric.utils.get_ppr`) needs numba, which we do not depend on, so these functions
build an ``N x N`` dense matrix and refuse graphs above ``max_nodes`` nodes.

Sparsification keeps entries ``>= eps``, the ``top_k`` largest entries per column, or the largest
``avg_degree * N`` entries; by default ``avg_degree`` is the input graph's average degree, in the
spirit of MVGRL, which picks the threshold giving the diffusion graph about the original degree.
"""

from __future__ import annotations

from typing import Any, Literal

from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import GDC

from gcl.augment._validate import check_edge_index, check_node_vector, check_nonnegative, check_num_nodes

__all__ = ["heat_diffusion", "ppr_diffusion"]

Normalization = Literal["sym", "col", "row"] | None


def _sparsification(
    num_nodes: int, num_edges: int, eps: float | None, top_k: int | None, avg_degree: int | None
) -> dict[str, Any]:
    given = [
        name for name, v in (("eps", eps), ("top_k", top_k), ("avg_degree", avg_degree)) if v is not None
    ]
    if len(given) > 1:
        raise ValueError(f"give at most one of 'eps', 'top_k', 'avg_degree' (got {', '.join(given)})")
    if eps is not None:
        return {"method": "threshold", "eps": check_nonnegative(eps, "eps")}
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"'top_k' must be an int >= 1 (got {top_k!r})")
        return {"method": "topk", "k": top_k, "dim": 0}
    if avg_degree is None:
        avg_degree = max(1, round(num_edges / num_nodes))
    if isinstance(avg_degree, bool) or not isinstance(avg_degree, int) or avg_degree < 1:
        raise ValueError(f"'avg_degree' must be an int >= 1 (got {avg_degree!r})")
    return {"method": "threshold", "avg_degree": avg_degree}


def _diffuse(
    edge_index: Tensor,
    num_nodes: int,
    diffusion: dict[str, Any],
    *,
    eps: float | None,
    top_k: int | None,
    avg_degree: int | None,
    edge_weight: Tensor | None,
    self_loop_weight: float,
    normalization_out: Normalization,
    max_nodes: int,
) -> tuple[Tensor, Tensor]:
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    if num_nodes > max_nodes:
        gib = 8 * num_nodes**2 / 2**30
        raise ValueError(
            f"'num_nodes' = {num_nodes} exceeds 'max_nodes' = {max_nodes}: the exact diffusion is a dense "
            f"N x N matrix (several copies of ~{gib:.1f} GiB); raise 'max_nodes' if you have the memory"
        )
    if edge_weight is not None:
        check_node_vector(edge_weight, edge_index.size(1), "edge_weight", nonnegative=True)
    self_loop_weight = check_nonnegative(self_loop_weight, "self_loop_weight")
    if normalization_out not in ("sym", "col", "row", None):
        raise ValueError(
            f"'normalization_out' must be 'sym', 'col', 'row' or None (got {normalization_out!r})"
        )
    sparsify = _sparsification(num_nodes, edge_index.size(1), eps, top_k, avg_degree)
    gdc = GDC(
        self_loop_weight=self_loop_weight if self_loop_weight > 0 else None,
        normalization_in="sym",
        normalization_out=normalization_out,
        diffusion_kwargs=diffusion,
        sparsification_kwargs=sparsify,
        exact=True,
    )
    weight = None if edge_weight is None else edge_weight.float()
    out = gdc(Data(edge_index=edge_index.long(), edge_attr=weight, num_nodes=num_nodes))
    return out.edge_index, out.edge_attr


def ppr_diffusion(
    edge_index: Tensor,
    num_nodes: int,
    alpha: float = 0.15,
    *,
    eps: float | None = None,
    top_k: int | None = None,
    avg_degree: int | None = None,
    edge_weight: Tensor | None = None,
    self_loop_weight: float = 1.0,
    normalization_out: Normalization = None,
    max_nodes: int = 20_000,
) -> tuple[Tensor, Tensor]:
    """Sparsified personalized-PageRank diffusion ``alpha (I - (1 - alpha) T)^{-1}`` (MVGRL view).

    Computed exactly by :class:`torch_geometric.transforms.GDC` with ``T = D^{-1/2} (A + w I) D^{-1/2}``
    (MVGRL uses ``w = 1``). The result is deterministic: compute it once per graph.

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        num_nodes: Number of nodes ``N`` (``0 < N <= max_nodes``).
        alpha: Teleport (restart) probability in ``(0, 1]``; MVGRL uses 0.2.
        eps: Keep entries ``>= eps``.
        top_k: Keep the ``top_k`` largest entries of every column.
        avg_degree: Keep the ``avg_degree * N`` largest entries (default: the input's ``round(E / N)``).
        edge_weight: Optional non-negative input edge weights ``[E]``.
        self_loop_weight: Weight of the self-loops added before normalizing (0 adds none).
        normalization_out: Optional normalization of the sparsified output (``"sym"``, ``"col"``,
            ``"row"``); MVGRL uses the raw diffusion (``None``).
        max_nodes: Refuse larger graphs (dense ``N x N`` memory).

    Returns:
        ``(edge_index [2, K], edge_weight [K])`` of the sparsified diffusion matrix, coalesced.

    Example:
        >>> import torch
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> out, w = ppr_diffusion(ei, 3, alpha=0.2, eps=0.0)
        >>> out.size(1)  # eps=0 keeps the dense 3 x 3 matrix
        9
    """
    alpha = check_nonnegative(alpha, "alpha")
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"'alpha' must be in (0, 1] (got {alpha!r})")
    return _diffuse(
        edge_index,
        num_nodes,
        {"method": "ppr", "alpha": alpha},
        eps=eps,
        top_k=top_k,
        avg_degree=avg_degree,
        edge_weight=edge_weight,
        self_loop_weight=self_loop_weight,
        normalization_out=normalization_out,
        max_nodes=max_nodes,
    )


def heat_diffusion(
    edge_index: Tensor,
    num_nodes: int,
    t: float = 5.0,
    *,
    eps: float | None = None,
    top_k: int | None = None,
    avg_degree: int | None = None,
    edge_weight: Tensor | None = None,
    self_loop_weight: float = 1.0,
    normalization_out: Normalization = None,
    max_nodes: int = 20_000,
) -> tuple[Tensor, Tensor]:
    """Sparsified heat-kernel diffusion ``exp(-t (I - T))`` (MVGRL view, ``t = 5`` in the paper).

    Computed exactly by :class:`torch_geometric.transforms.GDC` (matrix exponential by eigen-
    decomposition for undirected graphs, scipy's ``expm`` otherwise) with
    ``T = D^{-1/2} (A + w I) D^{-1/2}``. MVGRL's formula uses the random-walk ``A D^{-1}``; on an
    undirected graph the two kernels are similar matrices with the same spectrum.

    Args:
        edge_index: ``LongTensor [2, E]`` with ids in ``[0, num_nodes)``.
        num_nodes: Number of nodes ``N`` (``0 < N <= max_nodes``).
        t: Diffusion time (``>= 0``).
        eps: Keep entries ``>= eps``.
        top_k: Keep the ``top_k`` largest entries of every column.
        avg_degree: Keep the ``avg_degree * N`` largest entries (default: the input's ``round(E / N)``).
        edge_weight: Optional non-negative input edge weights ``[E]``.
        self_loop_weight: Weight of the self-loops added before normalizing (0 adds none).
        normalization_out: Optional normalization of the sparsified output.
        max_nodes: Refuse larger graphs (dense ``N x N`` memory).

    Returns:
        ``(edge_index [2, K], edge_weight [K])`` of the sparsified diffusion matrix, coalesced.

    Example:
        >>> import torch
        >>> ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> out, w = heat_diffusion(ei, 3, t=0.0, eps=0.5)  # t = 0: the identity
        >>> out.tolist(), w.tolist()
        ([[0, 1, 2], [0, 1, 2]], [1.0, 1.0, 1.0])
    """
    t = check_nonnegative(t, "t")
    return _diffuse(
        edge_index,
        num_nodes,
        {"method": "heat", "t": t},
        eps=eps,
        top_k=top_k,
        avg_degree=avg_degree,
        edge_weight=edge_weight,
        self_loop_weight=self_loop_weight,
        normalization_out=normalization_out,
        max_nodes=max_nodes,
    )
