"""GRACE: Deep Graph Contrastive Representation Learning (Zhu et al., ICML GRL+ workshop 2020)."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn
from torch_geometric.data import Data

from gcl.node.models.base import NodeContrastiveModel, encode_view


class GRACE(NodeContrastiveModel):
    """Two stochastic views, a shared encoder and projection head, node-level InfoNCE.

    For every node, its embedding in the other view is the positive; all other nodes in both
    views are negatives (inter- and intra-view). GCA and CSGCL reuse this class with other
    augmentations and objectives.

    Args:
        encoder: ``encoder(x, edge_index, edge_weight) -> [N, H]``, e.g. :class:`gcl.nn.GCNEncoder`.
        projector: ``[N, H] -> [N, P]``, e.g. :class:`gcl.nn.ProjectionHead` (ELU, as the paper).
        augment1: ``Data -> Data`` producing view 1 (e.g. ``Compose([DropEdge(0.2), MaskFeature(0.3)])``).
        augment2: ``Data -> Data`` producing view 2.
        loss: ``loss(z1, z2) -> scalar``, e.g. :class:`gcl.losses.InfoNCE` with the paper's tau.
    """

    def __init__(
        self,
        encoder: nn.Module,
        projector: nn.Module,
        augment1: Callable[[Data], Data],
        augment2: Callable[[Data], Data],
        loss: Callable[..., Tensor],
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.projector = projector
        self.augment1 = augment1
        self.augment2 = augment2
        self.loss = loss

    def views(self, data: Data) -> tuple[Tensor, Tensor]:
        """Projected embeddings of the two augmented views, each [N, P]."""
        z1 = self.projector(encode_view(self.encoder, self.augment1(data)))
        z2 = self.projector(encode_view(self.encoder, self.augment2(data)))
        return z1, z2

    def training_loss(self, data: Data, *, epoch: int = 0, num_epochs: int = 1) -> Tensor:
        """InfoNCE between the two views' projections."""
        z1, z2 = self.views(data)
        return self.loss(z1, z2)
