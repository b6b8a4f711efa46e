"""DirectAU: optimize alignment and uniformity of user and item embeddings directly, without negatives.

Wang et al. 2022, "Towards Representation Alignment and Uniformity in Collaborative Filtering" (KDD). For the
batch's (user, positive item) pairs with L2-normalized encoder outputs,
``loss = alignment(u, i) + gamma * (uniformity(u) + uniformity(i)) / 2`` (:func:`gcl.losses.directau_loss`,
computed here term by term for logging);
the sampled negatives are ignored. The encoder is MF (the paper's default; free embeddings) or LightGCN.

Defaults: MF encoder, ``gamma = 0.5`` (RecBole-GNN ``DirectAU.yaml``; the paper tunes gamma per dataset and
SELFRec uses a 3-layer LightGCN encoder with gamma 2), no embedding L2 term (the reference uses Adam weight
decay instead: pass ``weight_decay`` to the trainer).
"""

from __future__ import annotations

from torch import Tensor

from gcl.losses import alignment, uniformity
from gcl.rec.models.base import TrainSet, _check_nonnegative
from gcl.rec.models.lightgcn import LightGCN

__all__ = ["DirectAU"]

ENCODERS = ("mf", "lightgcn")


class DirectAU(LightGCN):
    """DirectAU over an MF (``num_layers = 0``) or LightGCN encoder.

    Args:
        train: Training interactions.
        embedding_dim: ``D``.
        encoder: ``"mf"`` or ``"lightgcn"``.
        num_layers: LightGCN layers (ignored for MF; 3 as SELFRec).
        gamma: Uniformity weight ``>= 0``.
        reg_weight: Optional L2 weight on the batch's ego embeddings (default 0).

    Example:
        >>> import torch
        >>> from gcl.data.interactions import Interactions
        >>> model = DirectAU(Interactions(user=[0, 1, 2], item=[1, 0, 1]), embedding_dim=8)
        >>> batch = torch.tensor([0, 1, 2]), torch.tensor([1, 0, 1]), torch.tensor([0, 1, 0])
        >>> loss = model.calculate_loss(*batch)
        >>> sorted(model.loss_terms)
        ['align', 'reg', 'uniform']
    """

    def __init__(
        self,
        train: TrainSet,
        embedding_dim: int = 64,
        encoder: str = "mf",
        num_layers: int = 3,
        gamma: float = 0.5,
        reg_weight: float = 0.0,
    ) -> None:
        if not isinstance(encoder, str) or encoder.lower() not in ENCODERS:
            raise ValueError(f"encoder: expected one of {ENCODERS}, got {encoder!r}")
        self.encoder = encoder.lower()
        depth = 0 if self.encoder == "mf" else num_layers
        super().__init__(train, embedding_dim, depth, reg_weight, include_ego=True)
        self.gamma = _check_nonnegative("gamma", gamma)

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``alignment + gamma * uniformity`` of the batch's users and positive items (+ optional L2)."""
        self._begin_loss(users, pos, neg)
        u, i, _ = self.batch_rows(self.node_embeddings(), users, pos, neg)
        align = alignment(u, i)  # = directau_loss(u, i, gamma) split into its two terms
        uniform = (uniformity(u) + uniformity(i)) / 2
        reg = self.reg_loss(users, pos, neg)
        self.loss_terms = {"align": align.detach(), "uniform": uniform.detach(), "reg": reg.detach()}
        return align + self.gamma * uniform + reg

    def extra_repr(self) -> str:  # noqa: D102
        return f"{super().extra_repr()}, encoder={self.encoder}, gamma={self.gamma}"
