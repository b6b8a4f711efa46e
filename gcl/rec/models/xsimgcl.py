"""XSimGCL: one perturbed propagation serves both the recommendation and the contrastive task.

Yu et al. 2023, "XSimGCL: Towards Extremely Simple Graph Contrastive Learning for Recommendation" (TKDE).
A single SimGCL-perturbed propagation gives the final embeddings (mean of layers ``1..K``, as SELFRec) on
which BPR is computed, and the contrastive views are the final embeddings and the perturbed embeddings of
layer ``l*`` (cross-layer contrast). One propagation per batch instead of SimGCL's three; its last layer
(and that layer's noise) is computed on the batch's distinct users and items only.

Defaults: ``eps = 0.2``, ``lambda = 0.2``, ``l* = 1``, 2 layers (SELFRec ``conf/XSimGCL.yaml`` and the
paper's setting); ``tau = 0.2`` (SELFRec uses 0.15 on Yelp2018 -- pass ``tau=0.15`` to reproduce it).
"""

from __future__ import annotations

import torch
from torch import Tensor

from gcl.rec.models.base import TrainSet, cross_view_info_nce
from gcl.rec.models.simgcl import SimGCL

__all__ = ["XSimGCL"]


class XSimGCL(SimGCL):
    """XSimGCL: SimGCL's noise, one propagation, contrast between layer ``cl_layer`` and the final layer.

    Args:
        train: Training interactions.
        embedding_dim: ``D``.
        num_layers: ``K`` (paper / SELFRec: 2).
        reg_weight: L2 weight on ego embeddings (as :class:`~gcl.rec.models.lightgcn.LightGCN`).
        eps: Noise magnitude ``>= 0`` (0.2).
        cl_weight: ``lambda >= 0`` (0.2).
        tau: InfoNCE temperature ``> 0`` (0.2).
        cl_layer: ``l*`` in ``[0, K]``, the layer contrasted with the final embeddings (1; 0 = ego layer).
        include_ego: Average layers ``0..K`` instead of SELFRec's ``1..K``.
        generator: Optional ``torch.Generator`` for the noise.

    With ``eps = 0`` and ``cl_weight = 0`` the loss and embeddings equal LightGCN's with the same
    ``include_ego`` and initialization.
    """

    def __init__(
        self,
        train: TrainSet,
        embedding_dim: int = 64,
        num_layers: int = 2,
        reg_weight: float = 1e-4,
        *,
        eps: float = 0.2,
        cl_weight: float = 0.2,
        tau: float = 0.2,
        cl_layer: int = 1,
        include_ego: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(
            train,
            embedding_dim,
            num_layers,
            reg_weight,
            eps=eps,
            cl_weight=cl_weight,
            tau=tau,
            include_ego=include_ego,
            generator=generator,
        )
        if isinstance(cl_layer, bool) or not isinstance(cl_layer, int) or not 0 <= cl_layer <= num_layers:
            raise ValueError(f"cl_layer: expected an int in [0, num_layers={num_layers}], got {cl_layer!r}")
        self.cl_layer = cl_layer

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``bpr + reg + cl_weight * cl``, all from one perturbed propagation (last layer on the batch)."""
        self._begin_loss(users, pos, neg)
        nodes, positions = self.batch_nodes(users, pos, neg)
        # every layer at the batch's rows, [R, D], each gathered once
        layers = self.layer_rows(self.propagate(perturbed=True, rows=nodes), nodes)
        final = self.combine(layers)
        bpr, reg = self.bpr_terms(final, users, pos, neg, positions=positions)
        view = layers[self.cl_layer]
        cl = cross_view_info_nce(final, view, users, pos, self.num_users, self.tau, nodes=nodes)
        self.loss_terms = {"bpr": bpr.detach(), "reg": reg.detach(), "cl": cl.detach()}
        return bpr + reg + self.cl_weight * cl

    def extra_repr(self) -> str:  # noqa: D102
        return f"{super().extra_repr()}, cl_layer={self.cl_layer}"
