"""SGL: self-supervised graph learning with structure-augmented views of the user-item graph.

Wu et al. 2021, "Self-supervised Graph Learning for Recommendation" (SIGIR). Two views of the training graph
are drawn at the start of every epoch and LightGCN propagates over each; InfoNCE contrasts the two views of
the batch's unique users plus, as a second term, its unique items (SGL's ``both_side`` mode), added with
weight ``lambda`` to BPR on the full graph. Negatives are the batch's other unique nodes
(``negatives="batch"``, SELFRec) or every node of the other view (``"all"``, SGL's and RecBole's code).
Three propagations per batch. View operators:

* ``"ED"`` -- edge dropout: every interaction is dropped with probability ``drop_ratio``
  (:func:`gcl.augment.drop_edge`), one sub-graph shared by all layers;
* ``"ND"`` -- node dropout: every user and item node is dropped with probability ``drop_ratio`` together
  with its edges (:func:`gcl.augment.drop_node`; SGL drops an exact ``int(N * ratio)`` nodes, here the count
  is binomial), one sub-graph shared by all layers;
* ``"RW"`` -- SGL's "random walk": an independent edge dropout *per layer*, so the view is layer-dependent.

Each sub-graph is re-normalized on its own degrees (:func:`gcl.rec.graph.normalized_adjacency` with an
``edge_mask``). Defaults (paper / SELFRec ``conf/SGL.yaml``): ED, ``drop_ratio = 0.1``, ``tau = 0.2``,
``lambda = 0.1``; 3 layers as in the paper (SELFRec's config uses 2).
"""

from __future__ import annotations

import torch
from torch import Tensor

from gcl.augment import drop_edge, drop_node
from gcl.nn.propagation import PropagationMatrix
from gcl.rec.graph import interaction_edges, normalized_adjacency
from gcl.rec.models.base import TrainSet, _check_nonnegative, _check_positive, cross_view_info_nce
from gcl.rec.models.lightgcn import LightGCN

__all__ = ["SGL"]

AUG_TYPES = ("ED", "ND", "RW")


class SGL(LightGCN):
    """SGL-ED / SGL-ND / SGL-RW on top of :class:`~gcl.rec.models.lightgcn.LightGCN`.

    Args:
        train: Training interactions.
        embedding_dim: ``D``.
        num_layers: ``K`` (paper: 3).
        reg_weight: L2 weight on ego embeddings.
        aug_type: ``"ED"``, ``"ND"`` or ``"RW"``.
        drop_ratio: Edge / node dropout probability in ``[0, 1)`` (0.1).
        cl_weight: ``lambda >= 0`` (0.1).
        tau: InfoNCE temperature ``> 0`` (0.2).
        negatives: ``"batch"`` or ``"all"`` (see the module docstring).
        generator: Optional ``torch.Generator`` for the views (default: global RNG).

    The views are resampled by :meth:`on_epoch_start` (the trainer calls it before every epoch); the first
    :meth:`calculate_loss` draws them if it was never called.
    """

    def __init__(
        self,
        train: TrainSet,
        embedding_dim: int = 64,
        num_layers: int = 3,
        reg_weight: float = 1e-4,
        *,
        aug_type: str = "ED",
        drop_ratio: float = 0.1,
        cl_weight: float = 0.1,
        tau: float = 0.2,
        negatives: str = "batch",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(train, embedding_dim, num_layers, reg_weight, include_ego=True)
        if negatives not in ("batch", "all"):
            raise ValueError(f"negatives: expected 'batch' or 'all', got {negatives!r}")
        self.negatives = negatives
        if num_layers < 1:
            raise ValueError(
                f"num_layers: SGL propagates over augmented graphs, expected >= 1, got {num_layers}"
            )
        if not isinstance(aug_type, str) or aug_type.upper() not in AUG_TYPES:
            raise ValueError(f"aug_type: expected one of {AUG_TYPES}, got {aug_type!r}")
        self.aug_type = aug_type.upper()
        self.drop_ratio = _check_nonnegative("drop_ratio", drop_ratio)
        if self.drop_ratio >= 1:
            raise ValueError(f"drop_ratio: expected a probability in [0, 1), got {drop_ratio!r}")
        self.cl_weight = _check_nonnegative("cl_weight", cl_weight)
        self.tau = _check_positive("tau", tau)
        self.generator = generator
        self._edges = interaction_edges(train)  # [2, E] (user, item), the order edge masks refer to
        self.views: tuple[list[PropagationMatrix], list[PropagationMatrix]] | None = None

    def _edge_mask(self) -> Tensor:
        if self.aug_type == "ND":
            bipartite = torch.stack([self._edges[0], self._edges[1] + self.num_users])
            return drop_node(
                bipartite, self.drop_ratio, self.num_users + self.num_items, generator=self.generator
            )[1]
        return drop_edge(self._edges, self.drop_ratio, generator=self.generator)[1]

    def sample_view(self) -> list[PropagationMatrix]:
        """One view: a normalized sub-graph adjacency per layer (the same object for ED / ND)."""
        device = self.embedding.device
        dtype = self.embedding.dtype

        def one() -> PropagationMatrix:
            return normalized_adjacency(self._train, edge_mask=self._edge_mask().to(device), dtype=dtype)

        if self.aug_type == "RW":
            return [one() for _ in range(self.num_layers)]
        return [one()] * self.num_layers

    def on_epoch_start(self, epoch: int) -> None:
        """Draw two new views of the training graph."""
        self.views = (self.sample_view(), self.sample_view())

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``bpr + reg`` on the full graph plus ``cl_weight * cl`` between the two views."""
        loss = super().calculate_loss(users, pos, neg)
        if self.views is None or self.views[0][0].matrix.device != self.embedding.device:
            self.on_epoch_start(0)
        assert self.views is not None
        view_1 = self.node_embeddings(self.views[0])
        view_2 = self.node_embeddings(self.views[1])
        cl = cross_view_info_nce(view_1, view_2, users, pos, self.num_users, self.tau, self.negatives)
        self.loss_terms["cl"] = cl.detach()
        return loss + self.cl_weight * cl

    def extra_repr(self) -> str:  # noqa: D102
        return (
            f"{super().extra_repr()}, aug_type={self.aug_type}, drop_ratio={self.drop_ratio}, "
            f"cl_weight={self.cl_weight}, tau={self.tau}, negatives={self.negatives}"
        )
