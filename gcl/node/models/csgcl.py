"""CSGCL: Community-Strength-Enhanced Graph Contrastive Learning (Chen et al., IJCAI 2023)."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn
from torch_geometric.data import Data

from gcl.augment.transforms import DetectCommunities
from gcl.node.models.grace import GRACE


class CSGCL(GRACE):
    """GRACE with community-strength-aware views and the team-up objective.

    Communities (Louvain) and their strengths are computed once per graph and cached on the
    model; the views are typically :class:`~gcl.augment.transforms.CommunalDropEdge` and
    :class:`~gcl.augment.transforms.CommunalAttributeVoting`, and the loss is
    :class:`gcl.losses.TeamUpInfoNCE` (``loss(z1, z2, node_strength, epoch)``), whose team-up term
    ramps in over training.

    Args:
        encoder: Node encoder.
        projector: Projection head.
        augment1: View 1 (``Data -> Data``).
        augment2: View 2.
        loss: ``loss(z1, z2, strength [N], epoch) -> scalar``.
        community_seed: Seed of the community detection.
    """

    def __init__(
        self,
        encoder: nn.Module,
        projector: nn.Module,
        augment1: Callable[[Data], Data],
        augment2: Callable[[Data], Data],
        loss: Callable[..., Tensor],
        *,
        community_seed: int = 0,
    ) -> None:
        super().__init__(encoder, projector, augment1, augment2, loss)
        self.detect = DetectCommunities(community_seed)
        self._annotated: tuple[int, Data] | None = None

    def annotate(self, data: Data) -> Data:
        """``data`` with ``communities`` and ``community_strength`` (computed once, then cached)."""
        if getattr(data, "communities", None) is not None:
            return data
        if self._annotated is None or self._annotated[0] != id(data):
            self._annotated = (id(data), self.detect(data))
        return self._annotated[1]

    def training_loss(self, data: Data, *, epoch: int = 0, num_epochs: int = 1) -> Tensor:
        """Team-up InfoNCE between the two communal views."""
        data = self.annotate(data)
        z1, z2 = self.views(data)
        strength = data.community_strength.to(z1.device)[data.communities.to(z1.device)]
        return self.loss(z1, z2, strength, epoch)
