"""Matrix factorization trained with BPR (MF-BPR).

Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit Feedback" (UAI): the score of
``(u, i)`` is ``e_u . e_i`` with free user and item embeddings.
"""

from __future__ import annotations

from torch import Tensor

from gcl.rec.models.base import Recommender, TrainSet

__all__ = ["MF"]


class MF(Recommender):
    """MF-BPR: dot-product scores of free embeddings, BPR loss plus the ego-embedding L2 term.

    Args:
        train: Training interactions (only the numbers of users and items are used).
        embedding_dim: ``D``.
        reg_weight: L2 weight (see :class:`~gcl.rec.models.base.Recommender`), default 1e-4.

    Example:
        >>> import torch
        >>> from gcl.data.interactions import Interactions
        >>> model = MF(Interactions(user=[0, 1], item=[1, 0]), embedding_dim=8)
        >>> loss = model.calculate_loss(torch.tensor([0]), torch.tensor([1]), torch.tensor([0]))
        >>> sorted(model.loss_terms), model.full_sort_predict(torch.tensor([0, 1])).shape
        (['bpr', 'reg'], torch.Size([2, 2]))
    """

    def __init__(self, train: TrainSet, embedding_dim: int = 64, reg_weight: float = 1e-4) -> None:
        super().__init__(train, embedding_dim, reg_weight)

    def embeddings(self) -> tuple[Tensor, Tensor]:
        """The embedding tables themselves, ``[U, D]`` and ``[I, D]``."""
        return self.user_embedding, self.item_embedding

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``bpr + reg`` for a batch of triples ``LongTensor [B]``."""
        self._begin_loss(users, pos, neg)
        bpr, reg = self.bpr_terms(self.embedding, users, pos, neg)
        self.loss_terms = {"bpr": bpr.detach(), "reg": reg.detach()}
        return bpr + reg
